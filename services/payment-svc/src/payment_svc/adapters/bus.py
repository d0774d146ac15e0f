"""payment-svc's own topic read back (after a restore of its database), and what its
database knows it published."""

from __future__ import annotations

from datetime import datetime

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from btxh_common.broker import KafkaAuth
from btxh_common.envelope import Envelope
from pydantic import ValidationError


async def read_all(
    bootstrap: str, topic: str, auth: KafkaAuth, since: datetime | None = None
) -> list[Envelope]:
    """Every readable event the topic holds (from ``since`` on, by the broker's timestamps,
    if given), in order per partition (a client in no group)."""
    client = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, **auth.client_kwargs()
    )
    await client.start()
    try:
        if topic not in await client.topics():
            return []
        partitions = [TopicPartition(topic, p) for p in client.partitions_for_topic(topic) or ()]
        client.assign(partitions)
        ends = await client.end_offsets(partitions)
        await _start_at(client, partitions, ends, since)
        found: list[Envelope] = []
        left = {tp for tp, end in ends.items() if end > 0}
        while left:
            for records in (await client.getmany(*left, timeout_ms=1000)).values():
                for r in records:
                    try:
                        found.append(Envelope.from_bytes(r.value or b""))
                    except ValidationError:
                        continue  # not an event: nothing of ours to put back
            left = {tp for tp in left if await client.position(tp) < ends[tp]}
        return found
    finally:
        await client.stop()


async def _start_at(
    client: AIOKafkaConsumer,
    partitions: list[TopicPartition],
    ends: dict[TopicPartition, int],
    since: datetime | None,
) -> None:
    if since is None:
        await client.seek_to_beginning(*partitions)
        return
    found = await client.offsets_for_times({tp: int(since.timestamp() * 1000) for tp in partitions})
    for tp in partitions:
        at = found.get(tp)
        client.seek(tp, ends[tp] if at is None else at.offset)


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
