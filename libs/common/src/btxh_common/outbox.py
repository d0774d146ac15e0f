"""Transactional outbox: events are written with the state change, a relay publishes them.

The relay is a single leader per database (a session advisory lock), so rows go out in
commit order; a crash between commit and publish loses nothing because unsent rows stay
unsent until the broker has acknowledged them. Delivery is at-least-once; consumers
deduplicate with the inbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from uuid import UUID

import asyncpg
from aiokafka import AIOKafkaProducer
from prometheus_client import Counter, Gauge

from btxh_common.chunks import Manifest, Row, TransferChunk, split
from btxh_common.envelope import Envelope, EventPayload
from btxh_common.logs import get_logger

log = get_logger(__name__)

_LEADER_KEY = 0x6274786F  # "btxo"
PUBLISHED = Counter("btxh_outbox_published_total", "Outbox events published", ["topic"])
PENDING = Gauge("btxh_outbox_pending", "Outbox events not yet published")
LAG = Gauge("btxh_outbox_lag_seconds", "Age of the oldest unpublished outbox event")


async def enqueue(conn: asyncpg.Connection, topic: str, *events: Envelope) -> None:
    """Record events for publication inside the caller's transaction."""
    await enqueue_many(conn, topic, events)


async def enqueue_many(conn: asyncpg.Connection, topic: str, events: Iterable[Envelope]) -> None:
    records = [
        (
            e.event_id,
            topic,
            e.district_code,
            e.event_type,
            json.dumps({k: v.decode() for k, v in e.headers()}),
            e.to_bytes(),
        )
        for e in events
    ]
    if not records:
        return
    await conn.copy_records_to_table(
        "outbox",
        records=records,
        columns=["event_id", "topic", "key", "event_type", "headers", "body"],
    )


async def enqueue_chunked(
    conn: asyncpg.Connection,
    topic: str,
    rows: Sequence[Row],
    *,
    transfer_id: UUID,
    chunk: Callable[[TransferChunk], EventPayload],
    head: Callable[[Manifest], EventPayload],
    producer: str,
    district_code: str,
    correlation_id: str,
    amount_field: str | None = None,
) -> Manifest:
    """Record a large row set as numbered chunk events closed by the head event that carries
    the manifest, all in the caller's transaction; the manifest is returned."""
    parts, manifest = split(rows, transfer_id, amount_field=amount_field)
    payloads = [chunk(part) for part in parts] + [head(manifest)]
    await enqueue_many(
        conn,
        topic,
        (
            Envelope.wrap(
                p, producer=producer, district_code=district_code, correlation_id=correlation_id
            )
            for p in payloads
        ),
    )
    return manifest


def make_producer(bootstrap: str) -> AIOKafkaProducer:
    # Idempotent producers are off: the embedded broker rejects them, and the inbox makes
    # duplicates harmless anyway.
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=False,
        linger_ms=5,
        max_batch_size=1024 * 1024,
        max_request_size=4 * 1024 * 1024,
        request_timeout_ms=15000,
    )


@dataclass(frozen=True)
class Retention:
    """How long published outbox rows and inbox records are kept, in days."""

    outbox_days: int = 7
    inbox_days: int = 100
    every_seconds: float = 3600.0  # how often the relay sweeps


async def purge(conn: asyncpg.Connection, keep: Retention) -> tuple[int, int]:
    """Delete published outbox rows and inbox records older than ``keep``; never an unsent
    row. Returns (outbox rows, inbox rows) deleted."""
    outbox = await conn.execute(
        "DELETE FROM outbox WHERE sent_at < now() - make_interval(days => $1)", keep.outbox_days
    )
    inbox = await conn.execute(
        "DELETE FROM inbox WHERE received_at < now() - make_interval(days => $1)",
        keep.inbox_days,
    )
    counts = int(outbox.split()[-1]), int(inbox.split()[-1])
    if any(counts):
        log.info("outbox.purged", outbox_rows=counts[0], inbox_rows=counts[1])
    return counts


class OutboxRelay:
    def __init__(
        self,
        dsn: str,
        bootstrap: str,
        *,
        batch_size: int = 500,
        poll_seconds: float = 1.0,
        retention: Retention | None = None,
    ) -> None:
        self.dsn = dsn
        self.bootstrap = bootstrap
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.retention = retention
        self._swept_at = float("-inf")
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        """Publish until stopped; survives database and broker outages by retrying."""
        backoff = 0.5
        while not self._stopping.is_set():
            try:
                await self._lead()
                backoff = 0.5
            except Exception as exc:  # database or broker outage: both raise many types
                log.warning("outbox.relay_error", error=repr(exc), retry_in=backoff)
            if not self._stopping.is_set():
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)

    async def _lead(self) -> None:
        conn = await asyncpg.connect(self.dsn)
        producer = make_producer(self.bootstrap)
        try:
            while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", _LEADER_KEY):
                if await self._sleep(self.poll_seconds):
                    return
            await conn.add_listener("outbox", self._on_notify)
            await producer.start()
            log.info("outbox.relay_leading")
            work = await asyncpg.connect(self.dsn)
            try:
                while not self._stopping.is_set():
                    sent = await self.drain_once(work, producer)
                    if sent < self.batch_size:
                        await self._measure_lag(work)
                        await self._sweep(work)
                        self._wake.clear()
                        await self._sleep(self.poll_seconds)
            finally:
                await work.close()
        finally:
            await producer.stop()
            await conn.close()

    async def _sweep(self, conn: asyncpg.Connection) -> None:
        """Apply the retention when idle, at most once per ``every_seconds``."""
        now = time.monotonic()
        if self.retention is None or now - self._swept_at < self.retention.every_seconds:
            return
        self._swept_at = now
        await purge(conn, self.retention)

    @staticmethod
    async def _measure_lag(conn: asyncpg.Connection) -> None:
        pending, lag = await conn.fetchrow(
            """SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)
               FROM outbox WHERE sent_at IS NULL"""
        )
        PENDING.set(pending)
        LAG.set(float(lag))

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def _sleep(self, seconds: float) -> bool:
        """Wait for a notification or the poll interval; True when stopping."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        return self._stopping.is_set()

    async def drain_once(self, conn: asyncpg.Connection, producer: AIOKafkaProducer) -> int:
        async with conn.transaction():
            rows = await conn.fetch(
                """SELECT id, topic, key, headers, body FROM outbox
                   WHERE sent_at IS NULL ORDER BY id LIMIT $1
                   FOR UPDATE SKIP LOCKED""",
                self.batch_size,
            )
            if not rows:
                return 0
            futures = []
            for r in rows:
                headers = json.loads(r["headers"])
                futures.append(
                    await producer.send(
                        r["topic"],
                        value=r["body"],
                        key=r["key"].encode(),
                        headers=[(k, v.encode()) for k, v in headers.items()],
                    )
                )
            await asyncio.gather(*futures)
            await conn.execute(
                "UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])",
                [r["id"] for r in rows],
            )
        for r in rows:
            PUBLISHED.labels(r["topic"]).inc()
        log.debug("outbox.published", count=len(rows))
        return len(rows)


async def pending_count(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL"))
