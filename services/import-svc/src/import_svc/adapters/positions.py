"""Read your writes: the register positions a batch records (migration 0005)."""

from __future__ import annotations

from uuid import UUID

import asyncpg


async def validated_at(conn: asyncpg.Connection, batch: UUID, position: int) -> None:
    """The batch's rows were checked against the read model at ``position``."""
    await conn.execute(
        "UPDATE import_batch SET register_position = $2 WHERE id = $1", batch, position
    )


async def applied_at(conn: asyncpg.Connection, batch: UUID, position: int | None) -> None:
    """The register's position once it had applied (or refused) the batch."""
    await conn.execute(
        "UPDATE import_batch SET applied_position = $2 WHERE id = $1", batch, position
    )


async def district_of(pool: asyncpg.Pool, batch: UUID) -> str | None:
    district: str | None = await pool.fetchval(
        "SELECT district_code FROM import_batch WHERE id = $1", batch
    )
    return district
