"""The handshake with the post office (seed 002 §C–F) and the settlement that follows.

- A submitted list version becomes a package, stored with its lines, then sent through the
  outbox (chunks + manifest). Until the post office accepts it with the same count, total
  and checksum, it is sent again with back-off under the same package id and version; after
  ``max_attempts`` it waits in ``alert`` for an officer.
- A new version of a list already sent asks the post office to recall the old one and is
  sent only once the old one came back ``recalled``; a recall never answered leaves
  ``recall_unanswered``, which an officer can act on.
- Results update the package's lines (a repeated or reordered part changes nothing twice);
  the settlement report, deadlines, extensions and closing follow.
Every step is one transaction with its inbox row and its outbox events.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import asyncpg
from btxh_common import chunkstore
from btxh_common.chunks import digest, split, total
from btxh_common.envelope import Envelope
from btxh_common.events import (
    DeadlineExtended,
    LineStatus,
    PaymentListAcknowledged,
    PaymentListRejected,
    PaymentListSent,
    PaymentListSubmitted,
    PaymentListSubmittedChunk,
    PaymentResultsReceived,
    PaymentStatusUpdated,
    SettlementClosed,
    SettlementOverdue,
    SettlementReceived,
)
from btxh_common.logs import get_logger
from btxh_common.outbox import enqueue, enqueue_many
from btxh_common.postoffice import (
    PackageAccepted,
    PackageChunk,
    PackageManifest,
    PackageRejected,
    PaymentResults,
    RecallRequest,
    SettlementReport,
)
from btxh_common.problems import Conflict, NotFound, Unprocessable
from btxh_common.topics import POSTOFFICE_OUTBOUND, SETTLEMENT_EVENTS
from prometheus_client import Counter

from settlement_svc.adapters import db
from settlement_svc.domain import MAX_EXTENSION_DAYS, PaymentUnitSettings, settlement_deadline

log = get_logger(__name__)
PRODUCER = "settlement-svc"
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
LIVE = ("sent", "acknowledged", "alert", "recall_requested", "recall_unanswered")
RESENT = Counter("btxh_packages_resent_total", "Packages sent again", ["reason"])
ALERTS = Counter("btxh_packages_alert_total", "Packages left in alert after every attempt")


@dataclass(frozen=True)
class Policy:
    base_seconds: float = 30.0
    max_seconds: float = 3600.0
    max_attempts: int = 8


def today() -> date:
    return datetime.now(HCM).date()


def _wrap(payload: Any, district: str, correlation: UUID | str) -> Envelope:
    return Envelope.wrap(
        payload, producer=PRODUCER, district_code=district, correlation_id=str(correlation)
    )


def _delay(policy: Policy, attempts: int) -> timedelta:
    return timedelta(
        seconds=min(policy.base_seconds * 2 ** max(attempts - 1, 0), policy.max_seconds)
    )


async def _settings(conn: asyncpg.Connection, district: str) -> PaymentUnitSettings:
    found = await db.get_settings(conn, district)
    return found or PaymentUnitSettings(
        district_code=district,
        list_cutoff_day="last",
        settlement_cutoff_day="last",
        months_per_settlement=1,
        integrated=True,
    )


# ------------------------------------------------------------------ lists from payment-svc


async def on_list_chunk(conn: asyncpg.Connection, envelope: Envelope, policy: Policy) -> None:
    chunk = envelope.open(PaymentListSubmittedChunk).chunk
    await chunkstore.store_chunk(conn, chunk)
    await _complete(conn, chunk.transfer_id, policy)


async def on_list_submitted(conn: asyncpg.Connection, envelope: Envelope, policy: Policy) -> None:
    submitted = envelope.open(PaymentListSubmitted)
    meta = {
        "list_id": str(submitted.list_id),
        "version": submitted.version,
        "period": submitted.period,
        "kind": submitted.kind,
        "district_code": envelope.district_code,
    }
    await chunkstore.store_manifest(conn, envelope.event_type, submitted.manifest, meta)
    await _complete(conn, submitted.manifest.transfer_id, policy)


async def _complete(conn: asyncpg.Connection, transfer: UUID, policy: Policy) -> None:
    result = await chunkstore.complete(conn, transfer)
    if result.status == "rejected":
        log.error("package.transfer_rejected", transfer=str(transfer), code=result.error_code)
        return
    if result.status == "complete":
        await register_package(conn, result.meta, result.rows, policy)


async def register_package(
    conn: asyncpg.Connection, meta: dict[str, Any], rows: list[dict[str, Any]], policy: Policy
) -> UUID:
    district, list_id = meta["district_code"], UUID(meta["list_id"])
    settings = await _settings(conn, district)
    package = uuid4()
    previous = await conn.fetchrow(
        """SELECT * FROM package WHERE district_code = $1 AND period = $2 AND kind = $3
             AND state IN ('waiting_recall', 'sent', 'acknowledged', 'alert', 'recall_requested',
                           'recall_unanswered', 'manual')
           ORDER BY version DESC LIMIT 1 FOR UPDATE""",
        district,
        meta["period"],
        meta["kind"],
    )
    state = "manual" if not settings.integrated else "sent"
    if settings.integrated and previous is not None:
        if previous["state"] in ("waiting_recall", "manual"):
            await conn.execute(
                "UPDATE package SET state = 'superseded' WHERE id = $1", previous["id"]
            )
        else:
            state = "waiting_recall"
    await conn.execute(
        """INSERT INTO package (id, version, list_id, district_code, period, kind, line_count,
               total_amount, sha256, state, replaces)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)""",
        package,
        meta["version"],
        list_id,
        district,
        meta["period"],
        meta["kind"],
        len(rows),
        total(rows, "amount"),
        digest(rows),
        state,
        previous["id"] if previous is not None else None,
    )
    await conn.copy_records_to_table(
        "package_line",
        records=[
            (package, UUID(r["line_id"]), i, json.dumps(r, ensure_ascii=False), r["amount"])
            for i, r in enumerate(rows)
        ],
        columns=["package_id", "line_id", "seq", "body", "amount"],
    )
    if state == "manual":
        await _open_settlement(conn, package, list_id, district, meta["period"], settings)
    elif state == "waiting_recall":
        assert previous is not None
        if previous["state"] in ("sent", "acknowledged", "alert"):
            await conn.execute(
                "UPDATE package SET state = 'recall_requested', attempts = 0 WHERE id = $1",
                previous["id"],
            )
            await _request_recall(conn, previous["id"], policy)
    else:
        await send(conn, package, policy)
    log.info(
        "package.registered",
        package_id=str(package),
        list_id=str(list_id),
        version=meta["version"],
        lines=len(rows),
        state=state,
    )
    return package


# ------------------------------------------------------------------ sending and recalls


async def send(
    conn: asyncpg.Connection, package: UUID, policy: Policy, reason: str = "first"
) -> None:
    p = await conn.fetchrow("SELECT * FROM package WHERE id = $1 FOR UPDATE", package)
    rows = [
        json.loads(r["body"])
        for r in await conn.fetch(
            "SELECT body FROM package_line WHERE package_id = $1 ORDER BY seq", package
        )
    ]
    chunks, manifest = split(rows, package, amount_field="amount")
    district = p["district_code"]
    messages = [
        _wrap(PackageChunk(package_id=package, version=p["version"], chunk=c), district, package)
        for c in chunks
    ]
    messages.append(
        _wrap(
            PackageManifest(
                package_id=package,
                version=p["version"],
                list_id=p["list_id"],
                period=p["period"],
                kind=p["kind"],
                manifest=manifest,
            ),
            district,
            package,
        )
    )
    await enqueue_many(conn, POSTOFFICE_OUTBOUND, messages)
    attempts = p["attempts"] + 1
    await conn.execute(
        """UPDATE package SET state = 'sent', attempts = $2, next_attempt_at = now() + $3,
               sent_at = coalesce(sent_at, now()) WHERE id = $1""",
        package,
        attempts,
        _delay(policy, attempts),
    )
    if p["attempts"] == 0:
        await enqueue(
            conn,
            SETTLEMENT_EVENTS,
            _wrap(
                PaymentListSent(
                    package_id=package,
                    list_id=p["list_id"],
                    version=p["version"],
                    sent_at=datetime.now(UTC),
                ),
                district,
                p["list_id"],
            ),
        )
    else:
        RESENT.labels(reason).inc()
        log.info("package.resent", package_id=str(package), attempt=attempts, reason=reason)


async def _request_recall(conn: asyncpg.Connection, package: UUID, policy: Policy) -> None:
    p = await conn.fetchrow("SELECT * FROM package WHERE id = $1", package)
    await enqueue(
        conn,
        POSTOFFICE_OUTBOUND,
        _wrap(
            RecallRequest(
                package_id=package,
                version=p["version"],
                reason="Danh sách đã thay đổi: gửi phiên bản mới",
            ),
            p["district_code"],
            package,
        ),
    )
    attempts = p["attempts"] + 1
    await conn.execute(
        "UPDATE package SET attempts = $2, next_attempt_at = now() + $3 WHERE id = $1",
        package,
        attempts,
        _delay(policy, attempts),
    )


async def resend_due(pool: asyncpg.Pool, policy: Policy) -> int:
    """Send again every package (or recall) whose answer is overdue; returns how many."""
    done = 0
    async with pool.acquire() as conn:
        due = await conn.fetch(
            """SELECT id, state, attempts FROM package
               WHERE state IN ('sent', 'recall_requested') AND next_attempt_at <= now()
               ORDER BY next_attempt_at LIMIT 100"""
        )
    for p in due:
        async with pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                """SELECT state, attempts FROM package WHERE id = $1 AND next_attempt_at <= now()
                   FOR UPDATE SKIP LOCKED""",
                p["id"],
            )
            if row is None or row["state"] not in ("sent", "recall_requested"):
                continue
            if row["attempts"] >= policy.max_attempts:
                final = "alert" if row["state"] == "sent" else "recall_unanswered"
                await conn.execute(
                    "UPDATE package SET state = $2, next_attempt_at = NULL WHERE id = $1",
                    p["id"],
                    final,
                )
                ALERTS.inc()
                log.error(
                    "package.no_answer",
                    package_id=str(p["id"]),
                    state=final,
                    attempts=row["attempts"],
                )
            elif row["state"] == "sent":
                await send(conn, p["id"], policy, "no_answer")
            else:
                await _request_recall(conn, p["id"], policy)
            done += 1
    return done


async def retry(conn: asyncpg.Connection, package: UUID, policy: Policy) -> None:
    """An officer acts on a package left in alert / recall_unanswered: try again from 0."""
    p = await conn.fetchrow("SELECT * FROM package WHERE id = $1 FOR UPDATE", package)
    if p["state"] == "alert":
        await conn.execute("UPDATE package SET attempts = 0 WHERE id = $1", package)
        await send(conn, package, policy, "officer")
    elif p["state"] == "recall_unanswered":
        await conn.execute(
            "UPDATE package SET state = 'recall_requested', attempts = 0 WHERE id = $1", package
        )
        await _request_recall(conn, package, policy)
    else:
        raise Conflict(
            f"Gói đang ở trạng thái {p['state']}: không cần gửi lại", code="package_not_stuck"
        )


# ------------------------------------------------------------------ answers from the post office


async def _package(conn: asyncpg.Connection, package: UUID, version: int) -> asyncpg.Record | None:
    row = await conn.fetchrow(
        "SELECT * FROM package WHERE id = $1 AND version = $2 FOR UPDATE", package, version
    )
    if row is None:
        log.warning("postoffice.unknown_package", package_id=str(package), version=version)
    return row


async def on_accepted(conn: asyncpg.Connection, envelope: Envelope, policy: Policy) -> None:
    a = envelope.open(PackageAccepted)
    p = await _package(conn, a.package_id, a.version)
    if p is None or p["state"] not in ("sent", "alert"):
        return  # a duplicate, or an answer to a package already settled otherwise
    if (a.row_count, a.total_amount, a.sha256) != (p["line_count"], p["total_amount"], p["sha256"]):
        await conn.execute(
            "UPDATE package SET last_error = $2 WHERE id = $1",
            p["id"],
            f"acknowledged {a.row_count} lines / {a.total_amount} / {a.sha256[:12]}",
        )
        log.warning("package.ack_mismatch", package_id=str(p["id"]))
        if p["attempts"] >= policy.max_attempts:
            await conn.execute("UPDATE package SET state = 'alert' WHERE id = $1", p["id"])
            ALERTS.inc()
        else:
            await send(conn, p["id"], policy, "ack_mismatch")
        return
    await conn.execute(
        """UPDATE package SET state = 'acknowledged', acknowledged_at = now(),
               next_attempt_at = NULL, last_error = NULL WHERE id = $1""",
        p["id"],
    )
    settings = await _settings(conn, p["district_code"])
    await _open_settlement(conn, p["id"], p["list_id"], p["district_code"], p["period"], settings)
    await enqueue(
        conn,
        SETTLEMENT_EVENTS,
        _wrap(
            PaymentListAcknowledged(package_id=p["id"], list_id=p["list_id"], version=p["version"]),
            p["district_code"],
            p["list_id"],
        ),
    )


async def on_rejected(conn: asyncpg.Connection, envelope: Envelope, policy: Policy) -> None:
    r = envelope.open(PackageRejected)
    p = await _package(conn, r.package_id, r.version)
    if p is None:
        return
    if r.reason == "recalled":
        if p["state"] not in ("recall_requested", "recall_unanswered"):
            return
        await conn.execute(
            "UPDATE package SET state = 'recalled', next_attempt_at = NULL WHERE id = $1", p["id"]
        )
        await conn.execute(
            "UPDATE settlement SET state = 'closed', closed_by = 'recalled', "
            "closed_at = now() WHERE package_id = $1 AND state <> 'closed'",
            p["id"],
        )
        waiting = await conn.fetchval(
            "SELECT id FROM package WHERE replaces = $1 AND state = 'waiting_recall'", p["id"]
        )
        if waiting is not None:
            await send(conn, waiting, policy)
    elif r.reason == "checksum_mismatch" and p["state"] in ("sent", "alert"):
        await send(conn, p["id"], policy, "checksum_mismatch")
        return
    elif p["state"] in ("sent", "alert", "acknowledged"):
        await conn.execute(
            "UPDATE package SET state = 'rejected', last_error = $2, next_attempt_at = NULL "
            "WHERE id = $1",
            p["id"],
            f"{r.reason}: {r.detail or ''}",
        )
    else:
        return
    await enqueue(
        conn,
        SETTLEMENT_EVENTS,
        _wrap(
            PaymentListRejected(
                package_id=p["id"],
                list_id=p["list_id"],
                version=p["version"],
                reason=r.reason,
                recalled=r.reason == "recalled",
            ),
            p["district_code"],
            p["list_id"],
        ),
    )


async def on_results(conn: asyncpg.Connection, envelope: Envelope, _: Policy) -> None:
    results = envelope.open(PaymentResults)
    p = await _package(conn, results.package_id, results.version)
    if p is None or p["state"] in ("rejected", "recalled", "superseded"):
        return
    changed = await conn.fetch(
        """UPDATE package_line l SET status = r.status, paid_on = r.paid_on
           FROM unnest($2::uuid[], $3::text[], $4::date[]) AS r(line_id, status, paid_on)
           WHERE l.package_id = $1 AND l.line_id = r.line_id
             AND (l.status, l.paid_on) IS DISTINCT FROM (r.status, r.paid_on)
             AND l.status = 'pending'
           RETURNING l.line_id, l.status, l.paid_on""",
        p["id"],
        [r.line_id for r in results.results],
        [r.status for r in results.results],
        [r.paid_on for r in results.results],
    )
    if changed:
        await enqueue(
            conn,
            SETTLEMENT_EVENTS,
            _wrap(
                PaymentResultsReceived(
                    package_id=p["id"],
                    list_id=p["list_id"],
                    results=[
                        LineStatus(line_id=c["line_id"], status=c["status"], paid_on=c["paid_on"])
                        for c in changed
                    ],
                ),
                p["district_code"],
                p["list_id"],
            ),
        )


async def on_settlement_report(conn: asyncpg.Connection, envelope: Envelope, _: Policy) -> None:
    report = envelope.open(SettlementReport)
    s = await conn.fetchrow(
        "SELECT * FROM settlement WHERE package_id = $1 FOR UPDATE", report.package_id
    )
    if s is None or s["state"] != "open":
        return
    await conn.execute(
        "UPDATE settlement SET state = 'received', report = $2 WHERE id = $1",
        s["id"],
        report.model_dump_json(),
    )
    await enqueue(
        conn,
        SETTLEMENT_EVENTS,
        _wrap(
            SettlementReceived(
                settlement_id=s["id"],
                period=s["period"],
                paid_count=report.paid_count,
                paid_amount=report.paid_amount,
                unpaid_count=report.unpaid_count,
                unpaid_amount=report.unpaid_amount,
            ),
            s["district_code"],
            s["id"],
        ),
    )


async def on_status_updated(conn: asyncpg.Connection, envelope: Envelope, _: Policy) -> None:
    """A non-integrated district records statuses by hand in payment-svc: keep them."""
    update = envelope.open(PaymentStatusUpdated)
    await conn.execute(
        """UPDATE package_line l SET status = r.status, paid_on = r.paid_on
           FROM package p, unnest($2::uuid[], $3::text[], $4::date[]) AS r(line_id, status, paid_on)
           WHERE p.id = l.package_id AND p.list_id = $1 AND p.state = 'manual'
             AND l.line_id = r.line_id""",
        update.list_id,
        [x.line_id for x in update.lines],
        [x.status for x in update.lines],
        [x.paid_on for x in update.lines],
    )


# ------------------------------------------------------------------ settlements


async def _open_settlement(
    conn: asyncpg.Connection,
    package: UUID,
    list_id: UUID,
    district: str,
    period: str,
    settings: PaymentUnitSettings,
) -> None:
    await conn.execute(
        """INSERT INTO settlement (id, package_id, list_id, district_code, period, deadline, state)
           VALUES ($1, $2, $3, $4, $5, $6, 'open') ON CONFLICT (package_id) DO NOTHING""",
        uuid4(),
        package,
        list_id,
        district,
        period,
        settlement_deadline(period, settings),
    )


async def effective_deadline(conn: asyncpg.Connection, settlement: UUID) -> tuple[date, int]:
    row = await conn.fetchrow(
        """SELECT s.deadline, coalesce(sum(e.days), 0)::int AS days FROM settlement s
           LEFT JOIN extension e ON e.settlement_id = s.id WHERE s.id = $1 GROUP BY s.deadline""",
        settlement,
    )
    return row["deadline"] + timedelta(days=row["days"]), row["days"]


async def scan_overdue(pool: asyncpg.Pool) -> int:
    async with pool.acquire() as conn, conn.transaction():
        late = await conn.fetch(
            """SELECT s.id, s.district_code, s.period,
                      s.deadline + coalesce((SELECT sum(days) FROM extension e
                                             WHERE e.settlement_id = s.id), 0)::int AS due
               FROM settlement s WHERE s.state = 'open' AND s.overdue_since IS NULL
               FOR UPDATE SKIP LOCKED"""
        )
        late = [s for s in late if s["due"] < today()]
        for s in late:
            await conn.execute(
                "UPDATE settlement SET overdue_since = $2 WHERE id = $1", s["id"], today()
            )
            await enqueue(
                conn,
                SETTLEMENT_EVENTS,
                _wrap(
                    SettlementOverdue(settlement_id=s["id"], period=s["period"], deadline=s["due"]),
                    s["district_code"],
                    s["id"],
                ),
            )
            log.warning("settlement.overdue", settlement_id=str(s["id"]), deadline=str(s["due"]))
    return len(late)


async def a_settlement(
    conn: asyncpg.Connection, district_units: frozenset[str], settlement: UUID
) -> asyncpg.Record:
    s = await conn.fetchrow("SELECT * FROM settlement WHERE id = $1 FOR UPDATE", settlement)
    if s is None or s["district_code"] not in district_units:
        raise NotFound("Không tìm thấy quyết toán", code="settlement_not_found")
    return s


async def extend(
    conn: asyncpg.Connection, s: asyncpg.Record, days: int, who: str, reason: str
) -> date:
    if s["state"] == "closed":
        raise Conflict("Quyết toán đã đóng", code="settlement_closed")
    if not 1 <= days <= MAX_EXTENSION_DAYS:
        raise Unprocessable("Mỗi lần gia hạn từ 1 đến 19 ngày", code="extension_days_invalid")
    _, already = await effective_deadline(conn, s["id"])
    if already + days > MAX_EXTENSION_DAYS:
        raise Unprocessable(
            f"Đã gia hạn {already} ngày: tổng số ngày gia hạn phải dưới 20",
            code="extension_total_exceeded",
        )
    await conn.execute(
        "INSERT INTO extension (settlement_id, days, decided_by, reason) VALUES ($1, $2, $3, $4)",
        s["id"],
        days,
        who,
        reason,
    )
    new_deadline, _ = await effective_deadline(conn, s["id"])
    if new_deadline >= today():
        await conn.execute("UPDATE settlement SET overdue_since = NULL WHERE id = $1", s["id"])
    await enqueue(
        conn,
        SETTLEMENT_EVENTS,
        _wrap(
            DeadlineExtended(
                settlement_id=s["id"],
                days=days,
                new_deadline=new_deadline,
                decided_by=who,
                reason=reason,
            ),
            s["district_code"],
            s["id"],
        ),
    )
    return new_deadline


async def close(conn: asyncpg.Connection, s: asyncpg.Record, who: str, rest_unpaid: bool) -> int:
    if s["state"] == "closed":
        raise Conflict("Quyết toán đã đóng", code="settlement_closed")
    pending = await conn.fetchval(
        "SELECT count(*) FROM package_line WHERE package_id = $1 AND status = 'pending'",
        s["package_id"],
    )
    if pending and not rest_unpaid:
        raise Conflict(
            f"Còn {pending} người chưa có kết quả chi trả: chờ kết quả, "
            "hoặc xác nhận coi như chưa nhận",
            code="results_incomplete",
        )
    rest = await conn.fetch(
        """UPDATE package_line SET status = 'unpaid' WHERE package_id = $1 AND status = 'pending'
           RETURNING line_id""",
        s["package_id"],
    )
    await conn.execute(
        "UPDATE settlement SET state = 'closed', closed_by = $2, closed_at = now() WHERE id = $1",
        s["id"],
        who,
    )
    await enqueue(
        conn,
        SETTLEMENT_EVENTS,
        _wrap(
            SettlementClosed(
                settlement_id=s["id"],
                period=s["period"],
                list_id=s["list_id"],
                closed_by=who,
                lines=[LineStatus(line_id=r["line_id"], status="unpaid") for r in rest],
            ),
            s["district_code"],
            s["id"],
        ),
    )
    return len(rest)
