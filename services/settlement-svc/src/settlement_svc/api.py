"""settlement-svc HTTP routes for the internal web gateway."""

from typing import Annotated

from btxh_common.auth import Principal, Role, principal_dependency
from btxh_common.problems import NotFound
from btxh_common.service import ServiceState
from btxh_common.settings import ServiceSettings
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from settlement_svc.adapters import db
from settlement_svc.domain import PaymentUnitSettings


class SettingsBody(BaseModel):
    list_cutoff_day: int = Field(ge=1, le=31)
    settlement_cutoff_day: int = Field(ge=1, le=31)
    months_per_settlement: int = Field(ge=1, le=12)
    integrated: bool


def build_router(settings: ServiceSettings) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["payment-unit"])
    Caller = Annotated[Principal, Depends(principal_dependency(settings))]

    def state(request: Request) -> ServiceState:
        service: ServiceState = request.app.state.service
        return service

    @router.get("/districts/{district}/payment-unit-settings")
    async def read_settings(district: str, caller: Caller, request: Request) -> PaymentUnitSettings:
        caller.require_unit(district)
        async with state(request).db().acquire() as conn:
            found = await db.get_settings(conn, district)
        if found is None:
            raise NotFound("Huyện chưa thiết lập kết nối với đơn vị chi trả")
        return found

    @router.put("/districts/{district}/payment-unit-settings")
    async def write_settings(
        district: str, body: SettingsBody, caller: Caller, request: Request
    ) -> PaymentUnitSettings:
        caller.require_unit(district)
        caller.require_role(Role.DISTRICT_OFFICER, Role.DISTRICT_SUPERVISOR)
        value = PaymentUnitSettings(district_code=district, **body.model_dump())
        async with state(request).db().acquire() as conn:
            await db.put_settings(conn, value, caller.officer_id)
        return value

    return router
