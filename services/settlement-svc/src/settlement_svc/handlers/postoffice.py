"""The post office's word about a package, and statuses a district records by hand.

Each message is turned into a lifecycle event (``domain.lifecycle``), the table says what it
does, and ``packages.apply`` does it; what the table refuses is kept with its reason.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
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
from btxh_common.postoffice import (
    ExtensionRequest,
    PackageAccepted,
    PackageRejected,
    PaymentResults,
    RecallRejected,
    SettlementReport,
)
from prometheus_client import Counter
from pydantic import TypeAdapter

from settlement_svc.adapters import extension_requests, outbox, results
from settlement_svc.adapters import packages as db
from settlement_svc.adapters import settlements as settlements_db
from settlement_svc.domain import lifecycle, words
from settlement_svc.domain import packages as rules
from settlement_svc.domain.lifecycle import Effect, Event, Move, Reason
from settlement_svc.domain.packages import Package, Policy
from settlement_svc.domain.settlements import MAX_EXTENSION_DAYS, SettlementState, receives_report
from settlement_svc.handlers import authenticity
from settlement_svc.handlers.held import release_held
from settlement_svc.handlers.packages import apply, refuse

Message = (
    PackageAccepted
    | PackageRejected
    | RecallRejected
    | PaymentResults
    | SettlementReport
    | ExtensionRequest
)
REJECTED = Counter(
    "btxh_packages_rejected_total", "Packages the post office rejected (not recalled)", ["reason"]
)
EXTENSIONS_ASKED = Counter(
    "btxh_postoffice_extension_requests_total", "The post office's requests for more days"
)
EventOf = Callable[[Package], Awaitable[Event]]
# the lines a results part changed (``results.record``'s rows) as one validation of the list:
# a model built field by field from each row was most of a part's own Python time
_LINE_STATUSES = TypeAdapter(list[LineStatus])


def _always(event: Event) -> EventOf:
    async def of(_: Package) -> Event:
        return event

    return of


async def _step(
    conn: asyncpg.Connection, message: Message, context: EventContext, event_of: EventOf
) -> tuple[Package, Move] | None:
    """The package the message is about (of the sender's district), locked, and what the
    message does to it; None, the refusal kept, if it is unknown, of another version, or the
    table refuses it; None also for a repeat that changes nothing."""
    package = await db.lock_if_known(conn, message.package_id)
    reason: Reason | None = None
    if package is None or package.district_code != context.district_code:
        reason, package = Reason.UNKNOWN_PACKAGE, None
    elif getattr(message, "version", package.version) != package.version:
        reason = Reason.VERSION_MISMATCH
    else:
        move = lifecycle.step(package.state, await event_of(package))
        if isinstance(move, Move) or move is None:
            return (package, move) if move else None
        reason = move
    version = getattr(message, "version", None)  # an extension request names no version
    detail = f"version {version}" + (f", state {package.state}" if package else "")
    if reason in authenticity.NOT_LIVE:  # the post office does not hold it
        await authenticity.keep(conn, message, context, reason, detail)
        return None
    await refuse(
        conn, context.district_code, message.package_id, message.event_type, reason, detail
    )
    return None


async def on_accepted(
    conn: asyncpg.Connection, accepted: PackageAccepted, context: EventContext, policy: Policy
) -> None:
    counted = (accepted.row_count, accepted.total_amount, accepted.sha256)

    async def event_of(package: Package) -> Event:
        matches = rules.acknowledgement_matches(package, *counted)
        return lifecycle.on_acceptance(matches, rules.attempts_used(package, policy))

    found = await _step(conn, accepted, context, event_of)
    if found is None:
        return
    package, move = found
    if Effect.NOTE_MISMATCH in move.effects:
        await db.note_error(conn, package.id, rules.mismatch_note(*counted))
    await apply(conn, package, move, policy, "ack_mismatch")
    await _emit_acknowledged(conn, package, move)


async def _emit_acknowledged(conn: asyncpg.Connection, package: Package, move: Move) -> None:
    if Effect.EMIT_ACKNOWLEDGED in move.effects:
        acknowledged = PaymentListAcknowledged(
            package_id=package.id, list_id=package.list_id, version=package.version
        )
        await outbox.emit(
            conn, acknowledged, district=package.district_code, correlation=package.list_id
        )


async def on_rejected(
    conn: asyncpg.Connection, rejected: PackageRejected, context: EventContext, policy: Policy
) -> None:
    async def event_of(package: Package) -> Event:
        has_results = await results.has_results(conn, package.id)
        return lifecycle.on_rejection(rejected.reason, has_results)

    found = await _step(conn, rejected, context, event_of)
    if found is None:
        return
    package, move = found
    if Effect.NOTE_REJECTION in move.effects:
        await db.note_rejection(conn, package.id, rejected.reason, rejected.detail)
        REJECTED.labels(rejected.reason).inc()
    await apply(conn, package, move, policy, rejected.reason)
    if Effect.EMIT_REJECTED in move.effects:
        event = PaymentListRejected(
            package_id=package.id,
            list_id=package.list_id,
            version=package.version,
            reason=rejected.reason,
            recalled=rejected.reason == "recalled",
        )
        await outbox.emit(conn, event, district=package.district_code, correlation=package.list_id)


async def on_recall_rejected(
    conn: asyncpg.Connection, refused: RecallRejected, context: EventContext, policy: Policy
) -> None:
    """The post office keeps a package we asked back: it has paid people in it. If its
    acceptance never reached us, the refusal stands for it (the settlement opens)."""

    async def event_of(package: Package) -> Event:
        return lifecycle.on_recall_refusal(await db.was_acknowledged(conn, package.id))

    found = await _step(conn, refused, context, event_of)
    if found is None:
        return
    package, move = found
    await db.note_refused_paid(conn, package.id, refused.paid_count)  # before the release
    await apply(conn, package, move, policy, "recall_refused")
    await _emit_acknowledged(conn, package, move)
    note = f"recall refused: {refused.reason}, {refused.paid_count} paid"  # after the move
    await db.note_error(conn, package.id, note + (f": {refused.detail}" if refused.detail else ""))


async def on_results(
    conn: asyncpg.Connection, part: PaymentResults, context: EventContext, policy: Policy
) -> None:
    found = await _step(conn, part, context, _always(Event.RESULTS))
    if found is None:
        return
    package, _ = found
    incoming = {
        r.line_id: (r.status, r.paid_on.isoformat() if r.paid_on else None) for r in part.results
    }
    recorded = await results.outcomes(conn, package.id, list(incoming))
    sorted_ = words.sort_results(recorded, incoming)
    for reason, lines in (
        (Reason.RESULT_DISAGREES, sorted_.disagreeing),
        (Reason.UNKNOWN_LINE, sorted_.unknown),
    ):
        if lines:
            detail = "; ".join(
                f"{line}: {recorded.get(line, ('?',))[0]} → {incoming[line][0]}" for line in lines
            )
            await refuse(conn, context.district_code, package.id, part.event_type, reason, detail)
    new = await _screen(conn, package, part, sorted_.new, incoming)
    changed = await results.record(conn, package.id, [r for r in part.results if r.line_id in new])
    changed = await _raise_against_hand(conn, package, part, changed)
    if changed:
        received = PaymentResultsReceived(
            package_id=package.id,
            list_id=package.list_id,
            results=_LINE_STATUSES.validate_python([dict(c) for c in changed]),
        )
        await outbox.emit(
            conn, received, district=package.district_code, correlation=package.list_id
        )
    if new:  # a kept package's results: the version held for them may go out now
        await release_held(conn, package.id, policy)


async def _screen(
    conn: asyncpg.Connection,
    package: Package,
    part: PaymentResults,
    new: list[UUID],
    incoming: Mapping[UUID, words.Outcome],
) -> set[UUID]:
    """The first words that may be applied: a person-month is paid at most once across the
    list's packages (``words.screen_results``); the others are raised, with the package
    that holds the person now or paid them."""
    elsewhere = await results.elsewhere(conn, package, new)
    screened = words.screen_results(new, incoming, elsewhere)
    for reason, lines, where in (
        (Reason.PERSON_MOVED, screened.moved, "newer_sent"),
        (Reason.PAID_ELSEWHERE, screened.paid_twice, "paid_in"),
    ):
        if lines:
            detail = "; ".join(
                f"{line}: {incoming[line][0]} (package {getattr(elsewhere[line], where)})"
                for line in lines
            )
            await refuse(conn, package.district_code, package.id, part.event_type, reason, detail)
    return set(screened.apply)


async def _raise_against_hand(
    conn: asyncpg.Connection, package: Package, part: PaymentResults, changed: list[Any]
) -> list[Any]:
    """A result that disagrees with a status a supervisor set by hand is recorded and raised
    for an officer, not passed on to payment-svc over the supervisor's word."""
    by_hand = await results.manual_of(conn, package.id, [c["line_id"] for c in changed])
    against = [c for c in changed if by_hand.get(c["line_id"], c["status"]) != c["status"]]
    if against:
        detail = "; ".join(
            f"{c['line_id']}: {by_hand[c['line_id']]} (by hand) → {c['status']}" for c in against
        )
        await refuse(
            conn,
            package.district_code,
            package.id,
            part.event_type,
            Reason.RESULT_DISAGREES_MANUAL,
            detail,
        )
    return [c for c in changed if c not in against]


async def on_settlement_report(
    conn: asyncpg.Connection, report: SettlementReport, context: EventContext
) -> None:
    found = await _step(conn, report, context, _always(Event.REPORT))
    if found is None:
        return
    package, _ = found
    counts = report.paid_count + report.unpaid_count
    mismatch = words.check_report(package, counts, report.paid_amount + report.unpaid_amount)
    settlement = await settlements_db.lock_of_package(conn, package.id)
    if mismatch is None and settlement is None:
        mismatch = Reason.NO_OPEN_SETTLEMENT
    if mismatch is not None:
        detail = f"{counts} lines / {report.paid_amount + report.unpaid_amount}"
        await refuse(conn, context.district_code, package.id, report.event_type, mismatch, detail)
        return
    assert settlement is not None
    if not receives_report(settlement.state):
        if settlement.report != json.loads(report.model_dump_json()):  # else: a repeat
            detail = f"settlement {settlement.state}: a different report came before"
            await refuse(
                conn,
                context.district_code,
                package.id,
                report.event_type,
                Reason.REPORT_AGAIN,
                detail,
            )
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


async def on_extension_request(
    conn: asyncpg.Connection, asked: ExtensionRequest, context: EventContext
) -> None:
    """The post office asks for more days to settle (seed 002 §E): recorded and shown to the
    officer with the settlement, who decides the days (the extend action answers it); a
    request for a settlement closed, or beyond the 1–19-day rule, is refused with its
    reason."""
    found = await _step(conn, asked, context, _always(Event.EXTENSION_ASKED))
    if found is None:
        return
    package, _ = found
    settlement = await settlements_db.lock_of_package(conn, package.id)
    granted = await settlements_db.extended_days(conn, settlement.id) if settlement else 0
    closed = settlement is None or settlement.state is SettlementState.CLOSED
    reason = words.check_extension_request(closed, asked.days, granted, MAX_EXTENSION_DAYS)
    if reason is not None:
        detail = f"{asked.days} days asked, {granted} granted: {asked.reason}"
        await refuse(conn, context.district_code, package.id, asked.event_type, reason, detail)
        return
    assert settlement is not None
    new = await extension_requests.insert(
        conn, settlement.id, package.id, package.district_code, asked.days, asked.reason
    )
    if new:
        EXTENSIONS_ASKED.inc()


async def on_status_updated(
    conn: asyncpg.Connection, update: PaymentStatusUpdated, _: EventContext
) -> None:
    """Statuses recorded by hand in payment-svc: a package kept by hand takes them as its
    outcome; one the post office has keeps them beside the post office's word, so closing
    does not mark those people unpaid (issue 15 item 4)."""
    await results.record_by_hand(conn, update.list_id, update.lines)
    await results.record_manual(conn, update.list_id, update.lines)
