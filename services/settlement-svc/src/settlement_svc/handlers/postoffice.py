"""The post office's answers about a package, and statuses a district records by hand.

Answers: accepted, rejected, results per person, the settlement report.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg
from btxh_common.events import (
    LineStatus,
    PaymentListAcknowledged,
    PaymentListRejected,
    PaymentResultsReceived,
    PaymentStatusUpdated,
    SettlementReceived,
)
from btxh_common.inbox import EventContext
from btxh_common.logs import get_logger
from btxh_common.postoffice import (
    PackageAccepted,
    PackageRejected,
    PaymentResults,
    SettlementReport,
)

from settlement_svc.adapters import outbox, payment_unit, results
from settlement_svc.adapters import packages as db
from settlement_svc.adapters import settlements as settlements_db
from settlement_svc.domain import packages as rules
from settlement_svc.domain.packages import Package, PackageState, Policy, Rejection
from settlement_svc.domain.settlements import receives_report
from settlement_svc.handlers.packages import ALERTS, send
from settlement_svc.handlers.settlements import open_settlement

log = get_logger(__name__)


async def _answered(conn: asyncpg.Connection, package_id: UUID, version: int) -> Package | None:
    package = await db.lock_version(conn, package_id, version)
    if package is None:
        log.warning("postoffice.unknown_package", package_id=str(package_id), version=version)
    return package


async def on_accepted(
    conn: asyncpg.Connection, accepted: PackageAccepted, _: EventContext, policy: Policy
) -> None:
    package = await _answered(conn, accepted.package_id, accepted.version)
    if package is None or package.state not in rules.AWAITING_ACKNOWLEDGEMENT:
        return  # a duplicate, or an answer to a package already settled otherwise
    counted = (accepted.row_count, accepted.total_amount, accepted.sha256)
    if not rules.acknowledgement_matches(package, *counted):
        await db.note_error(conn, package.id, rules.mismatch_note(*counted))
        log.warning("package.ack_mismatch", package_id=str(package.id))
        if rules.attempts_used(package, policy):
            await db.set_state(conn, package.id, PackageState.ALERT)
            ALERTS.inc()
        else:
            await send(conn, package.id, policy, "ack_mismatch")
        return
    await db.mark_acknowledged(conn, package.id)
    settings = await payment_unit.settings_or_default(conn, package.district_code)
    await open_settlement(conn, package, settings)
    acknowledged = PaymentListAcknowledged(
        package_id=package.id, list_id=package.list_id, version=package.version
    )
    await outbox.emit(
        conn, acknowledged, district=package.district_code, correlation=package.list_id
    )


async def on_rejected(
    conn: asyncpg.Connection, rejected: PackageRejected, _: EventContext, policy: Policy
) -> None:
    package = await _answered(conn, rejected.package_id, rejected.version)
    if package is None:
        return
    outcome = rules.on_rejection(package.state, rejected.reason)
    if outcome is None:
        return
    if outcome is Rejection.RESEND:
        await send(conn, package.id, policy, "checksum_mismatch")
        return
    if outcome is Rejection.RECALLED:
        await _recalled(conn, package, policy)
    else:
        await db.mark_rejected(conn, package.id, f"{rejected.reason}: {rejected.detail or ''}")
    event = PaymentListRejected(
        package_id=package.id,
        list_id=package.list_id,
        version=package.version,
        reason=rejected.reason,
        recalled=outcome is Rejection.RECALLED,
    )
    await outbox.emit(conn, event, district=package.district_code, correlation=package.list_id)


async def _recalled(conn: asyncpg.Connection, package: Package, policy: Policy) -> None:
    """The post office gave the package back: its settlement closes, the version waiting for
    the recall goes out."""
    await db.stop_waiting(conn, package.id, PackageState.RECALLED)
    await settlements_db.close_recalled(conn, package.id)
    waiting = await db.waiting_for_recall_of(conn, package.id)
    if waiting is not None:
        await send(conn, waiting, policy)


async def on_results(conn: asyncpg.Connection, part: PaymentResults, _: EventContext) -> None:
    package = await _answered(conn, part.package_id, part.version)
    if package is None or not rules.takes_results(package.state):
        return
    changed = await results.record(conn, package.id, part.results)
    if changed:
        received = PaymentResultsReceived(
            package_id=package.id,
            list_id=package.list_id,
            results=[
                LineStatus(line_id=c["line_id"], status=c["status"], paid_on=c["paid_on"])
                for c in changed
            ],
        )
        await outbox.emit(
            conn, received, district=package.district_code, correlation=package.list_id
        )


async def on_settlement_report(
    conn: asyncpg.Connection, report: SettlementReport, _: EventContext
) -> None:
    settlement = await settlements_db.lock_of_package(conn, report.package_id)
    if settlement is None or not receives_report(settlement.state):
        return
    await settlements_db.mark_received(conn, settlement.id, report.model_dump_json())
    received = SettlementReceived(
        settlement_id=settlement.id,
        period=settlement.period,
        paid_count=report.paid_count,
        paid_amount=report.paid_amount,
        unpaid_count=report.unpaid_count,
        unpaid_amount=report.unpaid_amount,
    )
    await outbox.emit(conn, received, district=settlement.district_code, correlation=settlement.id)


async def on_status_updated(
    conn: asyncpg.Connection, update: PaymentStatusUpdated, _: EventContext
) -> None:
    """A non-integrated district records statuses by hand in payment-svc: keep them."""
    await results.record_by_hand(conn, update.list_id, update.lines)
