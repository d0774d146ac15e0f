"""The funeral list (mai táng phí) of month M through payment-svc's HTTP API: it pays, once per
person ever, only the people whose death the district's register decided in M — the death
decision in the person's timeline (the ``deceased`` period from the month after the death:
the allowance stops after the month of death). Someone "recorded dead" without that decision,
dead in another month, or in another district, is not on it.

The test plays beneficiary-svc (it publishes snapshots with their timelines on the real
broker). Funeral allowance by hand (DOMAIN "Amounts"): 20 × the level of the month of death,
500,000 from 2024-07: 10,000,000.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any
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
JULY, AUGUST = "2024-07", "2024-08"


def dead(n: int, died: date, decided_from: str | None, district: str = D) -> BeneficiarySnapshot:
    """Recorded dead on ``died``; the register's death decision takes effect ``decided_from``
    (None: no death decision in the timeline)."""
    timeline = [
        PolicyPeriod(from_month="2024-01", status="active", category="NCT_80", coefficient=10)
    ]
    if decided_from is not None:
        timeline.append(
            PolicyPeriod(
                from_month=decided_from, status="deceased", category="NCT_80", coefficient=10
            )
        )
    return BeneficiarySnapshot(
        id=uuid4(),
        national_id=f"{district}{n:09d}",
        full_name=f"Người {n}",
        district_code=district,
        commune_code="00001",
        category="NCT_80",
        coefficient=10,
        status="deceased",
        allowance_start_month="2024-01",
        death_date=died,
        funeral_recipient=f"Con của người {n}",
        version=1,
        timeline=timeline,
    )


PEOPLE = {
    "AUG": dead(1, date(2024, 8, 10), "2024-09"),  # died in August, decided: paid in August
    "NO_DECISION": dead(2, date(2024, 8, 5), None),  # "recorded dead", no death decision
    "JUL": dead(3, date(2024, 7, 20), "2024-08"),  # died in July: July's list, not August's
    "JUN": dead(4, date(2024, 6, 2), "2024-07"),  # died in June, never on a list made here
    "ELSEWHERE": dead(5, date(2024, 8, 12), "2024-09", district=OTHER),
}


@pytest_asyncio.fixture(scope="module")
async def svc(pg_server: str, kafka_bootstrap: str, module_tmp: Path) -> AsyncIterator[Stack]:
    async with start_stack(pg_server, kafka_bootstrap, module_tmp, ["payment-svc"]) as run:
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


async def funeral_list(http: httpx.AsyncClient, month: str) -> dict[str, int]:
    """Generate ``month``'s funeral list: the funeral amount per person on it."""
    made = await http.post(f"/v1/districts/{D}/periods/{month}/lists", json={"kind": "funeral"})
    assert made.status_code == 201, made.text
    answer = await http.get(f"/v1/lists/{made.json()['id']}/lines")
    assert answer.status_code == 200, answer.text
    names = {str(p.id): key for key, p in PEOPLE.items()}
    found: dict[str, int] = {}
    for line in answer.json()["lines"]:
        key = names[line["beneficiary_id"]]
        assert key not in found, f"{key} twice on one list"
        assert line["funeral"] == line["total"], line
        found[key] = line["funeral"]
    return found


async def test_the_funeral_list_pays_the_deaths_the_register_decided_in_its_month_once(
    svc: Stack, http: httpx.AsyncClient
) -> None:
    for month in (JULY, AUGUST):
        opened = await http.post(f"/v1/districts/{D}/periods", json={"month": month})
        assert opened.status_code == 201, opened.text

    assert await funeral_list(http, AUGUST) == {"AUG": 10_000_000}
    assert await funeral_list(http, JULY) == {"JUL": 10_000_000}
    # a new version of August pays the same person once, and still nobody else
    assert await funeral_list(http, AUGUST) == {"AUG": 10_000_000}
    assert await funeral_list(http, JULY) == {"JUL": 10_000_000}


async def test_a_funeral_already_paid_in_a_month_is_not_paid_in_another(
    svc: Stack, http: httpx.AsyncClient
) -> None:
    """Once ever: AUG is on August's current funeral list, so no other month's list has him."""
    for month in ("2024-09", "2024-10"):
        opened = await http.post(f"/v1/districts/{D}/periods", json={"month": month})
        assert opened.status_code == 201, opened.text
        assert await funeral_list(http, month) == {}
    answer: Any = await http.get(f"/v1/districts/{D}/periods/{AUGUST}/lists")
    current = [
        x for x in answer.json()["lists"] if x["kind"] == "funeral" and x["status"] == "draft"
    ]
    assert [x["total"] for x in current] == [10_000_000]
