"""beneficiary-svc SQL: one repository function per query, all scoped by district."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import fields
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

from beneficiary_svc.adapters import positions
from beneficiary_svc.domain.register import Beneficiary
from beneficiary_svc.domain.timeline import Decision
from beneficiary_svc.domain.values import fold

COLUMNS = [f.name for f in fields(Beneficiary)]
_SELECT = "SELECT " + ", ".join(COLUMNS) + " FROM beneficiary"  # noqa: S608 - fixed names


def _record(b: Beneficiary) -> tuple[Any, ...]:
    return (*(getattr(b, c) for c in COLUMNS), fold(b.full_name))


async def insert(conn: asyncpg.Connection, b: Beneficiary) -> None:
    await insert_many(conn, [b])


async def insert_many(conn: asyncpg.Connection, items: list[Beneficiary]) -> None:
    await conn.copy_records_to_table(
        "beneficiary", records=[_record(b) for b in items], columns=[*COLUMNS, "name_folded"]
    )


async def get(
    conn: asyncpg.Connection, beneficiary_id: UUID, *, for_update: bool = False
) -> Beneficiary | None:
    """The person; ``for_update``: locked till commit, after the district's register position
    (the order an import's apply takes them in: position, then its people; the other order
    let an officer's change and an import on the same person deadlock)."""
    if for_update:
        district = await conn.fetchval(
            "SELECT district_code FROM beneficiary WHERE id = $1", beneficiary_id
        )
        if district is not None:
            await positions.advance(conn, district, 0)
    sql = _SELECT + " WHERE id = $1" + (" FOR UPDATE" if for_update else "")
    row = await conn.fetchrow(sql, beneficiary_id)
    return Beneficiary.from_record(row) if row else None


async def national_id_taken(conn: asyncpg.Connection, national_id: str) -> bool:
    """Whether a beneficiary still in the register holds ``national_id``."""
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM beneficiary WHERE national_id = $1"
            " AND status <> 'removed')",
            national_id,
        )
    )


async def district_has_people(conn: asyncpg.Connection, district: str) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM beneficiary WHERE district_code = $1)", district
        )
    )


async def save(conn: asyncpg.Connection, b: Beneficiary) -> None:
    assignments = ", ".join(f"{c} = ${i + 2}" for i, c in enumerate(COLUMNS[1:]))
    n = len(COLUMNS) + 1
    await conn.execute(
        f"UPDATE beneficiary SET {assignments}, name_folded = ${n}, updated_at = now() "  # noqa: S608
        "WHERE id = $1",
        *_record(b),
    )


async def add_history(
    conn: asyncpg.Connection,
    *,
    before: Beneficiary | None,
    after: Beneficiary,
    changed: list[str],
    officer: str,
    action: str,
    source: str,
    reason: str | None = None,
    decision: Decision | None = None,
) -> None:
    """One history row; a policy decision's row says from which month it takes effect."""
    await conn.execute(
        """INSERT INTO beneficiary_history (beneficiary_id, district_code, officer, action,
               reason, source, changed, before, after, effective_month)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10)""",
        after.id,
        after.district_code,
        officer,
        action,
        reason,
        source,
        changed,
        json.dumps(before.as_json(), ensure_ascii=False) if before else None,
        json.dumps(after.as_json(), ensure_ascii=False),
        decision.month if decision else None,
    )


async def history(
    conn: asyncpg.Connection,
    beneficiary_id: UUID,
    limit: int,
    after: int | None = None,
    units: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """The beneficiary's history, oldest first: ``limit`` entries after the entry ``after``;
    with ``units``, only the entries written while one of them held the person (a district
    that received the person by a move reads their history from the move on)."""
    rows = await conn.fetch(
        """SELECT id, at, officer, action, reason, source, changed, effective_month,
                  before::text AS before, after::text AS after
           FROM beneficiary_history
           WHERE beneficiary_id = $1 AND ($3::bigint IS NULL OR id > $3)
             AND ($4::text[] IS NULL OR district_code = ANY($4::text[]))
           ORDER BY id LIMIT $2""",
        beneficiary_id,
        limit,
        after,
        list(units) if units is not None else None,
    )
    return [
        {
            **dict(r),
            "before": json.loads(r["before"]) if r["before"] else None,
            "after": json.loads(r["after"]),
        }
        for r in rows
    ]


async def category_coefficient(conn: asyncpg.Connection, code: str, month: date) -> int | None:
    value = await conn.fetchval(
        """SELECT coefficient FROM category WHERE code = $1 AND effective_from <= $2
           AND (effective_to IS NULL OR effective_to >= $2)""",
        code,
        month,
    )
    return int(value) if value is not None else None


async def categories(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT code, name_vi, coefficient, legal_basis, effective_from, effective_to, note
           FROM category ORDER BY code"""
    )
    return rows


async def standard_levels(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT effective_from, amount, legal_basis FROM standard_level ORDER BY effective_from"
    )
    return rows


async def search(
    conn: asyncpg.Connection,
    district: str,
    *,
    commune: str | None,
    q: str | None,
    national_id: str | None,
    status: str | None,
    category: str | None,
    offset: int,
    limit: int,
) -> tuple[list[Beneficiary], int]:
    where = ["district_code = $1"]
    args: list[Any] = [district]

    def add(condition: str, value: Any) -> None:
        args.append(value)
        where.append(condition.format(f"${len(args)}"))

    if commune:
        add("commune_code = {}", commune)
    if q:
        add("name_folded LIKE '%' || {} || '%'", fold(q))
    if national_id:
        add("national_id = {}", national_id)
    if status:
        add("status = {}", status)
    else:
        where.append("status <> 'removed'")
    if category:
        add("category = {}", category)
    condition = " AND ".join(where)
    total = await conn.fetchval(f"SELECT count(*) FROM beneficiary WHERE {condition}", *args)  # noqa: S608
    rows = await conn.fetch(
        f"{_SELECT} WHERE {condition} ORDER BY name_folded, id "
        f"OFFSET ${len(args) + 1} LIMIT ${len(args) + 2}",
        *args,
        offset,
        limit,
    )
    return [Beneficiary.from_record(r) for r in rows], int(total)


async def duplicates(
    conn: asyncpg.Connection,
    district: str,
    units: Sequence[str],
    limit: int,
    after: str | None = None,
) -> list[asyncpg.Record]:
    """Holders of a national ID that more than one beneficiary in ``units`` (the caller's)
    holds, where one of them is in ``district``; ordered by national ID, ``limit`` IDs after
    ``after``. A holder outside ``units`` is neither returned nor counted: the caller learns
    nothing of it."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """WITH seen AS (
               SELECT national_id, id, full_name, commune_code, district_code, status
               FROM beneficiary
               WHERE status <> 'removed' AND national_id IS NOT NULL
                 AND district_code = ANY($2::text[])),
           shared AS (
               SELECT national_id FROM seen
               WHERE $3::text IS NULL OR national_id > $3
               GROUP BY national_id
               HAVING count(*) > 1 AND bool_or(district_code = $1)
               ORDER BY national_id LIMIT $4)
           SELECT s.* FROM seen s JOIN shared USING (national_id)
           ORDER BY s.national_id, s.full_name, s.id""",
        district,
        list(units),
        after,
        limit,
    )
    return rows


async def missing_info(
    conn: asyncpg.Connection, district: str, offset: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """Records missing what payment or matching needs (QLĐT §13)."""
    missing = """array_remove(ARRAY[
        CASE WHEN national_id IS NULL THEN 'national_id' END,
        CASE WHEN birth_date IS NULL THEN 'birth_date' END,
        CASE WHEN gender IS NULL THEN 'gender' END,
        CASE WHEN category IS NULL AND status IN ('active','suspended','under_review')
             THEN 'category' END,
        CASE WHEN payment_channel = 'bank' AND (bank_account IS NULL OR bank_name IS NULL)
             THEN 'bank_account' END], NULL)"""
    base = f"""SELECT id, full_name, commune_code, status, {missing} AS missing
               FROM beneficiary WHERE district_code = $1 AND status <> 'removed'"""  # noqa: S608
    total = await conn.fetchval(
        f"SELECT count(*) FROM ({base}) m WHERE cardinality(missing) > 0",  # noqa: S608
        district,
    )
    rows = await conn.fetch(
        f"SELECT * FROM ({base}) m WHERE cardinality(missing) > 0 "  # noqa: S608
        "ORDER BY commune_code, full_name OFFSET $2 LIMIT $3",
        district,
        offset,
        limit,
    )
    return [dict(r) for r in rows], int(total)
