"""SQL of the quarantine: post-office messages kept, never applied, with the reason."""

from __future__ import annotations

from uuid import UUID

import asyncpg


async def insert(
    conn: asyncpg.Connection,
    *,
    district: str,
    event_id: UUID,
    message_type: str,
    package_id: UUID | None,
    key_id: str | None,
    reason: str,
    detail: str | None,
    payload: str,
    digest: str,
) -> bool:
    """Keep a message; False if this very message was kept for this reason before."""
    status = await conn.execute(
        """INSERT INTO quarantine (district_code, event_id, message_type, package_id, key_id,
                                   reason, detail, payload, digest)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9)
           ON CONFLICT (event_id, digest, reason) DO NOTHING""",
        district,
        event_id,
        message_type,
        package_id,
        key_id,
        reason,
        detail,
        payload,
        digest,
    )
    return bool(status == "INSERT 0 1")


async def release_claim(conn: asyncpg.Connection, consumer: str, event_id: UUID) -> None:
    """Forget that ``consumer`` saw ``event_id``: a message not believed must not take the
    id of the genuine one, which may come after it."""
    await conn.execute(
        "DELETE FROM inbox WHERE consumer = $1 AND event_id = $2", consumer, event_id
    )


async def of_district(conn: asyncpg.Connection, district: str) -> list[asyncpg.Record]:
    """The district's latest 200 quarantined messages, newest first."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT event_id, message_type, package_id, key_id, reason, detail, payload::text,
                  at
           FROM quarantine WHERE district_code = $1 ORDER BY at DESC, id DESC LIMIT 200""",
        district,
    )
    return rows


async def recent(conn: asyncpg.Connection, hours: int) -> int:
    """How many messages were quarantined in the last ``hours`` (every district)."""
    found: int = await conn.fetchval(
        "SELECT count(*) FROM quarantine WHERE at > now() - make_interval(hours => $1)", hours
    )
    return found
