"""Positions kept with the data (issue 21), on real PostgreSQL and the real broker.

A consumer's database is put back to an earlier state (what a restore from a backup does:
its applied rows, inbox and positions as they were) while Kafka's committed offset stays
ahead: the consumer must re-read from its own position (from the beginning, for a backup
from before it read anything) and apply each lost event once.
"""

import asyncio
from uuid import UUID

import asyncpg
from btxh_common import offsets
from btxh_common.broker import ensure_topics, make_broker
from btxh_common.envelope import Envelope, EventPayload
from btxh_common.inbox import EventContext, subscribe
from btxh_common.offsets import Position, check_positions
from btxh_common.opsmetrics import consumer_lag
from btxh_common.testing.fixtures import unique_topic

TABLES = ("applied", "inbox", "consumer_offset")


class Counted(EventPayload):
    event_type = "Counted"
    n: int


class Other(EventPayload):
    event_type = "Other"
    n: int


def event(n: int, kind: str = "Counted") -> Envelope:
    return Envelope(
        event_type=kind, schema_version=1, producer="test", district_code="001", payload={"n": n}
    )


async def applied(pool: asyncpg.Pool) -> list[UUID]:
    return [r["event_id"] for r in await pool.fetch("SELECT event_id FROM applied ORDER BY n")]


async def until(what: str, check, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, f"not in time: {what}"
        await asyncio.sleep(0.1)


async def snapshot(pool: asyncpg.Pool) -> dict[str, list[asyncpg.Record]]:
    return {t: await pool.fetch(f"SELECT * FROM {t}") for t in TABLES}


async def restore(pool: asyncpg.Pool, saved: dict[str, list[asyncpg.Record]]) -> None:
    """Put the three tables back as they were (the rows a restored backup would hold)."""
    async with pool.acquire() as conn, conn.transaction():
        for table, rows in saved.items():
            await conn.execute(f"DELETE FROM {table}")
            if rows:
                columns = list(rows[0].keys())
                await conn.copy_records_to_table(
                    table, records=[tuple(r.values()) for r in rows], columns=columns
                )


async def consume(kafka_bootstrap: str, pool: asyncpg.Pool, topic: str, group: str):  # type: ignore[no-untyped-def]
    broker = make_broker(kafka_bootstrap, "test-consumer")

    async def record(conn: asyncpg.Connection, e: Counted, context: EventContext) -> None:
        await conn.execute("INSERT INTO applied VALUES ($1, $2)", context.event_id, e.n)

    subscribe(broker, pool, topics=[topic], consumer=group, handlers={Counted: record})
    await broker.start()
    return broker


async def test_a_database_put_back_re_reads_from_its_own_position_and_applies_each_event_once(
    common_db: asyncpg.Pool, kafka_bootstrap: str
) -> None:
    topic, group = unique_topic("pos"), unique_topic("group")
    await ensure_topics(kafka_bootstrap, [topic], 1)
    await common_db.execute("CREATE TABLE applied (event_id uuid PRIMARY KEY, n int NOT NULL)")
    producer = make_broker(kafka_bootstrap, "test")
    await producer.start()
    # offsets 0..4: Counted 1, Other (not for this consumer), Counted 2, Counted 3, Counted 4
    sent = [event(1), event(9, "Other"), event(2), event(3), event(4)]
    try:
        await producer.publish(sent[0].to_bytes(), topic, key=sent[0].key())
        await producer.publish(sent[1].to_bytes(), topic, key=sent[1].key())
        empty = await snapshot(common_db)  # a backup from before it read anything
        broker = await consume(kafka_bootstrap, common_db, topic, group)

        async def position_is(offset: int) -> bool:
            return await offsets.stored(common_db, group) == [Position(group, topic, 0, offset)]

        await until("the first two handled", lambda: position_is(1))
        midway = await snapshot(common_db)
        for e in sent[2:]:
            await producer.publish(e.to_bytes(), topic, key=e.key())
        await until("all handled", lambda: position_is(4))
        await broker.stop()  # Kafka's committed offset for the group is now 5
        counted = [e.event_id for e in sent if e.event_type == "Counted"]
        groups = {group: {topic}}
        held = await offsets.stored(common_db, group)
        assert await consumer_lag(kafka_bootstrap, groups, positions=held) == {(group, topic): 0}
        assert await consumer_lag(kafka_bootstrap, groups) == {(group, topic): 0}  # Kafka's
        for backup, lost, behind in ((midway, counted[1:], 3), (empty, counted, 5)):
            await restore(common_db, backup)
            assert [e for e in counted if e not in await applied(common_db)] == lost
            # the lag is counted from the restored position (Kafka's committed offset is 5)
            held = await offsets.stored(common_db, group)
            assert await consumer_lag(kafka_bootstrap, groups, positions=held) == {
                (group, topic): behind
            }
            broker = await consume(kafka_bootstrap, common_db, topic, group)
            try:
                await until("caught up again", lambda: position_is(4))
                await until("re-applied", lambda: _count(common_db, 4))
            finally:
                await broker.stop()
            assert await applied(common_db) == counted
            inbox = await common_db.fetch("SELECT event_id FROM inbox WHERE consumer = $1", group)
            assert len(inbox) == 4
    finally:
        await producer.stop()


async def _count(pool: asyncpg.Pool, n: int) -> bool:
    return int(await pool.fetchval("SELECT count(*) FROM applied")) == n


async def test_the_start_check_reads_the_first_offsets_the_broker_still_holds(
    common_db: asyncpg.Pool, kafka_bootstrap: str
) -> None:
    """On the real broker every stored position is still held (the embedded broker cannot
    delete records, so the refusal itself is shown in ``unit/test_positions.py``)."""
    topic, group = unique_topic("held"), unique_topic("group")
    await ensure_topics(kafka_bootstrap, [topic], 2)
    producer = make_broker(kafka_bootstrap, "test")
    await producer.start()
    try:
        for e in [event(n) for n in range(3)]:
            await producer.publish(e.to_bytes(), topic, key=e.key(), partition=1)
    finally:
        await producer.stop()
    async with common_db.acquire() as conn:
        await offsets.record(conn, group, topic, 1, 1)
        await offsets.record(conn, group, topic, 1, 2)
    assert await offsets.earliest_offsets(kafka_bootstrap, [(topic, 0), (topic, 1)]) == {
        (topic, 0): 0,
        (topic, 1): 0,
    }
    assert await check_positions(common_db, kafka_bootstrap) == [Position(group, topic, 1, 2)]


async def test_a_position_the_broker_has_no_committed_offset_for_is_of_a_log_that_is_gone(
    common_db: asyncpg.Pool, kafka_bootstrap: str
) -> None:
    """An emptied broker makes its topics again, from offset 0: a position of the old log
    would skip the new one's first events, so the partition is read from the beginning."""
    topic, group = unique_topic("again"), unique_topic("group")
    await ensure_topics(kafka_bootstrap, [topic], 1)
    await common_db.execute("CREATE TABLE applied (event_id uuid PRIMARY KEY, n int NOT NULL)")
    async with common_db.acquire() as conn:  # read up to offset 3 of a log that is gone
        await offsets.record(conn, group, topic, 0, 3)
    producer = make_broker(kafka_bootstrap, "test")
    await producer.start()
    sent = [event(n) for n in range(6)]
    try:
        for e in sent:
            await producer.publish(e.to_bytes(), topic, key=e.key())
    finally:
        await producer.stop()
    broker = await consume(kafka_bootstrap, common_db, topic, group)
    try:
        await until("all six applied", lambda: _count(common_db, 6))
    finally:
        await broker.stop()
    assert await applied(common_db) == [e.event_id for e in sent]
    assert await offsets.stored(common_db, group) == [Position(group, topic, 0, 5)]
