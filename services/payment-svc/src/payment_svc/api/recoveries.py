"""Recoveries (truy thu): create (officer or supervisor), read, cancel (supervisor only)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from btxh_common.clock import current_month, parse_month
from btxh_common.deps import Caller, Conn, Tx, allowed
from btxh_common.roles import Action
from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from payment_svc.api.schemas import Body, District, Month
from payment_svc.handlers import recoveries as handle

router = APIRouter(prefix="/v1", tags=["recoveries"])
Money = Annotated[int, Field(gt=0, le=10**12)]
Status = Literal["open", "closed", "cancelled"]


class NewRecovery(Body):
    beneficiary_id: UUID
    decision_no: str = Field(min_length=1, max_length=50)
    decision_date: date
    reason: str = Field(min_length=1, max_length=500)
    total: Money
    per_period: Money
    from_month: Month | None = None


class CancelBody(Body):
    reason: str = Field(min_length=1, max_length=500)


class Deduction(BaseModel):
    month: str
    list_id: UUID
    version: int
    amount: int


class HistoryEntry(BaseModel):
    at: datetime
    by: str
    what: str
    reason: str | None


class RecoveryView(BaseModel):
    recovery_id: UUID
    district: str
    beneficiary_id: UUID
    decision_no: str
    decision_date: date
    reason: str
    total: int
    per_period: int
    from_month: str
    status: Status
    recovered: int
    outstanding: int
    created_by: str
    created_at: datetime


class RecoveryDetail(RecoveryView):
    deductions: list[Deduction]
    history: list[HistoryEntry]


class RecoveriesPage(BaseModel):
    page: int
    size: int
    recoveries: list[RecoveryView]


@router.post(
    "/districts/{district}/recoveries",
    status_code=201,
    dependencies=[allowed(Action.RECOVERY_CREATE)],
)
async def create_recovery(
    district: District, body: NewRecovery, caller: Caller, tx: Tx
) -> RecoveryDetail:
    caller.require_unit(district)
    from_month = parse_month(body.from_month) if body.from_month else current_month()
    recovery_id = await handle.create(
        tx,
        caller,
        district,
        body.beneficiary_id,
        (body.decision_no, body.decision_date, body.reason),
        (body.total, body.per_period),
        from_month,
    )
    return RecoveryDetail.model_validate(await handle.detail(tx, district, recovery_id))


@router.get("/districts/{district}/recoveries")
async def recoveries(
    district: District,
    caller: Caller,
    conn: Conn,
    beneficiary_id: UUID | None = None,
    status: Status | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    size: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> RecoveriesPage:
    caller.require_unit(district)
    found = await handle.page(conn, district, beneficiary_id, status, page, size)
    return RecoveriesPage(
        page=page, size=size, recoveries=[RecoveryView.model_validate(r) for r in found]
    )


@router.get("/districts/{district}/recoveries/{recovery_id}")
async def recovery(
    district: District, recovery_id: UUID, caller: Caller, conn: Conn
) -> RecoveryDetail:
    caller.require_unit(district)
    return RecoveryDetail.model_validate(await handle.detail(conn, district, recovery_id))


@router.post(
    "/districts/{district}/recoveries/{recovery_id}/cancel",
    dependencies=[allowed(Action.RECOVERY_CANCEL)],
)
async def cancel_recovery(
    district: District, recovery_id: UUID, body: CancelBody, caller: Caller, tx: Tx
) -> RecoveryDetail:
    caller.require_unit(district)
    await handle.cancel(tx, caller, district, recovery_id, body.reason)
    return RecoveryDetail.model_validate(await handle.detail(tx, district, recovery_id))
