"""Restoring one service's database from a backup (issue 21), on the real stack: real
processes, the real broker, PostgreSQL, and ``pg_dump`` / ``pg_restore``.

1. payment-svc is restored to a dump taken mid-month (the period open, no list yet) after
   the month went on (the list generated and submitted, an arrears import applied, the list
   sent, paid and settled): it rebuilds the list it made from its own events on the bus
   (``PaymentListRecorded``), re-reads the other topics from the position its own database
   holds and its books come out equal,
   to the đồng, to what they were before the restore; next month's list pays what the model
   says plus exactly the unpaid money.
2. beneficiary-svc (a producer) is restored to a dump: ``btxh-reconcile`` lists exactly the
   changes made after the dump, each with the consumers that applied it; the import it
   re-read from the bus is marked as made again, the officer's own changes are not.
"""

from __future__ import annotations

import asyncio
import io
import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import openpyxl
from beneficiary_svc.demo import seed
from btxh_common.testing.infra import create_database, drop_database
from btxh_common.topics import BENEFICIARY_EVENTS, POSTOFFICE_INBOUND, POSTOFFICE_OUTBOUND
from btxh_tools.harness import Stack, start_stack
from btxh_tools.polling import until
from btxh_tools.postoffice_sim import Behaviour, PostOffice, running
from btxh_tools.register_feed import register_owes

D = "001"
PEOPLE = 120
SETTLEMENT_ENV = {"settlement-svc": {"SCAN_SECONDS": "0.5", "RESEND_BASE_SECONDS": "2"}}


def months() -> tuple[date, date]:
    this = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().replace(day=1)
    return this, date(this.year + this.month // 12, this.month % 12 + 1, 1)


async def run(*argv: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    assert process.returncode in (0, 1), f"{argv[0]} failed: {err.decode()[-2000:]}"
    return int(process.returncode or 0), out.decode()


async def dump(world: Stack, name: str, path: Path) -> None:
    """A backup of ``name``'s database while it runs (pg_dump: one consistent snapshot)."""
    code, _ = await run("pg_dump", "--format=custom", "--file", str(path), world.dsns[name])
    assert code == 0


async def put_back(world: Stack, pg_server: str, name: str, path: Path) -> None:
    """Stop ``name`` and put its database back to the dump (started again by the caller)."""
    world.kill(name)
    database = world.dsns[name].rsplit("/", 1)[1]
    await drop_database(pg_server, database)
    await create_database(pg_server, database)
    code, _ = await run("pg_restore", "--no-owner", "--dbname", world.dsns[name], str(path))
    assert code == 0


def start(world: Stack, name: str) -> None:
    world.start(name)
    world.wait_ready(name)


async def fetchval(dsn: str, sql: str, *args: Any) -> Any:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()


async def all_sent(world: Stack, name: str) -> bool:
    return (
        await fetchval(world.dsns[name], "SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0
    )


async def seeded(world: Stack, readers: dict[str, str]) -> None:
    conn = await asyncpg.connect(world.dsns["beneficiary-svc"])
    try:
        await seed(conn, D, PEOPLE, seed=7, topic=world.topic(BENEFICIARY_EVENTS))
    finally:
        await conn.close()
    for name, table in readers.items():
        sql = f"SELECT count(*) = $1 FROM {table}"
        await until(
            f"{name} learned the register", lambda n=name, s=sql: fetchval(world.dsns[n], s, PEOPLE)
        )


async def arrears_import(world: Stack, month: date) -> tuple[str, dict[str, int]]:
    """An officer's arrears import (template → fill four rows → upload → confirm), applied;
    the batch and the arrears by beneficiary."""
    register = await asyncpg.connect(world.dsns["beneficiary-svc"])
    try:
        commune = await register.fetchval(
            "SELECT commune_code FROM beneficiary GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
        )
    finally:
        await register.close()
    async with client(world, "import-svc") as imp:
        template = await imp.get(
            "/v1/templates/arrears", params={"district": D, "commune": commune}
        )
        assert template.status_code == 200, template.text
        book = openpyxl.load_workbook(io.BytesIO(template.content))
        sheet = book["DuLieu"]
        cols = {
            k.removeprefix("btxh."): openpyxl.utils.column_index_from_string(
                v.attr_text.split("!$")[1].split("$")[0]
            )
            for k, v in book.defined_names.items()
        }
        for row, amount in {2: 1_200_000, 3: 800_000, 4: 450_000, 5: 2_000_000}.items():
            sheet.cell(row, cols["arrears_amount"]).value = f"{amount:,}".replace(",", ".")
            sheet.cell(row, cols["arrears_period"]).value = f"{month:%m/%Y}"
        out = io.BytesIO()
        book.save(out)
        answer = await imp.post(
            "/v1/imports",
            data={"kind": "arrears", "district": D},
            files=[("files", ("xa.xlsx", out.getvalue(), "application/octet-stream"))],
        )
        assert answer.status_code == 202, answer.text
        batch = answer.json()["batches"][0]["id"]
        await until("validated", lambda: _status_is(imp, batch, "parsing", negate=True))
        assert (await imp.post(f"/v1/imports/{batch}/confirm", json={})).status_code == 202
        await until("applied", lambda: _status_is(imp, batch, "applied"))
        rows = (await imp.get(f"/v1/imports/{batch}/rows")).json()["rows"]
    people = {
        r["beneficiary_id"]: r["values"]["arrears_amount"] for r in rows if r["status"] == "valid"
    }
    assert sorted(people.values()) == [450_000, 800_000, 1_200_000, 2_000_000]
    return batch, people


async def _status_is(
    imp: httpx.AsyncClient, batch: str, status: str, *, negate: bool = False
) -> bool:
    return ((await imp.get(f"/v1/imports/{batch}")).json()["status"] == status) != negate


def client(world: Stack, name: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=world.urls[name], headers=world.token(D), timeout=120)


async def books(pay: httpx.AsyncClient, list_id: str, period: str) -> dict[str, Any]:
    """What an auditor reads of the month: the list, its lines, DVCT_01 and DVCT_02."""
    lines = (await pay.get(f"/v1/lists/{list_id}/lines", params={"size": 5000})).json()["lines"]
    return {
        "list": (await pay.get(f"/v1/lists/{list_id}")).json(),
        "lines": sorted(lines, key=lambda line: line["id"]),
        "dvct01": (await pay.get(f"/v1/districts/{D}/periods/{period}/reports/dvct01")).json(),
        "dvct02": (await pay.get(f"/v1/districts/{D}/periods/{period}/reports/dvct02")).json(),
    }


async def test_payment_svc_restored_mid_month_catches_up_from_the_bus_to_the_same_books(
    pg_server: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    this, following = months()
    period, next_period = f"{this:%Y-%m}", f"{following:%Y-%m}"
    async with start_stack(pg_server, kafka_bootstrap, tmp_path, env=SETTLEMENT_ENV) as world:
        await seeded(world, {"payment-svc": "recipient", "import-svc": "identity"})
        post_office = PostOffice(
            world.bootstrap,
            Behaviour(results_delay=0.5, pay_share=0.8),
            outbound=world.topic(POSTOFFICE_OUTBOUND),
            inbound=world.topic(POSTOFFICE_INBOUND),
            group="restore-post-office",
        )
        async with client(world, "payment-svc") as pay, client(world, "settlement-svc") as st:
            # mid-month: the period open, no list yet
            assert (
                await pay.post(f"/v1/districts/{D}/periods", json={"month": period})
            ).status_code == 201
            backup = tmp_path / "payment-svc.dump"
            await dump(world, "payment-svc", backup)

            # the month goes on: the list made and submitted, an arrears import, the list
            # paid, the settlement closed
            made = (await pay.post(f"/v1/districts/{D}/periods/{period}/lists", json={})).json()
            assert (await pay.post(f"/v1/lists/{made['id']}/submit")).status_code == 202
            await until("payment-svc published the list", lambda: all_sent(world, "payment-svc"))
            _, arrears = await arrears_import(world, this)
            async with running(post_office):
                settlement = await until(
                    "settlement received",
                    lambda: _received(world, made["id"]),
                )
                closed = await st.post(f"/v1/settlements/{settlement}/close", json={})
                assert closed.status_code == 200, closed.text
                await until("list settled", lambda: _list_status(pay, made["id"], "settled"))
            await until("import seen", lambda: _arrears_count(world, len(arrears)))
            before = await books(pay, made["id"], period)
            assert before["dvct01"]["total"]["paid"] > 0
            assert before["dvct01"]["total"]["unpaid"] > 0

            await put_back(world, pg_server, "payment-svc", backup)
            assert await _arrears_count(world, 0), "the restored database is the mid-month one"
            lists = "SELECT count(*) FROM payment_list"
            assert await fetchval(world.dsns["payment-svc"], lists) == 0, "made after the dump"
            start(world, "payment-svc")
            await until(
                "the restored payment-svc settled the list again",
                lambda: _list_status(pay, made["id"], "settled"),
            )
            await until("and learned the import again", lambda: _arrears_count(world, len(arrears)))
            after = await books(pay, made["id"], period)
            assert after == before

            # the next month from the restored books: the model's amounts plus the unpaid money
            report = closed.json()["report"]
            assert (report["paid_amount"], report["unpaid_amount"]) == (
                after["dvct01"]["total"]["paid"],
                after["dvct01"]["total"]["unpaid"],
            )
            unpaid = {
                ln["beneficiary_id"]: ln["total"]
                for ln in after["lines"]
                if ln["status"] == "unpaid"
            }
            assert (
                await pay.post(f"/v1/districts/{D}/periods", json={"month": next_period})
            ).status_code == 201
            nxt = (await pay.post(f"/v1/districts/{D}/periods/{next_period}/lists", json={})).json()
            lines = (await pay.get(f"/v1/lists/{nxt['id']}/lines", params={"size": 5000})).json()[
                "lines"
            ]
        register = await asyncpg.connect(world.dsns["beneficiary-svc"])
        try:
            owed = await register_owes(register, D, following)
        finally:
            await register.close()
        got = {ln["beneficiary_id"]: ln for ln in lines}
        assert {b: ln["carried_over"] for b, ln in got.items() if ln["carried_over"]} == unpaid
        assert {b: ln["arrears"] for b, ln in got.items() if ln["arrears"]} == arrears
        assert {b: ln["total"] - ln["carried_over"] for b, ln in got.items()} == owed
        assert nxt["total"] == sum(owed.values()) + sum(unpaid.values())


async def _received(world: Stack, list_id: str) -> Any:
    return await fetchval(
        world.dsns["settlement-svc"],
        "SELECT id::text FROM settlement WHERE list_id = $1::uuid AND state = 'received'",
        list_id,
    )


async def _list_status(pay: httpx.AsyncClient, list_id: str, status: str) -> bool:
    answer = await pay.get(f"/v1/lists/{list_id}")
    return answer.status_code == 200 and answer.json()["status"] == status


async def _arrears_count(world: Stack, n: int) -> bool:
    sql = "SELECT count(*) FROM recipient WHERE arrears_amount > 0"
    return bool(await fetchval(world.dsns["payment-svc"], sql) == n)


async def test_beneficiary_svc_restored_reconcile_lists_exactly_the_changes_after_the_dump(
    pg_server: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    this, following = months()
    names = ["beneficiary-svc", "import-svc", "payment-svc"]
    async with start_stack(pg_server, kafka_bootstrap, tmp_path, names) as world:
        await seeded(world, {"payment-svc": "recipient", "import-svc": "identity"})
        await until("the register published", lambda: all_sent(world, "beneficiary-svc"))
        backup = tmp_path / "beneficiary-svc.dump"
        await dump(world, "beneficiary-svc", backup)

        # after the dump: an import, an officer's adjustment, a new person
        batch, arrears = await arrears_import(world, this)
        async with client(world, "beneficiary-svc") as register:
            someone = await fetchval(
                world.dsns["beneficiary-svc"],
                "SELECT id::text FROM beneficiary WHERE status = 'active' AND category <> 'KT_DBN' "
                "AND NOT id::text = ANY($1) "
                "ORDER BY id LIMIT 1",
                list(arrears),
            )
            adjusted = await register.post(
                f"/v1/beneficiaries/{someone}/adjust",
                json={
                    "category": "KT_DBN",
                    "effective_month": f"{following:%Y-%m}",
                    "decision_no": "9/QĐ",
                },
            )
            assert adjusted.status_code == 200, adjusted.text
            new = await register.post(
                "/v1/beneficiaries",
                json={
                    "full_name": "Người Mới",
                    "national_id": "001140009999",
                    "commune_code": "00001",
                    "category": "NCT_80",
                    "allowance_start_month": f"{this:%Y-%m}",
                    "decision_no": "10/QĐ-UBND",
                },
            )
            assert new.status_code == 201, new.text
        newcomer = new.json()["id"]
        versions = {someone: adjusted.json()["version"], newcomer: new.json()["version"]}
        await until(
            "payment-svc applied every change",
            lambda: fetchval(
                world.dsns["payment-svc"],
                "SELECT count(*) = 2 FROM recipient r JOIN jsonb_each_text($1::jsonb) v "
                "ON r.beneficiary_id = v.key::uuid AND r.version = v.value::int",
                json.dumps(versions),
            ),
        )
        await until(
            "import-svc too",
            lambda: fetchval(
                world.dsns["import-svc"], "SELECT count(*) = $1 FROM identity", PEOPLE + 1
            ),
        )

        await put_back(world, pg_server, "beneficiary-svc", backup)
        restored = "SELECT count(*) FROM beneficiary WHERE arrears_amount > 0"
        assert await fetchval(world.dsns["beneficiary-svc"], restored) == 0
        start(world, "beneficiary-svc")
        # the restored register re-reads the confirmed import from the bus and applies it again
        await until(
            "beneficiary-svc re-applied the import",
            lambda: fetchval(
                world.dsns["beneficiary-svc"],
                "SELECT count(*) = 4 FROM beneficiary WHERE arrears_amount > 0",
            ),
        )
        await until("and published it", lambda: all_sent(world, "beneficiary-svc"))
        consumers = [f"{n}={world.dsns[n]}" for n in ("import-svc", "payment-svc")]
        code, out = await run(
            sys.executable, "-m", "btxh_tools.reconcile",
            "--producer", "beneficiary-svc", "--producer-db", world.dsns["beneficiary-svc"],
            *[a for c in consumers for a in ("--consumer", c)],
            "--bootstrap", world.bootstrap, "--topic-prefix", world.topic_prefix, "--json",
        )  # fmt: skip
    report = json.loads(out)
    assert code == 1
    assert list(report["districts"]) == [D]
    found = report["districts"][D]
    lost = {(e["event_type"], e["subject"]): e for e in found["lost_by_producer"]}
    expected = {
        ("BeneficiaryChanged", someone),
        ("BeneficiaryRegistered", newcomer),
        ("ImportApplied", batch),
        *[("BeneficiaryChanged", b) for b in arrears],
    }
    assert set(lost) == expected
    assert len(found["lost_by_producer"]) == len(expected)
    assert all(e["applied_by"] == ["import-svc", "payment-svc"] for e in lost.values())
    remade = {key for key, e in lost.items() if e["remade_by"]}
    assert remade == {("ImportApplied", batch), *[("BeneficiaryChanged", b) for b in arrears]}
    assert found["not_on_topic"] == []
    assert found["not_applied"] == {}
