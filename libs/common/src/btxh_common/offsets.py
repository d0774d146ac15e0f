"""Consumer positions kept with the data (issue 21).

Each consumer records, per topic partition, the last offset it has handled, in its own
database and in the same transaction as the inbox row of that message (``consumer_offset``,
common migration 0003). When the group gives it partitions it seeks each one to the offset
after the one recorded (``SeekStored``); Kafka's committed offset is then only a hint, used
only by a database that applied events before it kept positions (an upgrade), for a partition
it holds no position for; otherwise such a partition is read from the beginning. A database
restored from a backup therefore re-reads everything after its own position, and the inbox
drops what it had already applied.

Topic retention (90 days) bounds how old a restore may be: a position older than the first
offset the topic still holds would skip events nobody can give back, so the service refuses
to start (``check_positions`` raises ``PositionTooOld``, naming each partition).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition

from btxh_common.broker import NO_AUTH, KafkaAuth
from btxh_common.logs import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class Position:
    """``consumer`` has handled ``topic``/``partition`` up to and including ``offset``."""

    consumer: str
    topic: str
    partition: int
    offset: int


@dataclass(frozen=True)
class Stale:
    position: Position
    earliest: int

    def __str__(self) -> str:
        p = self.position
        return (
            f"{p.consumer} read {p.topic}[{p.partition}] up to offset {p.offset}, but the "
            f"topic now starts at offset {self.earliest}: offsets {p.offset + 1}"
            f"..{self.earliest - 1} are gone (retention)"
        )


class PositionTooOld(RuntimeError):
    """The database's position in a partition is older than what the topic still holds."""

    def __init__(self, stale: Iterable[Stale]) -> None:
        self.stale = list(stale)
        super().__init__(
            "the database is older than the topics' retention; restore a newer backup or "
            "rebuild this service's read model: " + "; ".join(map(str, self.stale))
        )


async def record(
    conn: asyncpg.Connection, consumer: str, topic: str, partition: int, offset: int
) -> None:
    """``consumer`` has handled ``offset`` of ``topic``/``partition``. It may move back (a
    partition read again after a seek back): a position behind what was applied only makes
    the inbox skip more; one ahead of it would lose events."""
    await conn.execute(
        """INSERT INTO consumer_offset (consumer, topic, kafka_partition, kafka_offset)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (consumer, topic, kafka_partition) DO UPDATE
           SET kafka_offset = EXCLUDED.kafka_offset, updated_at = now()""",
        consumer,
        topic,
        partition,
        offset,
    )


async def stored(
    db: asyncpg.Connection | asyncpg.Pool, consumer: str | None = None
) -> list[Position]:
    """Every position this database holds (of ``consumer`` only, if given)."""
    rows = await db.fetch(
        """SELECT consumer, topic, kafka_partition, kafka_offset FROM consumer_offset
           WHERE $1::text IS NULL OR consumer = $1 ORDER BY consumer, topic, kafka_partition""",
        consumer,
    )
    return [
        Position(r["consumer"], r["topic"], r["kafka_partition"], r["kafka_offset"]) for r in rows
    ]


def too_old(positions: Iterable[Position], earliest: Mapping[tuple[str, int], int]) -> list[Stale]:
    """The positions whose next offset the topic no longer holds."""
    return [
        Stale(p, earliest[(p.topic, p.partition)])
        for p in positions
        if earliest.get((p.topic, p.partition), 0) > p.offset + 1
    ]


async def earliest_offsets(
    bootstrap: str, partitions: Iterable[tuple[str, int]], auth: KafkaAuth = NO_AUTH
) -> dict[tuple[str, int], int]:
    """The first offset each partition still holds (a client in no group, committing nothing)."""
    wanted = [TopicPartition(t, p) for t, p in set(partitions)]
    if not wanted:
        return {}
    client = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, **auth.client_kwargs()
    )
    await client.start()
    try:
        found = await client.beginning_offsets(wanted)
    finally:
        await client.stop()
    return {(tp.topic, tp.partition): int(offset) for tp, offset in found.items()}


async def check_positions(
    pool: asyncpg.Pool, bootstrap: str, auth: KafkaAuth = NO_AUTH
) -> list[Position]:
    """Every stored position, once each is known to be still on the bus; else
    ``PositionTooOld`` (the service must not start: it would skip events for good)."""
    positions = await stored(pool)
    earliest = await earliest_offsets(bootstrap, [(p.topic, p.partition) for p in positions], auth)
    stale = too_old(positions, earliest)
    if stale:
        raise PositionTooOld(stale)
    return positions


class SeekStored(ConsumerRebalanceListener):  # type: ignore[misc]
    """On assignment, seek each partition to the offset after the one the database holds.

    ``client`` gives the subscriber's aiokafka consumer (it exists once the broker started).
    A partition with no stored position has had nothing applied from it: it is read from the
    beginning — unless the database applied events before it kept positions (an upgrade),
    then from Kafka's committed offset. A stored position in a partition for which the
    broker holds no committed offset at all belongs to a log the broker no longer has (the
    topic was made again): that partition is read from the beginning, the inbox skipping
    what it applied."""

    def __init__(
        self,
        pool: Callable[[], asyncpg.Pool],
        consumer: str,
        client: Callable[[], Any],
    ) -> None:
        self._pool = pool
        self._consumer = consumer
        self._client = client

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        """Nothing to save: positions are written with each message's transaction."""

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        if not assigned:
            return
        client = self._client()
        # The client fetches from Kafka's committed offset as soon as the partitions are
        # assigned: hold them until they are moved, or a message past the database's
        # position could be handled before the ones it lost.
        client.pause(*assigned)
        try:
            seeks = await self._seek(client, assigned)
        finally:
            client.resume(*assigned)
        log.info("inbox.positions_restored", consumer=self._consumer, seeks=seeks)

    async def _seek(self, client: Any, assigned: set[TopicPartition]) -> dict[str, int]:
        found, upgraded = await _read_back(self._pool(), self._consumer)
        positions = {(p.topic, p.partition): p.offset for p in found}
        seeks, unread, gone = {}, [], []
        for tp in sorted(assigned):
            offset = positions.get((tp.topic, tp.partition))
            if offset is None:
                unread.append(tp)
            elif await client.committed(tp) is None:
                # the broker never saw this group read the partition: the topic was made
                # again (an emptied broker), the position is of a log that is gone
                log.warning("inbox.position_of_another_log", partition=str(tp), offset=offset)
                gone.append(tp)
            else:
                client.seek(tp, offset + 1)
                seeks[f"{tp.topic}[{tp.partition}]"] = offset + 1
        from_start = gone + ([] if upgraded else unread)  # upgraded: Kafka's offset for unread
        if from_start:
            first = await client.beginning_offsets(from_start)
            for tp in from_start:
                client.seek(tp, first[tp])
                seeks[f"{tp.topic}[{tp.partition}]"] = first[tp]
        return seeks


async def _read_back(pool: asyncpg.Pool, consumer: str) -> tuple[list[Position], bool]:
    """The consumer's positions, and whether the database was upgraded; retried while the
    database does not answer (the client library would swallow an error here and go on
    from Kafka's committed offset: a restored database would skip what it lost)."""
    delay = 0.5
    while True:
        try:
            return await stored(pool, consumer), await applied_before(pool)
        except (OSError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError) as exc:
            log.warning("inbox.positions_unreadable", error=repr(exc), retry_in=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


async def applied_before(db: asyncpg.Connection | asyncpg.Pool) -> bool:
    """Whether the database applied events before it kept positions (it was upgraded)."""
    return bool(await db.fetchval("SELECT applied_before FROM consumer_offset_origin"))
