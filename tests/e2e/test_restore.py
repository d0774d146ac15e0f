"""Restoring a removed beneficiary pays nothing for the months they were removed, unless a
decision says so — through the real services: beneficiary-svc's HTTP API, the bus, and
payment-svc's monthly lists.

The removal is recorded now and then dated two months back in beneficiary-svc's history (the
test stands in for a removal made then; the restore reads the removal's month from there).
Amounts by hand from DOMAIN.md: KT_N coefficient 1.5 × 500,000 VND (from 2024-07) = 750,000.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest_asyncio
from btxh_common.auth import Role
from btxh_common.clock import add_months, current_month, month_text
from btxh_tools.harness import Stack, start_stack
from btxh_tools.polling import until

D = "001"
NAMES = ["beneficiary-svc", "payment-svc"]
M = current_month()
M_2, M_1 = add_months(M, -2), add_months(M, -1)
KT_N = 750_000


@pytest_asyncio.fixture(scope="module")
async def world(pg_server: str, kafka_bootstrap: str, module_tmp: Path) -> AsyncIterator[Stack]:
    async with start_stack(pg_server, kafka_bootstrap, module_tmp, NAMES) as run:
        yield run


def client(world: Stack, name: str, role: Role = Role.DISTRICT_OFFICER) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=world.urls[name], headers=world.token(D, role=role), timeout=60
    )


async def person(register: httpx.AsyncClient, national_id: str) -> dict[str, Any]:
    answer = await register.post(
        "/v1/beneficiaries",
        json={
            "full_name": f"Phạm Thị Hồng {national_id[-2:]}",
            "national_id": national_id,
            "commune_code": "00001",
            "category": "KT_N",
            "allowance_start_month": "2025-01",
            "decision_no": "1/QĐ-UBND",
        },
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def removed_two_months_ago(world: Stack, boss: httpx.AsyncClient, b: dict[str, Any]) -> None:
    answer = await boss.request(
        "DELETE", f"/v1/beneficiaries/{b['id']}", json={"reason": "Nhập trùng"}
    )
    assert answer.status_code == 200, answer.text
    db = await asyncpg.connect(world.dsns["beneficiary-svc"])
    try:
        moved = await db.execute(
            """UPDATE beneficiary_history SET at = ($2::date + interval '14 days 3 hours')
                      AT TIME ZONE 'Asia/Ho_Chi_Minh'
               WHERE beneficiary_id = $1 AND action = 'remove'""",
            b["id"],
            M_2,
        )
        assert moved == "UPDATE 1"
    finally:
        await db.close()


async def learned(world: Stack, b: dict[str, Any]) -> None:
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


async def month_totals(pay: httpx.AsyncClient, month: date) -> dict[str, int]:
    opened = await pay.post(f"/v1/districts/{D}/periods", json={"month": month_text(month)})
    assert opened.status_code in (201, 409), opened.text
    made = await pay.post(
        f"/v1/districts/{D}/periods/{month_text(month)}/lists", json={"kind": "monthly"}
    )
    assert made.status_code == 201, made.text
    answer = await pay.get(f"/v1/lists/{made.json()['id']}/lines", params={"size": 5000})
    assert answer.status_code == 200, answer.text
    return {line["beneficiary_id"]: line["total"] for line in answer.json()["lines"]}


async def test_a_restored_beneficiary_is_not_paid_for_the_months_they_were_removed(
    world: Stack,
) -> None:
    async with (
        client(world, "beneficiary-svc") as register,
        client(world, "beneficiary-svc", Role.DISTRICT_SUPERVISOR) as boss,
        client(world, "payment-svc") as pay,
    ):
        kept = await person(register, "001160000901")
        plain = await person(register, "001160000902")
        decided = await person(register, "001160000903")
        for b in (plain, decided):
            await removed_two_months_ago(world, boss, b)
        why = {"reason": "Xóa nhầm, khôi phục theo đơn đề nghị"}
        back = await boss.post(f"/v1/beneficiaries/{plain['id']}/restore", json=why)
        assert back.status_code == 200, back.text
        paid_back = await boss.post(
            f"/v1/beneficiaries/{decided['id']}/restore",
            json={**why, "decision_no": "45/QĐ-UBND", "pay_from": month_text(M_1)},
        )
        assert paid_back.status_code == 200, paid_back.text
        for b in (kept, back.json(), paid_back.json()):
            await learned(world, b)

        k, p, d = kept["id"], plain["id"], decided["id"]
        assert await month_totals(pay, M_2) == {k: KT_N}
        assert await month_totals(pay, M_1) == {k: KT_N, d: KT_N}
        assert await month_totals(pay, M) == {k: KT_N, p: KT_N, d: KT_N}

        decisions = (await register.get(f"/v1/beneficiaries/{p}/decisions")).json()
        gap = [(x["effective_month"], x["status"]) for x in decisions if x["action"] == "restore"]
        assert gap == [(month_text(M_2), "removed"), (month_text(M), "active")]
