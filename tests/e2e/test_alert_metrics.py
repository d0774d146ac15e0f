"""Issue 21: each alert of ``deploy/k8s/monitoring`` reads a metric the service really exports,
and that metric moves when the alert's condition happens on the local stack (real processes,
real PostgreSQL, the real broker); every value is read by scraping the service's /metrics.

How each condition is brought about:
- dead letters and consumer lag: events that break their contract put on the topic import-svc
  consumes, consumed slowly (``TEST_INBOX_DELAY_SECONDS``);
- quarantine: an unsigned post-office message on ``postoffice.inbound``;
- package in alert: a list submitted to settlement-svc with no post office to answer, one
  attempt allowed;
- relay lag: an outbox row the relay is not told of (written with the database's triggers
  off, so no NOTIFY, and the relay's poll made longer than the test), ten minutes old;
- parked outbox message: an outbox row larger than the broker takes (written as code older
  than the enqueue bound could have);
- overdue settlement: an open settlement whose deadline has passed (written in the database:
  a month cannot be waited for), which settlement-svc's own timer marks overdue;
- upload stuck in parsing: a file in ``parsing`` for two hours that no worker picks up
  (written in the database, with the worker's poll made longer than the test);
- 5xx: import-svc's database stops taking connections.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import pytest_asyncio
import yaml
from aiokafka import AIOKafkaProducer
from btxh_common.chunks import split
from btxh_common.envelope import Envelope, EventPayload
from btxh_common.events import PaymentListSubmitted, PaymentListSubmittedChunk
from btxh_common.outbox import make_producer
from btxh_common.postoffice import PaymentResults, PersonResult
from btxh_common.topics import (
    BENEFICIARY_EVENTS,
    PAYMENT_EVENTS,
    POSTOFFICE_INBOUND,
    SETTLEMENT_EVENTS,
)
from btxh_tools import deploy_ops
from btxh_tools.harness import Stack, start_stack
from prometheus_client.parser import text_string_to_metric_families

D = "001"
FAST = {"METRICS_REFRESH_SECONDS": "0.3"}
ENV = {
    "settlement-svc": FAST
    | {"RESEND_BASE_SECONDS": "1", "RESEND_MAX_SECONDS": "1", "SCAN_SECONDS": "0.3"}
    | {"RESEND_MAX_ATTEMPTS": "1", "OUTBOX_POLL_SECONDS": "3600"},
    "import-svc": FAST | {"TEST_INBOX_DELAY_SECONDS": "1", "IMPORT_POLL_SECONDS": "3600"},
    "payment-svc": FAST,
}


@pytest_asyncio.fixture(scope="module")
async def world(pg_server: str, kafka_bootstrap: str, module_tmp: Path) -> AsyncIterator[Stack]:
    names = ["import-svc", "payment-svc", "settlement-svc"]
    async with start_stack(pg_server, kafka_bootstrap, module_tmp, names, env=ENV) as run:
        yield run


@pytest_asyncio.fixture(scope="module")
async def producer(world: Stack) -> AsyncIterator[AIOKafkaProducer]:
    p = make_producer(world.bootstrap)
    await p.start()
    yield p
    await p.stop()


async def scrape(world: Stack, service: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    async with httpx.AsyncClient(base_url=world.urls[service], timeout=10) as h:
        text = (await h.get("/metrics/")).text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def metric(world: Stack, service: str, name: str, **labels: str) -> float:
    """The sum of ``name``'s samples whose labels include ``labels`` (0 when none)."""
    samples = await scrape(world, service)
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


async def until(what: str, check: Callable[[], Awaitable[bool]], timeout: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if await check():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"never: {what}")


async def above(world: Stack, service: str, name: str, floor: float, **labels: str) -> bool:
    return await metric(world, service, name, **labels) > floor


async def test_dead_letters_and_consumer_lag(world: Stack, producer: AIOKafkaProducer) -> None:
    topic = world.topic(BENEFICIARY_EVENTS)
    labels = {"consumer": "import-svc"}
    assert await metric(world, "import-svc", "btxh_dead_letter_rows", **labels) == 0
    for n in range(6):
        await producer.send_and_wait(topic, b'{"not": "an envelope %d"}' % n, key=D.encode())
    # consumed one a second: the group is behind while they wait
    await until(
        "lag seen",
        lambda: above(world, "import-svc", "btxh_consumer_lag_messages", 2, topic=topic, **labels),
    )
    await until(
        "six dead letters",
        lambda: above(world, "import-svc", "btxh_dead_letter_rows", 5, **labels),
    )
    assert await metric(world, "import-svc", "btxh_dead_letter_rows", **labels) == 6
    await until(
        "caught up",
        lambda: _is_zero(metric(world, "import-svc", "btxh_consumer_lag_messages", topic=topic)),
    )


async def _is_zero(value: Awaitable[float]) -> bool:
    return await value == 0


async def test_an_unsigned_post_office_message_is_counted_in_the_quarantine(
    world: Stack, producer: AIOKafkaProducer
) -> None:
    assert await metric(world, "settlement-svc", "btxh_postoffice_quarantine_recent") == 0
    said = PaymentResults(
        package_id=uuid4(),
        version=1,
        part=0,
        parts=1,
        results=[PersonResult(line_id=uuid4(), status="paid")],
    )
    e = Envelope.wrap(said, producer="postoffice-sim", district_code=D)
    await producer.send_and_wait(
        world.topic(POSTOFFICE_INBOUND), e.to_bytes(), key=e.key(), headers=e.headers()
    )
    await until(
        "quarantined",
        lambda: above(world, "settlement-svc", "btxh_postoffice_quarantine_recent", 0),
    )
    assert await metric(world, "settlement-svc", "btxh_postoffice_quarantine_recent") == 1


def lines(n: int) -> list[dict[str, Any]]:
    return [
        {
            "line_id": str(uuid4()),
            "beneficiary_id": str(uuid4()),
            "national_id": f"0010000000{i:02d}",
            "full_name": f"Người nhận {i}",
            "commune_code": "00001",
            "payment_channel": "cash",
            "bank_account": None,
            "amount": 500_000,
            "allowance": 500_000,
            "arrears": 0,
            "carried_over": 0,
            "recovery": 0,
            "kind": "monthly",
        }
        for i in range(n)
    ]


async def test_a_package_nobody_answers_goes_to_alert(
    world: Stack, producer: AIOKafkaProducer
) -> None:
    assert await metric(world, "settlement-svc", "btxh_packages_in_alert") == 0
    chunks, manifest = split(lines(3), uuid4(), amount_field="amount")
    payloads: list[EventPayload] = [PaymentListSubmittedChunk(chunk=c) for c in chunks]
    list_id = uuid4()
    payloads.append(
        PaymentListSubmitted(
            list_id=list_id,
            period="2026-11",
            kind="monthly",
            version=1,
            submitted_by="officer",
            manifest=manifest,
        )
    )
    for payload in payloads:
        e = Envelope.wrap(
            payload, producer="payment-svc", district_code=D, correlation_id=str(list_id)
        )
        await producer.send_and_wait(
            world.topic(PAYMENT_EVENTS), e.to_bytes(), key=e.key(), headers=e.headers()
        )
    await until("in alert", lambda: above(world, "settlement-svc", "btxh_packages_in_alert", 0))
    assert await metric(world, "settlement-svc", "btxh_packages_in_alert") == 1


async def test_a_message_the_broker_refuses_is_parked(world: Stack) -> None:
    assert await metric(world, "settlement-svc", "btxh_outbox_parked_rows") == 0
    env = Envelope(
        event_type="Oversized",
        schema_version=1,
        producer="settlement-svc",
        district_code=D,
        payload={"note": "x" * (9 * 1024 * 1024)},
    )
    db = await asyncpg.connect(world.dsns["settlement-svc"])
    try:
        await db.execute(
            """INSERT INTO outbox (event_id, topic, key, event_type, headers, body)
               VALUES ($1, $2, $3, $4, $5, $6)""",
            env.event_id,
            world.topic(SETTLEMENT_EVENTS),
            D,
            env.event_type,
            json.dumps({k: v.decode() for k, v in env.headers()}),
            env.to_bytes(),
        )
    finally:
        await db.close()
    await until("parked", lambda: above(world, "settlement-svc", "btxh_outbox_parked_rows", 0))
    assert await metric(world, "settlement-svc", "btxh_outbox_parked_total") == 1


async def test_an_event_the_relay_does_not_get_to_shows_its_age(world: Stack) -> None:
    assert await metric(world, "settlement-svc", "btxh_outbox_lag_seconds") == 0
    env = Envelope(
        event_type="Noise", schema_version=1, producer="settlement-svc", district_code=D, payload={}
    )
    db = await asyncpg.connect(world.dsns["settlement-svc"])
    try:
        async with db.transaction():
            await db.execute("SET LOCAL session_replication_role = replica")  # no NOTIFY
            await db.execute(
                """INSERT INTO outbox (event_id, topic, key, event_type, headers, body,
                                       created_at)
                   VALUES ($1, $2, $3, $4, '{}', $5, now() - interval '10 minutes')""",
                env.event_id,
                world.topic(SETTLEMENT_EVENTS),
                D,
                env.event_type,
                env.to_bytes(),
            )
        await until(
            "lag seen", lambda: above(world, "settlement-svc", "btxh_outbox_lag_seconds", 600)
        )
        assert await metric(world, "settlement-svc", "btxh_outbox_pending") == 1
        await db.execute("NOTIFY outbox")  # the relay is woken: it publishes, the age falls
        await until(
            "published",
            lambda: _is_zero(metric(world, "settlement-svc", "btxh_outbox_pending")),
        )
        assert await metric(world, "settlement-svc", "btxh_outbox_lag_seconds") == 0
    finally:
        await db.close()


async def test_a_settlement_past_its_deadline_is_counted_overdue(world: Stack) -> None:
    assert await metric(world, "settlement-svc", "btxh_settlements_overdue") == 0
    package, settlement = uuid4(), uuid4()
    db = await asyncpg.connect(world.dsns["settlement-svc"])
    try:
        await db.execute(
            """INSERT INTO package (id, version, list_id, district_code, period, kind,
                   line_count, total_amount, sha256, state)
               VALUES ($1, 1, $2, $3, '2026-09', 'monthly', 1, 500000, 'x', 'acknowledged')""",
            package,
            uuid4(),
            D,
        )
        await db.execute(
            """INSERT INTO settlement (id, package_id, list_id, district_code, period,
                   deadline, state)
               VALUES ($1, $2, $3, $4, '2026-09', current_date - 30, 'open')""",
            settlement,
            package,
            uuid4(),
            D,
        )
        await until(
            "overdue", lambda: above(world, "settlement-svc", "btxh_settlements_overdue", 0)
        )
        # settlement-svc's own timer marked it, not the test
        assert await db.fetchval(
            "SELECT overdue_since IS NOT NULL FROM settlement WHERE id = $1", settlement
        )
    finally:
        await db.close()


async def test_an_upload_nobody_parses_shows_its_age(world: Stack) -> None:
    assert await metric(world, "import-svc", "btxh_import_parsing_batches") == 0
    batch = uuid4()
    db = await asyncpg.connect(world.dsns["import-svc"])
    try:
        await db.execute(
            """INSERT INTO import_batch (id, upload_id, district_code, kind, file_name, status,
                   created_by, created_at)
               VALUES ($1, $2, $3, 'info', 'a.xlsx', 'parsing', 'officer',
                       now() - interval '2 hours')""",
            batch,
            uuid4(),
            D,
        )
    finally:
        await db.close()
    await until(
        "stuck", lambda: above(world, "import-svc", "btxh_import_parsing_oldest_seconds", 7000)
    )
    assert await metric(world, "import-svc", "btxh_import_parsing_batches") == 1


async def test_a_list_whose_record_waits_shows_its_age(world: Stack) -> None:
    """A list generated two hours ago and not yet recorded, held by a transaction (so the
    recorder, which skips a list another transaction holds, leaves it): its age shows; let go,
    the recorder records it and the gauge falls back to 0."""
    assert await metric(world, "payment-svc", "btxh_lists_unrecorded") == 0
    list_id = uuid4()
    db = await asyncpg.connect(world.dsns["payment-svc"])
    try:
        await db.execute(
            """INSERT INTO payment_period (district_code, month, status, opened_by, level)
               VALUES ($1, '2026-01-01', 'open', 'officer', 2500000)""",
            D,
        )
        async with db.transaction():
            await db.execute(
                """INSERT INTO payment_list (id, district_code, month, kind, version, status,
                       level, created_by, created_at, recorded)
                   VALUES ($1, $2, '2026-01-01', 'monthly', 1, 'draft', 2500000, 'officer',
                           now() - interval '2 hours', false)""",
                list_id,
                D,
            )
        async with db.transaction():
            await db.execute("SELECT 1 FROM payment_list WHERE id = $1 FOR UPDATE", list_id)
            await until(
                "waiting",
                lambda: above(world, "payment-svc", "btxh_lists_unrecorded_oldest_seconds", 7000),
            )
            assert await metric(world, "payment-svc", "btxh_lists_unrecorded") == 1
        await until(
            "recorded",
            lambda: db.fetchval("SELECT recorded FROM payment_list WHERE id = $1", list_id),
        )
        await until(
            "back to 0",
            lambda: _is(world, "payment-svc", "btxh_lists_unrecorded_oldest_seconds", 0),
        )
    finally:
        await db.close()


async def _is(world: Stack, service: str, name: str, value: float) -> bool:
    return await metric(world, service, name) == value


async def test_server_errors_are_counted_by_route(world: Stack, pg_server: str) -> None:
    name = "btxh_http_requests_total"
    route = {"route": "/v1/imports", "method": "GET"}
    headers = world.token(D)
    async with httpx.AsyncClient(base_url=world.urls["import-svc"], timeout=30) as h:
        ok = await h.get("/v1/imports", params={"district": D}, headers=headers)
        assert ok.status_code == 200, ok.text
        assert await metric(world, "import-svc", name, status="200", **route) >= 1
        assert await _server_errors(world, route) == 0
        database = world.dsns["import-svc"].rsplit("/", 1)[1]
        admin = await asyncpg.connect(pg_server)
        try:
            await admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                database,
            )
            failed = await h.get("/v1/imports", params={"district": D}, headers=headers)
        finally:
            await admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
            await admin.close()
        assert failed.status_code >= 500
    assert await _server_errors(world, route) == 1


async def _server_errors(world: Stack, route: dict[str, str]) -> float:
    samples = await scrape(world, "import-svc")
    wanted = set(route.items())
    return sum(
        v
        for (n, labels), v in samples.items()
        if n == "btxh_http_requests_total" and wanted <= labels and dict(labels)["status"] >= "500"
    )


# What each test above moves; Prometheus's own ``up`` needs no service.
MOVED = {
    "btxh_dead_letter_rows",
    "btxh_consumer_lag_messages",
    "btxh_postoffice_quarantine_recent",
    "btxh_packages_in_alert",
    "btxh_outbox_lag_seconds",
    "btxh_outbox_parked_rows",
    "btxh_settlements_overdue",
    "btxh_import_parsing_oldest_seconds",
    "btxh_lists_unrecorded_oldest_seconds",
    "btxh_http_requests_total",
    "up",
}


def test_every_alert_reads_a_metric_moved_here() -> None:
    """A new alert needs its condition brought about in this file too."""
    rules = yaml.safe_load((deploy_ops.MONITORING / "rules.yaml").read_text())
    read = {
        name
        for group in rules["spec"]["groups"]
        for rule in group["rules"]
        for name in deploy_ops.metric_names(str(rule["expr"]))
    }
    assert read == MOVED
