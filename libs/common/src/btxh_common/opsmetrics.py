"""What the alerts read (``deploy/k8s/monitoring``): metrics every service exports on /metrics.

- ``btxh_http_requests_total{method,route,status}``: every answer, by route template (never
  the raw path: it may hold an ID), counted by the request middleware (5xx rate alert);
- ``btxh_dead_letter_rows{consumer}``: rows in ``dead_letter`` (an operator replays or
  deletes them, see deploy/README.md);
- ``btxh_consumer_lag_messages{consumer,topic}``: per consumer group and topic, messages not
  yet committed (the topic's end offsets minus the group's committed offsets);
- the outbox gauges (``btxh_outbox_lag_seconds``, ``btxh_outbox_pending``,
  ``btxh_outbox_parked_rows``), measured here too, from every replica: the relay measures
  them only when idle, so a relay stuck on one message would otherwise show a frozen age.

A service adds its own gauges (``ServiceSpec.gauges``: a function of a connection that sets
them). Every ``METRICS_REFRESH_SECONDS`` the state is read again; a failure is logged and
tried again at the next round (the gauges keep their last value).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import Counter, Gauge

from btxh_common.broker import NO_AUTH, KafkaAuth
from btxh_common.logs import get_logger
from btxh_common.offsets import Position, applied_before
from btxh_common.offsets import stored as stored_positions
from btxh_common.outbox import OutboxRelay

log = get_logger(__name__)

HTTP_REQUESTS = Counter(
    "btxh_http_requests_total",
    "HTTP answers by method, route template and status code",
    ["method", "route", "status"],
)
DEAD_LETTERS = Gauge(
    "btxh_dead_letter_rows", "Consumed events parked in dead_letter (alert above 0)", ["consumer"]
)
CONSUMER_LAG = Gauge(
    "btxh_consumer_lag_messages",
    "Messages of a topic its consumer group has not yet committed",
    ["consumer", "topic"],
)

StateGauge = Callable[[asyncpg.Connection], Awaitable[None]]


def route_of(scope: Mapping[str, Any]) -> str:
    """The matched route's template (``/v1/imports/{upload_id}``), bounded in number."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "(unmatched)"


@dataclass
class Subscribed:
    """Stands in for the broker while a service subscribes: records each consumer group's
    topics (``groups``) and every topic asked for (``topics``). With a real ``broker`` it
    passes every call on to it (the running service); without, it keeps each group's message
    handler (``handlers``) and binds nothing (the deploy check reading what a service
    consumes, ``btxh-dead-letters`` replaying a message through its handler)."""

    broker: Any = None
    groups: dict[str, set[str]] = field(default_factory=dict)
    topics: set[str] = field(default_factory=set)
    handlers: dict[str, Callable[..., Any]] = field(default_factory=dict)

    def subscriber(self, *topics: str, group_id: str | None = None, **kwargs: Any) -> Any:
        self.topics.update(topics)
        if group_id:
            self.groups.setdefault(group_id, set()).update(topics)
        if self.broker is not None:
            return self.broker.subscriber(*topics, group_id=group_id, **kwargs)

        def keep(handler: Callable[..., Any]) -> Callable[..., Any]:
            if group_id:
                self.handlers[group_id] = handler
            return handler

        return keep

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or self.broker is None:
            raise AttributeError(name)
        return getattr(self.broker, name)


async def dead_letters(conn: asyncpg.Connection, consumers: Sequence[str]) -> None:
    rows = await conn.fetch("SELECT consumer, count(*) AS n FROM dead_letter GROUP BY consumer")
    counts = {c: 0 for c in consumers} | {r["consumer"]: int(r["n"]) for r in rows}
    for consumer, n in counts.items():
        DEAD_LETTERS.labels(consumer).set(n)


async def consumer_lag(
    bootstrap: str,
    groups: Mapping[str, set[str]],
    auth: KafkaAuth = NO_AUTH,
    positions: Sequence[Position] | None = None,
    applied_before_positions: bool = False,
) -> dict[tuple[str, str], int]:
    """Per (group, topic): the topic's end offsets minus where the group is. Where it is, as
    the consumer seeks on assignment (``btxh_common.offsets``): after the position its
    database holds (``positions``, its ``consumer_offset``, which a restore puts behind
    Kafka's committed offset); for a partition it holds none for, at the start of the topic,
    or, for a database that applied events before it kept positions (or without
    ``positions``), at what the group committed to Kafka. Sets
    ``btxh_consumer_lag_messages``."""
    trust_kafka = positions is None or applied_before_positions
    held = {(p.consumer, p.topic, p.partition): p.offset + 1 for p in positions or ()}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **auth.client_kwargs())
    reader = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, **auth.client_kwargs()
    )
    await admin.start()
    await reader.start()
    try:
        await reader.topics()  # loads the cluster's metadata
        lag: dict[tuple[str, str], int] = {}
        for group, topics in groups.items():
            parts = [
                TopicPartition(t, p) for t in topics for p in reader.partitions_for_topic(t) or ()
            ]
            if not parts:
                continue
            committed = await admin.list_consumer_group_offsets(group, partitions=parts)
            ends = await reader.end_offsets(parts)
            starts = await reader.beginning_offsets(parts)
            for tp in parts:
                done = committed.get(tp)
                where = (group, tp.topic, tp.partition)
                if where in held:
                    at = held[where]
                elif trust_kafka and done is not None and done.offset >= 0:
                    at = done.offset
                else:
                    at = starts[tp]
                key = (group, tp.topic)
                lag[key] = lag.get(key, 0) + max(ends[tp] - at, 0)
        for (group, topic), n in lag.items():
            CONSUMER_LAG.labels(group, topic).set(n)
        return lag
    finally:
        await reader.stop()
        await admin.close()


@dataclass
class StateMetrics:
    """The loop that keeps the gauges above (and a service's own) up to date."""

    pool: Callable[[], asyncpg.Pool]
    bootstrap: str
    groups: Mapping[str, set[str]]
    auth: KafkaAuth = NO_AUTH
    gauges: Sequence[StateGauge] = ()
    every_seconds: float = 15.0

    async def refresh(self) -> None:
        async with self.pool().acquire() as conn:
            await OutboxRelay._measure_lag(conn)
            await dead_letters(conn, sorted(self.groups))
            for gauge in self.gauges:
                await gauge(conn)
            held = await stored_positions(conn)
            upgraded = await applied_before(conn)
        if self.groups:
            await consumer_lag(self.bootstrap, self.groups, self.auth, held, upgraded)

    async def run(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception as exc:  # database or broker outage: the next round tries again
                log.warning("metrics.refresh_failed", error=repr(exc))
            await asyncio.sleep(self.every_seconds)
