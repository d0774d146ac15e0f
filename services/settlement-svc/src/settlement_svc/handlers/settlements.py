"""Settlements: opened, marked overdue, extended and closed."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import asyncpg
from btxh_common.clock import today
from btxh_common.events import (
    DeadlineExtended,
    LineStatus,
    SettlementClosed,
    SettlementOverdue,
)
from btxh_common.logs import get_logger

from settlement_svc.adapters import extension_requests, outbox, results
from settlement_svc.adapters import packages as packages_db
from settlement_svc.adapters import settlements as db
from settlement_svc.domain import settlements as rules
from settlement_svc.domain.errors import SettlementNotFound
from settlement_svc.domain.packages import Package, PackageState
from settlement_svc.domain.payment_unit import PaymentUnitSettings
from settlement_svc.domain.settlements import Settlement, SettlementSummary

log = get_logger(__name__)


async def open_settlement(
    conn: asyncpg.Connection, package: Package, settings: PaymentUnitSettings
) -> None:
    deadline = rules.settlement_deadline(package.period, settings)
    await db.open_for(conn, uuid4(), package, deadline)


async def scan_overdue(pool: asyncpg.Pool) -> int:
    """Mark every open settlement whose deadline (with extensions) has passed; returns how
    many."""
    async with pool.acquire() as conn, conn.transaction():
        candidates = await db.lock_open_not_overdue(conn)
        late = [s for s in candidates if rules.is_overdue(s["due"], today())]
        for s in late:
            await db.mark_overdue(conn, s["id"], today())
            overdue = SettlementOverdue(
                settlement_id=s["id"], period=s["period"], deadline=s["due"]
            )
            await outbox.emit(conn, overdue, district=s["district_code"], correlation=s["id"])
            log.warning("settlement.overdue", settlement_id=str(s["id"]), deadline=str(s["due"]))
    return len(late)


async def find(conn: asyncpg.Connection, units: frozenset[str], settlement_id: UUID) -> Settlement:
    """The settlement, locked, if it is one of the caller's units'."""
    settlement = await db.lock(conn, settlement_id)
    if settlement is None or settlement.district_code not in units:
        raise SettlementNotFound()
    return settlement


async def extend(
    conn: asyncpg.Connection,
    units: frozenset[str],
    settlement_id: UUID,
    days: int,
    who: str,
    reason: str,
) -> None:
    settlement = await find(conn, units, settlement_id)
    already = await db.extended_days(conn, settlement_id)
    rules.check_extension(settlement.state, days, already)
    await db.add_extension(conn, settlement_id, days, who, reason)
    await extension_requests.answer_open(conn, settlement_id, who, days)
    new_deadline = rules.effective_deadline(settlement.deadline, already + days)
    if not rules.is_overdue(new_deadline, today()):
        await db.clear_overdue(conn, settlement_id)
    extended = DeadlineExtended(
        settlement_id=settlement_id,
        days=days,
        new_deadline=new_deadline,
        decided_by=who,
        reason=reason,
    )
    await outbox.emit(conn, extended, district=settlement.district_code, correlation=settlement_id)


async def close(
    conn: asyncpg.Connection,
    units: frozenset[str],
    settlement_id: UUID,
    who: str,
    rest_unpaid: bool,
) -> None:
    """The officer accepts the settlement; people with no result become not received."""
    settlement = await find(conn, units, settlement_id)
    pending = await results.pending_count(conn, settlement.package_id)
    due = rules.effective_deadline(settlement.deadline, await db.extended_days(conn, settlement_id))
    package = await packages_db.get(conn, settlement.package_id)
    rules.check_close(
        settlement.state,
        pending,
        rest_unpaid,
        due=due,
        today=today(),
        by_hand=package.state is PackageState.MANUAL,
    )
    rest = await results.close_pending(conn, settlement.package_id)
    await db.close(conn, settlement_id, who)
    closed = SettlementClosed(
        settlement_id=settlement_id,
        period=settlement.period,
        list_id=settlement.list_id,
        closed_by=who,
        lines=[LineStatus(line_id=line, status="unpaid") for line in rest],
    )
    await outbox.emit(conn, closed, district=settlement.district_code, correlation=settlement_id)


async def subject(conn: asyncpg.Connection, settlement_id: UUID) -> tuple[str, UUID]:
    """The settlement's district and package."""
    settlement = await db.get(conn, settlement_id)
    return settlement.district_code, settlement.package_id


async def summary(conn: asyncpg.Connection, settlement_id: UUID) -> SettlementSummary:
    settlement = await db.get(conn, settlement_id)
    return SettlementSummary(
        settlement=settlement,
        extended_days=await db.extended_days(conn, settlement_id),
        lines=await results.totals(conn, settlement.package_id),
        extension_requests=tuple(await extension_requests.of_settlement(conn, settlement_id)),
    )


async def of_district(
    conn: asyncpg.Connection, district: str, limit: int, before: list[Any] | None = None
) -> list[SettlementSummary]:
    return await db.summaries_of_district(conn, district, limit, before)
