"""Inbox guard and the consumer wrapper: apply each event once, ack only after commit.

Handlers are bound to event classes: the wrapper opens the envelope into that class and hands
the handler the typed event and its context (who sent it, for which district, in which
trace), never the raw payload. A payload that does not fit its class (the contracts forbid
unknown fields and bound every string, amount and code) is a contract break: the event is
parked in ``dead_letter`` with the fields at fault (never their values) and never stored.

A handler runs inside one transaction together with the inbox row for its ``event_id``; a
redelivered event finds the row and is skipped. Offsets are acknowledged only after that
transaction commits; the position (topic, partition, offset) is written in that same
transaction (``btxh_common.offsets``), and the consumer seeks to it when it is given the
partition, so Kafka's committed offset is only a hint. Transient failures (database or
network) are retried in place, so the partition waits rather than skipping ahead; an event
that can never be applied (a broken contract or a handler bug) is parked in ``dead_letter``
with its bytes and reason. An event whose ``event_type`` header (written by the outbox) names a
type the consumer has no handler for only moves the position: its body is not read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import structlog
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage
from prometheus_client import Counter
from pydantic import BaseModel, ConfigDict, ValidationError

from btxh_common import offsets
from btxh_common.envelope import Envelope, EnvelopeHead, EventPayload, current_trace
from btxh_common.logs import get_logger
from btxh_common.offsets import Position, SeekStored

log = get_logger(__name__)


class EventContext(BaseModel):
    """What the envelope says about an event, apart from the event itself."""

    model_config = ConfigDict(frozen=True)

    event_id: UUID
    event_type: str
    district_code: str
    producer: str
    occurred_at: datetime
    correlation_id: str | None = None
    causation_id: UUID | None = None
    trace_id: str | None = None

    @classmethod
    def of(cls, envelope: EnvelopeHead) -> EventContext:
        return cls(
            event_id=envelope.event_id,
            event_type=envelope.event_type,
            district_code=envelope.district_code,
            producer=envelope.producer,
            occurred_at=envelope.occurred_at,
            correlation_id=envelope.correlation_id,
            causation_id=envelope.causation_id,
            trace_id=envelope.trace_id,
        )


# A handler takes the typed event (the class it is bound to) and its context. ``Any`` here
# because a mapping holds handlers of different event classes; each is checked where defined.
Handler = Callable[[asyncpg.Connection, Any, EventContext], Awaitable[None]]
Handlers = Mapping[type[EventPayload], Handler]
Route = tuple[type[EventPayload], Handler]

APPLIED = Counter("btxh_inbox_applied_total", "Events applied", ["consumer", "event_type"])
SKIPPED = Counter("btxh_inbox_duplicates_total", "Redelivered events skipped", ["consumer"])
PARKED = Counter("btxh_inbox_dead_letter_total", "Events parked as dead letters", ["consumer"])
FAILED = Counter(
    "btxh_inbox_handler_errors_total", "Handler failures (retried or parked)", ["consumer", "kind"]
)

TRANSIENT: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.SerializationError,
    asyncpg.DeadlockDetectedError,
    TimeoutError,
)


class ContractBroken(ValueError):
    """An event that does not fit its contract (a field missing, unknown, ill-typed or out of
    its bounds): it can never be applied, so it is parked, never stored."""


def describe(exc: ValidationError, what: str) -> str:
    """Which fields break the contract and how, without echoing their values (a value may be
    a national ID, or 5 MB long)."""
    problems = "; ".join(
        f"{'.'.join(map(str, e['loc'])) or '(root)'}: {e['msg']}"
        for e in exc.errors(include_input=False, include_url=False)
    )
    return f"contract broken ({what}): {problems}"[:2000]


def require_district(context: EventContext, district: str, field: str) -> None:
    """The event's key (its district) routes and walls it: a payload naming another district
    is a forgery or a bug, never applied."""
    if district != context.district_code:
        raise ContractBroken(
            f"contract broken ({context.event_type}): {field} is not the district of the event"
        )


async def claim(conn: asyncpg.Connection, consumer: str, envelope: EnvelopeHead) -> bool:
    """Record the event as seen by ``consumer``; False if it was seen before."""
    status = await conn.execute(
        """INSERT INTO inbox (consumer, event_id, event_type) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING""",
        consumer,
        envelope.event_id,
        envelope.event_type,
    )
    return bool(status == "INSERT 0 1")


async def apply_once(
    pool: asyncpg.Pool,
    consumer: str,
    envelope: EnvelopeHead,
    contract: type[EventPayload],
    handler: Handler,
    at: Position | None = None,
    event: EventPayload | None = None,
) -> bool:
    """Open the event as ``contract`` (unless given it, read with its envelope) and run
    ``handler`` in a transaction with the inbox row and the consumer's position ``at`` (the
    message's offset); False if already applied."""
    if event is None:
        if not isinstance(envelope, Envelope):
            raise TypeError("an envelope's head without its event")
        try:
            event = envelope.open(contract)
        except ValidationError as exc:
            raise ContractBroken(describe(exc, envelope.event_type)) from None
    async with pool.acquire() as conn, conn.transaction():
        if at is not None:
            await offsets.record(conn, at.consumer, at.topic, at.partition, at.offset)
        if not await claim(conn, consumer, envelope):
            SKIPPED.labels(consumer).inc()
            log.info("inbox.duplicate_skipped", event_id=str(envelope.event_id))
            return False
        await handler(conn, event, EventContext.of(envelope))
    APPLIED.labels(consumer, envelope.event_type).inc()
    return True


async def park(
    pool: asyncpg.Pool, consumer: str, raw: Any, envelope: EnvelopeHead | None, error: str
) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await offsets.record(conn, consumer, raw.topic, raw.partition, raw.offset)
        await conn.execute(
            """INSERT INTO dead_letter (consumer, topic, kafka_partition, kafka_offset,
                                        event_id, event_type, body, error)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING""",
            consumer,
            raw.topic,
            raw.partition,
            raw.offset,
            envelope.event_id if envelope else None,
            envelope.event_type if envelope else None,
            raw.value,
            error,
        )
    PARKED.labels(consumer).inc()
    log.error("inbox.dead_letter", topic=raw.topic, offset=raw.offset, error=error)


async def handle_message(
    pool: asyncpg.Pool,
    consumer: str,
    routes: Mapping[str, Route],
    msg: KafkaMessage,
    *,
    max_backoff: float = 10.0,
) -> None:
    raw = msg.raw_message
    assert not isinstance(raw, tuple)
    at = Position(consumer, raw.topic, raw.partition, raw.offset)
    named = _named_type(raw.headers)
    if named is not None and named not in routes:
        # not for this consumer by the type the outbox wrote in its header: only the position
        # moves, and its body (another consumer's chunk of 1,000 rows) is not read
        await _retry(lambda: _passed(pool, at), max_backoff)
        await msg.ack()
        return
    try:
        envelope, event = _opened(raw.value or b"", named, routes)
    except ValidationError as exc:
        reason = describe(exc, "envelope")
        await _retry(lambda: park(pool, consumer, raw, None, reason), max_backoff)
        await msg.ack()
        return
    bound = routes.get(envelope.event_type)
    if bound is None:  # not for this consumer: only the position moves
        await _retry(lambda: _passed(pool, at), max_backoff)
    else:
        contract, handler = bound

        async def attempt() -> None:
            try:
                await apply_once(pool, consumer, envelope, contract, handler, at, event)
            except TRANSIENT:
                FAILED.labels(consumer, "transient").inc()
                raise
            except ContractBroken as exc:
                FAILED.labels(consumer, "contract").inc()
                await park(pool, consumer, raw, envelope, str(exc))
            except Exception as exc:  # a bug or a contract break: park it, keep the partition
                FAILED.labels(consumer, "permanent").inc()
                log.exception("inbox.handler_failed", event_type=envelope.event_type)
                await park(pool, consumer, raw, envelope, repr(exc))

        trace = envelope.trace_id or envelope.correlation_id or str(envelope.event_id)
        token = current_trace.set(trace)
        try:
            with structlog.contextvars.bound_contextvars(
                trace_id=trace,
                event_id=str(envelope.event_id),
                event_type=envelope.event_type,
                correlation_id=envelope.correlation_id,
                district=envelope.district_code,
            ):
                await _retry(attempt, max_backoff)
        finally:
            current_trace.reset(token)
    await msg.ack()


def _opened(
    value: bytes, named: str | None, routes: Mapping[str, Route]
) -> tuple[EnvelopeHead, EventPayload | None]:
    """The envelope, and its event when it was read with it: the type the header names is
    read in one pass, envelope and payload; anything else (no header, or bytes that do not
    fit) the long way, whose errors name the fault. Raises ``ValidationError`` for bytes that
    are no envelope."""
    read = Envelope.read_as(value, routes[named][0]) if named else None
    if read is not None:
        return read
    return Envelope.from_bytes(value), None


def _named_type(headers: Any) -> str | None:
    """The ``event_type`` header (``Envelope.headers``), if the record has one."""
    for key, value in headers or ():
        if key == "event_type" and value:
            try:
                return bytes(value).decode()
            except UnicodeDecodeError:
                return None
    return None


async def _passed(pool: asyncpg.Pool, at: Position) -> None:
    async with pool.acquire() as conn:
        await offsets.record(conn, at.consumer, at.topic, at.partition, at.offset)


def routes_of(handlers: Handlers) -> dict[str, Route]:
    """Event type → the class to open it as and the handler to give it to."""
    return {contract.event_type: (contract, handler) for contract, handler in handlers.items()}


async def _retry(step: Callable[[], Awaitable[None]], max_backoff: float) -> None:
    backoff = 0.2
    while True:
        try:
            await step()
            return
        except TRANSIENT as exc:
            log.warning("inbox.transient_error", error=repr(exc), retry_in=backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, max_backoff)


async def _undecoded(message: StreamMessage[Any]) -> StreamMessage[Any]:
    """The message itself, undecoded: ``handle_message`` reads the envelope from the raw
    record, so FastStream's own JSON decoding of every body (a whole chunk of 1,000 rows)
    would be thrown away; and the handler takes it as its argument, not from the context
    (which FastDepends resolves in a worker thread, for every message)."""
    return message


def subscribe(
    broker: KafkaBroker,
    pool: asyncpg.Pool | Callable[[], asyncpg.Pool],
    *,
    topics: list[str],
    consumer: str,
    handlers: Handlers,
    session_timeout_ms: int = 10_000,
    delay: float = 0.0,
) -> None:
    """Bind ``handlers`` (by event class) to ``topics`` as consumer group ``consumer``,
    its session timeout ``session_timeout_ms`` (``KAFKA_SESSION_TIMEOUT_MS``), heartbeats at
    a third of it.

    ``delay`` (tests only: ``TEST_INBOX_DELAY_SECONDS``) holds each message that long before
    it is handled, to keep a read model behind on purpose."""
    routes = routes_of(handlers)
    if delay:
        log.warning("inbox.test_delay", consumer=consumer, seconds=delay)

    async def on_message(msg: Any) -> None:  # the KafkaMessage, from ``_undecoded``
        if delay:
            await asyncio.sleep(delay)
        await handle_message(resolve(), consumer, routes, msg)

    def resolve() -> asyncpg.Pool:
        return pool() if callable(pool) else pool

    subscriber: Any = None
    subscriber = broker.subscriber(
        *topics,
        group_id=consumer,
        session_timeout_ms=session_timeout_ms,
        heartbeat_interval_ms=session_timeout_ms // 3,
        ack_policy=AckPolicy.MANUAL,
        auto_offset_reset="earliest",
        listener=SeekStored(resolve, consumer, lambda: subscriber.consumer),
        decoder=_undecoded,
    )
    subscriber(on_message)
