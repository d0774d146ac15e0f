"""SQL of refusals: what the post office said that was not applied, and why."""

from __future__ import annotations

from uuid import UUID

import asyncpg


async def insert(
    conn: asyncpg.Connection,
    district: str,
    package_id: UUID | None,
    message_type: str,
    reason: str,
    detail: str | None,
) -> None:
    await conn.execute(
        """INSERT INTO refusal (district_code, package_id, message_type, reason, detail)
           VALUES ($1, $2, $3, $4, $5)""",
        district,
        package_id,
        message_type,
        reason,
        detail,
    )


async def of_district(
    conn: asyncpg.Connection, district: str, limit: int, before: int | None = None
) -> list[asyncpg.Record]:
    """The district's refusals newest first: ``limit`` of them, older than ``before`` (an id)."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT id, package_id, message_type, reason, detail, at FROM refusal
           WHERE district_code = $1 AND ($3::bigint IS NULL OR id < $3)
           ORDER BY id DESC LIMIT $2""",
        district,
        limit,
        before,
    )
    return rows
