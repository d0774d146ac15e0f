"""Payment periods and lists (seed "Quản lý chi trả" §1–9, DOMAIN "Amounts" and "Payment
periods and lists"). Lists are computed set-based in SQL; every amount is integer VND.

A line's total = allowance + arrears + carried_over + funeral − recovery, never below 0:
- allowance = the level in force in the period's month × coefficient (tenths) / 10, for
  people whose allowance is in force that month;
- arrears: the register's arrears whose payment month has come, once (not if another
  period's current list already pays them);
- carried_over: unpaid lines of the previous month (automatically), or of a past month
  pulled into this one by hand (§4.3), not yet carried anywhere;
- recovery: what is left to recover (register amount − what earlier lists recovered), up to
  the line's gross; the rest carries on to the next month.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from btxh_common.auth import Principal, Role
from btxh_common.chunks import split
from btxh_common.envelope import Envelope
from btxh_common.events import (
    LineStatus,
    PaymentListDeleted,
    PaymentListGenerated,
    PaymentListSubmitted,
    PaymentListSubmittedChunk,
    PaymentPeriodLocked,
    PaymentPeriodUnlocked,
    PaymentStatusUpdated,
)
from btxh_common.logs import get_logger
from btxh_common.outbox import enqueue, enqueue_many
from btxh_common.problems import Conflict, Forbidden, NotFound, Unprocessable
from btxh_common.topics import PAYMENT_EVENTS

log = get_logger(__name__)
PRODUCER = "payment-svc"
CURRENT = "status NOT IN ('superseded', 'deleted')"
CHANGEABLE_LIST = ("draft",)
_PERIOD = "SELECT * FROM payment_period WHERE district_code = $1 AND month = $2"
_PERIOD_FOR_UPDATE = _PERIOD + " FOR UPDATE"
_LIST = "SELECT * FROM payment_list WHERE id = $1"
_LIST_FOR_UPDATE = _LIST + " FOR UPDATE"
MANUAL_STATUSES = ("paid", "unpaid", "unpaid_stopped", "returned", "recovered", "pending")


def month_text(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def previous(month: date) -> date:
    return date(month.year - (month.month == 1), 12 if month.month == 1 else month.month - 1, 1)


async def level_of(conn: asyncpg.Connection, month: date) -> int:
    level = await conn.fetchval(
        "SELECT amount FROM standard_level WHERE effective_from <= $1"
        " ORDER BY effective_from DESC LIMIT 1",
        month,
    )
    if level is None:
        raise Unprocessable("Chưa có mức chuẩn trợ giúp xã hội cho tháng này", code="no_level")
    return int(level)


# ------------------------------------------------------------------------------ periods


async def open_period(conn: asyncpg.Connection, district: str, month: date, who: str) -> None:
    level = await level_of(conn, month)
    done = await conn.execute(
        """INSERT INTO payment_period (district_code, month, opened_by, level)
           VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING""",
        district,
        month,
        who,
        level,
    )
    if done == "INSERT 0 0":
        raise Conflict("Kỳ chi trả này đã được mở", code="period_exists")


async def period(
    conn: asyncpg.Connection, district: str, month: date, *, lock: bool = False
) -> asyncpg.Record:
    row = await conn.fetchrow(
        _PERIOD_FOR_UPDATE if lock else _PERIOD,
        district,
        month,
    )
    if row is None:
        raise NotFound(f"Chưa mở kỳ chi trả tháng {month_text(month)}", code="period_not_found")
    return row


async def writable_period(conn: asyncpg.Connection, district: str, month: date) -> asyncpg.Record:
    row = await period(conn, district, month, lock=True)
    if row["status"] == "locked":
        raise Conflict(
            f"Kỳ chi trả tháng {month_text(month)} đã khóa: không thay đổi được",
            code="period_locked",
        )
    return row


async def set_lock(
    conn: asyncpg.Connection,
    who: Principal,
    district: str,
    month: date,
    locked: bool,
    note: str | None,
) -> None:
    if not locked:
        who.require_role(Role.DISTRICT_SUPERVISOR)
    await period(conn, district, month, lock=True)
    await conn.execute(
        """UPDATE payment_period SET status = $3, locked_by = $4, locked_at = now(), lock_note = $5
           WHERE district_code = $1 AND month = $2""",
        district,
        month,
        "locked" if locked else "open",
        who.officer_id,
        note,
    )
    event = (
        PaymentPeriodLocked(period=month_text(month), locked_by=who.officer_id, note=note)
        if locked
        else PaymentPeriodUnlocked(period=month_text(month), unlocked_by=who.officer_id, note=note)
    )
    await enqueue(
        conn,
        PAYMENT_EVENTS,
        Envelope.wrap(
            event, producer=PRODUCER, district_code=district, correlation_id=month_text(month)
        ),
    )


# ------------------------------------------------------------------------------ generation

_CARRY_SOURCES = """
CREATE TEMP TABLE carry_source ON COMMIT DROP AS
SELECT l.id, l.beneficiary_id, l.total
FROM payment_line l JOIN payment_list p ON p.id = l.list_id
WHERE p.district_code = $1
  AND p.status NOT IN ('superseded', 'deleted') AND p.kind = 'monthly' AND p.month < $2
  AND l.status = 'unpaid' AND l.carried_into IS NULL
  AND ((l.pull_to_month IS NULL AND p.month = $3) OR l.pull_to_month = $2)
"""

_MONTHLY = """
WITH current_lists AS (
    SELECT id, month FROM payment_list
    WHERE district_code = $1 AND status NOT IN ('superseded', 'deleted')
      AND kind = 'monthly' AND month <> $2
), recovered AS (
    SELECT l.beneficiary_id, sum(l.recovery)::bigint AS amount
    FROM payment_line l JOIN current_lists c ON c.id = l.list_id
    WHERE l.parent_id IS NULL GROUP BY 1
), arrears_listed AS (
    SELECT DISTINCT l.beneficiary_id, l.arrears_period
    FROM payment_line l JOIN current_lists c ON c.id = l.list_id
    WHERE l.arrears > 0 AND l.parent_id IS NULL
), carried AS (
    SELECT beneficiary_id, sum(total)::bigint AS amount FROM carry_source GROUP BY 1
), people AS (
    SELECT r.*,
        CASE WHEN r.coefficient IS NOT NULL AND r.allowance_start_month <= $2 AND (
                r.status = 'active'
                OR (r.status IN ('suspended', 'under_review', 'stopped')
                    AND r.status_effective_month > $2)
                OR (r.status = 'deceased' AND r.death_date >= $2))
             THEN $3::bigint * r.coefficient / 10 ELSE 0 END AS allowance,
        CASE WHEN r.arrears_amount > 0 AND r.arrears_period <= $2 AND NOT EXISTS (
                SELECT 1 FROM arrears_listed a WHERE a.beneficiary_id = r.beneficiary_id
                  AND a.arrears_period = r.arrears_period)
             THEN r.arrears_amount ELSE 0 END AS arrears,
        coalesce(c.amount, 0) AS carried,
        greatest(r.recovery_amount - coalesce(rc.amount, 0), 0) AS outstanding
    FROM recipient r
    LEFT JOIN carried c ON c.beneficiary_id = r.beneficiary_id
    LEFT JOIN recovered rc ON rc.beneficiary_id = r.beneficiary_id
    WHERE r.district_code = $1 AND r.status <> 'removed'
)
INSERT INTO payment_line (id, list_id, beneficiary_id, national_id, full_name, commune_code,
    payment_channel, bank_account, category, coefficient, allowance, arrears, arrears_period,
    carried_over, recovery, total)
SELECT gen_random_uuid(), $4, beneficiary_id, national_id, full_name, commune_code,
       payment_channel, bank_account, category, coefficient, allowance, arrears,
       CASE WHEN arrears > 0 THEN arrears_period END, carried,
       least(outstanding, allowance + arrears + carried),
       allowance + arrears + carried - least(outstanding, allowance + arrears + carried)
FROM people WHERE allowance + arrears + carried > 0
"""

_FUNERAL = """
INSERT INTO payment_line (id, list_id, beneficiary_id, national_id, full_name, commune_code,
    payment_channel, bank_account, category, coefficient, funeral, total, note)
SELECT gen_random_uuid(), $3, r.beneficiary_id, r.national_id, r.full_name, r.commune_code,
       'cash', NULL, r.category, r.coefficient, 20 * lv.amount, 20 * lv.amount,
       'Người nhận mai táng phí: ' || coalesce(r.funeral_recipient, 'theo hồ sơ')
FROM recipient r
CROSS JOIN LATERAL (SELECT amount FROM standard_level
                    WHERE effective_from <= date_trunc('month', r.death_date)
                    ORDER BY effective_from DESC LIMIT 1) lv
WHERE r.district_code = $1 AND r.status = 'deceased' AND r.death_date IS NOT NULL
  AND r.death_date < ($2::date + interval '1 month')
  AND NOT EXISTS (SELECT 1 FROM payment_line l JOIN payment_list p ON p.id = l.list_id
                  WHERE l.beneficiary_id = r.beneficiary_id AND p.kind = 'funeral'
                    AND p.status NOT IN ('superseded', 'deleted') AND p.month <> $2)
"""


async def generate(
    conn: asyncpg.Connection, who: Principal, district: str, month: date, kind: str
) -> UUID:
    """Make the period's list of ``kind`` (a new version if one exists: never overwritten)."""
    p = await writable_period(conn, district, month)
    old = await conn.fetchrow(
        """SELECT * FROM payment_list WHERE district_code = $1 AND month = $2 AND kind = $3
            AND status NOT IN ('superseded', 'deleted') FOR UPDATE""",
        district,
        month,
        kind,
    )
    version = 1
    if old is not None:
        if old["status"] == "settled":
            raise Conflict("Danh sách đã quyết toán: không lập lại được", code="list_settled")
        version = old["version"] + 1
        await _retire(conn, old["id"], "deleted" if old["status"] == "draft" else "superseded")
    list_id = uuid4()
    await conn.execute(
        """INSERT INTO payment_list (id, district_code, month, kind, version, status, level,
               created_by) VALUES ($1, $2, $3, $4, $5, 'draft', $6, $7)""",
        list_id,
        district,
        month,
        kind,
        version,
        p["level"],
        who.officer_id,
    )
    if kind == "monthly":
        await conn.execute(_CARRY_SOURCES, district, month, previous(month))
        await conn.execute(_MONTHLY, district, month, p["level"], list_id)
        await conn.execute(
            """UPDATE payment_line s SET carried_into = n.id
               FROM carry_source c, payment_line n
               WHERE s.id = c.id AND n.list_id = $1 AND n.beneficiary_id = c.beneficiary_id""",
            list_id,
        )
    else:
        await conn.execute(_FUNERAL, district, month, list_id)
    totals = await conn.fetchrow(
        "SELECT count(*) AS n, coalesce(sum(total), 0)::bigint AS amount FROM payment_line"
        " WHERE list_id = $1",
        list_id,
    )
    await enqueue(
        conn,
        PAYMENT_EVENTS,
        Envelope.wrap(
            PaymentListGenerated(
                list_id=list_id,
                period=month_text(month),
                kind=kind,
                version=version,
                line_count=totals["n"],
                total_amount=totals["amount"],
            ),
            producer=PRODUCER,
            district_code=district,
            correlation_id=str(list_id),
        ),
    )
    log.info("list.generated", list_id=str(list_id), kind=kind, version=version, lines=totals["n"])
    return list_id


async def _retire(conn: asyncpg.Connection, list_id: UUID, status: str) -> None:
    """Take a list out of force: release what it carried so the next version carries it."""
    await conn.execute(
        """UPDATE payment_line SET carried_into = NULL
           WHERE carried_into IN (SELECT id FROM payment_line WHERE list_id = $1)""",
        list_id,
    )
    await conn.execute("UPDATE payment_list SET status = $2 WHERE id = $1", list_id, status)


async def a_list(
    conn: asyncpg.Connection, who: Principal, list_id: UUID, *, lock: bool = False
) -> asyncpg.Record:
    row = await conn.fetchrow(_LIST_FOR_UPDATE if lock else _LIST, list_id)
    if row is None or not who.can_see(row["district_code"]):
        raise NotFound("Không tìm thấy danh sách chi trả", code="list_not_found")
    return row


async def delete(conn: asyncpg.Connection, who: Principal, list_id: UUID) -> None:
    row = await a_list(conn, who, list_id, lock=True)
    await writable_period(conn, row["district_code"], row["month"])
    if row["status"] != "draft":
        raise Conflict("Chỉ xóa được danh sách chưa gửi (bản nháp)", code="list_not_draft")
    await _retire(conn, list_id, "deleted")
    await enqueue(
        conn,
        PAYMENT_EVENTS,
        Envelope.wrap(
            PaymentListDeleted(
                list_id=list_id,
                period=month_text(row["month"]),
                kind=row["kind"],
                version=row["version"],
            ),
            producer=PRODUCER,
            district_code=row["district_code"],
            correlation_id=str(list_id),
        ),
    )


async def pull_month(
    conn: asyncpg.Connection, who: Principal, district: str, month: date, from_month: date
) -> int:
    """§4.3: point the unpaid, not yet carried money of ``from_month`` at ``month``."""
    await writable_period(conn, district, month)
    if from_month >= month:
        raise Unprocessable(
            "Chỉ chuyển được tiền chưa nhận của tháng trước đó", code="pull_not_past"
        )
    done = await conn.execute(
        """UPDATE payment_line l SET pull_to_month = $3
            FROM payment_list p WHERE p.id = l.list_id AND p.district_code = $1
              AND p.month = $2 AND p.kind = 'monthly' AND p.status NOT IN ('superseded', 'deleted')
              AND l.status = 'unpaid' AND l.carried_into IS NULL""",
        district,
        from_month,
        month,
    )
    return int(done.split()[-1])


# ------------------------------------------------------------------------------ submit


async def submit(conn: asyncpg.Connection, who: Principal, list_id: UUID) -> None:
    row = await a_list(conn, who, list_id, lock=True)
    await writable_period(conn, row["district_code"], row["month"])
    if row["status"] != "draft":
        raise Conflict("Danh sách đã được gửi", code="list_already_submitted")
    lines = await conn.fetch(
        """SELECT id, beneficiary_id, national_id, full_name, commune_code, payment_channel,
                  bank_account, total, allowance, arrears, carried_over, recovery
           FROM payment_line WHERE list_id = $1 AND status <> 'split' AND total > 0
           ORDER BY commune_code, full_name, id""",
        list_id,
    )
    rows = [
        {
            "line_id": str(r["id"]),
            "beneficiary_id": str(r["beneficiary_id"]),
            "national_id": r["national_id"],
            "full_name": r["full_name"],
            "commune_code": r["commune_code"],
            "payment_channel": r["payment_channel"],
            "bank_account": r["bank_account"],
            "amount": r["total"],
            "allowance": r["allowance"],
            "arrears": r["arrears"],
            "carried_over": r["carried_over"],
            "recovery": r["recovery"],
            "kind": row["kind"],
        }
        for r in lines
    ]
    chunks, manifest = split(rows, list_id, amount_field="amount")
    district = row["district_code"]
    envelopes = [
        Envelope.wrap(
            PaymentListSubmittedChunk(chunk=c),
            producer=PRODUCER,
            district_code=district,
            correlation_id=str(list_id),
        )
        for c in chunks
    ]
    envelopes.append(
        Envelope.wrap(
            PaymentListSubmitted(
                list_id=list_id,
                period=month_text(row["month"]),
                kind=row["kind"],
                version=row["version"],
                submitted_by=who.officer_id,
                manifest=manifest,
            ),
            producer=PRODUCER,
            district_code=district,
            correlation_id=str(list_id),
        )
    )
    await enqueue_many(conn, PAYMENT_EVENTS, envelopes)
    await conn.execute(
        """UPDATE payment_list SET status = 'submitted', submitted_by = $2, submitted_at = now()
           WHERE id = $1""",
        list_id,
        who.officer_id,
    )


# ------------------------------------------------------------------------------ statuses


async def set_statuses(
    conn: asyncpg.Connection,
    list_id: UUID,
    changes: list[tuple[UUID, str, date | None]],
    who: str,
    source: str,
    reason: str | None,
) -> int:
    """Apply per-line statuses (leaf lines only), each audited; returns lines changed."""
    if not changes:
        return 0
    rows = await conn.fetch(
        """WITH c AS (SELECT * FROM unnest($2::uuid[], $3::text[], $4::date[])
                      AS c(id, status, paid_on)),
           old AS (SELECT l.id, l.status FROM payment_line l JOIN c ON c.id = l.id
                   WHERE l.list_id = $1 AND l.status <> 'split' FOR UPDATE OF l),
           upd AS (UPDATE payment_line l SET status = c.status,
                          paid_on = CASE WHEN c.status = 'paid'
                                         THEN coalesce(c.paid_on, l.paid_on) END
                   FROM c, old WHERE l.id = c.id AND old.id = c.id
                     AND (l.status, l.paid_on) IS DISTINCT FROM (c.status, c.paid_on)
                   RETURNING l.id, l.status, l.paid_on)
           INSERT INTO status_audit (line_id, old, new, paid_on, by_whom, source, reason)
           SELECT upd.id, old.status, upd.status, upd.paid_on, $5, $6, $7
           FROM upd JOIN old ON old.id = upd.id RETURNING line_id""",
        list_id,
        [c[0] for c in changes],
        [c[1] for c in changes],
        [c[2] for c in changes],
        who,
        source,
        reason,
    )
    return len(rows)


async def manual_statuses(
    conn: asyncpg.Connection, who: Principal, list_id: UUID, body: dict[str, Any]
) -> int:
    """§7 by hand, the way officers work: everyone paid, then the exceptions."""
    row = await a_list(conn, who, list_id, lock=True)
    district = row["district_code"]
    await writable_period(conn, district, row["month"])
    if row["status"] in ("draft", "superseded", "deleted", "settled"):
        raise Conflict(
            "Danh sách ở trạng thái này không cập nhật trạng thái chi trả được",
            code="list_not_payable",
        )
    integrated = await conn.fetchval(
        "SELECT integrated FROM district_payment_mode WHERE district_code = $1", district
    )
    if (integrated is None or integrated) and who.role != Role.DISTRICT_SUPERVISOR:
        raise Forbidden(
            "Huyện chi trả qua đơn vị chi trả tích hợp: trạng thái do đơn vị chi trả báo về; "
            "cập nhật tay cần quyền giám sát",
            code="integrated_district",
        )
    leaves = await conn.fetch(
        "SELECT id, national_id FROM payment_line WHERE list_id = $1 AND status <> 'split'", list_id
    )
    by_id = {r["id"] for r in leaves}
    by_national: dict[str, list[UUID]] = {}
    for r in leaves:
        if r["national_id"]:
            by_national.setdefault(r["national_id"], []).append(r["id"])
    changes: dict[UUID, tuple[str, date | None]] = {}
    if body.get("everyone"):
        changes = {i: (body["everyone"], body.get("paid_on")) for i in by_id}
    for e in body.get("exceptions", []):
        targets = (
            [e["line_id"]] if e.get("line_id") else by_national.get(e.get("national_id") or "", [])
        )
        if not targets or any(t not in by_id for t in targets):
            raise Unprocessable(
                f"Không có dòng chi trả {e.get('line_id') or e.get('national_id')} trong danh sách",
                code="line_not_in_list",
            )
        for t in targets:
            changes[t] = (e["status"], e.get("paid_on") or body.get("paid_on"))
    changed = await set_statuses(
        conn,
        list_id,
        [(k, s, d) for k, (s, d) in changes.items()],
        who.officer_id,
        "manual",
        body.get("reason"),
    )
    await _publish_statuses(conn, row, list(changes), who.officer_id, body.get("reason"))
    return changed


async def _publish_statuses(
    conn: asyncpg.Connection, row: asyncpg.Record, ids: list[UUID], who: str, reason: str | None
) -> None:
    lines = await conn.fetch(
        "SELECT id, status, paid_on FROM payment_line WHERE id = ANY($1::uuid[])", ids
    )
    event = PaymentStatusUpdated(
        list_id=row["id"],
        updated_by=who,
        reason=reason,
        lines=[
            LineStatus(line_id=r["id"], status=r["status"], paid_on=r["paid_on"]) for r in lines
        ],
    )
    await enqueue(
        conn,
        PAYMENT_EVENTS,
        Envelope.wrap(
            event,
            producer=PRODUCER,
            district_code=row["district_code"],
            correlation_id=str(row["id"]),
        ),
    )


async def split_line(
    conn: asyncpg.Connection, who: Principal, line_id: UUID, parts: list[dict[str, Any]]
) -> list[UUID]:
    """§8: one line into parts whose sum is the line's total; each part has its own status."""
    line = await conn.fetchrow("SELECT * FROM payment_line WHERE id = $1 FOR UPDATE", line_id)
    if line is None:
        raise NotFound("Không tìm thấy dòng chi trả", code="line_not_found")
    row = await a_list(conn, who, line["list_id"], lock=True)
    await writable_period(conn, row["district_code"], row["month"])
    if row["status"] in ("superseded", "deleted", "settled") or line["status"] == "split":
        raise Conflict("Dòng này không tách được nữa", code="line_not_splittable")
    amounts = [int(p["amount"]) for p in parts]
    if len(amounts) < 2 or any(a <= 0 for a in amounts) or sum(amounts) != line["total"]:
        raise Unprocessable(
            f"Cần ít nhất 2 phần, mỗi phần > 0 và tổng bằng {line['total']:,} đồng".replace(
                ",", "."
            ),
            code="split_sum_mismatch",
        )
    ids = []
    for part, amount in zip(parts, amounts, strict=True):
        part_id = uuid4()
        ids.append(part_id)
        await conn.execute(
            """INSERT INTO payment_line (id, list_id, beneficiary_id, national_id, full_name,
                   commune_code, payment_channel, bank_account, category, coefficient,
                   allowance, total, status, parent_id, note)
               SELECT $2, list_id, beneficiary_id, national_id, full_name, commune_code,
                      payment_channel, bank_account, category, coefficient, $3, $3, 'pending',
                      id, $4
               FROM payment_line WHERE id = $1""",
            line_id,
            part_id,
            amount,
            part.get("note"),
        )
    await conn.execute("""UPDATE payment_line SET status = 'split' WHERE id = $1""", line_id)
    await conn.execute(
        """INSERT INTO status_audit (line_id, old, new, by_whom, source, reason)
           VALUES ($1, $2, 'split', $3, 'manual', $4)""",
        line_id,
        line["status"],
        who.officer_id,
        json.dumps([str(i) for i in ids]),
    )
    return ids
