"""Moves to another area (migration 0009): their SQL, always scoped by the two districts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

_COLUMNS = """id, beneficiary_id, full_name, from_district, from_commune, to_district,
    to_commune, effective_month, decision_no, reason, status, refusal_reason, requested_by,
    requested_at, decided_by, decided_at"""


async def insert(conn: asyncpg.Connection, move: dict[str, Any]) -> asyncpg.Record:
    row: asyncpg.Record = await conn.fetchrow(
        f"""INSERT INTO beneficiary_move (id, beneficiary_id, full_name, from_district,
               from_commune, to_district, to_commune, effective_month, decision_no, reason,
               status, requested_by, decided_by, decided_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
                   CASE WHEN $11 = 'accepted' THEN $12 END,
                   CASE WHEN $11 = 'accepted' THEN now() END)
           RETURNING {_COLUMNS}""",  # noqa: S608 - fixed names
        move["id"],
        move["beneficiary_id"],
        move["full_name"],
        move["from_district"],
        move["from_commune"],
        move["to_district"],
        move.get("to_commune"),
        move["effective_month"],
        move["decision_no"],
        move["reason"],
        move["status"],
        move["requested_by"],
    )
    return row


async def get(
    conn: asyncpg.Connection, move_id: UUID, *, for_update: bool = False
) -> asyncpg.Record | None:
    sql = f"SELECT {_COLUMNS} FROM beneficiary_move WHERE id = $1"  # noqa: S608
    row: asyncpg.Record | None = await conn.fetchrow(
        sql + (" FOR UPDATE" if for_update else ""), move_id
    )
    return row


async def pending_of(conn: asyncpg.Connection, beneficiary_id: UUID) -> bool:
    return bool(
        await conn.fetchval(
            """SELECT EXISTS (SELECT 1 FROM beneficiary_move
                              WHERE beneficiary_id = $1 AND status = 'pending')""",
            beneficiary_id,
        )
    )


async def last_month(conn: asyncpg.Connection, beneficiary_id: UUID) -> date | None:
    """The effective month of the person's latest accepted move."""
    month: date | None = await conn.fetchval(
        """SELECT max(effective_month) FROM beneficiary_move
           WHERE beneficiary_id = $1 AND status = 'accepted'""",
        beneficiary_id,
    )
    return month


async def decide(
    conn: asyncpg.Connection,
    move_id: UUID,
    *,
    status: str,
    officer: str,
    to_commune: str | None = None,
    refusal_reason: str | None = None,
) -> asyncpg.Record:
    row: asyncpg.Record = await conn.fetchrow(
        f"""UPDATE beneficiary_move SET status = $2, to_commune = coalesce($3, to_commune),
               refusal_reason = $4, decided_by = $5, decided_at = now()
           WHERE id = $1 RETURNING {_COLUMNS}""",  # noqa: S608
        move_id,
        status,
        to_commune,
        refusal_reason,
        officer,
    )
    return row


async def listing(
    conn: asyncpg.Connection,
    district: str,
    direction: str,
    status: str | None,
    limit: int,
    after: UUID | None,
) -> Sequence[asyncpg.Record]:
    """The district's moves, oldest first: ``incoming`` (it receives), ``outgoing`` (it
    sends; a move within the district is both)."""
    side = "to_district" if direction == "incoming" else "from_district"
    rows: list[asyncpg.Record] = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM beneficiary_move
           WHERE {side} = $1 AND ($2::text IS NULL OR status = $2)
             AND ($4::uuid IS NULL OR id > $4)
           ORDER BY id LIMIT $3""",  # noqa: S608 - side is one of two fixed names
        district,
        status,
        limit,
        after,
    )
    return rows


async def decisions(conn: asyncpg.Connection, beneficiary_id: UUID) -> list[asyncpg.Record]:
    """The person's policy decisions, oldest first (what a receiving district decides on)."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT effective_month, action, status, category, coefficient, children, decision_no,
                  recorded_at
           FROM policy_decision WHERE beneficiary_id = $1 ORDER BY id""",
        beneficiary_id,
    )
    return rows
