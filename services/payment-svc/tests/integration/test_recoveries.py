"""Recoveries (truy thu) through payment-svc's HTTP API, on a real PostgreSQL and broker: made
by an officer, deducted per period from the person's monthly lines, closed when recovered,
cancelled only by a supervisor, shown on the DVCT reports, every step in the history.

The test plays beneficiary-svc (it publishes the register's snapshots on the broker). Every
expected amount is computed by hand from DOMAIN "Amounts" (level 500,000 from 2024-07):
d = min(per_period, outstanding, the line's gross); total = gross − d.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import pytest_asyncio
from btxh_common.auth import Role
from btxh_common.envelope import Envelope
from btxh_common.events import BeneficiaryRegistered, BeneficiarySnapshot
from btxh_common.outbox import make_producer
from btxh_common.topics import BENEFICIARY_EVENTS
from btxh_tools.harness import Stack, start_stack

D, C1 = "001", "00001"
JULY, AUGUST, SEPTEMBER, OCTOBER = "2024-07", "2024-08", "2024-09", "2024-10"


def person(n: int, coefficient: int, district: str = D) -> BeneficiarySnapshot:
    return BeneficiarySnapshot(
        id=uuid4(),
        national_id=f"{district}{n:09d}",
        full_name=f"Người {n}",
        district_code=district,
        commune_code=C1,
        category="NCT_80",
        coefficient=coefficient,
        status="active",
        allowance_start_month="2024-01",
        version=1,
    )


PEOPLE = {
    "P": person(1, 10),  # 500,000 a month
    "Q": person(2, 10),  # 500,000 a month
    "T": person(3, 15),  # 750,000 a month
    "X": person(4, 10, district="002"),  # another district's
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


async def client(svc: Stack, role: Role, district: str = D) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=svc.urls["payment-svc"], headers=svc.token(district, role=role), timeout=60
    )


@pytest_asyncio.fixture
async def http(svc: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with await client(svc, Role.DISTRICT_OFFICER) as c:
        yield c


@pytest_asyncio.fixture
async def boss(svc: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with await client(svc, Role.DISTRICT_SUPERVISOR) as c:
        yield c


async def ok(answer: httpx.Response, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    return answer.json() if answer.content else None


async def refused(answer: httpx.Response, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.json()["code"] == code, answer.text


async def generate(http: httpx.AsyncClient, month: str) -> dict[str, Any]:
    return await ok(
        await http.post(f"/v1/districts/{D}/periods/{month}/lists", json={"kind": "monthly"}), 201
    )


async def lines(http: httpx.AsyncClient, list_id: str) -> dict[str, tuple[int, int, int]]:
    """(gross, recovery, total) per person."""
    rows = (await ok(await http.get(f"/v1/lists/{list_id}/lines", params={"size": 5000})))["lines"]
    names = {str(p.id): key for key, p in PEOPLE.items()}
    return {
        names[r["beneficiary_id"]]: (
            r["allowance"] + r["arrears"] + r["carried_over"],
            r["recovery"],
            r["total"],
        )
        for r in rows
    }


async def create(http: httpx.AsyncClient, who: str, total: int, per_period: int) -> dict[str, Any]:
    body = {
        "beneficiary_id": str(PEOPLE[who].id),
        "decision_no": f"12/QĐ-UBND-{who}",
        "decision_date": "2024-06-20",
        "reason": "Hưởng sai chế độ năm 2023",
        "total": total,
        "per_period": per_period,
        "from_month": JULY,
    }
    return await ok(await http.post(f"/v1/districts/{D}/recoveries", json=body), 201)


async def view(http: httpx.AsyncClient, recovery: dict[str, Any]) -> dict[str, Any]:
    path = f"/v1/districts/{D}/recoveries/{recovery['recovery_id']}"
    return await ok(await http.get(path))


def deducted(detail: dict[str, Any]) -> list[tuple[str, int]]:
    return [(d["month"], d["amount"]) for d in detail["deductions"]]


async def test_recoveries_are_deducted_per_period_closed_and_cancelled_to_the_dong(
    svc: Stack, http: httpx.AsyncClient, boss: httpx.AsyncClient
) -> None:
    for month in (JULY, AUGUST, SEPTEMBER, OCTOBER):
        await ok(await http.post(f"/v1/districts/{D}/periods", json={"month": month}), 201)

    # P: 1,000,000 at 400,000 a period; Q: 900,000 at 700,000 a period (more than the line);
    # T: 2,000,000 at 300,000 a period, cancelled after July
    p = await create(http, "P", 1_000_000, 400_000)
    assert (p["status"], p["total"], p["per_period"], p["recovered"], p["outstanding"]) == (
        "open",
        1_000_000,
        400_000,
        0,
        1_000_000,
    )
    q = await create(http, "Q", 900_000, 700_000)
    t = await create(boss, "T", 2_000_000, 300_000)

    july = await generate(http, JULY)
    assert await lines(http, july["id"]) == {
        "P": (500_000, 400_000, 100_000),
        "Q": (500_000, 500_000, 0),  # 700,000 a period, but the line has 500,000
        "T": (750_000, 300_000, 450_000),
    }
    d1 = await ok(await http.get(f"/v1/districts/{D}/periods/{JULY}/reports/dvct01"))
    assert d1["total"]["recovery"] == 400_000 + 500_000 + 300_000
    assert d1["total"]["to_pay"] == 100_000 + 0 + 450_000
    d2 = await ok(await http.get(f"/v1/districts/{D}/periods/{JULY}/reports/dvct02"))
    assert d2["recovery"] == 1_200_000
    assert sorted(line["recovery"] for line in d2["lines"]) == [300_000, 400_000, 500_000]

    # the officer may not cancel; the supervisor may, with a reason
    cancel = f"/v1/districts/{D}/recoveries/{t['recovery_id']}/cancel"
    await refused(await http.post(cancel, json={"reason": "Sai"}), 403, "role_not_allowed")
    done = await ok(await boss.post(cancel, json={"reason": "Quyết định bị thu hồi"}))
    assert (done["status"], done["recovered"], done["outstanding"]) == ("cancelled", 300_000, 0)
    await refused(await boss.post(cancel, json={"reason": "Lần nữa"}), 409, "recovery_not_open")

    august = await generate(http, AUGUST)
    assert await lines(http, august["id"]) == {
        "P": (500_000, 400_000, 100_000),
        "Q": (500_000, 400_000, 100_000),  # the 400,000 left of 900,000: closed
        "T": (750_000, 0, 750_000),  # cancelled: nothing deducted after the cancel
    }
    # a new version of August recomputes August's deduction, never counts it twice
    august2 = await generate(http, AUGUST)
    assert august2["version"] == 2
    assert await lines(http, august2["id"]) == await lines(http, august["id"])
    assert deducted(await view(http, q)) == [(JULY, 500_000), (AUGUST, 400_000)]
    assert (await view(http, q))["status"] == "closed"

    september = await generate(http, SEPTEMBER)
    assert (await lines(http, september["id"]))["P"] == (500_000, 200_000, 300_000)
    p_now = await view(http, p)
    assert deducted(p_now) == [(JULY, 400_000), (AUGUST, 400_000), (SEPTEMBER, 200_000)]
    assert (p_now["status"], p_now["recovered"], p_now["outstanding"]) == ("closed", 1_000_000, 0)

    # deleting the list that completed it opens it again; the next version closes it again
    await ok(await http.delete(f"/v1/lists/{september['id']}"), 204)
    reopened = await view(http, p)
    assert (reopened["status"], reopened["outstanding"]) == ("open", 200_000)
    september2 = await generate(http, SEPTEMBER)
    assert (await lines(http, september2["id"]))["P"] == (500_000, 200_000, 300_000)

    october = await generate(http, OCTOBER)
    assert await lines(http, october["id"]) == {
        "P": (500_000, 0, 500_000),
        "Q": (500_000, 0, 500_000),
        "T": (750_000, 0, 750_000),
    }

    # all in history, in order, with who and why
    p_done, q_done, t_done = [await view(http, r) for r in (p, q, t)]
    assert p_done["status"] == "closed"
    assert [h["what"] for h in p_done["history"]] == ["created", "closed", "reopened", "closed"]
    assert [h["what"] for h in q_done["history"]] == ["created", "closed"]
    assert [(h["what"], h["reason"]) for h in t_done["history"]] == [
        ("created", "Hưởng sai chế độ năm 2023"),
        ("cancelled", "Quyết định bị thu hồi"),
    ]
    assert all(h["by"] == "tester" for h in t_done["history"])
    assert deducted(t_done) == [(JULY, 300_000)]  # what was deducted before the cancel stays
    await refused(
        await boss.post(
            f"/v1/districts/{D}/recoveries/{p['recovery_id']}/cancel", json={"reason": "x"}
        ),
        409,
        "recovery_not_open",
    )

    listed = await ok(await http.get(f"/v1/districts/{D}/recoveries", params={"status": "closed"}))
    assert {r["recovery_id"] for r in listed["recoveries"]} == {p["recovery_id"], q["recovery_id"]}
    of_t = await ok(
        await http.get(
            f"/v1/districts/{D}/recoveries", params={"beneficiary_id": str(PEOPLE["T"].id)}
        )
    )
    assert [r["recovery_id"] for r in of_t["recoveries"]] == [t["recovery_id"]]


async def test_a_recovery_is_refused_for_bad_amounts_or_anothers_beneficiary(
    svc: Stack, http: httpx.AsyncClient
) -> None:
    body = {
        "beneficiary_id": str(PEOPLE["P"].id),
        "decision_no": "13/QĐ",
        "decision_date": "2024-06-20",
        "reason": "Hưởng sai",
        "total": 100_000,
        "per_period": 200_000,
    }
    path = f"/v1/districts/{D}/recoveries"
    await refused(await http.post(path, json=body), 422, "per_period_over_total")
    other = {**body, "per_period": 50_000, "beneficiary_id": str(PEOPLE["X"].id)}
    await refused(await http.post(path, json=other), 404, "beneficiary_not_found")
    made = await ok(await http.post(path, json={**body, "per_period": 50_000}), 201)
    assert made["from_month"] >= "2026-01"  # no month given: the current month
    async with await client(svc, Role.DISTRICT_SUPERVISOR, "002") as stranger:
        answer = await stranger.get(f"/v1/districts/{D}/recoveries/{made['recovery_id']}")
        assert answer.status_code == 404
        answer = await stranger.get(f"/v1/districts/002/recoveries/{made['recovery_id']}")
        await refused(answer, 404, "recovery_not_found")
