"""Data locks (chốt dữ liệu): a district's register frozen up to a month until unlocked."""

from __future__ import annotations

from datetime import date

import asyncpg


async def active_lock(
    conn: asyncpg.Connection, district: str, month: date
) -> asyncpg.Record | None:
    """The latest active lock of ``district`` covering ``month`` (a lock of M freezes ≤ M)."""
    return await conn.fetchrow(
        """SELECT id, month, note, locked_by, locked_at FROM data_lock
           WHERE district_code = $1 AND unlocked_at IS NULL AND month >= $2
           ORDER BY month DESC, id DESC LIMIT 1""",
        district,
        month,
    )


async def create_lock(
    conn: asyncpg.Connection, district: str, month: date, note: str, officer: str
) -> asyncpg.Record:
    row = await conn.fetchrow(
        """INSERT INTO data_lock (district_code, month, note, locked_by) VALUES ($1, $2, $3, $4)
           RETURNING id, district_code, month, note, locked_by, locked_at, unlocked_by,
                     unlocked_at, unlock_note""",
        district,
        month,
        note,
        officer,
    )
    assert row is not None
    return row


async def unlock(
    conn: asyncpg.Connection, district: str, lock_id: int, note: str, officer: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """UPDATE data_lock SET unlocked_by = $4, unlocked_at = now(), unlock_note = $3
           WHERE id = $2 AND district_code = $1 AND unlocked_at IS NULL
           RETURNING id, district_code, month, note, locked_by, locked_at, unlocked_by,
                     unlocked_at, unlock_note""",
        district,
        lock_id,
        note,
        officer,
    )


async def locks(conn: asyncpg.Connection, district: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT id, district_code, month, note, locked_by, locked_at, unlocked_by, unlocked_at,
                  unlock_note
           FROM data_lock WHERE district_code = $1 ORDER BY month DESC, id DESC""",
        district,
    )
    return rows
