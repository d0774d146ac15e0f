"""SQL of the post office's requests for more days to settle (seed 002 §E)."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from settlement_svc.domain.settlements import ExtensionAsked


async def insert(
    conn: asyncpg.Connection,
    settlement_id: UUID,
    package_id: UUID,
    district: str,
    days: int,
    reason: str,
) -> bool:
    """Record the request; False if the same request (package, days, reason) is already in."""
    done = await conn.execute(
        """INSERT INTO extension_request (settlement_id, package_id, district_code, days, reason)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (package_id, days, reason) DO NOTHING""",
        settlement_id,
        package_id,
        district,
        days,
        reason,
    )
    return bool(done.endswith(" 1"))


async def answer_open(
    conn: asyncpg.Connection, settlement_id: UUID, who: str, granted_days: int
) -> None:
    """An officer's extension answers every request of the settlement still open."""
    await conn.execute(
        """UPDATE extension_request SET answered_by = $2, granted_days = $3, answered_at = now()
           WHERE settlement_id = $1 AND answered_at IS NULL""",
        settlement_id,
        who,
        granted_days,
    )


async def of_settlement(conn: asyncpg.Connection, settlement_id: UUID) -> list[ExtensionAsked]:
    rows = await conn.fetch(
        """SELECT days, reason, asked_at, answered_by, granted_days, answered_at
           FROM extension_request WHERE settlement_id = $1 ORDER BY id""",
        settlement_id,
    )
    return [ExtensionAsked(**dict(r)) for r in rows]
