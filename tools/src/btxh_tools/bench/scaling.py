"""Consumer scaling (issue 8): the same events on a 4-partition topic consumed by one replica
and by two replicas (separate processes, one consumer group), each applying every event
through the inbox in its own transaction. Printed as ``system`` = two replicas, ``floor`` =
one replica, so the ratio is the time two replicas take relative to one (0.5 = twice as fast).
On 2 cores with PostgreSQL and the broker on the same machine, expect far less than 2×.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
import uuid

import asyncpg
from btxh_common.broker import ensure_topics
from btxh_common.envelope import Envelope
from btxh_common.migrate import COMMON_MIGRATIONS, migrate
from btxh_common.outbox import make_producer
from btxh_common.testing.infra import create_database, drop_database

from btxh_tools.bench.common import BenchContext, report

PARTITIONS = 4
DISTRICTS = [f"{d:03d}" for d in range(1, 41)]


def _replica(bootstrap: str, topic: str, group: str, dsn: str) -> None:
    asyncio.run(_consume(bootstrap, topic, group, dsn))


async def _consume(bootstrap: str, topic: str, group: str, dsn: str) -> None:
    from aiokafka import AIOKafkaConsumer
    from btxh_common.inbox import claim

    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=500,
    )
    await consumer.start()
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=1000)
            for records in batches.values():
                for record in records:
                    envelope = Envelope.from_bytes(record.value or b"")
                    async with pool.acquire() as conn, conn.transaction():
                        if await claim(conn, group, envelope):
                            await conn.execute(
                                "INSERT INTO scaled (event_id, district, amount)"
                                " VALUES ($1, $2, $3)",
                                envelope.event_id,
                                envelope.district_code,
                                envelope.payload["amount"],
                            )
            if batches:
                await consumer.commit()
    finally:
        await consumer.stop()
        await pool.close()


async def run(ctx: BenchContext) -> None:
    n = max(ctx.rows // 5, 2_000)  # 20k events at the default size
    name = f"bench_{uuid.uuid4().hex[:8]}"
    dsn = await create_database(ctx.server, name)
    conn = await asyncpg.connect(dsn)
    topic = f"bench.scaling.{uuid.uuid4().hex[:6]}"
    try:
        await migrate(dsn, {"common": COMMON_MIGRATIONS})
        await conn.execute(
            "CREATE TABLE scaled (event_id uuid PRIMARY KEY, district text, amount bigint)"
        )
        await ensure_topics(ctx.bootstrap, [topic], PARTITIONS)
        producer = make_producer(ctx.bootstrap)
        await producer.start()
        events = [
            Envelope(
                event_type="BenchEvent",
                schema_version=1,
                producer="bench",
                district_code=DISTRICTS[i % len(DISTRICTS)],
                payload={"amount": i},
            )
            for i in range(n)
        ]
        futures = [await producer.send(topic, e.to_bytes(), key=e.key()) for e in events]
        await asyncio.gather(*futures)
        await producer.stop()

        async def with_replicas(count: int) -> float:
            await conn.execute("TRUNCATE scaled, inbox")
            group = f"bench-{count}-{uuid.uuid4().hex[:6]}"
            spawn = multiprocessing.get_context("spawn")
            processes = [
                spawn.Process(target=_replica, args=(ctx.bootstrap, topic, group, dsn))
                for _ in range(count)
            ]
            started = time.perf_counter()
            for p in processes:
                p.start()
            try:
                for _ in range(12_000):  # 10 minutes at most
                    if await conn.fetchval("SELECT count(*) FROM scaled") >= n:
                        break
                    await asyncio.sleep(0.05)
                return time.perf_counter() - started
            finally:
                for p in processes:
                    p.terminate()
                    p.join(10)

        ones, twos = [], []
        for _ in range(ctx.rounds):
            ones.append(await with_replicas(1))
            twos.append(await with_replicas(2))
        report(f"consumers_2_vs_1_{n // 1000}k_4p", twos, ones)
    finally:
        await conn.close()
        await drop_database(ctx.server, name)
