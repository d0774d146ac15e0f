"""settlement-svc HTTP routes for the internal web gateway."""

import json
from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from btxh_common.auth import Principal, Role, principal_dependency
from btxh_common.problems import NotFound
from btxh_common.service import ServiceState
from btxh_common.settings import ServiceSettings
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field, field_validator

from settlement_svc import handshake
from settlement_svc.adapters import db
from settlement_svc.domain import PaymentUnitSettings


class SettingsBody(BaseModel):
    list_cutoff_day: int | Literal["last"] = Field(description="1–28, or last")
    settlement_cutoff_day: int | Literal["last"] = Field(description="1–28, or last")
    months_per_settlement: int = Field(ge=1, le=12)
    integrated: bool

    @field_validator("list_cutoff_day", "settlement_cutoff_day", mode="before")
    @classmethod
    def _day(cls, value: object) -> object:
        if value == "last" or (
            isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 28
        ):
            return value
        raise ValueError("ngày phải từ 1 đến 28, hoặc 'last' (ngày cuối tháng)")


def build_router(settings: ServiceSettings, policy: handshake.Policy) -> APIRouter:
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

    @router.get("/districts/{district}/packages", tags=["handshake"])
    async def packages(district: str, caller: Caller, request: Request) -> dict[str, Any]:
        caller.require_unit(district)
        rows = (
            await state(request)
            .db()
            .fetch(
                """SELECT id, version, list_id, period, kind, line_count, total_amount, state,
                      attempts, last_error, replaces, sent_at, acknowledged_at
               FROM package WHERE district_code = $1 ORDER BY created_at DESC LIMIT 200""",
                district,
            )
        )
        return {"packages": [_jsonable(r) for r in rows]}

    @router.post("/packages/{package_id}/retry", tags=["handshake"])
    async def retry(package_id: UUID, caller: Caller, request: Request) -> dict[str, Any]:
        async with state(request).db().acquire() as conn, conn.transaction():
            district = await conn.fetchval(
                "SELECT district_code FROM package WHERE id = $1", package_id
            )
            if district is None or not caller.can_see(district):
                raise NotFound("Không tìm thấy gói danh sách", code="package_not_found")
            await handshake.retry(conn, package_id, policy)
            row = await conn.fetchrow(
                "SELECT id, state, attempts FROM package WHERE id = $1", package_id
            )
        return _jsonable(row)

    @router.get("/districts/{district}/settlements", tags=["settlements"])
    async def settlements(district: str, caller: Caller, request: Request) -> dict[str, Any]:
        caller.require_unit(district)
        async with state(request).db().acquire() as conn:
            ids = await conn.fetch(
                "SELECT id FROM settlement WHERE district_code = $1 ORDER BY period DESC", district
            )
            return {"settlements": [await _settlement_view(conn, r["id"]) for r in ids]}

    @router.get("/settlements/{settlement_id}", tags=["settlements"])
    async def settlement(settlement_id: UUID, caller: Caller, request: Request) -> dict[str, Any]:
        async with state(request).db().acquire() as conn, conn.transaction():
            await handshake.a_settlement(conn, caller.units, settlement_id)
            return await _settlement_view(conn, settlement_id)

    @router.post("/settlements/{settlement_id}/extensions", tags=["settlements"])
    async def extend(
        settlement_id: UUID, body: ExtensionBody, caller: Caller, request: Request
    ) -> dict[str, Any]:
        async with state(request).db().acquire() as conn, conn.transaction():
            s = await handshake.a_settlement(conn, caller.units, settlement_id)
            await handshake.extend(conn, s, body.days, caller.officer_id, body.reason)
            return await _settlement_view(conn, settlement_id)

    @router.post("/settlements/{settlement_id}/close", tags=["settlements"])
    async def close(
        settlement_id: UUID, body: CloseBody, caller: Caller, request: Request
    ) -> dict[str, Any]:
        async with state(request).db().acquire() as conn, conn.transaction():
            s = await handshake.a_settlement(conn, caller.units, settlement_id)
            await handshake.close(conn, s, caller.officer_id, body.rest_unpaid)
            return await _settlement_view(conn, settlement_id)

    return router


class ExtensionBody(BaseModel):
    days: int = Field(ge=1, le=60, description="1–19; 20 or more (alone or together) refused")
    reason: str = Field(min_length=1, max_length=500)


class CloseBody(BaseModel):
    rest_unpaid: bool = Field(
        default=False, description="people with no result yet are closed as not received"
    )


def _jsonable(row: Any) -> dict[str, Any]:
    out = {}
    for key, value in dict(row).items():
        if isinstance(value, date | datetime):  # ISO 8601; timestamps are UTC from the database
            out[key] = value.isoformat()
        else:
            out[key] = str(value) if isinstance(value, UUID) else value
    return out


async def _settlement_view(conn: Any, settlement_id: UUID) -> dict[str, Any]:
    s = await conn.fetchrow("SELECT * FROM settlement WHERE id = $1", settlement_id)
    deadline, days = await handshake.effective_deadline(conn, settlement_id)
    lines = await conn.fetch(
        """SELECT status, count(*) AS n, sum(amount)::bigint AS amount FROM package_line
           WHERE package_id = $1 GROUP BY status ORDER BY status""",
        s["package_id"],
    )
    view = _jsonable(s)
    view.update(
        report=json.loads(s["report"]) if s["report"] else None,
        effective_deadline=str(deadline),
        extended_days=days,
        lines={r["status"]: {"count": r["n"], "amount": r["amount"]} for r in lines},
    )
    return view
