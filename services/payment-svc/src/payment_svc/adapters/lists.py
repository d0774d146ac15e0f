"""Payment lists: versions, statuses and their per-commune and per-channel totals."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import asyncpg

_LIST = "SELECT * FROM payment_list WHERE id = $1"
_LIST_FOR_UPDATE = _LIST + " FOR UPDATE"


async def find(
    conn: asyncpg.Connection, list_id: UUID, *, lock: bool = False
) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(_LIST_FOR_UPDATE if lock else _LIST, list_id)
    return row


async def current(
    conn: asyncpg.Connection, district: str, month: date, kind: str
) -> asyncpg.Record | None:
    """The period's list of ``kind`` in force (neither superseded nor deleted), locked."""
    row: asyncpg.Record | None = await conn.fetchrow(
        """SELECT * FROM payment_list WHERE district_code = $1 AND month = $2 AND kind = $3
            AND status NOT IN ('superseded', 'deleted') FOR UPDATE""",
        district,
        month,
        kind,
    )
    return row


async def latest_version(conn: asyncpg.Connection, district: str, month: date, kind: str) -> int:
    """The period's highest version of ``kind``, deleted and superseded ones too (0: none)."""
    latest: int = await conn.fetchval(
        """SELECT coalesce(max(version), 0) FROM payment_list
           WHERE district_code = $1 AND month = $2 AND kind = $3""",
        district,
        month,
        kind,
    )
    return latest


async def insert(
    conn: asyncpg.Connection,
    list_id: UUID,
    district: str,
    month: date,
    kind: str,
    version: int,
    level: int,
    who: str,
    *,
    recorded: bool = True,
) -> None:
    """A new draft list; ``recorded`` false: its record is still to be published
    (``handlers/record.py``)."""
    await conn.execute(
        """INSERT INTO payment_list (id, district_code, month, kind, version, status, level,
               created_by, recorded) VALUES ($1, $2, $3, $4, $5, 'draft', $6, $7, $8)""",
        list_id,
        district,
        month,
        kind,
        version,
        level,
        who,
        recorded,
    )


async def retire(conn: asyncpg.Connection, list_id: UUID, status: str) -> None:
    """Take a list out of force: release what it carried so the next version carries it."""
    await conn.execute(
        """UPDATE payment_line SET carried_into = NULL
           WHERE carried_into IN (SELECT id FROM payment_line WHERE list_id = $1)""",
        list_id,
    )
    await conn.execute("UPDATE payment_list SET status = $2 WHERE id = $1", list_id, status)


async def unrecorded(conn: asyncpg.Connection, district: str | None) -> list[UUID]:
    """The lists not yet recorded (``handlers/record.py``), of ``district`` or of all,
    oldest first."""
    rows = await conn.fetch(
        """SELECT id FROM payment_list WHERE NOT recorded
           AND ($1::text IS NULL OR district_code = $1) ORDER BY created_at, id""",
        district,
    )
    return [r["id"] for r in rows]


async def find_unrecorded_unlocked(
    conn: asyncpg.Connection, list_id: UUID
) -> asyncpg.Record | None:
    """The list, locked, if it is still unrecorded and no other transaction holds it."""
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT * FROM payment_list WHERE id = $1 AND NOT recorded FOR UPDATE SKIP LOCKED",
        list_id,
    )
    return row


async def mark_recorded(conn: asyncpg.Connection, list_id: UUID) -> None:
    await conn.execute("UPDATE payment_list SET recorded = true WHERE id = $1", list_id)


async def totals(conn: asyncpg.Connection, list_id: UUID) -> tuple[int, int]:
    """(lines, amount) of a list."""
    row = await conn.fetchrow(
        "SELECT count(*) AS n, coalesce(sum(total), 0)::bigint AS amount FROM payment_line"
        " WHERE list_id = $1",
        list_id,
    )
    return row["n"], row["amount"]


async def mark_submitted(conn: asyncpg.Connection, list_id: UUID, who: str) -> None:
    await conn.execute(
        """UPDATE payment_list SET status = 'submitted', submitted_by = $2, submitted_at = now()
           WHERE id = $1""",
        list_id,
        who,
    )


async def move(
    conn: asyncpg.Connection, list_id: UUID, status: str, after: tuple[str, ...]
) -> None:
    """Set ``status`` if the list is in one of ``after``; otherwise leave it."""
    await conn.execute(
        "UPDATE payment_list SET status = $2 WHERE id = $1 AND status = ANY($3::text[])",
        list_id,
        status,
        list(after),
    )


async def reject(
    conn: asyncpg.Connection, list_id: UUID, status: str, after: tuple[str, ...], reason: str
) -> None:
    """The post office rejected the list (if it is in one of ``after``): ``status``, and why."""
    await conn.execute(
        """UPDATE payment_list SET status = $2, rejected_reason = $4, rejected_at = now()
           WHERE id = $1 AND status = ANY($3::text[])""",
        list_id,
        status,
        list(after),
        reason,
    )


async def of_period(conn: asyncpg.Connection, district: str, month: date) -> list[asyncpg.Record]:
    """Every list of the period, every version, by kind and newest first."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT * FROM payment_list WHERE district_code = $1 AND month = $2
           ORDER BY kind, version DESC""",
        district,
        month,
    )
    return rows


async def by_commune(conn: asyncpg.Connection, list_ids: list[UUID]) -> list[asyncpg.Record]:
    """Lines and money per list and commune, for all ``list_ids`` in one query."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT list_id, commune_code, count(*) AS lines, sum(total)::bigint AS total,
                  sum(allowance)::bigint AS allowance, sum(arrears)::bigint AS arrears,
                  sum(carried_over)::bigint AS carried_over, sum(recovery)::bigint AS recovery,
                  sum(funeral)::bigint AS funeral
           FROM payment_line WHERE list_id = ANY($1::uuid[]) AND status <> 'split'
           GROUP BY list_id, commune_code ORDER BY list_id, commune_code""",
        list_ids,
    )
    return rows


async def by_channel(conn: asyncpg.Connection, list_ids: list[UUID]) -> list[asyncpg.Record]:
    """Lines and money per list and payment channel, for all ``list_ids`` in one query."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT list_id, payment_channel, count(*) AS lines, sum(total)::bigint AS total
           FROM payment_line
           WHERE list_id = ANY($1::uuid[]) AND status <> 'split'
           GROUP BY 1, 2 ORDER BY 1, 2""",
        list_ids,
    )
    return rows
