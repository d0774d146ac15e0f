"""DVCT_02 as Excel for a large district is built off the event loop (issue 16, item 10c):
while the workbook is being written, ``/readyz`` keeps answering.

The order of events is what is checked, not durations: from the moment the service logs
that it starts building (``report.building``) until the workbook arrives, ``/readyz`` is
asked again and again, one request after another; a build on the event loop would let at
most the one request already waiting through before the workbook."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from io import BytesIO
from pathlib import Path
from uuid import uuid4

import asyncpg
import httpx
import pytest_asyncio
from btxh_tools.harness import Stack, start_stack
from openpyxl import load_workbook

D, MONTH = "001", "2025-03"
LINES = 20_000


@pytest_asyncio.fixture(scope="module")
async def svc(pg_server: str, kafka_bootstrap: str, module_tmp: Path) -> AsyncIterator[Stack]:
    async with start_stack(pg_server, kafka_bootstrap, module_tmp, ["payment-svc"]) as run:
        yield run


async def seed_large_list(svc: Stack, http: httpx.AsyncClient) -> None:
    """An open period (through the API) holding a draft list of ``LINES`` unpaid lines
    (written directly: the report only reads them)."""
    answer = await http.post(f"/v1/districts/{D}/periods", json={"month": MONTH})
    assert answer.status_code == 201, answer.text
    conn = await asyncpg.connect(svc.dsns["payment-svc"])
    try:
        list_id = uuid4()
        await conn.execute(
            """INSERT INTO payment_list (id, district_code, month, kind, version, status,
                                        level, created_by)
               VALUES ($1, $2, $3, 'monthly', 1, 'draft', 500000, 'test')""",
            list_id,
            D,
            date(2025, 3, 1),
        )
        await conn.execute(
            """INSERT INTO payment_line (id, list_id, beneficiary_id, national_id, full_name,
                                        commune_code, payment_channel, allowance, total)
               SELECT gen_random_uuid(), $1, gen_random_uuid(),
                      '001' || lpad(n::text, 9, '0'), 'Nguyễn Văn Thử ' || n,
                      '0000' || (n % 9 + 1), 'cash', 500000, 500000
               FROM generate_series(1, $2) AS n""",
            list_id,
            LINES,
        )
    finally:
        await conn.close()


async def test_readyz_answers_while_a_large_dvct02_workbook_is_built(svc: Stack) -> None:
    url = svc.urls["payment-svc"]
    async with httpx.AsyncClient(base_url=url, headers=svc.token(D), timeout=300) as http:
        await seed_large_list(svc, http)
        before = svc.log("payment-svc").count('"report.building"')
        report = asyncio.create_task(
            http.get(f"/v1/districts/{D}/periods/{MONTH}/reports/dvct02", params={"format": "xlsx"})
        )
        while svc.log("payment-svc").count('"report.building"') == before:
            assert not report.done(), "the workbook came before its build was logged"
            await asyncio.sleep(0.01)
        answered = 0
        async with httpx.AsyncClient(base_url=url, timeout=300) as probe:
            while not report.done():
                ready = await probe.get("/readyz")
                assert ready.status_code == 200, ready.text
                answered += 1
        workbook = (await report).content
    assert answered >= 3, answered
    sheet = load_workbook(BytesIO(workbook), read_only=True).active
    assert sheet is not None
    rows = sheet.iter_rows(values_only=True)
    assert sum(1 for r in rows if any(str(v).startswith("Nguyễn Văn Thử ") for v in r)) == LINES
