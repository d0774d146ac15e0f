"""Recoveries, their deductions on the lines and their history (``domain/recoveries.py``)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import asyncpg

# A recovery with what the current monthly lists (neither superseded nor deleted) hold of it.
_VIEW = """
SELECT r.*, coalesce(x.amount, 0)::bigint AS recovered
FROM recovery r LEFT JOIN (
    SELECT d.recovery_id, sum(d.amount)::bigint AS amount
    FROM recovery_deduction d JOIN payment_list p ON p.id = d.list_id
    WHERE d.recovery_id = ANY($1::uuid[])
      AND p.kind = 'monthly' AND p.status NOT IN ('superseded', 'deleted')
    GROUP BY 1
) x ON x.recovery_id = r.id
WHERE r.id = ANY($1::uuid[])
"""

_SETTLE = """
WITH recovered AS (
    SELECT d.recovery_id, sum(d.amount)::bigint AS amount
    FROM recovery r JOIN recovery_deduction d ON d.recovery_id = r.id
    JOIN payment_list p ON p.id = d.list_id
    WHERE r.district_code = $1 AND r.status IN ('open', 'closed')
      AND p.kind = 'monthly' AND p.status NOT IN ('superseded', 'deleted')
    GROUP BY 1
), target AS (
    SELECT r.id, CASE WHEN coalesce(x.amount, 0) >= r.total THEN 'closed' ELSE 'open' END
                 AS status
    FROM recovery r LEFT JOIN recovered x ON x.recovery_id = r.id
    WHERE r.district_code = $1 AND r.status IN ('open', 'closed')
), changed AS (
    UPDATE recovery r SET status = t.status FROM target t
    WHERE r.id = t.id AND r.status <> t.status
    RETURNING r.id, r.status
)
INSERT INTO recovery_history (recovery_id, by_whom, what, reason)
SELECT id, $2, CASE status WHEN 'closed' THEN 'closed' ELSE 'reopened' END, $3 FROM changed
"""


async def recipient_district(conn: asyncpg.Connection, beneficiary_id: UUID) -> str | None:
    district: str | None = await conn.fetchval(
        "SELECT district_code FROM recipient WHERE beneficiary_id = $1", beneficiary_id
    )
    return district


async def insert(
    conn: asyncpg.Connection,
    recovery_id: UUID,
    district: str,
    beneficiary_id: UUID,
    decision: tuple[str, date, str],
    amounts: tuple[int, int],
    from_month: date,
    who: str,
) -> None:
    decision_no, decision_date, reason = decision
    total, per_period = amounts
    await conn.execute(
        """INSERT INTO recovery (id, district_code, beneficiary_id, decision_no, decision_date,
               reason, total, per_period, from_month, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)""",
        recovery_id,
        district,
        beneficiary_id,
        decision_no,
        decision_date,
        reason,
        total,
        per_period,
        from_month,
        who,
    )


async def record(
    conn: asyncpg.Connection, recovery_id: UUID, who: str, what: str, reason: str | None
) -> None:
    await conn.execute(
        "INSERT INTO recovery_history (recovery_id, by_whom, what, reason) VALUES ($1, $2, $3, $4)",
        recovery_id,
        who,
        what,
        reason,
    )


async def find(
    conn: asyncpg.Connection, recovery_id: UUID, *, lock: bool = False
) -> asyncpg.Record | None:
    if lock:
        await conn.execute("SELECT 1 FROM recovery WHERE id = $1 FOR UPDATE", recovery_id)
    row: asyncpg.Record | None = await conn.fetchrow(_VIEW, [recovery_id])
    return row


async def page(
    conn: asyncpg.Connection,
    district: str,
    beneficiary_id: UUID | None,
    status: str | None,
    offset: int,
    limit: int,
) -> list[asyncpg.Record]:
    ids = await conn.fetch(
        """SELECT id FROM recovery WHERE district_code = $1
             AND ($2::uuid IS NULL OR beneficiary_id = $2)
             AND ($3::text IS NULL OR status = $3)
           ORDER BY seq OFFSET $4 LIMIT $5""",
        district,
        beneficiary_id,
        status,
        offset,
        limit,
    )
    rows: list[asyncpg.Record] = await conn.fetch(_VIEW + " ORDER BY r.seq", [r["id"] for r in ids])
    return rows


async def deductions(conn: asyncpg.Connection, recovery_id: UUID) -> list[asyncpg.Record]:
    """The deductions on the current monthly lists, month by month."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT p.month, p.id AS list_id, p.version, d.amount
           FROM recovery_deduction d JOIN payment_list p ON p.id = d.list_id
           WHERE d.recovery_id = $1 AND p.kind = 'monthly'
             AND p.status NOT IN ('superseded', 'deleted')
           ORDER BY p.month""",
        recovery_id,
    )
    return rows


async def history(conn: asyncpg.Connection, recovery_id: UUID) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT at, by_whom, what, reason FROM recovery_history
           WHERE recovery_id = $1 ORDER BY id""",
        recovery_id,
    )
    return rows


async def cancel(conn: asyncpg.Connection, recovery_id: UUID) -> None:
    await conn.execute("UPDATE recovery SET status = 'cancelled' WHERE id = $1", recovery_id)


async def settle_statuses(conn: asyncpg.Connection, district: str, who: str, why: str) -> None:
    """Close the district's recoveries the current lists have recovered in full, and open
    again those a replaced or deleted list took the completing deduction from, each change a
    history row (``domain.recoveries.status_after``, set-based)."""
    await conn.execute(_SETTLE, district, who, why)
