"""The list and line lifecycle through the HTTP API of a real payment-svc process (issue 14,
defects 3–5): what the post office has acknowledged or paid is never paid again, a carried
line never becomes paid, a paid line is never split, a locked or settled month never changes.

The test plays beneficiary-svc (the register's snapshots) and settlement-svc (the payment
unit's answers) on the real broker. Each test works in its own months.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest_asyncio
from btxh_common.auth import Role
from btxh_common.envelope import Envelope, EventPayload
from btxh_common.events import (
    BeneficiaryRegistered,
    BeneficiarySnapshot,
    LineStatus,
    PaymentListAcknowledged,
    PaymentResultsReceived,
    SettlementClosed,
)
from btxh_common.outbox import make_producer
from btxh_common.topics import BENEFICIARY_EVENTS, SETTLEMENT_EVENTS
from btxh_tools.harness import Stack, start_stack

D, C1 = "001", "00001"


def person(n: int, name: str) -> BeneficiarySnapshot:
    return BeneficiarySnapshot(
        id=UUID(int=n, version=4),
        national_id=f"001{n:09d}",
        full_name=name,
        district_code=D,
        commune_code=C1,
        category="NCT_80",
        coefficient=10,
        status="active",
        allowance_start_month="2024-01",
        version=1,
    )


PEOPLE = {"A": person(1, "Nguyễn Văn An"), "B": person(2, "Trần Thị Bình")}
NAMES = {str(p.id): key for key, p in PEOPLE.items()}
LEVEL = 500_000  # in force from 2024-07; both are NCT_80 at coefficient 1.0


async def tell(svc: Stack, topic: str, event: EventPayload) -> None:
    producer = make_producer(svc.bootstrap)
    await producer.start()
    try:
        e = Envelope.wrap(event, producer="test", district_code=D, correlation_id=str(uuid4()))
        await producer.send_and_wait(
            svc.topic(topic), e.to_bytes(), key=e.key(), headers=e.headers()
        )
    finally:
        await producer.stop()


@pytest_asyncio.fixture(scope="module")
async def svc(pg_server: str, kafka_bootstrap: str, module_tmp: Path) -> AsyncIterator[Stack]:
    async with start_stack(pg_server, kafka_bootstrap, module_tmp, ["payment-svc"]) as run:
        for p in PEOPLE.values():
            await tell(run, BENEFICIARY_EVENTS, BeneficiaryRegistered(beneficiary=p, source="test"))
        conn = await asyncpg.connect(run.dsns["payment-svc"])
        try:
            for _ in range(300):
                if await conn.fetchval("SELECT count(*) FROM recipient") == len(PEOPLE):
                    break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("payment-svc never learned the register")
        finally:
            await conn.close()
        yield run


@pytest_asyncio.fixture
async def http(svc: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=svc.urls["payment-svc"], headers=svc.token(D), timeout=60
    ) as c:
        yield c


@pytest_asyncio.fixture
async def boss(svc: Stack) -> AsyncIterator[httpx.AsyncClient]:
    headers = svc.token(D, role=Role.DISTRICT_SUPERVISOR)
    async with httpx.AsyncClient(
        base_url=svc.urls["payment-svc"], headers=headers, timeout=60
    ) as c:
        yield c


async def ok(answer: httpx.Response, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    return answer.json() if answer.content else None


def refused(answer: httpx.Response, code: str) -> None:
    assert (answer.status_code, answer.json().get("code")) == (409, code), answer.text


async def open_period(http: httpx.AsyncClient, month: str) -> None:
    await ok(await http.post(f"/v1/districts/{D}/periods", json={"month": month}), 201)


async def generate(http: httpx.AsyncClient, month: str) -> httpx.Response:
    return await http.post(f"/v1/districts/{D}/periods/{month}/lists", json={"kind": "monthly"})


async def submitted_list(http: httpx.AsyncClient, month: str) -> str:
    """A new period's list, generated and submitted: its id."""
    await open_period(http, month)
    made = await ok(await generate(http, month), 201)
    await ok(await http.post(f"/v1/lists/{made['id']}/submit"), 202)
    return str(made["id"])


async def lines_of(http: httpx.AsyncClient, list_id: str) -> dict[str, dict[str, Any]]:
    rows = (await ok(await http.get(f"/v1/lists/{list_id}/lines")))["lines"]
    return {NAMES[r["beneficiary_id"]]: r for r in rows if r["parent_id"] is None}


async def by_hand(
    boss: httpx.AsyncClient, list_id: str, everyone: str | None, exceptions: dict[str, str]
) -> httpx.Response:
    lines = await lines_of(boss, list_id)
    body = {
        "everyone": everyone,
        "paid_on": "2024-09-10",
        "reason": "Bảng kê của bưu điện",
        "exceptions": [{"line_id": lines[k]["id"], "status": s} for k, s in exceptions.items()],
    }
    return await boss.post(f"/v1/lists/{list_id}/statuses", json=body)


async def until_status(http: httpx.AsyncClient, list_id: str, status: str) -> None:
    for _ in range(300):
        if (await ok(await http.get(f"/v1/lists/{list_id}")))["status"] == status:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"list {list_id} never became {status}")


async def test_a_list_the_post_office_acknowledged_cannot_be_generated_again(
    svc: Stack, http: httpx.AsyncClient
) -> None:
    list_id = await submitted_list(http, "2024-09")
    ack = PaymentListAcknowledged(package_id=uuid4(), list_id=UUID(list_id), version=1)
    await tell(svc, SETTLEMENT_EVENTS, ack)
    await until_status(http, list_id, "acknowledged")
    refused(await generate(http, "2024-09"), "list_at_payment_unit")
    listed = await ok(await http.get(f"/v1/districts/{D}/periods/2024-09/lists"))
    assert [(x["version"], x["status"]) for x in listed["lists"]] == [(1, "acknowledged")]


async def test_a_list_with_results_from_the_post_office_cannot_be_generated_again(
    svc: Stack, http: httpx.AsyncClient
) -> None:
    list_id = await submitted_list(http, "2024-10")
    lines = await lines_of(http, list_id)
    paid = LineStatus(line_id=lines["A"]["id"], status="paid", paid_on="2024-10-05")
    results = PaymentResultsReceived(package_id=uuid4(), list_id=UUID(list_id), results=[paid])
    await tell(svc, SETTLEMENT_EVENTS, results)
    await until_status(http, list_id, "results_received")
    refused(await generate(http, "2024-10"), "list_at_payment_unit")
    lines = await lines_of(http, list_id)
    assert (lines["A"]["status"], lines["A"]["total"]) == ("paid", LEVEL)


async def test_a_submitted_list_with_a_line_paid_by_hand_cannot_be_generated_again(
    http: httpx.AsyncClient, boss: httpx.AsyncClient
) -> None:
    list_id = await submitted_list(http, "2024-11")
    await ok(await by_hand(boss, list_id, None, {"A": "paid"}))
    refused(await generate(http, "2024-11"), "list_has_payments")


async def test_a_submitted_list_nobody_was_paid_from_can_still_be_replaced(
    http: httpx.AsyncClient,
) -> None:
    old = await submitted_list(http, "2024-12")
    new = await ok(await generate(http, "2024-12"), 201)
    assert new["version"] == 2
    assert (await ok(await http.get(f"/v1/lists/{old}")))["status"] == "superseded"


async def test_a_line_carried_into_the_next_month_cannot_be_marked_paid_by_hand(
    http: httpx.AsyncClient, boss: httpx.AsyncClient
) -> None:
    january = await submitted_list(http, "2025-01")
    await ok(await by_hand(boss, january, None, {"A": "unpaid"}))
    await open_period(http, "2025-02")
    february = await ok(await generate(http, "2025-02"), 201)
    carried = await lines_of(http, february["id"])
    assert carried["A"]["carried_over"] == LEVEL, "January's unpaid money is in February"

    refused(await by_hand(boss, january, None, {"A": "paid"}), "line_carried_over")
    # everyone paid covers the lines whose money is still in January's list, not A's
    await ok(await by_hand(boss, january, "paid", {}))
    lines = await lines_of(http, january)
    assert (lines["A"]["status"], lines["B"]["status"]) == ("unpaid", "paid")


async def test_a_paid_line_cannot_be_split(
    http: httpx.AsyncClient, boss: httpx.AsyncClient
) -> None:
    list_id = await submitted_list(http, "2025-03")
    await ok(await by_hand(boss, list_id, None, {"A": "paid"}))
    line = (await lines_of(http, list_id))["A"]
    parts = {"parts": [{"amount": 300_000}, {"amount": 200_000}]}
    refused(await http.post(f"/v1/lines/{line['id']}/split", json=parts), "line_paid")
    assert (await lines_of(http, list_id))["A"]["status"] == "paid"


async def test_pull_cannot_change_lines_of_a_locked_month(
    http: httpx.AsyncClient, boss: httpx.AsyncClient
) -> None:
    april = await submitted_list(http, "2025-04")
    await ok(await by_hand(boss, april, None, {"A": "unpaid"}))
    await ok(await http.post(f"/v1/districts/{D}/periods/2025-04/lock", json={"note": "Chốt"}))
    await open_period(http, "2025-06")
    pull = {"from_month": "2025-04"}
    refused(await http.post(f"/v1/districts/{D}/periods/2025-06/pull", json=pull), "period_locked")
    june = await ok(await generate(http, "2025-06"), 201)
    assert (await lines_of(http, june["id"]))["A"]["carried_over"] == 0


async def test_pull_cannot_change_lines_of_a_settled_month(
    svc: Stack, http: httpx.AsyncClient, boss: httpx.AsyncClient
) -> None:
    july = await submitted_list(http, "2025-07")
    lines = await lines_of(http, july)
    final = [LineStatus(line_id=lines["A"]["id"], status="unpaid", paid_on=None)]
    closed = SettlementClosed(
        settlement_id=uuid4(), period="2025-07", list_id=UUID(july), closed_by="boss", lines=final
    )
    await tell(svc, SETTLEMENT_EVENTS, closed)
    await until_status(http, july, "settled")
    await open_period(http, "2025-09")
    pull = {"from_month": "2025-07"}
    answer = await http.post(f"/v1/districts/{D}/periods/2025-09/pull", json=pull)
    refused(answer, "pull_from_settled")
    september = await ok(await generate(http, "2025-09"), 201)
    assert (await lines_of(http, september["id"]))["A"]["carried_over"] == 0


async def test_a_deleted_draft_can_be_generated_again(http: httpx.AsyncClient) -> None:
    await open_period(http, "2025-10")
    first = await ok(await generate(http, "2025-10"), 201)
    await ok(await http.delete(f"/v1/lists/{first['id']}"), 204)
    again = await ok(await generate(http, "2025-10"), 201)
    assert (again["version"], again["status"]) == (2, "draft")
    lines = await lines_of(http, again["id"])
    assert {k: line["total"] for k, line in lines.items()} == {"A": LEVEL, "B": LEVEL}
