"""Payment periods, the standard level in force, and each district's payment mode."""

from __future__ import annotations

from datetime import date

import asyncpg

_PERIOD = "SELECT * FROM payment_period WHERE district_code = $1 AND month = $2"
_PERIOD_FOR_UPDATE = _PERIOD + " FOR UPDATE"


async def level_in_force(conn: asyncpg.Connection, month: date) -> int | None:
    level = await conn.fetchval(
        "SELECT amount FROM standard_level WHERE effective_from <= $1"
        " ORDER BY effective_from DESC LIMIT 1",
        month,
    )
    return None if level is None else int(level)


async def insert(
    conn: asyncpg.Connection, district: str, month: date, who: str, level: int
) -> bool:
    """Open the period; False if it was open already."""
    done = await conn.execute(
        """INSERT INTO payment_period (district_code, month, opened_by, level)
           VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING""",
        district,
        month,
        who,
        level,
    )
    return bool(done != "INSERT 0 0")


async def find(
    conn: asyncpg.Connection, district: str, month: date, *, lock: bool = False
) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        _PERIOD_FOR_UPDATE if lock else _PERIOD, district, month
    )
    return row


async def of_district(conn: asyncpg.Connection, district: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT * FROM payment_period WHERE district_code = $1 ORDER BY month DESC", district
    )
    return rows


async def set_status(
    conn: asyncpg.Connection, district: str, month: date, status: str, who: str, note: str | None
) -> None:
    await conn.execute(
        """UPDATE payment_period SET status = $3, locked_by = $4, locked_at = now(), lock_note = $5
           WHERE district_code = $1 AND month = $2""",
        district,
        month,
        status,
        who,
        note,
    )


async def save_payment_mode(
    conn: asyncpg.Connection, district: str, integrated: bool, who: str
) -> None:
    await conn.execute(
        """INSERT INTO district_payment_mode (district_code, integrated, updated_by)
           VALUES ($1, $2, $3) ON CONFLICT (district_code) DO UPDATE
           SET integrated = $2, updated_by = $3, updated_at = now()""",
        district,
        integrated,
        who,
    )


async def is_integrated(conn: asyncpg.Connection, district: str) -> bool | None:
    """None when the district never set its mode."""
    integrated: bool | None = await conn.fetchval(
        "SELECT integrated FROM district_payment_mode WHERE district_code = $1", district
    )
    return integrated
