"""A whole topic read back by a client in no consumer group: payment-svc rebuilding its own
commands after a restore, ``btxh-reconcile`` comparing a producer with its consumers."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import ValidationError

from btxh_common.broker import NO_AUTH, KafkaAuth
from btxh_common.envelope import Envelope


@dataclass(frozen=True)
class Held:
    """One event as the topic holds it."""

    envelope: Envelope
    partition: int
    offset: int


async def read_events(
    bootstrap: str, topic: str, auth: KafkaAuth = NO_AUTH, since: datetime | None = None
) -> list[Held]:
    """Every readable event the topic holds, in order per partition (partition by partition);
    with ``since``, from the first record the broker timestamped at or after it. Records that
    are not events are passed over. The read ends when every partition is at or past its end
    offset as the broker gave it when the read began and a fetch brings nothing more: the
    embedded broker gives as the end the offset after the *first* record of a partition's
    last batch, so the end alone would leave the rest of that batch unread."""
    # "earliest": assigning partitions makes the client look up a start position of its own
    # (its default, "latest"), and if that answer comes back after seek_to_beginning asked
    # for the earliest, aiokafka applies it to the waiting seek: the read would start at the
    # end and find nothing (payment-svc's rebuild put nothing back, now and then, under load).
    # With both lookups the same, no answer can move the start.
    client = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **auth.client_kwargs(),
    )
    await client.start()
    try:
        partitions = await _partitions(client, topic)
        if not partitions:
            return []
        client.assign(partitions)
        await client.seek_to_beginning(*partitions)
        ends = await client.end_offsets(partitions)
        if since is not None:
            await _seek_to_time(client, partitions, ends, since)
        return await _drain(client, ends)
    finally:
        await client.stop()


async def _partitions(client: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    """The topic's partitions; none for a topic the broker does not have. A topic just
    created can be listed before its partitions are (seen at a stack's start): the metadata
    is asked again for a few seconds."""
    for _ in range(20):
        if topic not in await client.topics():  # also loads the partitions' metadata
            return []
        found = client.partitions_for_topic(topic)
        if found:
            return sorted((TopicPartition(topic, p) for p in found), key=lambda tp: tp.partition)
        await asyncio.sleep(0.25)
    return []


async def _seek_to_time(
    client: AIOKafkaConsumer,
    partitions: list[TopicPartition],
    ends: dict[TopicPartition, int],
    since: datetime,
) -> None:
    found = await client.offsets_for_times({tp: int(since.timestamp() * 1000) for tp in partitions})
    for tp in partitions:
        at = found.get(tp)
        # nothing at or after ``since``: Kafka answers None, the embedded broker offset 0
        # with timestamp -1
        client.seek(tp, ends[tp] if at is None or at.timestamp < 0 else at.offset)


async def _drain(client: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> list[Held]:
    by_partition: dict[int, list[Held]] = {tp.partition: [] for tp in ends}
    left = set(ends)
    while left:
        batches = await client.getmany(*left, timeout_ms=500)
        for tp, records in batches.items():
            for r in records:
                try:
                    envelope = Envelope.from_bytes(r.value or b"")
                except ValidationError:
                    continue  # not an event
                by_partition[tp.partition].append(Held(envelope, r.partition, r.offset))
        if not any(batches.values()):  # nothing more to fetch: done where past the end
            left = {tp for tp in left if await client.position(tp) < ends[tp]}
    return [held for p in sorted(by_partition) for held in by_partition[p]]
