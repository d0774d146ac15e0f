"""Payment periods of a district: open, list, lock and unlock; the district's payment mode."""

from __future__ import annotations

import asyncpg
from btxh_common.clock import month_text, parse_month
from btxh_common.deps import Caller, Conn, Tx, allowed
from btxh_common.roles import Action
from fastapi import APIRouter

from payment_svc import views
from payment_svc.api.schemas import (
    District,
    LockBody,
    MonthPath,
    OpenPeriod,
    PaymentMode,
    PaymentModeView,
    Periods,
    PeriodView,
)
from payment_svc.handlers import periods as handle

router = APIRouter(prefix="/v1", tags=["periods"])


def period_view(p: asyncpg.Record) -> PeriodView:
    return PeriodView(
        district=p["district_code"],
        period=month_text(p["month"]),
        status=p["status"],
        level=p["level"],
        locked_by=p["locked_by"],
        lock_note=p["lock_note"],
    )


@router.post(
    "/districts/{district}/periods", status_code=201, dependencies=[allowed(Action.LIST_WRITE)]
)
async def open_period(district: District, body: OpenPeriod, caller: Caller, tx: Tx) -> PeriodView:
    caller.require_unit(district)
    return period_view(await handle.open_period(tx, caller, district, parse_month(body.month)))


@router.get("/districts/{district}/periods")
async def periods(district: District, caller: Caller, conn: Conn) -> Periods:
    caller.require_unit(district)
    return Periods(periods=[period_view(p) for p in await views.district_periods(conn, district)])


@router.post("/districts/{district}/periods/{month}/lock", dependencies=[allowed(Action.DATA_LOCK)])
async def lock(
    district: District, month: MonthPath, body: LockBody, caller: Caller, tx: Tx
) -> PeriodView:
    caller.require_unit(district)
    locked = await handle.set_lock(tx, caller, district, parse_month(month), True, body.note)
    return period_view(locked)


@router.post(
    "/districts/{district}/periods/{month}/unlock", dependencies=[allowed(Action.SUPERVISOR_ONLY)]
)
async def unlock(
    district: District, month: MonthPath, body: LockBody, caller: Caller, tx: Tx
) -> PeriodView:
    caller.require_unit(district)
    opened = await handle.set_lock(tx, caller, district, parse_month(month), False, body.note)
    return period_view(opened)


@router.put("/districts/{district}/payment-mode", dependencies=[allowed(Action.SUPERVISOR_ONLY)])
async def payment_mode(
    district: District, body: PaymentMode, caller: Caller, tx: Tx
) -> PaymentModeView:
    caller.require_unit(district)
    await handle.set_payment_mode(tx, caller, district, body.integrated)
    return PaymentModeView(district=district, integrated=body.integrated)
