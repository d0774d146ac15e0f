"""Seed 002 end to end: settlement-svc and the post-office simulator over the real broker.

Each scenario uses its own district. The test plays payment-svc where it only needs to hand a
list over (PaymentListSubmitted on the bus); the non-integrated district goes through the
real payment-svc, reconciled by hand with DVCT_01/02.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest_asyncio
from aiokafka import AIOKafkaProducer
from btxh_common.auth import Role
from btxh_common.chunks import split
from btxh_common.envelope import Envelope
from btxh_common.events import (
    BeneficiaryRegistered,
    BeneficiarySnapshot,
    PaymentListSubmitted,
    PaymentListSubmittedChunk,
)
from btxh_common.outbox import make_producer
from btxh_common.po_sign import DEV_SIGNER
from btxh_common.postoffice import PackageRejected, PaymentResults, PersonResult, SettlementReport
from btxh_common.topics import (
    BENEFICIARY_EVENTS,
    PAYMENT_EVENTS,
    POSTOFFICE_INBOUND,
    POSTOFFICE_OUTBOUND,
)
from btxh_tools.harness import Stack, start_stack
from btxh_tools.postoffice_sim import Behaviour, PostOffice, running

FAST = {
    "RESEND_BASE_SECONDS": "1",
    "RESEND_MAX_SECONDS": "2",
    "SCAN_SECONDS": "0.3",
    "RESEND_MAX_ATTEMPTS": "4",
}


@pytest_asyncio.fixture(scope="module")
async def svc(pg_server: str, kafka_bootstrap: str, module_tmp: Path) -> AsyncIterator[Stack]:
    async with start_stack(
        pg_server,
        kafka_bootstrap,
        module_tmp,
        ["settlement-svc", "payment-svc"],
        env={"settlement-svc": FAST},
    ) as run:
        yield run


@pytest_asyncio.fixture(scope="module")
async def post_office(svc: Stack) -> AsyncIterator[PostOffice]:
    sim = PostOffice(
        svc.bootstrap,
        Behaviour(results_delay=0.2, pay_share=0.8),
        outbound=svc.topic(POSTOFFICE_OUTBOUND),
        inbound=svc.topic(POSTOFFICE_INBOUND),
        group=f"sim-{uuid4().hex[:6]}",
    )
    async with running(sim):
        yield sim


@pytest_asyncio.fixture(scope="module")
async def producer(svc: Stack) -> AsyncIterator[AIOKafkaProducer]:
    p = make_producer(svc.bootstrap)
    await p.start()
    yield p
    await p.stop()


@pytest_asyncio.fixture
async def db(svc: Stack) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(svc.dsns["settlement-svc"])
    yield conn
    await conn.close()


def lines(n: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        allowance = rng.choice((360_000, 500_000, 750_000, 1_000_000))
        out.append(
            {
                "line_id": str(uuid4()),
                "beneficiary_id": str(uuid4()),
                "national_id": f"001{rng.randrange(10**9):09d}",
                "full_name": f"Người nhận {i}",
                "commune_code": "00001",
                "payment_channel": "cash",
                "bank_account": None,
                "amount": allowance,
                "allowance": allowance,
                "arrears": 0,
                "carried_over": 0,
                "recovery": 0,
                "kind": "monthly",
            }
        )
    return out


async def submit(
    svc: Stack,
    producer: AIOKafkaProducer,
    district: str,
    rows: list[dict[str, Any]],
    *,
    list_id: UUID,
    version: int = 1,
    period: str = "2026-11",
    twice: bool = False,
    shuffle: bool = False,
) -> None:
    """What payment-svc publishes when an officer submits a list."""
    chunks, manifest = split(rows, uuid4(), amount_field="amount")
    envelopes = [
        Envelope.wrap(
            PaymentListSubmittedChunk(chunk=c),
            producer="payment-svc",
            district_code=district,
            correlation_id=str(list_id),
        )
        for c in chunks
    ]
    envelopes.append(
        Envelope.wrap(
            PaymentListSubmitted(
                list_id=list_id,
                period=period,
                kind="monthly",
                version=version,
                submitted_by="officer",
                manifest=manifest,
            ),
            producer="payment-svc",
            district_code=district,
            correlation_id=str(list_id),
        )
    )
    if shuffle:
        random.Random(1).shuffle(envelopes)
    for e in envelopes * (2 if twice else 1):
        await producer.send_and_wait(
            svc.topic(PAYMENT_EVENTS), e.to_bytes(), key=e.key(), headers=e.headers()
        )


async def until(what: str, check: Callable[[], Awaitable[Any]], timeout: float = 60) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if value := await check():
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"never: {what}")


async def events(db: asyncpg.Connection, district: str, event_type: str) -> list[dict[str, Any]]:
    rows = await db.fetch(
        "SELECT body FROM outbox WHERE key = $1 AND event_type = $2 ORDER BY id",
        district,
        event_type,
    )
    return [json.loads(r["body"]) for r in rows]


async def package_state(db: asyncpg.Connection, list_id: UUID, version: int = 1) -> str | None:
    return await db.fetchval(
        "SELECT state FROM package WHERE list_id = $1 AND version = $2", list_id, version
    )


async def settings(svc: Stack, district: str, **values: Any) -> None:
    body = {
        "list_cutoff_day": 20,
        "settlement_cutoff_day": "last",
        "months_per_settlement": 1,
        "integrated": True,
        **values,
    }
    async with httpx.AsyncClient(
        base_url=svc.urls["settlement-svc"],
        headers=svc.token(district, role=Role.DISTRICT_SUPERVISOR),
    ) as h:
        answer = await h.put(f"/v1/districts/{district}/payment-unit-settings", json=body)
        assert answer.status_code == 200, answer.text


async def test_a_normal_month(
    svc: Stack, post_office: PostOffice, producer: AIOKafkaProducer, db: asyncpg.Connection
) -> None:
    list_id, rows = uuid4(), lines(2_500, 1)
    await submit(svc, producer, "001", rows, list_id=list_id)
    await until("acknowledged", lambda: _is(package_state(db, list_id), "acknowledged"))
    settlement = await until(
        "settlement received",
        lambda: db.fetchrow(
            "SELECT * FROM settlement WHERE list_id = $1 AND state = 'received'", list_id
        ),
    )
    report = json.loads(settlement["report"])
    assert report["paid_count"] + report["unpaid_count"] == 2_500
    assert report["paid_amount"] + report["unpaid_amount"] == sum(r["amount"] for r in rows)
    results = await events(db, "001", "PaymentResultsReceived")
    assert sum(len(e["payload"]["results"]) for e in results) == 2_500
    async with httpx.AsyncClient(
        base_url=svc.urls["settlement-svc"], headers=svc.token("001")
    ) as h:
        closed = await h.post(f"/v1/settlements/{settlement['id']}/close", json={})
        assert closed.status_code == 200, closed.text
        assert closed.json()["state"] == "closed"
        again = await h.post(f"/v1/settlements/{settlement['id']}/close", json={})
        assert again.json()["code"] == "settlement_closed"
    assert [
        len(await events(db, "001", t))
        for t in (
            "PaymentListSent",
            "PaymentListAcknowledged",
            "SettlementReceived",
            "SettlementClosed",
        )
    ] == [1, 1, 1, 1]


async def _is(value: Awaitable[Any], expected: Any) -> bool:
    return bool(await value == expected)


async def test_a_changed_list_is_recalled_then_resent(
    svc: Stack, post_office: PostOffice, producer: AIOKafkaProducer, db: asyncpg.Connection
) -> None:
    list_id, rows = uuid4(), lines(30, 2)
    post_office.behaviour.settle = False
    post_office.behaviour.results_delay = 60  # nobody paid yet: a paid package is not recalled
    try:
        await submit(svc, producer, "002", rows, list_id=list_id, version=1)
        await until("v1 acknowledged", lambda: _is(package_state(db, list_id, 1), "acknowledged"))
        changed = [
            *rows[:-1],
            {**rows[-1], "amount": rows[-1]["amount"] + 500_000, "arrears": 500_000},
        ]
        await submit(svc, producer, "002", changed, list_id=list_id, version=2)
        await until("v2 acknowledged", lambda: _is(package_state(db, list_id, 2), "acknowledged"))
    finally:
        post_office.behaviour.settle = True
        post_office.behaviour.results_delay = 0.2
    assert await package_state(db, list_id, 1) == "recalled"
    holding = [p for p in post_office.holding() if p.manifest and p.manifest.list_id == list_id]
    assert [(p.version, p.manifest.manifest.total_amount) for p in holding if p.manifest] == [
        (2, sum(r["amount"] for r in changed))
    ]
    rejected = await events(db, "002", "PaymentListRejected")
    assert [e["payload"]["recalled"] for e in rejected] == [True]


async def test_duplicated_and_reordered_messages_change_nothing(
    svc: Stack, post_office: PostOffice, producer: AIOKafkaProducer, db: asyncpg.Connection
) -> None:
    list_id, rows = uuid4(), lines(3_200, 3)
    post_office.behaviour.duplicate = True
    try:
        await submit(svc, producer, "003", rows, list_id=list_id, twice=True, shuffle=True)
        await until(
            "settlement received",
            lambda: db.fetchval(
                "SELECT state FROM settlement WHERE list_id = $1 AND state = 'received'", list_id
            ),
        )
        await asyncio.sleep(1)  # let the duplicates arrive
    finally:
        post_office.behaviour.duplicate = False
    assert await db.fetchval("SELECT count(*) FROM package WHERE list_id = $1", list_id) == 1
    results = await events(db, "003", "PaymentResultsReceived")
    reported = [r["line_id"] for e in results for r in e["payload"]["results"]]
    assert len(reported) == len(set(reported)) == 3_200, "every person reported exactly once"
    assert len(await events(db, "003", "SettlementReceived")) == 1
    assert len(await events(db, "003", "PaymentListAcknowledged")) == 1


async def test_a_checksum_mismatch_leads_to_a_resend(
    svc: Stack, post_office: PostOffice, producer: AIOKafkaProducer, db: asyncpg.Connection
) -> None:
    list_id = uuid4()
    post_office.behaviour.corrupt_acks = 1
    await submit(svc, producer, "004", lines(40, 4), list_id=list_id)
    await until("acknowledged", lambda: _is(package_state(db, list_id), "acknowledged"))
    attempts = await db.fetchval("SELECT attempts FROM package WHERE list_id = $1", list_id)
    assert attempts == 2, "sent, acknowledged wrongly, sent again, acknowledged"
    manifests = [t for t in post_office.received if t == "PackageManifest"]
    assert len(manifests) >= 2


async def test_a_post_office_gone_silent_gets_resends_then_an_alert(
    svc: Stack, post_office: PostOffice, producer: AIOKafkaProducer, db: asyncpg.Connection
) -> None:
    list_id = uuid4()
    post_office.behaviour.silent = True
    try:
        await submit(svc, producer, "007", lines(10, 7), list_id=list_id)
        await until("alert", lambda: _is(package_state(db, list_id), "alert"), timeout=60)
    finally:
        post_office.behaviour.silent = False
    assert await db.fetchval("SELECT attempts FROM package WHERE list_id = $1", list_id) == 4
    package = await db.fetchval("SELECT id FROM package WHERE list_id = $1", list_id)
    async with httpx.AsyncClient(
        base_url=svc.urls["settlement-svc"], headers=svc.token("007")
    ) as h:
        retried = await h.post(f"/v1/packages/{package}/retry")
        assert retried.status_code == 200, retried.text
    await until(
        "acknowledged after the officer's retry",
        lambda: _is(package_state(db, list_id), "acknowledged"),
    )


async def test_a_late_settlement_overdue_extended_received_closed(
    svc: Stack, post_office: PostOffice, producer: AIOKafkaProducer, db: asyncpg.Connection
) -> None:
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    target = today - timedelta(days=5)
    target = target.replace(day=min(target.day, 28))
    period_month = date(target.year, target.month, 1) - timedelta(days=1)
    period = f"{period_month:%Y-%m}"
    await settings(svc, "005", settlement_cutoff_day=target.day)
    list_id = uuid4()
    post_office.behaviour.settle = False
    try:
        await submit(svc, producer, "005", lines(20, 5), list_id=list_id, period=period)
        overdue = await until("overdue", lambda: events(db, "005", "SettlementOverdue"))
    finally:
        post_office.behaviour.settle = True
    assert overdue[0]["payload"]["deadline"] == str(target)
    settlement = await db.fetchval("SELECT id FROM settlement WHERE list_id = $1", list_id)
    async with httpx.AsyncClient(
        base_url=svc.urls["settlement-svc"], headers=svc.token("005")
    ) as h:
        url = f"/v1/settlements/{settlement}/extensions"
        twenty = await h.post(url, json={"days": 20, "reason": "Bưu điện xin thêm"})
        assert (twenty.status_code, twenty.json()["code"]) == (422, "extension_days_invalid")
        nineteen = await h.post(url, json={"days": 19, "reason": "Bưu điện xin thêm"})
        assert nineteen.status_code == 200, nineteen.text
        assert nineteen.json()["effective_deadline"] == str(target + timedelta(days=19))
        assert nineteen.json()["overdue_since"] is None
        one_more = await h.post(url, json={"days": 1, "reason": "thêm nữa"})
        assert (one_more.status_code, one_more.json()["code"]) == (422, "extension_total_exceeded")
        package = next(
            p for p in post_office.holding() if p.manifest and p.manifest.list_id == list_id
        )
        await post_office.settle(package)
        await until(
            "received",
            lambda: db.fetchval(
                "SELECT 1 FROM settlement WHERE id = $1 AND state = 'received'", settlement
            ),
        )
        closed = await h.post(f"/v1/settlements/{settlement}/close", json={})
        assert closed.status_code == 200, closed.text
    assert await db.fetchval("SELECT state FROM settlement WHERE id = $1", settlement) == "closed"
    extended = await events(db, "005", "DeadlineExtended")
    assert [e["payload"]["days"] for e in extended] == [19]


async def test_a_non_integrated_district_is_reconciled_by_hand(
    svc: Stack, post_office: PostOffice, producer: AIOKafkaProducer, db: asyncpg.Connection
) -> None:
    district = "006"
    await settings(svc, district, integrated=False)
    people = [
        BeneficiarySnapshot(
            id=uuid4(),
            national_id=f"006{i:09d}",
            full_name=f"Người {i}",
            district_code=district,
            commune_code="00100" if i % 2 else "00103",
            category="NCT_80",
            coefficient=10,
            status="active",
            allowance_start_month="2024-01",
            version=1,
        )
        for i in range(12)
    ]
    for p in people:
        e = Envelope.wrap(
            BeneficiaryRegistered(beneficiary=p, source="test"),
            producer="beneficiary-svc",
            district_code=district,
        )
        await producer.send_and_wait(
            svc.topic(BENEFICIARY_EVENTS), e.to_bytes(), key=e.key(), headers=e.headers()
        )
    payments = await asyncpg.connect(svc.dsns["payment-svc"])
    try:
        await until(
            "payment-svc knows them",
            lambda: _is(
                payments.fetchval(
                    "SELECT count(*) FROM recipient WHERE district_code = $1", district
                ),
                12,
            ),
        )
    finally:
        await payments.close()
    officer = svc.token(district)
    boss = svc.token(district, role=Role.DISTRICT_SUPERVISOR)
    async with httpx.AsyncClient(base_url=svc.urls["payment-svc"], headers=officer) as pay:
        await pay.put(
            f"/v1/districts/{district}/payment-mode", json={"integrated": False}, headers=boss
        )
        assert (
            await pay.post(f"/v1/districts/{district}/periods", json={"month": "2026-11"})
        ).status_code == 201
        made = (await pay.post(f"/v1/districts/{district}/periods/2026-11/lists", json={})).json()
        assert (await pay.post(f"/v1/lists/{made['id']}/submit")).status_code == 202
        await until("manual package", lambda: _is(package_state(db, UUID(made["id"])), "manual"))
        lines_ = (await pay.get(f"/v1/lists/{made['id']}/lines")).json()["lines"]
        body = {
            "everyone": "paid",
            "paid_on": "2026-11-10",
            "reason": "Bảng kê tay",
            "exceptions": [
                {"line_id": lines_[0]["id"], "status": "unpaid"},
                {"line_id": lines_[1]["id"], "status": "returned"},
            ],
        }
        assert (await pay.post(f"/v1/lists/{made['id']}/statuses", json=body)).status_code == 200
        package = await db.fetchval("SELECT id FROM package WHERE list_id = $1", UUID(made["id"]))
        await until(
            "statuses reached settlement-svc",
            lambda: _is(
                db.fetchval(
                    "SELECT count(*) FROM package_line WHERE package_id = $1"
                    " AND status = 'pending'",
                    package,
                ),
                0,
            ),
        )
        settlement = await db.fetchval("SELECT id FROM settlement WHERE package_id = $1", package)
        async with httpx.AsyncClient(base_url=svc.urls["settlement-svc"], headers=officer) as st:
            closed = await st.post(f"/v1/settlements/{settlement}/close", json={})
            assert closed.status_code == 200, closed.text
            view = closed.json()
        await until("list settled in payment-svc", lambda: _is(_status(pay, made["id"]), "settled"))
        d1 = (await pay.get(f"/v1/districts/{district}/periods/2026-11/reports/dvct01")).json()
        d2 = (await pay.get(f"/v1/districts/{district}/periods/2026-11/reports/dvct02")).json()
    assert d1["total"]["to_pay"] == d1["total"]["paid"] + d1["total"]["recovered"] + d2["total"]
    assert view["lines"]["paid"]["amount"] == d1["total"]["paid"]
    assert sum(v["amount"] for k, v in view["lines"].items() if k != "paid") == d2["total"]
    assert [t for t in post_office.received if t == "PackageManifest"], "others were sent"
    assert (
        await db.fetchval(
            "SELECT count(*) FROM outbox WHERE key = $1 AND topic LIKE '%postoffice%'", district
        )
        == 0
    )


async def _status(client: httpx.AsyncClient, list_id: str) -> str:
    return str((await client.get(f"/v1/lists/{list_id}")).json()["status"])


# ------------------------------------------------------------------ issue 15: the lifecycle


async def answer(svc: Stack, producer: AIOKafkaProducer, district: str, payload: Any) -> None:
    """What the post office would send on postoffice.inbound (here: a wrong or late word),
    signed with its key: believed, then judged by the lifecycle."""
    e = DEV_SIGNER.envelope(payload, producer="postoffice-sim", district_code=district)
    await producer.send_and_wait(
        svc.topic(POSTOFFICE_INBOUND), e.to_bytes(), key=e.key(), headers=e.headers()
    )


async def refusals(svc: Stack, district: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(
        base_url=svc.urls["settlement-svc"], headers=svc.token(district)
    ) as h:
        answer_ = await h.get(f"/v1/districts/{district}/refusals")
    if answer_.status_code != 200:
        return []
    found: list[dict[str, Any]] = answer_.json()["refusals"]
    return found


async def refused(svc: Stack, district: str, reason: str) -> list[dict[str, Any]]:
    return [r for r in await refusals(svc, district) if r["reason"] == reason]


async def quarantined(svc: Stack, district: str, reason: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(
        base_url=svc.urls["settlement-svc"], headers=svc.token(district)
    ) as h:
        answer_ = await h.get(f"/v1/districts/{district}/quarantine")
    kept: list[dict[str, Any]] = answer_.json()["quarantined"] if answer_.is_success else []
    return [q for q in kept if q["reason"] == reason]


async def package_id(db: asyncpg.Connection, list_id: UUID, version: int = 1) -> UUID:
    found: UUID = await db.fetchval(
        "SELECT id FROM package WHERE list_id = $1 AND version = $2", list_id, version
    )
    return found


def live_versions(post_office: PostOffice, list_id: UUID) -> list[int]:
    return sorted(
        p.version for p in post_office.holding() if p.manifest and p.manifest.list_id == list_id
    )


def changed(rows: list[dict[str, Any]], extra: int) -> list[dict[str, Any]]:
    return [*rows[:-1], {**rows[-1], "amount": rows[-1]["amount"] + extra, "arrears": extra}]


async def test_a_third_version_is_not_sent_before_the_first_is_recalled(
    svc: Stack, post_office: PostOffice, producer: AIOKafkaProducer, db: asyncpg.Connection
) -> None:
    district, list_id, rows = "008", uuid4(), lines(20, 8)
    post_office.behaviour.refuse_recall = True
    post_office.behaviour.results_delay = 60  # nobody is paid while the versions change
    try:
        await submit(svc, producer, district, rows, list_id=list_id, version=1)
        await until("v1 acknowledged", lambda: _is(package_state(db, list_id, 1), "acknowledged"))
        await submit(svc, producer, district, changed(rows, 500_000), list_id=list_id, version=2)
        await until("v2 waits", lambda: _is(package_state(db, list_id, 2), "waiting_recall"))
        await submit(svc, producer, district, changed(rows, 1_000_000), list_id=list_id, version=3)
        await until("v2 superseded", lambda: _is(package_state(db, list_id, 2), "superseded"))
        await asyncio.sleep(1)  # time enough for a package sent too early to be accepted
        assert await package_state(db, list_id, 3) == "waiting_recall"
        assert live_versions(post_office, list_id) == [1], "one live package per list"
        v3 = await package_id(db, list_id, 3)
        await answer(
            svc,
            producer,
            district,
            PaymentResults(
                package_id=v3,
                version=3,
                part=0,
                parts=1,
                results=[PersonResult(line_id=UUID(rows[0]["line_id"]), status="paid")],
            ),
        )
        [never_sent] = await until(
            "results for v3 quarantined", lambda: quarantined(svc, district, "package_not_sent")
        )
        assert never_sent["package_id"] == str(v3)
        await until(
            "v1's recall unanswered",
            lambda: _is(package_state(db, list_id, 1), "recall_unanswered"),
        )
    finally:
        post_office.behaviour.refuse_recall = False
        post_office.behaviour.results_delay = 0.2
    v1 = await package_id(db, list_id, 1)
    async with httpx.AsyncClient(
        base_url=svc.urls["settlement-svc"], headers=svc.token(district)
    ) as h:
        assert (await h.post(f"/v1/packages/{v1}/retry")).status_code == 200
    await until("v3 acknowledged", lambda: _is(package_state(db, list_id, 3), "acknowledged"))
    assert await package_state(db, list_id, 1) == "recalled"
    assert live_versions(post_office, list_id) == [3]


async def test_results_for_a_package_kept_by_hand_are_refused_with_a_reason(
    svc: Stack, post_office: PostOffice, producer: AIOKafkaProducer, db: asyncpg.Connection
) -> None:
    district, list_id, rows = "010", uuid4(), lines(5, 10)
    await settings(svc, district, integrated=False)
    await submit(svc, producer, district, rows, list_id=list_id)
    await until("manual", lambda: _is(package_state(db, list_id), "manual"))
    manual = await package_id(db, list_id)
    results = [PersonResult(line_id=UUID(r["line_id"]), status="unpaid") for r in rows]
    await answer(
        svc,
        producer,
        district,
        PaymentResults(package_id=manual, version=1, part=0, parts=1, results=results),
    )
    [by_hand] = await until("refused", lambda: refused(svc, district, "package_manual"))
    assert (by_hand["package_id"], by_hand["message_type"]) == (str(manual), "PaymentResults")
    assert await db.fetchval(
        "SELECT count(*) FROM package_line WHERE package_id = $1 AND status = 'pending'", manual
    ) == len(rows)
    assert await events(db, district, "PaymentResultsReceived") == []
    async with httpx.AsyncClient(base_url=svc.urls["settlement-svc"]) as h:
        metrics = (await h.get("/metrics/")).text
    assert 'btxh_postoffice_refused_total{reason="package_manual"} 1.0' in metrics


async def test_a_superseded_package_kept_by_hand_leaves_no_settlement_open(
    svc: Stack, post_office: PostOffice, producer: AIOKafkaProducer, db: asyncpg.Connection
) -> None:
    district, list_id, rows = "009", uuid4(), lines(6, 9)
    await settings(svc, district, integrated=False)
    await submit(svc, producer, district, rows, list_id=list_id, version=1)
    await until("v1 manual", lambda: _is(package_state(db, list_id, 1), "manual"))
    await submit(svc, producer, district, changed(rows, 360_000), list_id=list_id, version=2)
    await until("v2 manual", lambda: _is(package_state(db, list_id, 2), "manual"))
    assert await package_state(db, list_id, 1) == "superseded"
    v1, v2 = await package_id(db, list_id, 1), await package_id(db, list_id, 2)
    old = await db.fetchrow("SELECT id, state FROM settlement WHERE package_id = $1", v1)
    assert old["state"] == "closed"
    # the cut-off passes (time moved in the database): only the live version is overdue
    await db.execute(
        "UPDATE settlement SET deadline = $2 WHERE package_id = ANY($1::uuid[])",
        [v1, v2],
        date.today() - timedelta(days=3),
    )
    live = await db.fetchval("SELECT id FROM settlement WHERE package_id = $1", v2)
    await until("v2 overdue", lambda: events(db, district, "SettlementOverdue"))
    await asyncio.sleep(1)
    overdue = await events(db, district, "SettlementOverdue")
    assert [e["payload"]["settlement_id"] for e in overdue] == [str(live)]


async def _settled_lines(db: asyncpg.Connection, package: UUID) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await db.fetch(
        "SELECT line_id, status, amount FROM package_line WHERE package_id = $1"
        " AND status <> 'pending' ORDER BY seq",
        package,
    )
    return rows


async def test_the_post_office_cannot_change_its_word_or_settle_other_totals(
    svc: Stack, post_office: PostOffice, producer: AIOKafkaProducer, db: asyncpg.Connection
) -> None:
    district, list_id, rows = "011", uuid4(), lines(12, 11)
    post_office.behaviour.settle = False
    try:
        await submit(svc, producer, district, rows, list_id=list_id)
        await until("acknowledged", lambda: _is(package_state(db, list_id), "acknowledged"))
        package = await package_id(db, list_id)
        await until("every result", lambda: _is(_count(_settled_lines(db, package)), len(rows)))
    finally:
        post_office.behaviour.settle = True
    first = (await _settled_lines(db, package))[0]
    other = "unpaid" if first["status"] == "paid" else "paid"
    await answer(
        svc,
        producer,
        district,
        PaymentResults(
            package_id=package,
            version=1,
            part=0,
            parts=1,
            results=[PersonResult(line_id=first["line_id"], status=other)],
        ),
    )
    [disagrees] = await until("raised", lambda: refused(svc, district, "result_disagrees"))
    assert str(first["line_id"]) in disagrees["detail"]
    assert (await _settled_lines(db, package))[0]["status"] == first["status"]

    await answer(
        svc, producer, district, PackageRejected(package_id=package, version=1, reason="late")
    )
    await until("refused", lambda: refused(svc, district, "rejected_after_results"))
    assert await package_state(db, list_id) == "acknowledged"
    assert await events(db, district, "PaymentListRejected") == []
    assert len(await _settled_lines(db, package)) == len(rows), "the genuine results stay"

    paid = [r for r in await _settled_lines(db, package) if r["status"] == "paid"]
    paid_amount = sum(r["amount"] for r in paid)
    unpaid_amount = sum(r["amount"] for r in rows) - paid_amount
    report = {
        "package_id": package,
        "period": "2026-11",
        "paid_count": len(paid),
        "unpaid_count": len(rows) - len(paid),
        "unpaid_amount": unpaid_amount,
    }
    await answer(
        svc,
        producer,
        district,
        SettlementReport(**report, version=1, paid_amount=paid_amount + 100_000),
    )
    await until("totals refused", lambda: refused(svc, district, "report_totals_mismatch"))
    await answer(
        svc, producer, district, SettlementReport(**report, version=2, paid_amount=paid_amount)
    )
    await until("version refused", lambda: refused(svc, district, "version_mismatch"))
    assert (
        await db.fetchval("SELECT state FROM settlement WHERE package_id = $1", package) == "open"
    )
    await answer(
        svc, producer, district, SettlementReport(**report, version=1, paid_amount=paid_amount)
    )
    await until(
        "received",
        lambda: db.fetchval(
            "SELECT 1 FROM settlement WHERE package_id = $1 AND state = 'received'", package
        ),
    )
    await answer(
        svc,
        producer,
        district,
        SettlementReport(
            **{
                **report,
                "paid_count": 0,
                "unpaid_count": len(rows),
                "unpaid_amount": sum(r["amount"] for r in rows),
            },
            version=1,
            paid_amount=0,
        ),
    )
    await until("a second report refused", lambda: refused(svc, district, "report_differs"))
    received = await db.fetchval("SELECT report FROM settlement WHERE package_id = $1", package)
    assert json.loads(received)["paid_count"] == len(paid), "the first report stands"


async def _count(rows: Awaitable[list[Any]]) -> int:
    return len(await rows)


async def test_an_open_settlement_is_not_closed_before_the_cut_off(
    svc: Stack, post_office: PostOffice, producer: AIOKafkaProducer, db: asyncpg.Connection
) -> None:
    district, list_id = "012", uuid4()
    # no report until the end: the settlement must still be open when it is checked (with
    # reports back on, the post office's report could reach it first)
    post_office.behaviour.settle = False
    try:
        await submit(svc, producer, district, lines(8, 12), list_id=list_id)
        settlement = await until(
            "settlement open",
            lambda: db.fetchval("SELECT id FROM settlement WHERE list_id = $1", list_id),
        )
        async with httpx.AsyncClient(
            base_url=svc.urls["settlement-svc"], headers=svc.token(district)
        ) as h:
            early = await h.post(f"/v1/settlements/{settlement}/close", json={"rest_unpaid": True})
        assert (early.status_code, early.json()["code"]) == (409, "settlement_before_cutoff")
        [kept] = await refused(svc, district, "settlement_before_cutoff")
        assert kept["message_type"] == "officer:close"
        state = await db.fetchval("SELECT state FROM settlement WHERE id = $1", settlement)
        assert state == "open"
        assert await events(db, district, "SettlementClosed") == []
    finally:
        post_office.behaviour.settle = True
