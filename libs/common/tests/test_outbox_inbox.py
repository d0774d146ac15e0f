"""Outbox and inbox against real PostgreSQL and the real broker, with processes killed."""

import asyncio
import signal
import sys
from collections import defaultdict
from pathlib import Path
from uuid import UUID

import asyncpg
from aiokafka import AIOKafkaConsumer
from btxh_common.broker import ensure_topics, make_broker
from btxh_common.envelope import Envelope, EventPayload
from btxh_common.inbox import EventContext, subscribe
from btxh_common.outbox import OutboxRelay, Retention, enqueue_many, pending_count, purge
from btxh_common.testing.fixtures import unique_topic
from prometheus_client import REGISTRY

PROCS = Path(__file__).parent / "procs"
KEYS = ("001", "002", "003")


class Counted(EventPayload):
    event_type = "Counted"
    n: int


def event(key: str, n: int) -> Envelope:
    return Envelope(
        event_type="Counted", schema_version=1, producer="test", district_code=key, payload={"n": n}
    )


async def write_events(pool: asyncpg.Pool, topic: str, start: int, count: int) -> list[Envelope]:
    written = []
    for base in range(start, start + count, 20):
        batch = [event(KEYS[i % 3], i) for i in range(base, min(base + 20, start + count))]
        async with pool.acquire() as conn, conn.transaction():
            await enqueue_many(conn, topic, batch)
        written += batch
    return written


def skipped(consumer: str) -> float:
    value = REGISTRY.get_sample_value("btxh_inbox_duplicates_total", {"consumer": consumer})
    return value or 0.0


async def wait_for(predicate, timeout: float = 60.0, every: float = 0.1) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(every)


async def read_topic(bootstrap: str, topic: str, expected_ids: set[UUID]) -> list[Envelope]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    seen: list[Envelope] = []
    try:
        deadline = asyncio.get_running_loop().time() + 60
        while not expected_ids <= {e.event_id for e in seen}:
            assert asyncio.get_running_loop().time() < deadline, "events missing on the topic"
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for r in records:
                    env = Envelope.from_bytes(r.value)
                    assert r.key == env.key()
                    seen.append(env)
    finally:
        await consumer.stop()
    return seen


async def test_events_survive_a_relay_killed_mid_publish_and_arrive_once_in_order_per_key(
    common_db: asyncpg.Pool, fresh_db: str, kafka_bootstrap: str
) -> None:
    topic = unique_topic("outbox")
    await ensure_topics(kafka_bootstrap, [topic], 3)
    written = await write_events(common_db, topic, 0, 600)

    relay = await asyncio.create_subprocess_exec(
        sys.executable, str(PROCS / "slow_relay.py"), fresh_db, kafka_bootstrap, "20", "0.2"
    )

    async def some_sent() -> bool:
        async with common_db.acquire() as conn:
            return await pending_count(conn) <= 500

    await wait_for(some_sent)
    relay.send_signal(signal.SIGKILL)
    await relay.wait()
    async with common_db.acquire() as conn:
        left = await pending_count(conn)
    assert 0 < left < 600, "the relay must die with events committed but not published"

    written += await write_events(common_db, topic, 600, 60)  # committed while no relay runs

    survivor = OutboxRelay(fresh_db, kafka_bootstrap, batch_size=100, poll_seconds=0.2)
    task = asyncio.create_task(survivor.run())
    try:

        async def drained() -> bool:
            async with common_db.acquire() as conn:
                return await pending_count(conn) == 0

        await wait_for(drained)
    finally:
        survivor.stop()
        await task

    seen = await read_topic(kafka_bootstrap, topic, {e.event_id for e in written})
    first: dict[UUID, Envelope] = {}
    for env in seen:
        first.setdefault(env.event_id, env)
    assert set(first) == {e.event_id for e in written}
    # At most two batches are published and not yet marked (one acknowledged and being
    # marked, the next going out): what a kill may send twice.
    assert len(seen) - len(first) <= 2 * 20, "at most the two batches in flight are sent twice"
    per_key: dict[str, list[int]] = defaultdict(list)
    for env in first.values():
        per_key[env.district_code].append(env.payload["n"])
    for key in KEYS:
        expected = [e.payload["n"] for e in written if e.district_code == key]
        assert per_key[key] == expected, f"order broken for key {key}"


async def test_an_event_redelivered_after_a_crash_before_ack_is_applied_once(
    common_db: asyncpg.Pool, fresh_db: str, kafka_bootstrap: str
) -> None:
    topic, group = unique_topic("inbox"), unique_topic("group")
    await ensure_topics(kafka_bootstrap, [topic], 1)
    async with common_db.acquire() as conn:
        await conn.execute("CREATE TABLE applied (event_id uuid NOT NULL)")
    producer = make_broker(kafka_bootstrap, "test")
    await producer.start()
    first, second = event("001", 1), event("001", 2)
    await producer.publish(first.to_bytes(), topic, key=first.key())

    stuck = await asyncio.create_subprocess_exec(
        sys.executable, str(PROCS / "stuck_consumer.py"), fresh_db, kafka_bootstrap, topic, group
    )

    async def applied_count() -> int:
        async with common_db.acquire() as conn:
            return int(await conn.fetchval("SELECT count(*) FROM applied"))

    async def applied_once() -> bool:
        return await applied_count() == 1

    await wait_for(applied_once)
    stuck.send_signal(signal.SIGKILL)
    await stuck.wait()

    skipped_before = skipped(group)
    consumer = make_broker(kafka_bootstrap, "test-consumer")

    async def record(conn: asyncpg.Connection, _: Counted, context: EventContext) -> None:
        await conn.execute("INSERT INTO applied (event_id) VALUES ($1)", context.event_id)

    subscribe(consumer, common_db, topics=[topic], consumer=group, handlers={Counted: record})
    await consumer.start()
    try:
        await producer.publish(second.to_bytes(), topic, key=second.key())

        async def both_done() -> bool:
            return await applied_count() == 2

        await wait_for(both_done, timeout=90)
        assert skipped(group) == skipped_before + 1, "the first event was redelivered"
        async with common_db.acquire() as conn:
            ids = [r["event_id"] for r in await conn.fetch("SELECT event_id FROM applied")]
        assert sorted(ids) == sorted([first.event_id, second.event_id])
    finally:
        await consumer.stop()
        await producer.stop()


async def test_retention_purges_old_published_rows_and_old_inbox_records_only(
    common_db: asyncpg.Pool, fresh_db: str, kafka_bootstrap: str
) -> None:
    topic = unique_topic("keep")
    await ensure_topics(kafka_bootstrap, [topic], 1)
    events = await write_events(common_db, topic, 0, 4)
    ids = [e.event_id for e in events]
    async with common_db.acquire() as conn:
        # 0: published 8 days ago; 1: published 6 days ago; 2: unsent, written 30 days ago;
        # 3: unsent today
        await conn.execute(
            "UPDATE outbox SET sent_at = now() - interval '8 days' WHERE event_id = $1", ids[0]
        )
        await conn.execute(
            "UPDATE outbox SET sent_at = now() - interval '6 days' WHERE event_id = $1", ids[1]
        )
        await conn.execute(
            "UPDATE outbox SET created_at = now() - interval '30 days' WHERE event_id = $1", ids[2]
        )
        await conn.executemany(
            """INSERT INTO inbox (consumer, event_id, event_type, received_at)
               VALUES ('c', $1, 'Counted', now() - make_interval(days => $2))""",
            [(ids[0], 101), (ids[1], 99)],
        )
        assert await purge(conn, Retention(outbox_days=7, inbox_days=100)) == (1, 1)
        left = {r["event_id"] for r in await conn.fetch("SELECT event_id FROM outbox")}
        assert left == set(ids[1:]), "only the row published more than a week ago goes"
        assert await conn.fetchval("SELECT array_agg(event_id) FROM inbox") == [ids[1]]

    # a relay with the retention set sweeps when idle (row 1, now published 8 days ago, goes),
    # and publishes what is unsent, the row written 30 days ago included; that stays
    async with common_db.acquire() as conn:
        await conn.execute(
            "UPDATE outbox SET sent_at = now() - interval '8 days' WHERE event_id = $1", ids[1]
        )
    relay = OutboxRelay(
        fresh_db, kafka_bootstrap, poll_seconds=0.05, retention=Retention(outbox_days=7)
    )
    task = asyncio.create_task(relay.run())
    try:
        async with common_db.acquire() as conn:
            await wait_for(lambda: _none_pending(conn))
    finally:
        relay.stop()
        await task
    on_topic = await read_topic(kafka_bootstrap, topic, set(ids[2:]))
    assert {e.event_id for e in on_topic} == set(ids[2:])
    async with common_db.acquire() as conn:  # the relay sweeps after the drain it stopped on
        assert {r["event_id"] for r in await conn.fetch("SELECT event_id FROM outbox")} == set(
            ids[2:]
        )


async def _none_pending(conn: asyncpg.Connection) -> bool:
    return await pending_count(conn) == 0
