"""Ready means read (issue 19): on fresh databases, the 5,000-person demo district seeded, and
the stack reported ready the way ``btxh-stack up`` does (every read model's read-position at
beneficiary-svc's register-position), a list generated at once holds everyone the register
owes — the same lines as a list generated once the read model is shown complete.

The expected lines come from the register alone (``btxh_tools.register_feed.register_owes``: DOMAIN
"Amounts", independently of payment-svc's SQL), at the standard level of 500,000 VND.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest_asyncio
from beneficiary_svc.demo import seed
from btxh_common.clock import current_month, month_text
from btxh_common.topics import BENEFICIARY_EVENTS
from btxh_tools.harness import Stack, start_stack
from btxh_tools.readiness import wait_caught_up
from btxh_tools.register_feed import register_owes

D = "001"
PEOPLE = 5_000
LEVEL = 500_000
NAMES = ["beneficiary-svc", "payment-svc", "import-svc"]


@pytest_asyncio.fixture(scope="module")
async def fresh(pg_server: str, kafka_bootstrap: str, module_tmp: Path) -> AsyncIterator[Stack]:
    async with start_stack(pg_server, kafka_bootstrap, module_tmp, NAMES) as run:
        conn = await asyncpg.connect(run.dsns["beneficiary-svc"])
        try:
            await seed(conn, D, PEOPLE, seed=1, topic=run.topic(BENEFICIARY_EVENTS))
        finally:
            await conn.close()
        yield run


async def _lines(pay: httpx.AsyncClient, list_id: str) -> dict[str, int]:
    rows = (await pay.get(f"/v1/lists/{list_id}/lines", params={"size": 5000})).json()["lines"]
    return {r["beneficiary_id"]: r["total"] for r in rows if r["status"] != "split"}


async def _count(dsn: str, sql: str) -> Any:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


async def test_a_list_generated_as_soon_as_the_stack_is_ready_misses_no_one(fresh: Stack) -> None:
    month = current_month()
    period = month_text(month)
    headers = fresh.token(D)
    reached = await asyncio.to_thread(wait_caught_up, fresh.urls, headers, D, 600)
    assert reached["beneficiary-svc"] == PEOPLE  # one registration event each
    async with httpx.AsyncClient(
        base_url=fresh.urls["payment-svc"], headers=headers, timeout=120
    ) as pay:
        opened = await pay.post(f"/v1/districts/{D}/periods", json={"month": period})
        assert opened.status_code == 201, opened.text
        first = (await pay.post(f"/v1/districts/{D}/periods/{period}/lists", json={})).json()
        at_once = await _lines(pay, first["id"])

        # the read model is complete: payment-svc and import-svc hold every person
        assert await _count(fresh.dsns["payment-svc"], "SELECT count(*) FROM recipient") == PEOPLE
        assert await _count(fresh.dsns["import-svc"], "SELECT count(*) FROM identity") == PEOPLE
        later = (await pay.post(f"/v1/districts/{D}/periods/{period}/lists", json={})).json()
        assert later["version"] == first["version"] + 1
        assert await _lines(pay, later["id"]) == at_once

    register = await asyncpg.connect(fresh.dsns["beneficiary-svc"])
    try:
        owed = await register_owes(register, D, month)
    finally:
        await register.close()
    assert at_once == owed
    assert first["register_position"] == PEOPLE
    assert first["register_changed"] is False
    print(f"at once: {len(at_once)} lines, {sum(at_once.values()):,} VND; positions {reached}")
