"""Read your writes (issue 19), through the real services over the real broker, with
payment-svc's and import-svc's consumers slowed down on purpose (each event held
``TEST_INBOX_DELAY_SECONDS`` before it is applied): a write answers the register position it
left; a list or a validation asked ``as_of`` it waits until its read model has reached it.

Amounts by hand from DOMAIN.md: standard level 500,000 VND from 2024-07; NCT_80 has
coefficient 1.0, so a person in force this month is owed 500,000 VND; arrears due by this
month are paid as recorded.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import openpyxl
import pytest_asyncio
from beneficiary_svc.demo import seed
from btxh_common.clock import current_month, month_text
from btxh_common.topics import BENEFICIARY_EVENTS
from btxh_tools.harness import Stack, start_stack
from btxh_tools.polling import until
from btxh_tools.readiness import wait_caught_up

D = "001"
COMMUNE = "00001"
NAMES = ["beneficiary-svc", "payment-svc", "import-svc"]
SLOW = {"TEST_INBOX_DELAY_SECONDS": "0.5"}
PERIOD = month_text(current_month())
NCT_80_ALLOWANCE = 500_000  # 500,000 × 1.0
STALE_VI = "dữ liệu đối tượng đã thay đổi sau khi lập danh sách"


@pytest_asyncio.fixture(scope="module")
async def world(pg_server: str, kafka_bootstrap: str, module_tmp: Path) -> AsyncIterator[Stack]:
    env = {"payment-svc": SLOW, "import-svc": SLOW}
    async with start_stack(pg_server, kafka_bootstrap, module_tmp, NAMES, env=env) as run:
        conn = await asyncpg.connect(run.dsns["beneficiary-svc"])
        try:
            await seed(conn, D, 8, seed=19, topic=run.topic(BENEFICIARY_EVENTS))
        finally:
            await conn.close()
        await caught_up(run)
        async with client(run, "payment-svc") as pay:
            opened = await pay.post(f"/v1/districts/{D}/periods", json={"month": PERIOD})
            assert opened.status_code == 201, opened.text
        yield run


def client(world: Stack, name: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=world.urls[name], headers=world.token(D), timeout=120)


async def caught_up(world: Stack) -> dict[str, int]:
    return await asyncio.to_thread(wait_caught_up, world.urls, world.token(D), D, 300)


async def person(register: httpx.AsyncClient, national_id: str) -> dict[str, Any]:
    answer = await register.post(
        "/v1/beneficiaries",
        json={
            "full_name": f"Người {national_id[-4:]}",
            "national_id": national_id,
            "commune_code": COMMUNE,
            "category": "NCT_80",
            "allowance_start_month": "2025-01",
            "decision_no": "19/QĐ-UBND",
        },
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def generate(pay: httpx.AsyncClient, as_of: int | None) -> dict[str, Any]:
    body = {} if as_of is None else {"as_of": as_of}
    answer = await pay.post(f"/v1/districts/{D}/periods/{PERIOD}/lists", json=body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def lines(pay: httpx.AsyncClient, list_id: str) -> dict[str, dict[str, Any]]:
    rows = (await pay.get(f"/v1/lists/{list_id}/lines", params={"size": 5000})).json()["lines"]
    return {r["beneficiary_id"]: r for r in rows if r["status"] != "split"}


async def read_position(service: httpx.AsyncClient) -> int:
    return int((await service.get(f"/v1/districts/{D}/read-position")).json()["position"])


async def test_a_registration_is_on_the_list_generated_as_of_its_position_every_time(
    world: Stack,
) -> None:
    behind = 0
    async with client(world, "beneficiary-svc") as register, client(world, "payment-svc") as pay:
        for i in range(20):
            b = await person(register, f"0011400071{i:02d}")
            written = b["register_position"]
            behind += await read_position(pay) < written
            made = await generate(pay, as_of=written)
            assert made["register_position"] >= written
            assert made["register_changed"] is False
            assert (await lines(pay, made["id"]))[b["id"]]["total"] == NCT_80_ALLOWANCE
    print(f"payment-svc was behind the write when asked in {behind} of 20 iterations")


async def test_a_confirmed_import_is_on_the_list_generated_as_of_its_apply(world: Stack) -> None:
    register = await asyncpg.connect(world.dsns["beneficiary-svc"])
    try:  # someone paid this month whose ID no one else holds (the demo has shared IDs)
        someone = await register.fetchrow(
            """SELECT id, commune_code FROM beneficiary b
               WHERE district_code = $1 AND status = 'active' AND national_id IS NOT NULL
                 AND NOT EXISTS (SELECT 1 FROM beneficiary o
                                 WHERE o.national_id = b.national_id AND o.id <> b.id)
               ORDER BY id LIMIT 1""",
            D,
        )
    finally:
        await register.close()
    who, commune = str(someone["id"]), someone["commune_code"]
    async with client(world, "import-svc") as imp, client(world, "payment-svc") as pay:
        template = await imp.get(
            "/v1/templates/arrears", params={"district": D, "commune": commune}
        )
        assert template.status_code == 200, template.text
        for i in range(3):
            amount = 100_000 * (i + 1)
            batch = await upload_arrears(imp, template.content, who, amount)
            confirmed = await imp.post(f"/v1/imports/{batch}/confirm", json={})
            assert confirmed.status_code == 202, confirmed.text
            applied = await until(
                "applied",
                lambda batch=batch: _json_if(imp.get(f"/v1/imports/{batch}"), _applied),
            )
            made = await generate(pay, as_of=applied["applied_position"])
            assert made["register_position"] >= applied["applied_position"]
            assert (await lines(pay, made["id"]))[who]["arrears"] == amount


def _applied(batch: dict[str, Any]) -> bool:
    return batch["status"] == "applied" and batch["applied_position"] is not None


async def upload_arrears(imp: httpx.AsyncClient, template: bytes, who: str, amount: int) -> str:
    """The template with ``who`` owed ``amount`` for this month, uploaded and validated."""
    book = openpyxl.load_workbook(io.BytesIO(template))
    sheet, cols = book["DuLieu"], columns(book)
    rows = [
        r for r in range(2, sheet.max_row + 1) if sheet.cell(r, cols["beneficiary_id"]).value == who
    ]
    assert len(rows) == 1
    sheet.cell(rows[0], cols["arrears_amount"]).value = amount
    sheet.cell(rows[0], cols["arrears_period"]).value = f"{PERIOD[5:]}/{PERIOD[:4]}"
    batch = await upload(imp, book, None)
    checked = await until("validated", lambda: _json_if(imp.get(f"/v1/imports/{batch}"), _parsed))
    assert checked["valid"] == 1, checked
    return batch


def columns(book: Any) -> dict[str, int]:
    return {
        k.removeprefix("btxh."): openpyxl.utils.column_index_from_string(
            v.attr_text.split("!$")[1].split("$")[0]
        )
        for k, v in book.defined_names.items()
    }


async def upload(imp: httpx.AsyncClient, book: Any, as_of: int | None) -> str:
    out = io.BytesIO()
    book.save(out)
    form = {"kind": "arrears", "district": D} | ({} if as_of is None else {"as_of": str(as_of)})
    answer = await imp.post(
        "/v1/imports",
        data=form,
        files=[("files", ("xa.xlsx", out.getvalue(), "application/octet-stream"))],
    )
    assert answer.status_code == 202, answer.text
    return str(answer.json()["batches"][0]["id"])


def _parsed(batch: dict[str, Any]) -> bool:
    return batch["status"] != "parsing"


async def test_without_as_of_a_list_made_while_behind_records_and_flags_its_position(
    world: Stack,
) -> None:
    async with client(world, "beneficiary-svc") as register, client(world, "payment-svc") as pay:
        for i in range(5):  # the consumer is slowed down: behind at once, almost always
            b = await person(register, f"0011400072{i:02d}")
            made = await generate(pay, as_of=None)
            if made["register_position"] < b["register_position"]:
                break
        else:
            raise AssertionError("payment-svc was never behind the register when asked")
        built = made["register_position"]
        await caught_up(world)
        assert await read_position(pay) >= b["register_position"] > built
        seen = (await pay.get(f"/v1/lists/{made['id']}")).json()
        assert seen["register_position"] == built
        assert seen["register_changed"] is True
        assert STALE_VI in seen["notice_vi"].lower()
        redone = await generate(pay, as_of=b["register_position"])
        assert redone["register_changed"] is False
        assert (await lines(pay, redone["id"]))[b["id"]]["total"] == NCT_80_ALLOWANCE


async def test_an_upload_validated_as_of_a_registration_never_misses_the_person(
    world: Stack,
) -> None:
    async with client(world, "beneficiary-svc") as register, client(world, "import-svc") as imp:
        template = await imp.get(
            "/v1/templates/arrears", params={"district": D, "commune": COMMUNE}
        )
        assert template.status_code == 200, template.text
        for i in range(5):
            b = await person(register, f"0011400073{i:02d}")
            book = openpyxl.load_workbook(io.BytesIO(template.content))
            sheet, cols = book["DuLieu"], columns(book)
            row = 2
            while sheet.cell(row, cols["beneficiary_id"]).value:
                row += 1
            values = {
                "beneficiary_id": b["id"],
                "national_id": b["national_id"],
                "full_name": b["full_name"],
                "commune_code": COMMUNE,
                "change_type": "Điều chỉnh thông tin, CS",
                "arrears_amount": 250_000,
                "arrears_period": f"{PERIOD[5:]}/{PERIOD[:4]}",
            }
            for key, value in values.items():
                sheet.cell(row, cols[key]).value = value
            batch = await upload(imp, book, as_of=b["register_position"])
            checked = await until(
                "validated", lambda batch=batch: _json_if(imp.get(f"/v1/imports/{batch}"), _parsed)
            )
            assert checked["register_position"] >= b["register_position"]
            found = (await imp.get(f"/v1/imports/{batch}/rows")).json()["rows"]
            mine = [r for r in found if r["values"].get("national_id") == b["national_id"]]
            assert len(mine) == 1
            assert [e["code"] for e in mine[0]["errors"]] == []
            assert mine[0]["status"] == "valid"


async def test_an_as_of_the_read_model_cannot_reach_is_refused_with_both_numbers(
    world: Stack,
) -> None:
    async with client(world, "payment-svc") as pay:
        now = await read_position(pay)
        answer = await pay.post(
            f"/v1/districts/{D}/periods/{PERIOD}/lists", json={"as_of": now + 1_000_000}
        )
    assert answer.status_code == 409
    problem = answer.json()
    assert problem["code"] == "read_model_behind"
    assert problem["errors"][0]["value"] == {"as_of": now + 1_000_000, "read_position": now}


async def test_a_revalidation_as_of_a_position_not_reached_is_refused(world: Stack) -> None:
    async with client(world, "import-svc") as imp:
        now = await read_position(imp)
        review = {"district": D, "status": "awaiting_review"}
        found = (await imp.get("/v1/imports", params=review)).json()
        batch = found["batches"][0]["id"]  # one of the uploads above, still in review
        refused = await imp.post(f"/v1/imports/{batch}/validate", params={"as_of": now + 1000})
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "read_model_behind"
        assert refused.json()["errors"][0]["value"] == {"as_of": now + 1000, "read_position": now}
        again = await imp.post(f"/v1/imports/{batch}/validate", params={"as_of": now})
        assert again.status_code == 200, again.text
        assert again.json()["register_position"] >= now


async def _json_if(response: Awaitable[httpx.Response], ok: Callable[[Any], bool]) -> Any:
    body = (await response).json()
    return body if ok(body) else None
