"""The SQL of the register's other functions (issue 20): the people a policy warning may name,
the removal a restore undoes, and the decision records."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

_DECISION = """
SELECT d.id, d.beneficiary_id, d.district_code, d.effective_month, d.action, d.status,
       d.category, d.coefficient, d.children, d.decision_no, d.decision_date, d.signer,
       d.recorded_by, d.recorded_at, b.full_name, b.national_id, b.birth_date, b.commune_code
FROM policy_decision d JOIN beneficiary b ON b.id = d.beneficiary_id
"""


async def warned_people(
    conn: asyncpg.Connection, district: str, bounds: dict[str, date], limit: int
) -> list[asyncpg.Record]:
    """The district's people in force under a banded category (the keys of ``bounds``) born
    before that category's bound: those a warning may name, oldest birthday first."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT b.id, b.full_name, b.national_id, b.birth_date, b.commune_code, b.category,
                  b.coefficient, b.status
           FROM unnest($2::text[], $3::date[]) AS t(category, born_before)
           JOIN beneficiary b ON b.district_code = $1 AND b.category = t.category
                AND b.birth_date < t.born_before
           WHERE b.status IN ('active', 'suspended', 'under_review')
           ORDER BY b.birth_date, b.id LIMIT $4""",
        district,
        list(bounds),
        list(bounds.values()),
        limit,
    )
    return rows


async def last_removal(conn: asyncpg.Connection, beneficiary_id: UUID) -> dict[str, Any] | None:
    """The latest removal of the beneficiary: when (date of record) and the record before it."""
    row = await conn.fetchrow(
        """SELECT (at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date AS day, before::text AS before
           FROM beneficiary_history WHERE beneficiary_id = $1 AND action = 'remove'
           ORDER BY id DESC LIMIT 1""",
        beneficiary_id,
    )
    if row is None:
        return None
    return {"day": row["day"], "before": json.loads(row["before"]) if row["before"] else {}}


async def person_decisions(conn: asyncpg.Connection, beneficiary_id: UUID) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        _DECISION + "WHERE d.beneficiary_id = $1 ORDER BY d.id", beneficiary_id
    )
    return rows


async def district_decisions(
    conn: asyncpg.Connection,
    district: str,
    months: tuple[date | None, date | None],
    limit: int,
    after: int | None,
) -> list[asyncpg.Record]:
    """The district's decisions, in the order recorded, effective within ``months`` (either
    end open), ``limit`` of them after the decision ``after``."""
    rows: list[asyncpg.Record] = await conn.fetch(
        _DECISION
        + """WHERE d.district_code = $1 AND ($2::date IS NULL OR d.effective_month >= $2)
                AND ($3::date IS NULL OR d.effective_month <= $3)
                AND ($5::bigint IS NULL OR d.id > $5)
             ORDER BY d.id LIMIT $4""",
        district,
        months[0],
        months[1],
        limit,
        after,
    )
    return rows


async def decision(conn: asyncpg.Connection, decision_id: int) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(_DECISION + "WHERE d.id = $1", decision_id)
    return row


async def unit_names(conn: asyncpg.Connection, commune: str) -> dict[str, str]:
    """The names of a commune, its district and its province (the decision's header)."""
    row = await conn.fetchrow(
        """SELECT c.name AS commune, d.name AS district, p.name AS province
           FROM admin_unit c JOIN admin_unit d ON d.code = c.parent_code
           LEFT JOIN admin_unit p ON p.code = d.parent_code WHERE c.code = $1""",
        commune,
    )
    return {k: v or "" for k, v in dict(row).items()} if row else {}
