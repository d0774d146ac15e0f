"""``make bench``: each flow against its floor, measured alternately in the same run.

Prints one line per figure: ``name  system_s  floor_s  ratio  peak_rss_mb`` (BENCHMARKS.md).
Data is generated from a fixed seed; infrastructure comes from the same ladder as the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import time
import uuid
from collections.abc import Awaitable, Callable

import asyncpg

from btxh_common.broker import ensure_topics
from btxh_common.db import create_pool
from btxh_common.envelope import Envelope
from btxh_common.logs import configure_logging
from btxh_common.migrate import COMMON_MIGRATIONS, migrate
from btxh_common.outbox import OutboxRelay, enqueue_many, make_producer, pending_count
from btxh_common.testing.infra import create_database, drop_database, kafka_broker, postgres_server

SEED = 20261124


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report(name: str, system: list[float], floor: list[float]) -> None:
    s, f = min(system), min(floor)
    print(f"{name:32} {s:9.2f} {f:9.2f} {s / f:7.2f} {peak_rss_mb():10.0f}", flush=True)


async def alternate(
    rounds: int, system: Callable[[], Awaitable[float]], floor: Callable[[], Awaitable[float]]
) -> tuple[list[float], list[float]]:
    s_times, f_times = [], []
    for _ in range(rounds):
        f_times.append(await floor())
        s_times.append(await system())
    return s_times, f_times


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


async def bench_outbox(server: str, bootstrap: str, n: int, rounds: int) -> None:
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


def main() -> None:
    parser = argparse.ArgumentParser(prog="btxh-bench")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    configure_logging("bench", "WARNING")
    print(f"{'name':32} {'system_s':>9} {'floor_s':>9} {'ratio':>7} {'peak_rss_mb':>10}")
    with postgres_server() as server, kafka_broker() as bootstrap:
        asyncio.run(bench_outbox(server, bootstrap, args.rows, args.rounds))


if __name__ == "__main__":
    main()
