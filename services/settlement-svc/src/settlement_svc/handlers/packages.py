"""Packages: registered from a submitted list, sent, resent, recalled, retried by an officer.

Every step is one transaction with its inbox row (or the officer's request) and its events.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

import asyncpg
from btxh_common.chunks import digest, total
from btxh_common.chunkstore import RejectedTransfer, Transfer
from btxh_common.events import PaymentListSent, PaymentListSubmitted
from btxh_common.logs import get_logger
from prometheus_client import Counter

from settlement_svc.adapters import outbox, payment_unit
from settlement_svc.adapters import packages as db
from settlement_svc.domain import packages as rules
from settlement_svc.domain.errors import PackageNotFound
from settlement_svc.domain.packages import Package, PackageState, Policy
from settlement_svc.handlers.settlements import open_settlement

log = get_logger(__name__)
RESENT = Counter("btxh_packages_resent_total", "Packages sent again", ["reason"])
ALERTS = Counter("btxh_packages_alert_total", "Packages left in alert after every attempt")


async def register(
    conn: asyncpg.Connection, transfer: Transfer[PaymentListSubmitted], policy: Policy
) -> None:
    """A list version submitted by payment-svc, received whole, becomes a package."""
    submitted, district, rows = transfer.event, transfer.context.district_code, transfer.rows
    settings = await payment_unit.settings_or_default(conn, district)
    previous = await db.lock_latest_replaceable(conn, district, submitted.period, submitted.kind)
    plan = rules.register(settings.integrated, previous.state if previous else None)
    if previous is not None and plan.supersede_previous:
        await db.set_state(conn, previous.id, PackageState.SUPERSEDED)
    package = Package(
        id=uuid4(),
        version=submitted.version,
        list_id=submitted.list_id,
        district_code=district,
        period=submitted.period,
        kind=submitted.kind,
        line_count=len(rows),
        total_amount=total(rows, "amount"),
        sha256=digest(rows),
        state=plan.state,
        attempts=0,
    )
    await db.insert(conn, package, previous.id if previous else None, rows)
    if plan.state is PackageState.MANUAL:
        await open_settlement(conn, package, settings)
    elif previous is not None and plan.recall_previous:
        await db.restart(conn, previous.id, PackageState.RECALL_REQUESTED)
        await request_recall(conn, previous.id, policy)
    elif plan.state is PackageState.SENT:
        await send(conn, package.id, policy)
    log.info(
        "package.registered",
        package_id=str(package.id),
        list_id=str(package.list_id),
        version=package.version,
        lines=len(rows),
        state=plan.state,
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
    conn: asyncpg.Connection, package_id: UUID, policy: Policy, reason: str = "first"
) -> None:
    """Send the package (chunks and manifest) and wait for the answer with back-off."""
    package = await db.lock(conn, package_id)
    await outbox.send_package(conn, package, await db.lines(conn, package_id))
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
    if package is None or package.state not in rules.AWAITING_ANSWER:
        return 0
    final = rules.given_up(package, policy)
    if final is not None:
        await db.stop_waiting(conn, package_id, final)
        ALERTS.inc()
        log.error(
            "package.no_answer", package_id=str(package_id), state=final, attempts=package.attempts
        )
    elif package.state is PackageState.SENT:
        await send(conn, package_id, policy, "no_answer")
    else:
        await request_recall(conn, package_id, policy)
    return 1


async def retry(
    conn: asyncpg.Connection, units: frozenset[str], package_id: UUID, policy: Policy
) -> Package:
    """An officer acts on a package left in alert / recall_unanswered: try again from 0."""
    district = await db.district_of(conn, package_id)
    if district is None or district not in units:
        raise PackageNotFound()
    package = await db.lock(conn, package_id)
    rules.check_retry(package)
    if package.state is PackageState.ALERT:
        await db.reset_attempts(conn, package_id)
        await send(conn, package_id, policy, "officer")
    else:
        await db.restart(conn, package_id, PackageState.RECALL_REQUESTED)
        await request_recall(conn, package_id, policy)
    return await db.get(conn, package_id)


async def of_district(conn: asyncpg.Connection, district: str) -> list[asyncpg.Record]:
    return await db.of_district(conn, district)
