"""Outbox relay: 100k events published by the relay vs aiokafka producing the same bytes."""

from __future__ import annotations

import asyncio
import random
import time
import uuid

import asyncpg
from btxh_common.broker import ensure_topics
from btxh_common.db import create_pool
from btxh_common.envelope import Envelope
from btxh_common.migrate import COMMON_MIGRATIONS, migrate
from btxh_common.outbox import OutboxRelay, enqueue_many, make_producer, pending_count
from btxh_common.testing.infra import create_database, drop_database

from btxh_tools.bench.common import SEED, BenchContext, alternate, report


def outbox_events(n: int) -> list[Envelope]:
    rng = random.Random(SEED)
    districts = [f"{d:03d}" for d in range(1, 31)]
    return [
        Envelope(
            event_type="BenchEvent",
            schema_version=1,
            producer="bench",
            district_code=rng.choice(districts),
            payload={"n": i, "amount": rng.randrange(0, 5_000_000), "pad": "x" * 300},
        )
        for i in range(n)
    ]


async def run(ctx: BenchContext) -> None:
    server, bootstrap, n, rounds = ctx.server, ctx.bootstrap, ctx.rows, ctx.rounds
    name = f"bench_{uuid.uuid4().hex[:8]}"
    dsn = await create_database(server, name)
    try:
        await migrate(dsn, {"common": COMMON_MIGRATIONS})
        pool = await create_pool(dsn)
        events = outbox_events(n)
        topic = f"bench.outbox.{uuid.uuid4().hex[:6]}"
        await ensure_topics(bootstrap, [topic], 6)

        async def system() -> float:
            async with pool.acquire() as conn:
                await conn.execute("TRUNCATE outbox")
                await enqueue_many(conn, topic, events)
            relay = OutboxRelay(dsn, bootstrap, batch_size=1000, poll_seconds=0.05)
            started = time.perf_counter()
            task = asyncio.create_task(relay.run())
            await _until_drained(pool)
            elapsed = time.perf_counter() - started
            relay.stop()
            await task
            return elapsed

        async def floor() -> float:
            producer = make_producer(bootstrap)
            await producer.start()
            started = time.perf_counter()
            futures = [
                await producer.send(topic, value=e.to_bytes(), key=e.key(), headers=e.headers())
                for e in events
            ]
            await asyncio.gather(*futures)
            elapsed = time.perf_counter() - started
            await producer.stop()
            return elapsed

        report(f"outbox_relay_{n // 1000}k", *await alternate(rounds, system, floor))
        await pool.close()
    finally:
        await drop_database(server, name)


async def _until_drained(pool: asyncpg.Pool) -> None:
    while True:
        async with pool.acquire() as conn:
            if await pending_count(conn) == 0:
                return
        await asyncio.sleep(0.02)
