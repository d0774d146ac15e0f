"""Packages: registered from a submitted list, sent, resent, recalled, retried by an officer.

Every step is one transaction with its inbox row (or the officer's request) and its events.
What a step does to a package is ``domain.lifecycle``'s table; ``apply`` carries out the
move (state, then effects in order) and ``refuse`` keeps what was refused and why.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from btxh_common.chunks import Row, digest, total
from btxh_common.chunkstore import RejectedTransfer, Transfer
from btxh_common.errors import DomainError, NotFoundError, NotPermitted
from btxh_common.events import (
    LineStatus,
    PaymentListRow,
    PaymentListSent,
    PaymentListSubmitted,
    PaymentResultsReceived,
)
from btxh_common.inbox import ContractBroken, describe
from btxh_common.logs import get_logger
from prometheus_client import Counter
from pydantic import TypeAdapter, ValidationError

from settlement_svc.adapters import outbox, payment_unit, refusals
from settlement_svc.adapters import packages as db
from settlement_svc.adapters import settlements as settlements_db
from settlement_svc.domain import lifecycle
from settlement_svc.domain import packages as rules
from settlement_svc.domain.errors import PackageNotFound, PackageNotStuck
from settlement_svc.domain.lifecycle import Effect, Event, Move
from settlement_svc.domain.packages import Package, PackageState, Policy
from settlement_svc.handlers.settlements import open_settlement

log = get_logger(__name__)
RESENT = Counter("btxh_packages_resent_total", "Packages sent again", ["reason"])
LEFT_OUT = Counter(
    "btxh_packages_paid_left_out_total",
    "Lines of a new version left out because the person was paid in the package kept",
)
ALERTS = Counter("btxh_packages_alert_total", "Packages left in alert after every attempt")
HELD = Counter(
    "btxh_packages_held_for_results_total",
    "New versions held until the kept package's paid results come (a recall refused)",
)
REFUSED = Counter(
    "btxh_postoffice_refused_total",
    "Post-office messages (and officers' package actions) refused, by reason",
    ["reason"],
)


async def refuse(
    conn: asyncpg.Connection,
    district: str,
    package_id: UUID | None,
    message_type: str,
    reason: str,
    detail: str | None = None,
) -> None:
    """Keep a refused message (or action) with its reason, count it, say so in the log."""
    await refusals.insert(conn, district, package_id, message_type, reason, detail)
    REFUSED.labels(reason).inc()
    log.warning(
        "postoffice.refused",
        package_id=str(package_id),
        message_type=message_type,
        reason=reason,
        detail=detail,
    )


Subject = Callable[[], Awaitable[tuple[str, UUID]]]


@asynccontextmanager
async def refusals_kept(pool: asyncpg.Pool, action: str, subject: Subject) -> AsyncIterator[None]:
    """An officer's action refused by a rule is kept like a refused message (its own
    connection: the action's transaction rolls back), with ``subject``'s district and
    package; not found or not permitted is the caller's answer only."""
    try:
        yield
    except (NotFoundError, NotPermitted):
        raise
    except DomainError as refused:
        district, package_id = await subject()
        async with pool.acquire() as conn:
            await refuse(
                conn, district, package_id, f"officer:{action}", refused.code, str(refused)
            )
        raise


async def apply(
    conn: asyncpg.Connection, package: Package, move: Move, policy: Policy, why: str
) -> None:
    """Carry out ``move`` on the (locked) package: its state, then its effects in order.
    ``why`` names the cause in resend counts, alerts and a closed settlement's closed_by.
    Effects only a message handler knows how to do (results, report, events) are its own."""
    if move.to is not package.state:
        await db.move(conn, package.id, move.to)
    for effect in move.effects:
        if effect is Effect.RESTART:
            await db.reset_attempts(conn, package.id)
        elif effect is Effect.SEND:
            await send(conn, package.id, policy, why)
        elif effect is Effect.ASK_RECALL:
            await request_recall(conn, package.id, policy)
        elif effect is Effect.ALERT:
            ALERTS.inc()
            log.error("package.alert", package_id=str(package.id), state=move.to, why=why)
        elif effect is Effect.OPEN_SETTLEMENT:
            settings = await payment_unit.settings_or_default(conn, package.district_code)
            await open_settlement(conn, package, settings)
        elif effect is Effect.CLOSE_SETTLEMENT:
            await settlements_db.close_ended(conn, package.id, move.to)
        elif effect is Effect.RELEASE_WAITING:
            await _release_waiting(conn, package.id, policy)
        elif effect is Effect.RELEASE_WAITING_UNPAID:
            await _release_unpaid(conn, package.id, policy)
        elif effect is Effect.LEAVE_OUT_PAID:
            await _leave_out_paid(conn, package)
        elif effect is Effect.HOLD:
            await _hold(conn, package, policy)


async def _hold(conn: asyncpg.Connection, package: Package, policy: Policy) -> None:
    """Wait for the kept package's results until the time-out (then ``results_overdue``)."""
    await db.schedule(
        conn, package.id, package.attempts, timedelta(seconds=policy.results_wait_seconds)
    )
    await db.note_error(conn, package.id, "held: the kept package's paid results are owed")
    HELD.inc()
    log.warning("package.held_for_results", package_id=str(package.id))


async def _release_waiting(conn: asyncpg.Connection, package_id: UUID, policy: Policy) -> None:
    waiting = await db.waiting_for_recall_of(conn, package_id)
    if waiting is not None:
        rest, _ = await unpaid_rest_of(conn, waiting)
        move = lifecycle.step(waiting.state, lifecycle.on_released(rest))
        assert isinstance(move, Move), move
        await apply(conn, waiting, move, policy, "first")


_ROWS = TypeAdapter(list[PaymentListRow])


def _check_rows(rows: list[dict[str, Any]], event_type: str) -> None:
    """Every row fits ``PaymentListRow`` (bounded, no unknown field), or none is kept: all
    rows in one validation; the first row at fault is named when one is."""
    try:
        _ROWS.validate_python(rows)
        return
    except ValidationError:
        pass
    for i, row in enumerate(rows):
        try:
            PaymentListRow.model_validate(row)
        except ValidationError as exc:
            raise ContractBroken(describe(exc, f"{event_type} row {i}")) from None


async def unpaid_rest_of(
    conn: asyncpg.Connection, waiting: Package
) -> tuple[lifecycle.UnpaidRest, dict[str, Any]]:
    """``waiting``'s lines split by the people paid in the packages of its list the post
    office holds (the one that kept it waiting, if it was kept; one kept earlier)."""
    paid = await db.paid_people(conn, waiting, lifecycle.AT_POST_OFFICE)
    return lifecycle.unpaid_rest(await db.lines(conn, waiting.id), paid), paid


async def _release_unpaid(conn: asyncpg.Connection, kept_id: UUID, policy: Policy) -> None:
    """The post office kept ``kept_id`` (people in it are paid): the version waiting for it
    goes out holding only the people not paid there — once every paid result the refusal
    counted has reached us; until then it is held."""
    waiting = await db.waiting_for_recall_of(conn, kept_id)
    if waiting is None:
        return
    rest, _ = await unpaid_rest_of(conn, waiting)
    came = lifecycle.results_in(*await db.paid_so_far(conn, kept_id))
    move = lifecycle.step(waiting.state, lifecycle.on_live_kept(rest, came))
    assert isinstance(move, Move), move
    await apply(conn, waiting, move, policy, "recall_refused")


async def _leave_out_paid(conn: asyncpg.Connection, waiting: Package) -> None:
    """The lines of people paid in a package of the list the post office holds leave
    ``waiting`` (its count, total and checksum are those of what is sent); payment-svc is
    told they stay paid, on the day the post office paid them, so nobody is paid twice."""
    rest, paid = await unpaid_rest_of(conn, waiting)
    left = [UUID(str(r["line_id"])) for r in rest.left_out]
    if not left:
        return
    await db.leave_out(
        conn,
        waiting.id,
        left,
        line_count=len(rest.sent),
        total_amount=total(list(rest.sent), "amount"),
        sha256=digest(list(rest.sent)),
    )
    note = f"{len(left)} people paid in a package the post office holds left out"
    await db.note_error(conn, waiting.id, note)
    LEFT_OUT.inc(len(left))
    log.info("package.paid_left_out", package_id=str(waiting.id), left=len(left))
    stay_paid = PaymentResultsReceived(
        package_id=waiting.id,
        list_id=waiting.list_id,
        results=[
            LineStatus(
                line_id=UUID(str(r["line_id"])),
                status="paid",
                paid_on=paid[str(r["beneficiary_id"])],
            )
            for r in rest.left_out
        ],
    )
    await outbox.emit(conn, stay_paid, district=waiting.district_code, correlation=waiting.list_id)


async def register(
    conn: asyncpg.Connection, transfer: Transfer[PaymentListSubmitted], policy: Policy
) -> None:
    """A list version submitted by payment-svc, received whole, becomes a package; the
    version it replaces is superseded or asked back."""
    submitted, district, rows = transfer.event, transfer.context.district_code, transfer.rows
    _check_rows(rows, transfer.context.event_type)
    settings = await payment_unit.settings_or_default(conn, district)
    previous = await db.lock_latest_replaceable(conn, district, submitted.period, submitted.kind)
    waited = await db.replaces(conn, previous.id) if previous else None
    placement = rules.place(settings.integrated, previous, waited)
    package = Package(
        id=uuid4(),
        version=submitted.version,
        list_id=submitted.list_id,
        district_code=district,
        period=submitted.period,
        kind=submitted.kind,
        line_count=len(rows),
        total_amount=total(rows, "amount"),
        sha256=submitted.manifest.sha256,  # the rows', verified when the transfer completed
        state=placement.state,
        attempts=0,
    )
    replaced = placement.waits_for or (previous.id if previous else None)
    await db.insert(conn, package, replaced, rows)
    if previous is not None:
        move = lifecycle.step(previous.state, Event.NEW_VERSION)
        if isinstance(move, Move):
            await apply(conn, previous, move, policy, "superseded")
    if placement.state is PackageState.MANUAL:
        await open_settlement(conn, package, settings)
    elif placement.state is PackageState.SENT:
        await send(conn, package.id, policy, rows=rows)
    elif placement.state is PackageState.WAITING_RESULTS:  # a newer version of a held one
        await _hold(conn, package, policy)
    log.info(
        "package.registered",
        package_id=str(package.id),
        list_id=str(package.list_id),
        version=package.version,
        lines=len(rows),
        state=placement.state,
    )


async def transfer_rejected(
    conn: asyncpg.Connection, transfer: RejectedTransfer[PaymentListSubmitted]
) -> None:
    """The list's rows do not match its manifest: nothing to register."""
    log.error(
        "package.transfer_rejected",
        transfer=str(transfer.event.manifest.transfer_id),
        code=transfer.error_code,
    )


async def send(
    conn: asyncpg.Connection,
    package_id: UUID,
    policy: Policy,
    reason: str = "first",
    *,
    rows: list[Row] | None = None,
) -> None:
    """Send the package (chunks and manifest) and wait for the answer with back-off.
    ``rows``: its lines and checksum just registered, not read back (``register``)."""
    package = await db.lock(conn, package_id)
    if rows is None:
        await outbox.send_package(conn, package, await db.lines(conn, package_id))
    else:
        await outbox.send_package(conn, package, rows, sha256=package.sha256)
    attempts = package.attempts + 1
    await db.mark_sent(conn, package_id, attempts, rules.resend_delay(policy, attempts))
    if rules.is_first_send(package):
        sent = PaymentListSent(
            package_id=package.id,
            list_id=package.list_id,
            version=package.version,
            sent_at=datetime.now(UTC),
        )
        await outbox.emit(conn, sent, district=package.district_code, correlation=package.list_id)
    else:
        RESENT.labels(reason).inc()
        log.info("package.resent", package_id=str(package_id), attempt=attempts, reason=reason)


async def request_recall(conn: asyncpg.Connection, package_id: UUID, policy: Policy) -> None:
    """Ask the post office to give the package back, and wait for it with back-off."""
    package = await db.get(conn, package_id)
    await outbox.request_recall(conn, package)
    attempts = package.attempts + 1
    await db.schedule(conn, package_id, attempts, rules.resend_delay(policy, attempts))


async def resend_due(pool: asyncpg.Pool, policy: Policy) -> int:
    """Send again every package (or recall) whose answer is overdue; returns how many."""
    async with pool.acquire() as conn:
        due = await db.due(conn)
    done = 0
    for package_id in due:
        async with pool.acquire() as conn, conn.transaction():
            done += await _resend(conn, package_id, policy)
    return done


async def _resend(conn: asyncpg.Connection, package_id: UUID, policy: Policy) -> int:
    package = await db.lock_if_due(conn, package_id)
    if package is None:
        return 0
    event = lifecycle.on_no_answer(rules.attempts_used(package, policy))
    move = lifecycle.step(package.state, event)
    if not isinstance(move, Move):
        return 0
    await apply(conn, package, move, policy, "no_answer")
    return 1


async def retry(
    conn: asyncpg.Connection, units: frozenset[str], package_id: UUID, policy: Policy
) -> Package:
    """An officer acts on a package left in alert / recall_unanswered: try again from 0."""
    district = await db.district_of(conn, package_id)
    if district is None or district not in units:
        raise PackageNotFound()
    package = await db.lock(conn, package_id)
    move = lifecycle.step(package.state, Event.RETRY)
    if not isinstance(move, Move):
        raise PackageNotStuck(package.state)
    await apply(conn, package, move, policy, "officer")
    return await db.get(conn, package_id)


async def of_district(
    conn: asyncpg.Connection, district: str, limit: int, before: list[Any] | None = None
) -> list[asyncpg.Record]:
    return await db.of_district(conn, district, limit, before)


async def subject(conn: asyncpg.Connection, package_id: UUID) -> tuple[str, UUID]:
    package = await db.get(conn, package_id)
    return package.district_code, package.id


async def refusals_of(
    conn: asyncpg.Connection, district: str, limit: int, before: int | None = None
) -> list[asyncpg.Record]:
    return await refusals.of_district(conn, district, limit, before)
