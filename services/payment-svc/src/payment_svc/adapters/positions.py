"""Read your writes: the register position a list was built from (migration 0008)."""

from __future__ import annotations

from uuid import UUID

import asyncpg


async def stamp(conn: asyncpg.Connection, list_id: UUID, position: int) -> None:
    await conn.execute(
        "UPDATE payment_list SET register_position = $2 WHERE id = $1", list_id, position
    )
