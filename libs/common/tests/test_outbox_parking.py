"""A message the broker path refuses for good is parked, and the relay goes on with the rest.

The embedded broker (tansu 0.6.0) enforces no message size: it has no such option, took
records of 257 MiB, and takes a 3 MiB record on a topic created with ``max.message.bytes``
of 1 MiB. So the relay producer holds the production limit: its ``max_request_size``
(``outbox.MAX_REQUEST_BYTES``) is the deployed Kafka's ``message.max.bytes``, 8 MiB (a unit
test keeps them equal), and that is the limit these tests cross, by a few bytes.
"""

import asyncio
import json
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import pytest
from aiokafka.errors import RecordListTooLargeError
from btxh_common.broker import ensure_topics
from btxh_common.envelope import Envelope
from btxh_common.errors import TooLarge
from btxh_common.events import ImportConfirmedChunk
from btxh_common.outbox import (
    MAX_REQUEST_BYTES,
    EventTooLarge,
    OutboxRelay,
    enqueue,
    enqueue_chunked,
    enqueue_many,
    pending_count,
)
from btxh_common.problems import install_problem_handlers
from btxh_common.testing.fixtures import unique_topic
from fastapi import FastAPI
from prometheus_client import REGISTRY

from .test_outbox_inbox import Counted, event, read_topic, wait_for

FOUR_MIB = 4 * 1024 * 1024


def oversized(key: str) -> Envelope:
    """An event whose body is over 4 MiB: a 5 MiB text field, as a PATCH could once carry."""
    return Envelope(
        event_type="Counted",
        schema_version=1,
        producer="test",
        district_code=key,
        payload={"n": -1, "note": "x" * (5 * 1024 * 1024)},
    )


async def write_unchecked(conn: asyncpg.Connection, topic: str, env: Envelope) -> None:
    """Write an outbox row as code older than the enqueue bound could have: unchecked."""
    await conn.execute(
        """INSERT INTO outbox (event_id, topic, key, event_type, headers, body)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        env.event_id,
        topic,
        env.district_code,
        env.event_type,
        json.dumps({k: v.decode() for k, v in env.headers()}),
        env.to_bytes(),
    )


def parked_total(topic: str) -> float:
    value = REGISTRY.get_sample_value(
        "btxh_outbox_parked_total", {"topic": topic, "reason": "MessageSizeTooLargeError"}
    )
    return value or 0.0


def sized(key: str, n: int, size: int) -> Envelope:
    """An event of ``n`` whose body is ``size`` bytes."""
    env = Envelope(
        event_type="Counted",
        schema_version=1,
        producer="test",
        district_code=key,
        payload={"n": n, "note": ""},
    )
    padded = env.model_copy(
        update={"payload": {"n": n, "note": "x" * (size - len(env.to_bytes()))}}
    )
    assert len(padded.to_bytes()) == size
    return padded


def parked_rows() -> float:
    return REGISTRY.get_sample_value("btxh_outbox_parked_rows") or 0.0


async def test_a_message_just_over_the_broker_limit_is_parked_and_later_events_are_published(
    common_db: asyncpg.Pool, fresh_db: str, kafka_bootstrap: str
) -> None:
    topic = unique_topic("parking")
    await ensure_topics(kafka_bootstrap, [topic], 1)
    before, after = event("001", 1), [event("001", n) for n in (4, 5)]
    under = sized("001", 2, MAX_REQUEST_BYTES - 64 * 1024)  # key, headers, framing: < 1 KiB
    over = sized("001", 3, MAX_REQUEST_BYTES + 1)
    async with common_db.acquire() as conn, conn.transaction():
        await enqueue(conn, topic, before)
        await write_unchecked(conn, topic, under)  # past the enqueue check, as old code could
        await write_unchecked(conn, topic, over)
        await enqueue_many(conn, topic, after)
    parked_before = parked_total(topic)

    relay = OutboxRelay(fresh_db, kafka_bootstrap, batch_size=10, poll_seconds=0.2)
    task = asyncio.create_task(relay.run())
    try:

        async def drained() -> bool:
            async with common_db.acquire() as conn:
                return await pending_count(conn) == 0 and parked_rows() == 1

        await wait_for(drained, timeout=30)
    finally:
        relay.stop()
        await task

    # A consumer with aiokafka's default fetch sizes reads everything published, the event
    # just under the limit included: nothing on the topic blocks it.
    expected = {e.event_id for e in [before, under, *after]}
    seen = await read_topic(kafka_bootstrap, topic, expected)
    assert [e.payload["n"] for e in seen] == [1, 2, 4, 5]
    assert seen[1].to_bytes() == under.to_bytes()
    async with common_db.acquire() as conn:
        parked = await conn.fetch("SELECT event_id, topic, reason, body FROM outbox_parked")
    assert [(r["event_id"], r["topic"]) for r in parked] == [(over.event_id, topic)]
    assert "MessageSizeTooLargeError" in parked[0]["reason"]
    assert bytes(parked[0]["body"]) == over.to_bytes(), "the parked message is kept whole"
    assert parked_total(topic) == parked_before + 1
    assert parked_rows() == 1, "the alert gauge"


async def test_an_event_over_the_limit_is_refused_at_enqueue_with_a_typed_error(
    common_db: asyncpg.Pool,
) -> None:
    async with common_db.acquire() as conn:
        with pytest.raises(TooLarge) as refused:
            async with conn.transaction():
                await enqueue(conn, "btxh.test", event("001", 1), oversized("001"))
        assert await conn.fetchval("SELECT count(*) FROM outbox") == 0
    assert refused.value.code == "event_too_large"
    assert "quá lớn" in refused.value.message_vi


async def test_an_oversized_event_reaches_the_caller_as_a_413_problem_with_its_code(
    common_db: asyncpg.Pool,
) -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/notes")
    async def write_note() -> dict[str, str]:
        async with common_db.acquire() as conn, conn.transaction():
            await enqueue(conn, "btxh.test", oversized("001"))
        return {"status": "recorded"}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        answer = await client.post("/notes")
    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "event_too_large"
    assert "quá lớn" in answer.json()["detail"]


class BatchRefusingBroker:
    """A producer double for what the embedded broker cannot show: a broker that refuses a
    whole record batch (RECORD_LIST_TOO_LARGE) because one record in it is over its limit.
    Records sent before the loop turns travel in one batch, as aiokafka's do."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.batch: list[tuple[bytes, asyncio.Future[None]]] = []
        self.delivered: list[bytes] = []

    async def send(self, topic: str, *, value: bytes, key: bytes, headers: object) -> Any:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if not self.batch:
            asyncio.get_running_loop().call_soon(self._flush)
        self.batch.append((value, future))
        return future

    def _flush(self) -> None:
        batch, self.batch = self.batch, []
        refused = any(len(value) > self.limit for value, _ in batch)
        for value, future in batch:
            if refused:
                future.set_exception(RecordListTooLargeError())
            else:
                self.delivered.append(value)
                future.set_result(None)


async def test_a_batch_refused_for_one_record_parks_only_that_record(
    common_db: asyncpg.Pool, fresh_db: str
) -> None:
    small = [event("001", n) for n in range(4)]
    big = oversized("001")
    async with common_db.acquire() as conn, conn.transaction():
        await enqueue_many(conn, "btxh.test", small[:2])
        await write_unchecked(conn, "btxh.test", big)
        await enqueue_many(conn, "btxh.test", small[2:])

    broker = BatchRefusingBroker(limit=FOUR_MIB)
    relay = OutboxRelay(fresh_db, "unused:9092", batch_size=10)
    conn = await asyncpg.connect(fresh_db)
    try:
        assert await relay.drain_once(conn, broker) == 5  # type: ignore[arg-type]
        assert await pending_count(conn) == 0
        parked = await conn.fetch("SELECT event_id, reason FROM outbox_parked")
    finally:
        await conn.close()
    assert [Envelope.from_bytes(v).payload["n"] for v in broker.delivered] == [0, 1, 2, 3]
    assert [r["event_id"] for r in parked] == [big.event_id]
    assert parked[0]["reason"].startswith("RecordListTooLargeError")


async def test_a_chunked_transfer_with_a_chunk_over_the_limit_is_refused_whole(
    common_db: asyncpg.Pool,
) -> None:
    rows = [{"n": n, "address": "ệ" * 1_500} for n in range(1_000)]  # ~4.5 MB in one chunk
    async with common_db.acquire() as conn:
        with pytest.raises(EventTooLarge):
            async with conn.transaction():
                await enqueue_chunked(
                    conn,
                    "btxh.test",
                    rows,
                    transfer_id=uuid4(),
                    chunk=lambda c: ImportConfirmedChunk(chunk=c),
                    head=lambda m: Counted(n=m.row_count),
                    producer="test",
                    district_code="001",
                    correlation_id="transfer",
                )
        assert await conn.fetchval("SELECT count(*) FROM outbox") == 0
