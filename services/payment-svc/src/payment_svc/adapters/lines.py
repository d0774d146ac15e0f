"""Payment lines: what is sent, statuses and their audit, splits, pulls, pages."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

_LINE = "SELECT * FROM payment_line WHERE id = $1"
_LINE_FOR_UPDATE = _LINE + " FOR UPDATE"


async def find(
    conn: asyncpg.Connection, line_id: UUID, *, lock: bool = False
) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(_LINE_FOR_UPDATE if lock else _LINE, line_id)
    return row


async def to_send(conn: asyncpg.Connection, list_id: UUID, kind: str) -> list[dict[str, Any]]:
    """The rows the payment unit receives: every line with money, parts instead of split
    lines, by commune and name. Each row is the record as PostgreSQL gives it (ids as text,
    the fields in the order of the row's JSON), not built again field by field."""
    lines = await conn.fetch(
        """SELECT id::text AS line_id, beneficiary_id::text AS beneficiary_id, national_id,
                  full_name, commune_code, payment_channel, bank_account, total AS amount,
                  allowance, arrears, carried_over, recovery, $2::text AS kind
           FROM payment_line WHERE list_id = $1 AND status <> 'split' AND total > 0
           ORDER BY commune_code, full_name, id""",
        list_id,
        kind,
    )
    return [dict(r) for r in lines]


async def pull(conn: asyncpg.Connection, district: str, from_month: date, month: date) -> int:
    """Point the unpaid, not yet carried monthly lines of ``from_month`` at ``month``."""
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


async def set_statuses(
    conn: asyncpg.Connection,
    list_id: UUID,
    changes: Sequence[tuple[UUID, str, date | None]],
    who: str,
    source: str,
    reason: str | None,
) -> int:
    """Apply per-line statuses (leaf lines of the list only), audited in one row naming every
    line changed (``status_audit_part``); returns the lines changed. The old status comes
    back with the update itself: joining the updated rows to the locked ones again was a
    nested loop over both (the planner sees one row in each), 1M comparisons for a 1,000-line
    results part (national_month bench)."""
    if not changes:
        return 0
    changed = await conn.fetchval(
        """WITH c AS (SELECT * FROM unnest($2::uuid[], $3::text[], $4::date[])
                      AS c(id, status, paid_on)),
           old AS (SELECT l.id, l.status FROM payment_line l JOIN c ON c.id = l.id
                   WHERE l.list_id = $1 AND l.status <> 'split' FOR UPDATE OF l),
           upd AS (UPDATE payment_line l SET status = c.status,
                          paid_on = CASE WHEN c.status = 'paid'
                                         THEN coalesce(c.paid_on, l.paid_on) END
                   FROM c, old WHERE l.id = c.id AND old.id = c.id
                     AND (l.status, l.paid_on) IS DISTINCT FROM (c.status, c.paid_on)
                   RETURNING l.id, old.status AS was, l.status, l.paid_on)
           INSERT INTO status_audit_part (list_id, lines, old, new, paid_on, by_whom, source,
                                          reason)
           SELECT $1, array_agg(id), array_agg(was), array_agg(status), array_agg(paid_on),
                  $5, $6, $7
           FROM upd HAVING count(*) > 0 RETURNING cardinality(lines)""",
        list_id,
        [c[0] for c in changes],
        [c[1] for c in changes],
        [c[2] for c in changes],
        who,
        source,
        reason,
    )
    return int(changed or 0)


async def leaves(conn: asyncpg.Connection, list_id: UUID) -> list[tuple[UUID, str | None, bool]]:
    """(line, national ID, carried into a later month) of every line of the list that is not
    split."""
    rows = await conn.fetch(
        """SELECT id, national_id, carried_into IS NOT NULL AS carried FROM payment_line
           WHERE list_id = $1 AND status <> 'split'""",
        list_id,
    )
    return [(r["id"], r["national_id"], r["carried"]) for r in rows]


async def anyone_paid(conn: asyncpg.Connection, list_id: UUID) -> bool:
    """Whether any line of the list is ``paid`` (by the post office or by hand)."""
    paid: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM payment_line WHERE list_id = $1 AND status = 'paid')",
        list_id,
    )
    return paid


async def anyone_carried(conn: asyncpg.Connection, list_id: UUID) -> bool:
    """Whether a later month's list carries the money of any line of the list."""
    carried: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM payment_line WHERE list_id = $1"
        " AND carried_into IS NOT NULL)",
        list_id,
    )
    return carried


async def statuses(conn: asyncpg.Connection, ids: list[UUID]) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT id, status, paid_on FROM payment_line WHERE id = ANY($1::uuid[])", ids
    )
    return rows


async def add_part(
    conn: asyncpg.Connection, line_id: UUID, part_id: UUID, amount: int, note: str | None
) -> None:
    """A part of a line: its person and channel, ``amount`` as allowance and total."""
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
        note,
    )


async def mark_split(
    conn: asyncpg.Connection, line_id: UUID, old_status: str, parts: list[UUID], who: str
) -> None:
    """The line is replaced by ``parts``; the audit names them."""
    await conn.execute("""UPDATE payment_line SET status = 'split' WHERE id = $1""", line_id)
    await conn.execute(
        """INSERT INTO status_audit (line_id, old, new, by_whom, source, reason)
           VALUES ($1, $2, 'split', $3, 'manual', $4)""",
        line_id,
        old_status,
        who,
        json.dumps([str(i) for i in parts]),
    )


async def page(
    conn: asyncpg.Connection,
    list_id: UUID,
    commune: str | None,
    status: str | None,
    offset: int,
    size: int,
) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT * FROM payment_line WHERE list_id = $1
             AND ($2::text IS NULL OR commune_code = $2)
             AND ($3::text IS NULL OR status = $3)
           ORDER BY commune_code, full_name, id OFFSET $4 LIMIT $5""",
        list_id,
        commune,
        status,
        offset,
        size,
    )
    return rows


async def audit(conn: asyncpg.Connection, line_id: UUID) -> list[asyncpg.Record]:
    """The line's status changes in order: its own rows (a split) and its list's changes of
    many lines that name it."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT id, line_id, old, new, paid_on, by_whom, source, reason, at
           FROM status_audit WHERE line_id = $1
           UNION ALL
           SELECT p.id, $1, p.old[i], p.new[i], p.paid_on[i], p.by_whom, p.source, p.reason,
                  p.at
           FROM payment_line l JOIN status_audit_part p ON p.list_id = l.list_id
                CROSS JOIN LATERAL array_position(p.lines, $1) AS i
           WHERE l.id = $1 AND i IS NOT NULL
           ORDER BY id""",
        line_id,
    )
    return rows


# A list's record (``PaymentListRecorded`` v2): its lines as PostgreSQL's COPY text of these
# columns — written and read back by PostgreSQL's own C code, never row by row in Python.
# ``carried_from``: the earlier lines whose unpaid money the line carries; ``deductions``: what
# it takes towards recoveries (found by the list's id). Only a line with money carried over
# carries earlier lines: that lookup starts from those few lines (right after the list's
# INSERT there are no statistics, and the planner, guessing, read all of payment_line).
LINE_COLUMNS = (
    "id",
    "beneficiary_id",
    "national_id",
    "full_name",
    "commune_code",
    "payment_channel",
    "bank_account",
    "category",
    "coefficient",
    "allowance",
    "arrears",
    "arrears_period",
    "carried_over",
    "recovery",
    "funeral",
    "total",
    "note",
)
RECORD_COLUMNS = [*LINE_COLUMNS, "carried_from", "deductions"]
# A chunk of the record: about this many bytes of whole lines (a line is ~160 bytes: some
# 1,600 lines). Written as JSON a character takes at most 6 bytes (a control character as
# \u00xx), so even a chunk of nothing else stays under an event's 3 MB
# (``outbox.MAX_EVENT_BYTES``): no text in the register can make a list unrecordable.
RECORD_CHUNK_BYTES = 256 * 1024
_RECORD = """
SELECT {columns}, coalesce(c.ids, '{{}}') AS carried_from,
             coalesce(d.deductions, '[]') AS deductions
      FROM payment_line l
      LEFT JOIN (SELECT s.carried_into, array_agg(s.id ORDER BY s.id) AS ids
                 FROM payment_line n JOIN payment_line s ON s.carried_into = n.id
                 WHERE n.list_id = $1 AND n.carried_over > 0
                   AND s.carried_into IS NOT NULL
                 GROUP BY s.carried_into) c ON c.carried_into = l.id
      LEFT JOIN (SELECT d.line_id,
                        json_agg(json_build_object('recovery_id', d.recovery_id,
                                                   'amount', d.amount)
                                 ORDER BY d.recovery_id) AS deductions
                 FROM recovery_deduction d WHERE d.list_id = $1
                 GROUP BY d.line_id) d ON d.line_id = l.id
      WHERE l.list_id = $1""".format(columns=", ".join(f"l.{c}" for c in LINE_COLUMNS))  # noqa: S608 - fixed names


async def record_texts(conn: asyncpg.Connection, list_id: UUID) -> RecordText:
    """Every line of a list as kept (``RECORD_COLUMNS``, COPY text), in chunks: the list's
    record, published by ``handlers/record.py``."""
    data = bytearray()

    async def take(block: bytes) -> None:
        data.extend(block)

    await conn.copy_from_query(_RECORD, list_id, output=take)
    return record_text(data)


@dataclass(frozen=True)
class RecordText:
    """A list's record text cut in chunks of whole lines (``record_text``): each chunk's text
    and line count, and the SHA-256 over the chunks' UTF-8 in order (the manifest's)."""

    texts: list[str]
    rows: list[int]
    sha256: str

    @property
    def row_count(self) -> int:
        return sum(self.rows)


def record_text(data: bytes | bytearray, size: int = RECORD_CHUNK_BYTES) -> RecordText:
    """COPY text cut into chunks of whole lines, each of about ``size`` bytes (COPY escapes a
    newline inside a value, so every raw newline ends a row); counted and hashed on the bytes
    in the same pass, each byte decoded once."""
    texts: list[str] = []
    rows: list[int] = []
    digest = hashlib.sha256()
    start = 0
    while start < len(data):
        end = data.find(b"\n", min(start + size, len(data)) - 1)
        end = len(data) - 1 if end < 0 else end
        part = data[start : end + 1]
        digest.update(part)
        rows.append(part.count(b"\n"))
        texts.append(part.decode())
        start = end + 1
    return RecordText(texts, rows, digest.hexdigest())


async def restore_text(
    conn: asyncpg.Connection, list_id: UUID, columns: Sequence[str], text: str
) -> None:
    """Put back the lines of a list rebuilt from its record (v2: ``record_texts``), the
    carrying links of the earlier lines and the recovery deductions (of recoveries the
    database still has); what is already there is left as it is."""
    unknown = set(columns) - set(RECORD_COLUMNS)
    if unknown:
        raise ValueError(f"the record has columns this version does not know: {sorted(unknown)}")
    await conn.execute(
        """CREATE TEMP TABLE recorded_line (id uuid, beneficiary_id uuid, national_id text,
               full_name text, commune_code text, payment_channel text, bank_account text,
               category text, coefficient int, allowance bigint, arrears bigint,
               arrears_period date, carried_over bigint, recovery bigint, funeral bigint,
               total bigint, note text, carried_from uuid[], deductions json) ON COMMIT DROP"""
    )
    await conn.copy_to_table(
        "recorded_line", source=io.BytesIO(text.encode()), columns=list(columns)
    )
    await conn.execute(
        """INSERT INTO payment_line (id, list_id, beneficiary_id, national_id, full_name,
                  commune_code, payment_channel, bank_account, category, coefficient, allowance,
                  arrears, arrears_period, carried_over, recovery, funeral, total, note)
           SELECT id, $1, beneficiary_id, national_id, full_name, commune_code,
                  payment_channel, bank_account, category, coefficient, allowance, arrears,
                  arrears_period, carried_over, recovery, funeral, total, note
           FROM recorded_line ON CONFLICT (id) DO NOTHING""",
        list_id,
    )
    await conn.execute(
        """UPDATE payment_line p SET carried_into = r.id
           FROM recorded_line r, unnest(r.carried_from) c WHERE p.id = c"""
    )
    await conn.execute(
        """INSERT INTO recovery_deduction (recovery_id, line_id, list_id, amount)
           SELECT (d->>'recovery_id')::uuid, r.id, $1, (d->>'amount')::bigint
           FROM recorded_line r, json_array_elements(r.deductions) d
           WHERE EXISTS (SELECT 1 FROM recovery WHERE id = (d->>'recovery_id')::uuid)
           ON CONFLICT DO NOTHING""",
        list_id,
    )
    await conn.execute("DROP TABLE recorded_line")


async def restore(conn: asyncpg.Connection, list_id: UUID, rows: list[dict[str, Any]]) -> None:
    """Put back the lines of a list rebuilt from its record (``records``), the carrying links
    of the earlier lines and the recovery deductions (of recoveries the database still has);
    what is already there is left as it is."""
    await conn.execute(
        """INSERT INTO payment_line (id, list_id, beneficiary_id, national_id, full_name,
                  commune_code, payment_channel,
                  bank_account, category, coefficient, allowance, arrears, arrears_period,
                  carried_over, recovery, funeral, total, note)
           SELECT (r->>'id')::uuid, $1, (r->>'beneficiary_id')::uuid, r->>'national_id',
                  r->>'full_name', r->>'commune_code', r->>'payment_channel',
                  r->>'bank_account', r->>'category', (r->>'coefficient')::int,
                  (r->>'allowance')::bigint, (r->>'arrears')::bigint,
                  (r->>'arrears_period')::date, (r->>'carried_over')::bigint,
                  (r->>'recovery')::bigint, (r->>'funeral')::bigint, (r->>'total')::bigint,
                  r->>'note'
           FROM jsonb_array_elements($2::jsonb) r ON CONFLICT (id) DO NOTHING""",
        list_id,
        json.dumps(rows),
    )
    await conn.execute(
        """UPDATE payment_line p SET carried_into = (r->>'id')::uuid
           FROM jsonb_array_elements($1::jsonb) r, jsonb_array_elements_text(r->'carried_from') c
           WHERE p.id = c::uuid""",
        json.dumps(rows),
    )
    await conn.execute(
        """INSERT INTO recovery_deduction (recovery_id, line_id, list_id, amount)
           SELECT (d->>'recovery_id')::uuid, (r->>'id')::uuid, $1, (d->>'amount')::bigint
           FROM jsonb_array_elements($2::jsonb) r, jsonb_array_elements(r->'deductions') d
           WHERE EXISTS (SELECT 1 FROM recovery WHERE id = (d->>'recovery_id')::uuid)
           ON CONFLICT DO NOTHING""",
        list_id,
        json.dumps(rows),
    )


async def set_recorded_statuses(conn: asyncpg.Connection, changes: list[dict[str, Any]]) -> None:
    """Statuses payment-svc recorded (its own ``PaymentStatusUpdated``), put back as they were."""
    await conn.execute(
        """UPDATE payment_line p SET status = c->>'status', paid_on = (c->>'paid_on')::date
           FROM jsonb_array_elements($1::jsonb) c WHERE p.id = (c->>'line_id')::uuid""",
        json.dumps(changes),
    )
