"""The outbox relay: publishes the rows ``outbox.enqueue`` wrote and marks them sent (the
guarantees are in ``outbox``'s docstring); a row refused for good is parked."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter as Counter_
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    CorruptRecordException,
    InvalidTopicError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    UnsupportedForMessageFormatError,
)
from asyncpg.transaction import Transaction
from prometheus_client import Counter, Gauge

from btxh_common.broker import NO_AUTH, KafkaAuth
from btxh_common.db import SERVER_SETTINGS
from btxh_common.logs import get_logger

log = get_logger("btxh_common.outbox")

_LEADER_KEY = 0x6274786F  # "btxo"
PUBLISHED = Counter("btxh_outbox_published_total", "Outbox events published", ["topic"])
PENDING = Gauge("btxh_outbox_pending", "Outbox events not yet published")
LAG = Gauge("btxh_outbox_lag_seconds", "Age of the oldest unpublished outbox event")
PARKED = Counter(
    "btxh_outbox_parked_total",
    "Outbox events refused for good by the broker path and parked (alert on any increase)",
    ["topic", "reason"],
)
PARKED_NOW = Gauge("btxh_outbox_parked_rows", "Outbox events parked and not yet dealt with")

# The relay producer's largest request: the deployed Kafka's ``message.max.bytes`` (8 MiB,
# deploy/k8s/base/kafka.yaml; a unit test keeps the two equal). The embedded test broker
# (Tansu 0.6.0) enforces no size at all, neither a broker nor a topic ``max.message.bytes``,
# so the producer holds the production limit: a message the production broker would refuse
# is refused here too, in tests and in production alike. An event is refused at enqueue well
# below it (``MAX_EVENT_BYTES``), so the record's framing and headers always fit.
MAX_REQUEST_BYTES = 8 * 1024 * 1024

# What the producer or the broker answers when the message itself can never be accepted;
# retrying it would block every message behind it.
REFUSED_FOR_GOOD: tuple[type[Exception], ...] = (
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    CorruptRecordException,
    InvalidTopicError,
    UnsupportedForMessageFormatError,
)


def make_producer(bootstrap: str, auth: KafkaAuth = NO_AUTH) -> AIOKafkaProducer:
    # Idempotent producers are off: the embedded broker rejects them, and the inbox makes
    # duplicates harmless anyway.
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=False,
        linger_ms=5,
        max_batch_size=1024 * 1024,
        max_request_size=MAX_REQUEST_BYTES,
        request_timeout_ms=15000,
        **auth.client_kwargs(),
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
        auth: KafkaAuth = NO_AUTH,
    ) -> None:
        self.dsn = dsn
        self.bootstrap = bootstrap
        self.auth = auth
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
        producer = make_producer(self.bootstrap, self.auth)
        try:
            while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", _LEADER_KEY):
                if await self._sleep(self.poll_seconds):
                    return
            await conn.add_listener("outbox", self._on_notify)
            await producer.start()
            log.info("outbox.relay_leading")
            # A mark (sent_at) need not survive a database crash: lost, its rows are sent once
            # more, which the inbox makes harmless. Not waiting for its WAL flush takes a disk
            # round trip off every batch.
            settings = {**SERVER_SETTINGS, "synchronous_commit": "off"}
            work = (
                await asyncpg.connect(self.dsn, server_settings=settings),
                await asyncpg.connect(self.dsn, server_settings=settings),
            )
            try:
                while not self._stopping.is_set():
                    await self.drain(work, producer)
                    await self._measure_lag(work[0])
                    await self._sweep(work[0])
                    self._wake.clear()
                    await self._sleep(self.poll_seconds)
            finally:
                for c in work:
                    await c.close()
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
        PARKED_NOW.set(await conn.fetchval("SELECT count(*) FROM outbox_parked"))

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def _sleep(self, seconds: float) -> bool:
        """Wait for a notification or the poll interval; True when stopping."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        return self._stopping.is_set()

    async def drain_once(self, conn: asyncpg.Connection, producer: AIOKafkaProducer) -> int:
        """Publish one batch in id order; returns how many rows left the outbox (sent or
        parked). An outage raises and the batch is sent again later."""
        async with conn.transaction():
            rows = await conn.fetch(_NEXT_BATCH, self.batch_size)
            if rows:
                await _mark(conn, rows, await (await self._send_batch(producer, rows)))
        return len(rows)

    async def drain(
        self, conns: tuple[asyncpg.Connection, asyncpg.Connection], producer: AIOKafkaProducer
    ) -> int:
        """Publish batches in id order until one comes back short (or the relay stops);
        returns how many rows left the outbox (sent or parked).

        Each batch is read, locked, marked and committed in a transaction of its own, the
        batches alternating between the two connections so that the database works while the
        broker does: the next batch is read (the next unlocked rows) while the broker
        acknowledges the current one, and a batch is marked sent while the next one goes out.
        A batch goes out only once the one before is acknowledged (the order holds), so at
        most two batches are ever published and not yet marked: the ones a crash sends again.
        An outage raises; the batches not yet committed roll back and go out again later."""
        total, side = 0, 0
        tx, rows = await _take(conns[side], self.batch_size)
        pending: list[asyncio.Task[Any]] = []  # the tasks to stop if anything fails
        marking: asyncio.Task[None] | None = None
        try:
            while rows:
                acked = asyncio.create_task(await self._send_batch(producer, rows))
                pending.append(acked)
                if marking is not None:  # the batch before, on the other connection
                    await marking
                ahead = None
                if len(rows) == self.batch_size and not self._stopping.is_set():
                    ahead = asyncio.create_task(_take(conns[1 - side], self.batch_size))
                    pending.append(ahead)
                refused = await acked  # before the next batch goes out: the order holds
                marking = asyncio.create_task(_mark_and_commit(conns[side], tx, rows, refused))
                pending.append(marking)
                total += len(rows)
                if ahead is None:
                    break
                (tx, rows), side = await ahead, 1 - side
                pending = [t for t in pending if not t.done()]
            else:
                await tx.commit()  # the transaction of an empty read
            if marking is not None:
                await marking
            return total
        except BaseException:
            for task in pending:
                task.cancel()
            for task in pending:
                with contextlib.suppress(BaseException):
                    taken = await task
                    if isinstance(taken, tuple):  # a batch read ahead: unlock it
                        await taken[0].rollback()
            with contextlib.suppress(Exception):  # already committed or the connection gone
                await tx.rollback()
            raise

    async def _send_batch(
        self, producer: AIOKafkaProducer, rows: Sequence[asyncpg.Record]
    ) -> Coroutine[Any, Any, dict[int, Exception]]:
        """Hand every row to the producer; returns what waits for the broker's answers and
        gives the rows refused for good, by id (a row refused within a batch, maybe for the
        batch's fault, is tried once alone first)."""
        refused, futures = await _send_all(producer, rows)

        async def acked() -> dict[int, Exception]:
            await _settle(futures, refused)
            for r in [r for r in rows if r["id"] in refused]:
                try:
                    await _publish_one(producer, r)
                    del refused[r["id"]]
                except REFUSED_FOR_GOOD as exc:
                    refused[r["id"]] = exc
            return refused

        return acked()


_NEXT_BATCH = """SELECT id, topic, key, headers, body FROM outbox
                 WHERE sent_at IS NULL ORDER BY id LIMIT $1
                 FOR UPDATE SKIP LOCKED"""


async def _take(conn: asyncpg.Connection, limit: int) -> tuple[Transaction, list[asyncpg.Record]]:
    """The next batch, read and locked in a transaction left open on ``conn``."""
    tx = conn.transaction()
    await tx.start()
    try:
        return tx, await conn.fetch(_NEXT_BATCH, limit)
    except BaseException:
        with contextlib.suppress(Exception):
            await tx.rollback()
        raise


async def _send(producer: AIOKafkaProducer, r: asyncpg.Record) -> asyncio.Future[object]:
    headers = json.loads(r["headers"])
    future: asyncio.Future[object] = await producer.send(
        r["topic"],
        value=r["body"],
        key=r["key"].encode(),
        headers=[(k, v.encode()) for k, v in headers.items()],
    )
    return future


async def _publish_one(producer: AIOKafkaProducer, r: asyncpg.Record) -> None:
    await (await _send(producer, r))


async def _send_all(
    producer: AIOKafkaProducer, rows: Sequence[asyncpg.Record]
) -> tuple[dict[int, Exception], list[tuple[int, asyncio.Future[object]]]]:
    """Send every row; returns the rows the producer refused at once, by id, and the futures
    of the others."""
    refused: dict[int, Exception] = {}
    futures: list[tuple[int, asyncio.Future[object]]] = []
    for r in rows:
        try:
            futures.append((r["id"], await _send(producer, r)))
        except REFUSED_FOR_GOOD as exc:  # the producer's own checks, e.g. max_request_size
            refused[r["id"]] = exc
    return refused, futures


async def _settle(
    futures: list[tuple[int, asyncio.Future[object]]], refused: dict[int, Exception]
) -> None:
    """Wait for all; the rows refused for good are added to ``refused``. Any other failure
    (an outage) is raised once every send has settled."""
    outcomes = await asyncio.gather(*(f for _, f in futures), return_exceptions=True)
    for (row_id, _), outcome in zip(futures, outcomes, strict=True):
        if isinstance(outcome, REFUSED_FOR_GOOD):
            refused[row_id] = outcome
        elif isinstance(outcome, BaseException):
            raise outcome


async def _mark(
    conn: asyncpg.Connection, rows: Sequence[asyncpg.Record], refused: dict[int, Exception]
) -> None:
    """In ``conn``'s transaction: the rows sent marked so, the refused ones parked."""
    await conn.execute(
        "UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])",
        [r["id"] for r in rows if r["id"] not in refused],
    )
    await _park(conn, refused)
    for topic, count in Counter_(r["topic"] for r in rows if r["id"] not in refused).items():
        PUBLISHED.labels(topic).inc(count)
    log.debug("outbox.published", count=len(rows) - len(refused), parked=len(refused))


async def _mark_and_commit(
    conn: asyncpg.Connection,
    tx: Transaction,
    rows: Sequence[asyncpg.Record],
    refused: dict[int, Exception],
) -> None:
    await _mark(conn, rows, refused)
    await tx.commit()


async def _park(conn: asyncpg.Connection, refused: dict[int, Exception]) -> None:
    """Move refused rows to ``outbox_parked`` (whole, with the reason) and raise the alert."""
    if not refused:
        return
    reasons = [f"{type(exc).__name__}: {exc}"[:500] for exc in refused.values()]
    parked = await conn.fetch(
        """WITH gone AS (
               DELETE FROM outbox o USING unnest($1::bigint[], $2::text[]) AS r(id, reason)
               WHERE o.id = r.id
               RETURNING o.*, r.reason)
           INSERT INTO outbox_parked
               (id, event_id, topic, key, event_type, headers, body, created_at, reason)
           SELECT id, event_id, topic, key, event_type, headers, body, created_at, reason
           FROM gone
           RETURNING id, event_id, topic, event_type, octet_length(body) AS size_bytes""",
        list(refused),
        reasons,
    )
    for p in parked:
        reason = type(refused[p["id"]]).__name__
        PARKED.labels(p["topic"], reason).inc()
        log.error(
            "outbox.parked",
            event_id=str(p["event_id"]),
            topic=p["topic"],
            event_type=p["event_type"],
            size_bytes=p["size_bytes"],
            reason=reason,
        )


async def pending_count(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL"))
