"""Opening, locking and unlocking payment periods; the district's payment mode."""

from __future__ import annotations

from datetime import date

import asyncpg
from btxh_common.auth import Principal
from btxh_common.clock import month_text
from btxh_common.envelope import EventPayload
from btxh_common.events import PaymentPeriodLocked, PaymentPeriodOpened, PaymentPeriodUnlocked

from payment_svc.adapters import periods
from payment_svc.domain.errors import NoLevel, PeriodExists
from payment_svc.domain.states import PeriodStatus
from payment_svc.handlers import record
from payment_svc.handlers.load import period, publish


async def open_period(
    conn: asyncpg.Connection, caller: Principal, district: str, month: date
) -> asyncpg.Record:
    level = await periods.level_in_force(conn, month)
    if level is None:
        raise NoLevel()
    if not await periods.insert(conn, district, month, caller.officer_id, level):
        raise PeriodExists()
    text = month_text(month)
    opened = PaymentPeriodOpened(period=text, level=level, opened_by=caller.officer_id)
    await publish(conn, opened, district, text)
    return await period(conn, district, month)


async def set_lock(
    conn: asyncpg.Connection,
    caller: Principal,
    district: str,
    month: date,
    locked: bool,
    note: str | None,
) -> asyncpg.Record:
    await period(conn, district, month, lock=True)
    await record.record_district(conn, district)  # on the bus, the lists' records go first
    status = PeriodStatus.LOCKED if locked else PeriodStatus.OPEN
    await periods.set_status(conn, district, month, status, caller.officer_id, note)
    who, text = caller.officer_id, month_text(month)
    event: EventPayload = (
        PaymentPeriodLocked(period=text, locked_by=who, note=note)
        if locked
        else PaymentPeriodUnlocked(period=text, unlocked_by=who, note=note)
    )
    await publish(conn, event, district, text)
    return await period(conn, district, month)


async def set_payment_mode(
    conn: asyncpg.Connection, caller: Principal, district: str, integrated: bool
) -> None:
    await periods.save_payment_mode(conn, district, integrated, caller.officer_id)
