"""Decisions take effect in a month (DOMAIN.md): an officer records adjustments, suspensions,
resumptions and stops through beneficiary-svc's HTTP API; payment-svc, a real process fed over
the real broker, pays each month what the decisions in force in that month say.

Amounts by hand from DOMAIN.md: standard level 500,000 VND from 2024-07; allowance = level ×
coefficient (NCT_80 1.0, KT_DBN 2.0, NCT_NGHEO_60_80 1.5, KT_N 1.5).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest_asyncio
from btxh_common.clock import current_month, month_text, next_month
from btxh_tools.harness import Stack, start_stack
from btxh_tools.polling import until

D = "001"
NAMES = ["beneficiary-svc", "payment-svc"]
M = current_month()
M1 = next_month(M)
M2 = next_month(M1)


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


async def person(
    register: httpx.AsyncClient, national_id: str, category: str, *decisions: tuple[str, dict]
) -> dict[str, Any]:
    """A beneficiary paid since 2025-01, then the decisions ``(route, body)`` in order."""
    answer = await register.post(
        "/v1/beneficiaries",
        json={
            "full_name": f"Người {national_id[-4:]}",
            "national_id": national_id,
            "commune_code": "00001",
            "category": category,
            "allowance_start_month": "2025-01",
            "decision_no": "1/QĐ-UBND",
        },
    )
    assert answer.status_code == 201, answer.text
    b = dict(answer.json())
    for route, body in decisions:
        answer = await register.post(f"/v1/beneficiaries/{b['id']}/{route}", json=body)
        assert answer.status_code == 200, answer.text
        b = dict(answer.json())
    return b


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


async def month_lines(pay: httpx.AsyncClient, month: date) -> dict[str, dict[str, Any]]:
    """Open ``month``'s period if needed, generate its monthly list, its lines by beneficiary."""
    opened = await pay.post(f"/v1/districts/{D}/periods", json={"month": month_text(month)})
    assert opened.status_code in (201, 409), opened.text
    made = await pay.post(
        f"/v1/districts/{D}/periods/{month_text(month)}/lists", json={"kind": "monthly"}
    )
    assert made.status_code == 201, made.text
    answer = await pay.get(f"/v1/lists/{made.json()['id']}/lines", params={"size": 5000})
    assert answer.status_code == 200, answer.text
    return {line["beneficiary_id"]: line for line in answer.json()["lines"]}


async def test_an_adjustment_effective_next_month_leaves_this_month_at_the_old_coefficient(
    world: Stack, register: httpx.AsyncClient, pay: httpx.AsyncClient
) -> None:
    b = await person(
        register,
        "001140000101",
        "NCT_80",
        (
            "adjust",
            {"category": "KT_DBN", "effective_month": month_text(M1), "decision_no": "2/QĐ"},
        ),
    )
    await learned(world, b)

    this_month = (await month_lines(pay, M))[b["id"]]
    assert (this_month["category"], this_month["coefficient"]) == ("NCT_80", 10)
    assert (this_month["allowance"], this_month["total"]) == (500_000, 500_000)

    following = (await month_lines(pay, M1))[b["id"]]
    assert (following["category"], following["coefficient"]) == ("KT_DBN", 20)
    assert (following["allowance"], following["total"]) == (1_000_000, 1_000_000)


async def test_a_suspension_with_a_resumption_two_months_ahead_pays_again_only_from_then(
    world: Stack, register: httpx.AsyncClient, pay: httpx.AsyncClient
) -> None:
    b = await person(
        register,
        "001140000202",
        "NCT_NGHEO_60_80",
        ("suspend", {"effective_month": month_text(M), "reason": "Đang xác minh"}),
        ("resume", {"effective_month": month_text(M2), "reason": "Đã xác minh"}),
    )
    await learned(world, b)

    assert b["id"] not in await month_lines(pay, M)
    assert b["id"] not in await month_lines(pay, M1)
    again = (await month_lines(pay, M2))[b["id"]]
    assert (again["coefficient"], again["allowance"], again["total"]) == (15, 750_000, 750_000)


async def test_a_stop_from_next_month_pays_this_month_and_nothing_after(
    world: Stack, register: httpx.AsyncClient, pay: httpx.AsyncClient
) -> None:
    b = await person(
        register,
        "001140000303",
        "KT_N",
        (
            "stop",
            {"effective_month": month_text(M1), "decision_no": "3/QĐ", "reason": "Thôi hưởng"},
        ),
    )
    await learned(world, b)

    last = (await month_lines(pay, M))[b["id"]]
    assert (last["coefficient"], last["allowance"], last["total"]) == (15, 750_000, 750_000)
    assert b["id"] not in await month_lines(pay, M1)
