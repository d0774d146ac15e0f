"""The list of beneficiaries cut for death in a period (payment management §3), beside the
funeral-allowance list, through payment-svc's HTTP API on real PostgreSQL and Kafka.

The test plays beneficiary-svc (snapshots with their timelines on the real broker). Funeral
allowance by hand (DOMAIN "Amounts"): 20 × the level of the month of death — 360,000 until
2024-06 (7,200,000), 500,000 from 2024-07 (10,000,000).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from uuid import uuid4

import asyncpg
import httpx
import pytest_asyncio
from btxh_common.envelope import Envelope
from btxh_common.events import BeneficiaryRegistered, BeneficiarySnapshot, PolicyPeriod
from btxh_common.outbox import make_producer
from btxh_common.topics import BENEFICIARY_EVENTS
from btxh_tools.harness import Stack, start_stack

D, OTHER = "001", "002"


def person(n: int, died: date | None, district: str = D) -> BeneficiarySnapshot:
    """In force since 2024-01; dead on ``died`` (decided from the next month) if given."""
    timeline = [
        PolicyPeriod(from_month="2024-01", status="active", category="NCT_80", coefficient=10)
    ]
    if died is not None:
        after = date(died.year + died.month // 12, died.month % 12 + 1, 1)
        timeline.append(
            PolicyPeriod(from_month=f"{after:%Y-%m}", status="deceased", category="NCT_80")
        )
    return BeneficiarySnapshot(
        id=uuid4(),
        national_id=f"{district}{n:09d}",
        full_name=f"Nguyễn Văn Người {n}",
        district_code=district,
        commune_code="00001",
        category="NCT_80",
        coefficient=10,
        status="deceased" if died else "active",
        allowance_start_month="2024-01",
        death_date=died,
        funeral_recipient=f"Con của người {n}" if died else None,
        version=1,
        timeline=timeline,
    )


PEOPLE = {
    "AUG": person(1, date(2024, 8, 10)),
    "JUL": person(2, date(2024, 7, 20)),
    "JUN": person(3, date(2024, 6, 2)),
    "ALIVE": person(4, None),
    "ELSEWHERE": person(5, date(2024, 8, 12), district=OTHER),
}


async def publish(run: Stack) -> None:
    producer = make_producer(run.bootstrap)
    await producer.start()
    try:
        for p in PEOPLE.values():
            e = Envelope.wrap(
                BeneficiaryRegistered(beneficiary=p, source="test"),
                producer="beneficiary-svc",
                district_code=p.district_code,
                correlation_id=str(p.id),
            )
            await producer.send_and_wait(
                run.topic(BENEFICIARY_EVENTS), e.to_bytes(), key=e.key(), headers=e.headers()
            )
    finally:
        await producer.stop()


@pytest_asyncio.fixture(scope="module")
async def svc(pg_server: str, kafka_bootstrap: str, module_tmp: Path) -> AsyncIterator[Stack]:
    async with start_stack(pg_server, kafka_bootstrap, module_tmp, ["payment-svc"]) as run:
        await publish(run)
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


def names(answer: httpx.Response) -> list[str]:
    assert answer.status_code == 200, answer.text
    by_id = {str(p.id): key for key, p in PEOPLE.items()}
    return [by_id[i["beneficiary_id"]] for i in answer.json()["items"]]


async def test_the_death_list_names_the_districts_deaths_in_the_period_earliest_first(
    http: httpx.AsyncClient,
) -> None:
    url = f"/v1/districts/{D}/deaths"
    answer = await http.get(url, params={"from_month": "2024-06", "to_month": "2024-08"})
    assert names(answer) == ["JUN", "JUL", "AUG"]
    items = answer.json()["items"]
    assert [i["funeral_due"] for i in items] == [7_200_000, 10_000_000, 10_000_000]
    assert all(i["death_decided"] for i in items)
    assert items[0]["funeral_recipient"] == "Con của người 3"
    one = await http.get(url, params={"from_month": "2024-07", "to_month": "2024-07"})
    assert names(one) == ["JUL"]
    assert (one.json()["from_month"], one.json()["to_month"]) == ("2024-07", "2024-07")


async def test_each_death_stands_beside_its_line_on_the_funeral_list(
    http: httpx.AsyncClient,
) -> None:
    url = f"/v1/districts/{D}/deaths"
    before = (await http.get(url, params={"from_month": "2024-08"})).json()["items"]
    assert [i["funeral"] for i in before] == [None]
    opened = await http.post(f"/v1/districts/{D}/periods", json={"month": "2024-08"})
    assert opened.status_code == 201, opened.text
    made = await http.post(f"/v1/districts/{D}/periods/2024-08/lists", json={"kind": "funeral"})
    assert made.status_code == 201, made.text
    after = (await http.get(url, params={"from_month": "2024-08"})).json()["items"]
    line = after[0]["funeral"]
    assert (line["list_id"], line["month"], line["amount"]) == (
        made.json()["id"],
        "2024-08",
        10_000_000,
    )
    assert (line["list_status"], line["line_status"]) == ("draft", "pending")


async def test_a_backwards_or_too_long_period_is_refused_with_a_code(
    http: httpx.AsyncClient,
) -> None:
    url = f"/v1/districts/{D}/deaths"
    for params in (
        {"from_month": "2024-08", "to_month": "2024-07"},
        {"from_month": "2022-01", "to_month": "2024-01"},
    ):
        answer = await http.get(url, params=params)
        assert (answer.status_code, answer.json()["code"]) == (422, "death_period_invalid")
    bad = await http.get(url, params={"from_month": "2024-13"})
    assert bad.status_code == 422


async def test_another_districts_token_is_refused_and_sees_only_its_own_deaths(
    svc: Stack, http: httpx.AsyncClient
) -> None:
    async with httpx.AsyncClient(
        base_url=svc.urls["payment-svc"], headers=svc.token(OTHER), timeout=60
    ) as other:
        refused = await other.get(f"/v1/districts/{D}/deaths", params={"from_month": "2024-08"})
        assert refused.status_code == 404
        own = await other.get(f"/v1/districts/{OTHER}/deaths", params={"from_month": "2024-08"})
        assert names(own) == ["ELSEWHERE"]
