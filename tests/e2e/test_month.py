"""A district's month through every service and the post office, over the real broker and
PostgreSQL: arrears import (template → upload → fix → confirm) → list → submit → sent →
acknowledged → results → settlement → close → next month's list carries the unpaid money.
The books are checked to the đồng: what the register owes = what the list holds = paid +
unpaid in DVCT_01 = what the post office reports.
"""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import openpyxl
import pytest_asyncio
from beneficiary_svc.demo import seed
from btxh_common.topics import BENEFICIARY_EVENTS, POSTOFFICE_INBOUND, POSTOFFICE_OUTBOUND
from btxh_tools.harness import Stack, start_stack
from btxh_tools.polling import until
from btxh_tools.postoffice_sim import Behaviour, PostOffice, running
from btxh_tools.register_feed import register_owes

D = "001"
PEOPLE = 1_500


def months() -> tuple[date, date]:
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    this = today.replace(day=1)
    following = date(this.year + this.month // 12, this.month % 12 + 1, 1)
    return this, following


@pytest_asyncio.fixture(scope="module")
async def world(pg_server: str, kafka_bootstrap: str, module_tmp: Path) -> AsyncIterator[Stack]:
    env = {"settlement-svc": {"SCAN_SECONDS": "0.5", "RESEND_BASE_SECONDS": "2"}}
    async with start_stack(pg_server, kafka_bootstrap, module_tmp, env=env) as run:
        conn = await asyncpg.connect(run.dsns["beneficiary-svc"])
        try:
            await seed(conn, D, PEOPLE, seed=42, topic=run.topic(BENEFICIARY_EVENTS))
        finally:
            await conn.close()
        for name in ("import-svc", "payment-svc"):
            table = "identity" if name == "import-svc" else "recipient"
            db = await asyncpg.connect(run.dsns[name])
            try:
                await until(
                    f"{name} learned the register",
                    lambda db=db, table=table: _equals(
                        db.fetchval(f"SELECT count(*) FROM {table}"), PEOPLE
                    ),
                )
            finally:
                await db.close()
        yield run


async def _equals(value: Awaitable[Any], expected: Any) -> bool:
    return bool(await value == expected)


def client(world: Stack, name: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=world.urls[name], headers=world.token(D), timeout=120)


async def test_a_month_from_excel_to_a_closed_settlement_and_the_next_list(world: Stack) -> None:
    this, following = months()
    period, next_period = f"{this:%Y-%m}", f"{following:%Y-%m}"
    trace = f"month-{period}"
    post_office = PostOffice(
        world.bootstrap,
        Behaviour(results_delay=0.5, pay_share=0.85),
        outbound=world.topic(POSTOFFICE_OUTBOUND),
        inbound=world.topic(POSTOFFICE_INBOUND),
        group="e2e-post-office",
    )
    register = await asyncpg.connect(world.dsns["beneficiary-svc"])
    async with (
        running(post_office),
        client(world, "import-svc") as imp,
        client(world, "payment-svc") as pay,
        client(world, "settlement-svc") as st,
    ):
        imp.headers["X-Trace-Id"] = trace
        # 1. arrears import: template with data → fill → upload → one row fixed → confirm
        commune = await register.fetchval(
            "SELECT commune_code FROM beneficiary GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
        )
        template = await imp.get(
            "/v1/templates/arrears", params={"district": D, "commune": commune}
        )
        assert template.status_code == 200
        book = openpyxl.load_workbook(io.BytesIO(template.content))
        sheet = book["DuLieu"]
        cols = {
            k.removeprefix("btxh."): openpyxl.utils.column_index_from_string(
                v.attr_text.split("!$")[1].split("$")[0]
            )
            for k, v in book.defined_names.items()
        }
        arrears = {2: 1_200_000, 3: 800_000, 4: 450_000, 5: 2_000_000}
        for row, amount in arrears.items():
            sheet.cell(row, cols["arrears_amount"]).value = f"{amount:,}".replace(",", ".")
            sheet.cell(row, cols["arrears_period"]).value = f"{this:%m/%Y}"
        sheet.cell(5, cols["arrears_period"]).value = "13/2026"  # a typo the officer fixes
        out = io.BytesIO()
        book.save(out)
        answer = await imp.post(
            "/v1/imports",
            data={"kind": "arrears", "district": D},
            files=[("files", ("xa.xlsx", out.getvalue(), "application/octet-stream"))],
        )
        assert answer.status_code == 202, answer.text
        batch = answer.json()["batches"][0]["id"]
        summary = await until(
            "validated",
            lambda: _json_if(imp.get(f"/v1/imports/{batch}"), lambda b: b["status"] != "parsing"),
        )
        assert (summary["invalid"], summary["valid"]) == (1, 3), summary
        await imp.patch(
            f"/v1/imports/{batch}/rows/5", json={"values": {"arrears_period": f"{this:%m/%Y}"}}
        )
        assert (await imp.post(f"/v1/imports/{batch}/validate")).json()["valid"] == 4
        assert (await imp.post(f"/v1/imports/{batch}/confirm", json={})).status_code == 202
        await until(
            "applied",
            lambda: _json_if(imp.get(f"/v1/imports/{batch}"), lambda b: b["status"] == "applied"),
        )
        people = {
            r["beneficiary_id"]: r["values"]["arrears_amount"]
            for r in (await imp.get(f"/v1/imports/{batch}/rows")).json()["rows"]
            if r["status"] == "valid"
        }
        payments = await asyncpg.connect(world.dsns["payment-svc"])
        try:
            await until(
                "payment-svc saw the arrears",
                lambda: _equals(
                    payments.fetchval("SELECT count(*) FROM recipient WHERE arrears_amount > 0"), 4
                ),
            )
        finally:
            await payments.close()

        # 2. the list: what the register owes is what the list holds
        owed = await register_owes(register, D, this)
        assert (
            await pay.post(f"/v1/districts/{D}/periods", json={"month": period})
        ).status_code == 201
        made = (await pay.post(f"/v1/districts/{D}/periods/{period}/lists", json={})).json()
        assert made["total"] == sum(owed.values())
        assert made["lines"] == len(owed)
        lines = await _lines(pay, made["id"])
        assert {b: lines[b]["arrears"] for b in people} == people
        assert (await pay.post(f"/v1/lists/{made['id']}/submit")).status_code == 202

        # 3. the post office: sent, acknowledged, results, settlement; the officer closes
        settlements = await asyncpg.connect(world.dsns["settlement-svc"])
        try:
            s = await until(
                "settlement received",
                lambda: settlements.fetchrow(
                    "SELECT * FROM settlement WHERE list_id = $1 AND state = 'received'",
                    _uuid(made["id"]),
                ),
            )
        finally:
            await settlements.close()
        closed = await st.post(f"/v1/settlements/{s['id']}/close", json={})
        assert closed.status_code == 200, closed.text
        await until(
            "list settled",
            lambda: _json_if(
                pay.get(f"/v1/lists/{made['id']}"), lambda x: x["status"] == "settled"
            ),
        )

        # 4. the books, to the đồng
        d1 = (await pay.get(f"/v1/districts/{D}/periods/{period}/reports/dvct01")).json()["total"]
        d2 = (await pay.get(f"/v1/districts/{D}/periods/{period}/reports/dvct02")).json()
        report = closed.json()["report"]
        assert d1["to_pay"] == made["total"] == d1["paid"] + d1["recovered"] + d1["unpaid"]
        assert d1["unpaid"] == d2["total"]
        assert (report["paid_amount"], report["unpaid_amount"]) == (d1["paid"], d1["unpaid"])
        assert report["paid_count"] + report["unpaid_count"] == made["lines"]

        # 5. next month carries exactly the unpaid money, once
        unpaid = {
            b: line["total"]
            for b, line in (await _lines(pay, made["id"])).items()
            if line["status"] == "unpaid"
        }
        assert unpaid, "the post office left some people unpaid"
        assert (
            await pay.post(f"/v1/districts/{D}/periods", json={"month": next_period})
        ).status_code == 201
        nxt = (await pay.post(f"/v1/districts/{D}/periods/{next_period}/lists", json={})).json()
        carried = {
            b: line["carried_over"]
            for b, line in (await _lines(pay, nxt["id"])).items()
            if line["carried_over"]
        }
        assert carried == unpaid
        assert all(line["arrears"] == 0 for line in (await _lines(pay, nxt["id"])).values())

    # one trace id followed from the upload to the register's change events
    logs = world.log("beneficiary-svc")
    assert trace in logs, "the import's trace id reached beneficiary-svc"
    await register.close()


async def test_no_national_id_of_the_district_appears_in_any_service_log(world: Stack) -> None:
    """Run after the month (same stack): every log line any service wrote, scanned for every
    national ID of the demo district, after requests that carry IDs in query strings and in
    refused bodies."""
    register = await asyncpg.connect(world.dsns["beneficiary-svc"])
    try:
        ids = {
            r["national_id"]
            for r in await register.fetch(
                "SELECT national_id FROM beneficiary WHERE district_code = $1 "
                "AND national_id IS NOT NULL",
                D,
            )
        }
    finally:
        await register.close()
    assert len(ids) > PEOPLE // 2
    known = sorted(ids)[:3]
    async with client(world, "beneficiary-svc") as ben:
        for national_id in known:
            found = await ben.get("/v1/beneficiaries", params={"national_id": national_id})
            assert found.status_code == 200
            assert found.json()["total"] >= 1, "the search did find the ID it logs"
        refused = await ben.get(
            "/v1/beneficiaries", params={"national_id": known[0], "size": 10_000}
        )
        assert refused.status_code == 422
        twice = await ben.post(
            "/v1/beneficiaries",
            json={"national_id": known[1], "full_name": "", "commune_code": "x"},
        )
        assert twice.status_code == 422
    leaked = {
        path.stem: sorted(set(_DIGIT_RUNS.findall(path.read_text(errors="replace"))) & ids)[:5]
        for path in sorted(world.log_dir.glob("*.log"))
    }
    assert set(leaked) >= {"beneficiary-svc", "import-svc", "payment-svc", "settlement-svc"}
    assert {name: found for name, found in leaked.items() if found} == {}


_DIGIT_RUNS = re.compile(r"(?<!\d)\d{9}(?:\d{3})?(?!\d)")


async def _json_if(response: Awaitable[httpx.Response], ok: Callable[[Any], bool]) -> Any:
    body = (await response).json()
    return body if ok(body) else None


def _uuid(text: str) -> Any:
    from uuid import UUID

    return UUID(text)


async def _lines(pay: httpx.AsyncClient, list_id: str) -> dict[str, dict[str, Any]]:
    rows = (await pay.get(f"/v1/lists/{list_id}/lines", params={"size": 5000})).json()["lines"]
    return {r["beneficiary_id"]: r for r in rows if r["status"] != "split"}
