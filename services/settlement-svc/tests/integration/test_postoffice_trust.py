"""Issue 15 items 7 and 8, settlement-svc and the post-office simulator over the real broker:
a realistic post office (pays in rounds reported in several parts, some money returned, a
recall refused once people are paid) is followed exactly; a message not signed by a key we
trust, or for a package the post office does not hold, is quarantined and changes nothing;
keys rotate (two trusted at once, the old refused once removed).

Expected statuses are the post office's word (the simulator's ``status``, a hash of each line
id); expected totals are summed here from the lines sent.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest_asyncio
from aiokafka import AIOKafkaProducer
from btxh_common.chunks import split
from btxh_common.envelope import Envelope, EventPayload
from btxh_common.events import PaymentListSubmitted, PaymentListSubmittedChunk
from btxh_common.outbox import make_producer
from btxh_common.po_sign import DEV_SIGNER, Signer, dev_keys, issue
from btxh_common.postoffice import PaymentResults, PersonResult
from btxh_common.topics import PAYMENT_EVENTS, POSTOFFICE_INBOUND, POSTOFFICE_OUTBOUND
from btxh_tools.harness import Stack, start_stack
from btxh_tools.postoffice_sim import Behaviour, PostOffice, running

OLD, NEW = issue("po-test-2026"), issue("po-test-2027")  # one post office's key, rotated
STRANGER, _ = issue("po-stranger")  # never given to settlement-svc


def keys(*pairs: tuple[Signer, Any]) -> str:
    trusted = {k: v.model_dump(mode="json") for k, v in dev_keys().items()}
    trusted |= {s.key_id: public.model_dump(mode="json") for s, public in pairs}
    return json.dumps(trusted)


FAST = {
    "RESEND_BASE_SECONDS": "1",
    "RESEND_MAX_SECONDS": "2",
    "SCAN_SECONDS": "0.3",
    "RESEND_MAX_ATTEMPTS": "4",
    "POSTOFFICE_KEYS": keys(OLD, NEW),
}


@pytest_asyncio.fixture(scope="module")
async def svc(pg_server: str, kafka_bootstrap: str, module_tmp: Path) -> AsyncIterator[Stack]:
    async with start_stack(
        pg_server, kafka_bootstrap, module_tmp, ["settlement-svc"], env={"settlement-svc": FAST}
    ) as run:
        yield run


@pytest_asyncio.fixture(scope="module")
async def post_office(svc: Stack) -> AsyncIterator[PostOffice]:
    realistic = Behaviour(
        results_delay=0.2, rounds=3, round_delay=0.2, pay_share=0.8, returned_share=0.1
    )
    sim = PostOffice(
        svc.bootstrap,
        realistic,
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
) -> None:
    """What payment-svc publishes when an officer submits a list."""
    chunks, manifest = split(rows, uuid4(), amount_field="amount")
    payloads: list[EventPayload] = [PaymentListSubmittedChunk(chunk=c) for c in chunks]
    payloads.append(
        PaymentListSubmitted(
            list_id=list_id,
            period="2026-11",
            kind="monthly",
            version=version,
            submitted_by="officer",
            manifest=manifest,
        )
    )
    for payload in payloads:
        e = Envelope.wrap(
            payload, producer="payment-svc", district_code=district, correlation_id=str(list_id)
        )
        await producer.send_and_wait(
            svc.topic(PAYMENT_EVENTS), e.to_bytes(), key=e.key(), headers=e.headers()
        )


async def put(svc: Stack, producer: AIOKafkaProducer, envelope: Envelope) -> None:
    """A message on postoffice.inbound, as given (signed or not, genuine or not)."""
    await producer.send_and_wait(
        svc.topic(POSTOFFICE_INBOUND),
        envelope.to_bytes(),
        key=envelope.key(),
        headers=envelope.headers(),
    )


async def until(what: str, check: Callable[[], Awaitable[Any]], timeout: float = 90) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if value := await check():
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"never: {what}")


async def state(db: asyncpg.Connection, list_id: UUID, version: int = 1) -> str | None:
    return await db.fetchval(
        "SELECT state FROM package WHERE list_id = $1 AND version = $2", list_id, version
    )


async def _is(value: Awaitable[Any], expected: Any) -> bool:
    return bool(await value == expected)


async def statuses(db: asyncpg.Connection, list_id: UUID) -> dict[str, str]:
    rows = await db.fetch(
        """SELECT l.line_id, l.status FROM package_line l JOIN package p ON p.id = l.package_id
           WHERE p.list_id = $1 AND p.version = 1""",
        list_id,
    )
    return {str(r["line_id"]): r["status"] for r in rows}


async def quarantined(svc: Stack, district: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(
        base_url=svc.urls["settlement-svc"], headers=svc.token(district)
    ) as h:
        answer = await h.get(f"/v1/districts/{district}/quarantine")
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["quarantined"]
    return found


async def metrics(svc: Stack) -> str:
    async with httpx.AsyncClient(base_url=svc.urls["settlement-svc"]) as h:
        return (await h.get("/metrics/")).text


def results(package: UUID, *said: tuple[str, str]) -> PaymentResults:
    return PaymentResults(
        package_id=package,
        version=1,
        part=0,
        parts=1,
        results=[
            PersonResult(line_id=UUID(line), status=status)  # type: ignore[arg-type]
            for line, status in said
        ],
    )


# ------------------------------------------------------------------ item 7: a real post office


async def test_results_in_parts_with_returned_are_followed_person_by_person(
    svc: Stack, post_office: PostOffice, producer: AIOKafkaProducer, db: asyncpg.Connection
) -> None:
    district, list_id, rows = "104", uuid4(), lines(2_500, 104)
    await submit(svc, producer, district, rows, list_id=list_id)
    settlement = await until(
        "settlement received",
        lambda: db.fetchrow(
            "SELECT * FROM settlement WHERE list_id = $1 AND state = 'received'", list_id
        ),
    )
    word = {r["line_id"]: post_office.status(r["line_id"]) for r in rows}
    assert await statuses(db, list_id) == word, "every person as the post office said"
    assert {"paid", "unpaid", "returned"} == set(word.values())
    parts = await db.fetchval(
        "SELECT count(*) FROM inbox WHERE consumer = 'settlement-svc.postoffice'"
        " AND event_type = 'PaymentResults'"
    )
    assert parts >= 4, "three rounds, reported in several parts"
    paid = [r for r in rows if word[r["line_id"]] == "paid"]
    report = json.loads(settlement["report"])
    assert (report["paid_count"], report["paid_amount"]) == (
        len(paid),
        sum(r["amount"] for r in paid),
    )
    assert report["unpaid_count"] == len(rows) - len(paid), "the returned are not paid"
    assert report["unpaid_amount"] == sum(r["amount"] for r in rows) - report["paid_amount"]
    assert await quarantined(svc, district) == []


async def test_a_recall_refused_once_people_are_paid_sends_the_change_for_the_unpaid_only(
    svc: Stack, post_office: PostOffice, producer: AIOKafkaProducer, db: asyncpg.Connection
) -> None:
    """DOMAIN "The post office is a partner…": once it has paid people in a package it cannot
    recall it; the changed list goes in a new package for the people not yet paid. v1 is
    paid in part (the simulator's word: about 8 in 10 paid, some returned), v2 (the same
    people, new line ids, one amount changed) is generated, the recall is refused, and v2's
    package reaches the post office holding only the people v1 did not pay; each person is
    paid at most once, and payment-svc hears every v2 line's status."""
    district, list_id, rows = "105", uuid4(), lines(20, 105)
    await submit(svc, producer, district, rows, list_id=list_id)
    await until("everyone's result", lambda: _is(_decided(statuses(db, list_id)), len(rows)))
    word1 = {r["beneficiary_id"]: post_office.status(r["line_id"]) for r in rows}
    paid1 = {person for person, status in word1.items() if status == "paid"}
    assert 0 < len(paid1) < len(rows), "v1 paid in part"
    changed = [{**r, "line_id": str(uuid4())} for r in rows]
    changed[-1]["amount"] += 360_000
    await submit(svc, producer, district, changed, list_id=list_id, version=2)
    note = await until(
        "recall refused",
        lambda: db.fetchval(
            "SELECT last_error FROM package WHERE list_id = $1 AND version = 1"
            " AND state = 'acknowledged' AND last_error LIKE 'recall refused%'",
            list_id,
        ),
    )
    assert note.startswith(f"recall refused: already_paid, {len(paid1)} paid")
    v2 = await until(
        "v2 settled",
        lambda: db.fetchrow(
            "SELECT p.id, p.state, p.line_count, p.total_amount, s.report FROM package p"
            " JOIN settlement s ON s.package_id = p.id"
            " WHERE p.list_id = $1 AND p.version = 2 AND s.state = 'received'",
            list_id,
        ),
    )
    unpaid_rows = [r for r in changed if r["beneficiary_id"] not in paid1]  # by hand
    # what reached the post office: only the people v1 did not pay
    [held] = [p for p in post_office.packages.values() if p.package_id == v2["id"]]
    held_rows = [row for seq in sorted(held.chunks) for row in held.chunks[seq]]
    assert sorted(r["line_id"] for r in held_rows) == sorted(r["line_id"] for r in unpaid_rows)
    assert (v2["state"], v2["line_count"], v2["total_amount"]) == (
        "acknowledged",
        len(unpaid_rows),
        sum(r["amount"] for r in unpaid_rows),
    )
    assert held.accepted is not None, "the post office accepted the smaller package"
    word2 = {r["line_id"]: post_office.status(r["line_id"]) for r in unpaid_rows}
    report = json.loads(v2["report"])
    paid2 = [r for r in unpaid_rows if word2[r["line_id"]] == "paid"]
    assert (report["paid_count"], report["paid_amount"]) == (
        len(paid2),
        sum(r["amount"] for r in paid2),
    )
    assert report["unpaid_count"] == len(unpaid_rows) - len(paid2)
    # final statuses, person by person: v1's word stands; v2's lines are the post office's
    # word for the people it held, and "paid" (on v1's day) for the people left out
    v1_lines = await db.fetch(
        "SELECT l.body->>'beneficiary_id' AS person, l.status, l.paid_on FROM package_line l"
        " JOIN package p ON p.id = l.package_id WHERE p.list_id = $1 AND p.version = 1",
        list_id,
    )
    assert {r["person"]: r["status"] for r in v1_lines} == word1
    told: dict[str, tuple[str, Any]] = {}
    for event in await _events(db, district, "PaymentResultsReceived"):
        if event["payload"]["package_id"] == str(v2["id"]):
            for r in event["payload"]["results"]:
                told[r["line_id"]] = (r["status"], r["paid_on"])
    paid_on1 = {r["person"]: r["paid_on"] for r in v1_lines}
    for r in changed:
        person, line = r["beneficiary_id"], r["line_id"]
        if person in paid1:
            assert told[line] == ("paid", paid_on1[person].isoformat()), "left out, stays paid"
        else:
            assert told[line][0] == word2[line], "the post office's word on v2"
    payments = [p for p in paid1] + [
        r["beneficiary_id"] for r in unpaid_rows if word2[r["line_id"]] == "paid"
    ]
    assert len(payments) == len(set(payments)), "a person paid twice"
    assert await quarantined(svc, district) == []


async def test_a_version_after_the_unpaid_rest_still_leaves_out_the_people_paid_in_the_kept_one(
    svc: Stack, post_office: PostOffice, producer: AIOKafkaProducer, db: asyncpg.Connection
) -> None:
    """v1 kept (people paid), v2 sent for the unpaid and given back on a recall (nobody paid
    in it yet), v3 released: v1 is still at the post office, so v3 too holds only the people
    v1 did not pay."""
    district, list_id, rows = "106", uuid4(), lines(12, 106)
    await submit(svc, producer, district, rows, list_id=list_id)
    await until("everyone's result", lambda: _is(_decided(statuses(db, list_id)), len(rows)))
    paid1 = {r["beneficiary_id"] for r in rows if post_office.status(r["line_id"]) == "paid"}
    assert 0 < len(paid1) < len(rows), "v1 paid in part"
    post_office.behaviour.results_delay = 3600  # v2 accepted, nobody paid in it yet
    try:
        v2 = [{**r, "line_id": str(uuid4())} for r in rows]
        await submit(svc, producer, district, v2, list_id=list_id, version=2)
        await until("v2 accepted", lambda: _is(state(db, list_id, 2), "acknowledged"))
        v3 = [{**r, "line_id": str(uuid4())} for r in rows]
        v3[0]["amount"] += 120_000
        await submit(svc, producer, district, v3, list_id=list_id, version=3)
        await until("v2 given back", lambda: _is(state(db, list_id, 2), "recalled"))
        await until("v3 accepted", lambda: _is(state(db, list_id, 3), "acknowledged"))
    finally:
        post_office.behaviour.results_delay = 0.2
    unpaid3 = [r for r in v3 if r["beneficiary_id"] not in paid1]  # by hand
    package3 = await db.fetchrow(
        "SELECT id, line_count, total_amount FROM package WHERE list_id = $1 AND version = 3",
        list_id,
    )
    [held] = [p for p in post_office.packages.values() if p.package_id == package3["id"]]
    held_rows = [row for seq in sorted(held.chunks) for row in held.chunks[seq]]
    assert sorted(r["line_id"] for r in held_rows) == sorted(r["line_id"] for r in unpaid3)
    assert (package3["line_count"], package3["total_amount"]) == (
        len(unpaid3),
        sum(r["amount"] for r in unpaid3),
    )
    assert await state(db, list_id, 1) == "acknowledged", "v1 kept, still paid and settled"
    told = {
        r["line_id"]: r["status"]
        for event in await _events(db, district, "PaymentResultsReceived")
        if event["payload"]["package_id"] == str(package3["id"])
        for r in event["payload"]["results"]
    }
    assert told == {r["line_id"]: "paid" for r in v3 if r["beneficiary_id"] in paid1}


async def _pending(found: Awaitable[dict[str, str]]) -> int:
    return sum(1 for s in (await found).values() if s == "pending")


async def _decided(found: Awaitable[dict[str, str]]) -> int:
    return sum(1 for s in (await found).values() if s != "pending")


# ------------------------------------------------------------------ item 8: trust nobody


async def test_forged_unsigned_or_not_live_messages_are_quarantined_and_change_nothing(
    svc: Stack, post_office: PostOffice, producer: AIOKafkaProducer, db: asyncpg.Connection
) -> None:
    district, list_id, rows = "101", uuid4(), lines(6, 101)
    post_office.behaviour.results_delay = 3600  # the post office says nothing of its own
    try:
        await submit(svc, producer, district, rows, list_id=list_id)
        await until("acknowledged", lambda: _is(state(db, list_id), "acknowledged"))
    finally:
        post_office.behaviour.results_delay = 0.2
    package = await db.fetchval("SELECT id FROM package WHERE list_id = $1", list_id)
    line = [r["line_id"] for r in rows]
    wrap = {"producer": "postoffice-sim", "district_code": district}

    unsigned = Envelope.wrap(results(package, (line[0], "paid")), **wrap)
    genuine = DEV_SIGNER.envelope(results(package, (line[1], "paid")), **wrap)
    forged_body = results(package, (line[1], "unpaid")).model_dump(mode="json")
    forged = genuine.model_copy(
        update={"payload": {**forged_body, "signature": genuine.payload["signature"]}}
    )
    stranger = STRANGER.envelope(results(package, (line[2], "paid")), **wrap)
    not_ours = DEV_SIGNER.envelope(results(uuid4(), (line[3], "paid")), **wrap)
    for envelope in (unsigned, forged, stranger, not_ours):
        await put(svc, producer, envelope)
    kept = await until("four kept", lambda: _at_least(quarantined(svc, district), 4))
    assert sorted(q["reason"] for q in kept) == [
        "bad_signature",
        "unknown_key",
        "unknown_package",
        "unsigned",
    ]
    by_reason = {q["reason"]: q for q in kept}
    assert by_reason["bad_signature"]["event_id"] == str(genuine.event_id)
    assert by_reason["bad_signature"]["payload"]["results"][0]["status"] == "unpaid"
    assert by_reason["unknown_key"]["key_id"] == "po-stranger"
    assert set((await statuses(db, list_id)).values()) == {"pending"}, "nothing applied"
    assert await _events(db, district, "PaymentResultsReceived") == []

    await put(svc, producer, genuine)  # the forgery did not take the genuine message's id
    await until("genuine applied", lambda: _is(_status(db, list_id, line[1]), "paid"))
    [received] = await _events(db, district, "PaymentResultsReceived")
    assert [r["line_id"] for r in received["payload"]["results"]] == [line[1]]
    assert (await statuses(db, list_id))[line[0]] == "pending"

    text = await metrics(svc)
    for reason in ("unsigned", "bad_signature", "unknown_key", "unknown_package"):
        assert f'btxh_postoffice_quarantined_total{{reason="{reason}"}} 1.0' in text
    rows_kept = await db.fetchval("SELECT count(*) FROM quarantine")
    await until(
        "the alert gauge counts them",
        lambda: _has(metrics(svc), f"btxh_postoffice_quarantine_recent {float(rows_kept)}"),
    )
    async with httpx.AsyncClient(
        base_url=svc.urls["settlement-svc"], headers=svc.token("102")
    ) as h:
        walled = await h.get(f"/v1/districts/{district}/quarantine")
    assert walled.status_code == 404, "another district's quarantine is not even confirmed"


async def _at_least(found: Awaitable[list[Any]], n: int) -> list[Any] | None:
    value = await found
    return value if len(value) >= n else None


async def _has(text: Awaitable[str], line: str) -> bool:
    return line in (await text).splitlines()


async def _status(db: asyncpg.Connection, list_id: UUID, line: str) -> str:
    return (await statuses(db, list_id))[line]


async def _events(db: asyncpg.Connection, district: str, event_type: str) -> list[Any]:
    rows = await db.fetch(
        "SELECT body FROM outbox WHERE key = $1 AND event_type = $2 ORDER BY id",
        district,
        event_type,
    )
    return [json.loads(r["body"]) for r in rows]


async def test_key_rotation_both_keys_then_only_the_new(
    svc: Stack, post_office: PostOffice, producer: AIOKafkaProducer, db: asyncpg.Connection
) -> None:
    """Last in the module: it restarts settlement-svc with the old key removed."""
    district, list_id, rows = "103", uuid4(), lines(4, 103)
    post_office.behaviour.results_delay = 3600
    try:
        await submit(svc, producer, district, rows, list_id=list_id)
        await until("acknowledged", lambda: _is(state(db, list_id), "acknowledged"))
    finally:
        post_office.behaviour.results_delay = 0.2
    package = await db.fetchval("SELECT id FROM package WHERE list_id = $1", list_id)
    line = [r["line_id"] for r in rows]
    wrap = {"producer": "postoffice-sim", "district_code": district}
    old, new = OLD[0], NEW[0]
    await put(svc, producer, old.envelope(results(package, (line[0], "paid")), **wrap))
    await put(svc, producer, new.envelope(results(package, (line[1], "unpaid")), **wrap))
    await until("both applied", lambda: _is(_pending(statuses(db, list_id)), 2))

    svc.kill("settlement-svc")
    svc.env["settlement-svc"] = {**FAST, "POSTOFFICE_KEYS": keys(NEW)}
    svc.start("settlement-svc")
    await asyncio.to_thread(svc.wait_ready, "settlement-svc")

    await put(svc, producer, old.envelope(results(package, (line[2], "paid")), **wrap))
    await put(svc, producer, new.envelope(results(package, (line[3], "returned")), **wrap))
    await until("the new key's applied", lambda: _is(_status(db, list_id, line[3]), "returned"))
    [kept] = await until("the old key's kept", lambda: quarantined(svc, district))
    assert (kept["reason"], kept["key_id"]) == ("unknown_key", "po-test-2026")
    assert await statuses(db, list_id) == {
        line[0]: "paid",
        line[1]: "unpaid",
        line[2]: "pending",
        line[3]: "returned",
    }
