"""payment-svc's own topic read back (after a restore of its database), and what its
database knows it published."""

from __future__ import annotations

from datetime import datetime

import asyncpg
from btxh_common.broker import KafkaAuth
from btxh_common.envelope import Envelope
from btxh_common.topic_read import read_events


async def read_all(
    bootstrap: str, topic: str, auth: KafkaAuth, since: datetime | None = None
) -> list[Envelope]:
    """Every readable event the topic holds (from ``since`` on, by the broker's timestamps,
    if given), in order per partition (a client in no group)."""
    return [held.envelope for held in await read_events(bootstrap, topic, auth, since)]


async def published(conn: asyncpg.Connection) -> tuple[set[str], datetime | None]:
    """Ids of the events the database knows it published (outbox, parked, put back) and
    when its newest outbox row was made (None: an empty outbox)."""
    rows = await conn.fetch(
        """SELECT event_id::text AS id FROM outbox UNION ALL
           SELECT event_id::text FROM outbox_parked UNION ALL
           SELECT event_id::text FROM rebuilt_event"""
    )
    newest: datetime | None = await conn.fetchval("SELECT max(created_at) FROM outbox")
    return {r["id"] for r in rows}, newest


async def mark_rebuilt(conn: asyncpg.Connection, event: Envelope) -> None:
    await conn.execute(
        "INSERT INTO rebuilt_event (event_id, event_type) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        event.event_id,
        event.event_type,
    )
