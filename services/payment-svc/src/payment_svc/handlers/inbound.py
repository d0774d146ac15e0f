"""What payment-svc does with what it hears: the register's snapshots (its read model of
recipients) and the payment unit's answers relayed by settlement-svc."""

from __future__ import annotations

from uuid import UUID

import asyncpg
from btxh_common import readpos
from btxh_common.events import (
    BeneficiaryChanged,
    BeneficiaryRegistered,
    ImportApplied,
    PaymentListAcknowledged,
    PaymentListRejected,
    PaymentListSent,
    PaymentResultsReceived,
    SettlementClosed,
)
from btxh_common.inbox import EventContext, require_district

from payment_svc.adapters import lines, lists, moves, recipients
from payment_svc.domain.states import ListAction, payment_unit_move


async def on_beneficiary(
    conn: asyncpg.Connection,
    event: BeneficiaryRegistered | BeneficiaryChanged,
    context: EventContext,
) -> None:
    require_district(context, event.beneficiary.district_code, "beneficiary.district_code")
    if isinstance(event, BeneficiaryChanged) and event.move is not None:
        require_district(context, event.move.to_district, "move.to_district")
        await moves.record(conn, event.move, event.beneficiary.id)
    await recipients.save(conn, event.beneficiary)
    await readpos.record(conn, context.district_code, event.position)


async def on_applied(conn: asyncpg.Connection, event: ImportApplied, context: EventContext) -> None:
    """An import's outcome changes no recipient, but its number is the register's latest."""
    await readpos.record(conn, context.district_code, event.position)


async def on_sent(conn: asyncpg.Connection, event: PaymentListSent, context: EventContext) -> None:
    await _moved_by_payment_unit(conn, event.list_id, ListAction.SENT)


async def on_acknowledged(
    conn: asyncpg.Connection, event: PaymentListAcknowledged, context: EventContext
) -> None:
    await _moved_by_payment_unit(conn, event.list_id, ListAction.ACKNOWLEDGED)


async def on_rejected(
    conn: asyncpg.Connection, event: PaymentListRejected, context: EventContext
) -> None:
    """The post office rejected the list's package: the list is ``rejected`` with the reason,
    and the officer may make a new version, which goes out as a new package. A recall (the
    list was already replaced by a new version) changes nothing here."""
    if event.recalled:
        return
    status, after = payment_unit_move(ListAction.REJECTED)
    await lists.reject(conn, event.list_id, status, after, event.reason)


async def on_results(
    conn: asyncpg.Connection, event: PaymentResultsReceived, context: EventContext
) -> None:
    """Per-line results from the post office; a locked period still takes them (the payment
    happened) — the lock stops officers' changes, not the payment unit's facts."""
    results = [(r.line_id, r.status, r.paid_on) for r in event.results]
    reason = f"package {event.package_id}"
    await lines.set_statuses(conn, event.list_id, results, "post-office", "post_office", reason)
    await _moved_by_payment_unit(conn, event.list_id, ListAction.RESULTS)


async def on_closed(
    conn: asyncpg.Connection, event: SettlementClosed, context: EventContext
) -> None:
    final = [(r.line_id, r.status, r.paid_on) for r in event.lines]
    reason = f"settlement {event.settlement_id}"
    await lines.set_statuses(conn, event.list_id, final, event.closed_by, "settlement", reason)
    await _moved_by_payment_unit(conn, event.list_id, ListAction.SETTLE)


async def _moved_by_payment_unit(
    conn: asyncpg.Connection, list_id: UUID, action: ListAction
) -> None:
    status, after = payment_unit_move(action)
    await lists.move(conn, list_id, status, after)
