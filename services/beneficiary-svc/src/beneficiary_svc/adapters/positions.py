"""The register's change number per district (migration 0008): the causal token readers wait
for. Advancing it locks the district's row until the transaction ends, so numbers are handed
out, and their events published, in commit order."""

from __future__ import annotations

import asyncpg


async def advance(conn: asyncpg.Connection, district: str, count: int) -> int:
    """Take ``count`` numbers (0 only locks); the district's number after them."""
    position = await conn.fetchval(
        """INSERT INTO register_position (district_code, position) VALUES ($1, $2)
           ON CONFLICT (district_code)
           DO UPDATE SET position = register_position.position + EXCLUDED.position
           RETURNING position""",
        district,
        count,
    )
    return int(position)


async def current(conn: asyncpg.Connection, district: str) -> int:
    """The district's number now: 0 before its first change."""
    position = await conn.fetchval(
        "SELECT position FROM register_position WHERE district_code = $1", district
    )
    return int(position or 0)
