"""Who is paid what (issue 14, defect 7), through beneficiary-svc's and payment-svc's HTTP APIs,
real processes fed over the real broker:

- the single-parent allowance (DON_THAN) is per child: the decision records the children, and
  month M pays level × coefficient × the children in force in M;
- the funeral list of month M pays whoever the register's death decision says died in M,
  once.

Amounts by hand from DOMAIN.md: standard level 500,000 VND from 2024-07; DON_THAN coefficient
1.0 per child (3 children: 1,500,000 a month; 4: 2,000,000); funeral 20 × 500,000 = 10,000,000.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest_asyncio
from btxh_tools.harness import Stack, start_stack
from btxh_tools.polling import until

D = "001"
NAMES = ["beneficiary-svc", "payment-svc"]
JAN, FEB, MAR = "2025-01", "2025-02", "2025-03"


@pytest_asyncio.fixture(scope="module")
async def world(pg_server: str, kafka_bootstrap: str, module_tmp: Path) -> AsyncIterator[Stack]:
    async with start_stack(pg_server, kafka_bootstrap, module_tmp, NAMES) as run:
        yield run


@pytest_asyncio.fixture
async def register(world: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=world.urls["beneficiary-svc"], headers=world.token(D), timeout=60
    ) as client:
        yield client


@pytest_asyncio.fixture
async def pay(world: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=world.urls["payment-svc"], headers=world.token(D), timeout=60
    ) as client:
        yield client


def newcomer(national_id: str, category: str, **extra: Any) -> dict[str, Any]:
    return {
        "full_name": f"Người {national_id[-4:]}",
        "national_id": national_id,
        "commune_code": "00001",
        "category": category,
        "allowance_start_month": JAN,
        "decision_no": "1/QĐ-UBND",
        **extra,
    }


async def learned(world: Stack, b: dict[str, Any]) -> None:
    """Wait until payment-svc holds the beneficiary's latest version."""
    db = await asyncpg.connect(world.dsns["payment-svc"])
    try:

        async def kept() -> bool:
            version = await db.fetchval(
                "SELECT version FROM recipient WHERE beneficiary_id = $1", b["id"]
            )
            return version == b["version"]

        await until(f"payment-svc learned {b['id']} v{b['version']}", kept)
    finally:
        await db.close()


async def lines(pay: httpx.AsyncClient, month: str, kind: str) -> dict[str, dict[str, Any]]:
    """Open ``month``'s period if needed, generate its list of ``kind``, its lines by person."""
    opened = await pay.post(f"/v1/districts/{D}/periods", json={"month": month})
    assert opened.status_code in (201, 409), opened.text
    made = await pay.post(f"/v1/districts/{D}/periods/{month}/lists", json={"kind": kind})
    assert made.status_code == 201, made.text
    answer = await pay.get(f"/v1/lists/{made.json()['id']}/lines", params={"size": 5000})
    assert answer.status_code == 200, answer.text
    return {line["beneficiary_id"]: line for line in answer.json()["lines"]}


async def test_a_single_parent_is_paid_per_child_from_the_decision_that_records_them(
    world: Stack, register: httpx.AsyncClient, pay: httpx.AsyncClient
) -> None:
    missing = await register.post("/v1/beneficiaries", json=newcomer("001190000201", "DON_THAN"))
    assert (missing.status_code, missing.json()["code"]) == (422, "children_required")
    other = await register.post(
        "/v1/beneficiaries", json=newcomer("001190000202", "NCT_80", children=2)
    )
    assert (other.status_code, other.json()["code"]) == (422, "children_not_applicable")

    made = await register.post(
        "/v1/beneficiaries", json=newcomer("001190000203", "DON_THAN", children=3)
    )
    assert made.status_code == 201, made.text
    b = made.json()
    assert (b["category"], b["coefficient"], b["children"]) == ("DON_THAN", 10, 3)
    adjusted = await register.post(
        f"/v1/beneficiaries/{b['id']}/adjust",
        json={"category": "DON_THAN", "children": 4, "effective_month": MAR, "decision_no": "2/QĐ"},
    )
    assert adjusted.status_code == 200, adjusted.text
    await learned(world, adjusted.json())

    for month, paid in ((JAN, 1_500_000), (FEB, 1_500_000), (MAR, 2_000_000)):
        line = (await lines(pay, month, "monthly"))[b["id"]]
        assert (line["allowance"], line["total"]) == (paid, paid), month


async def test_the_funeral_list_pays_a_death_the_register_decided_in_its_month_once(
    world: Stack, register: httpx.AsyncClient, pay: httpx.AsyncClient
) -> None:
    made = await register.post("/v1/beneficiaries", json=newcomer("001190000301", "NCT_80"))
    assert made.status_code == 201, made.text
    b = made.json()
    died = await register.post(
        f"/v1/beneficiaries/{b['id']}/death",
        json={"death_date": "2025-02-10", "decision_no": "3/QĐ", "funeral_recipient": "Con"},
    )
    assert died.status_code == 200, died.text
    await learned(world, died.json())

    assert b["id"] not in await lines(pay, JAN, "funeral")
    february = await lines(pay, FEB, "funeral")
    assert (february[b["id"]]["funeral"], february[b["id"]]["total"]) == (10_000_000, 10_000_000)
    assert b["id"] not in await lines(pay, MAR, "funeral")
    again = await lines(pay, FEB, "funeral")  # a new version: the same one payment
    assert again[b["id"]]["funeral"] == 10_000_000
