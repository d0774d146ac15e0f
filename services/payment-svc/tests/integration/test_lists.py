"""Payment lists for a district built to exercise every rule, amounts checked line by line.

The test plays beneficiary-svc: it publishes the register's snapshots on the real broker to a
real payment-svc process, then drives periods and lists over HTTP.

Levels: 360,000 until 2024-06, 500,000 from 2024-07 (a level change between months).
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest_asyncio
from btxh_common.auth import Role
from btxh_common.envelope import Envelope
from btxh_common.events import BeneficiaryRegistered, BeneficiarySnapshot
from btxh_common.outbox import make_producer
from btxh_common.topics import BENEFICIARY_EVENTS
from btxh_tools.harness import Stack, start_stack

D, C1, C2 = "001", "00001", "00004"
JUNE, JULY, AUGUST = "2024-06", "2024-07", "2024-08"


def person(
    name: str, commune: str, category: str, coefficient: int, **extra: Any
) -> BeneficiarySnapshot:
    values: dict[str, Any] = {
        "id": uuid4(),
        "national_id": f"001{sum(map(ord, name)) * 7919 % 10**9:09d}",
        "full_name": name,
        "district_code": D,
        "commune_code": commune,
        "category": category,
        "coefficient": coefficient,
        "status": "active",
        "allowance_start_month": "2024-01",
        "version": 1,
    }
    return BeneficiarySnapshot(**{**values, **extra})


PEOPLE = {
    "A": person("Nguyễn Văn An", C1, "NCT_80", 10),
    "B": person("Trần Thị Bình", C2, "TE_MC_U4", 25),
    "C": person("Lê Văn Cường", C1, "KT_DBN", 20, arrears_amount=700_000, arrears_period=JUNE),
    "D": person("Phạm Thị Dung", C2, "KT_N", 15),  # a recovery of 1,000,000 (made below)
    "E": person("Hoàng Văn Em", C1, "NCT_80", 10),
    "F": person("Vũ Thị Phương", C2, "NCT_80", 10),
    "G": person(
        "Đặng Văn Giang",
        C1,
        "NCT_80",
        10,
        status="deceased",
        death_date=date(2024, 8, 15),
        funeral_recipient="Đặng Văn Hải (con trai)",
    ),
    "S": person("Bùi Thị Sen", C2, "NCT_80", 10, status="stopped", status_effective_month=JULY),
    "N": person("Đỗ Văn Nam", C1, "NCT_80", 10, allowance_start_month=JULY),
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
                    district_code=D,
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


@pytest_asyncio.fixture
async def boss(svc: Stack) -> AsyncIterator[httpx.AsyncClient]:
    headers = svc.token(D, role=Role.DISTRICT_SUPERVISOR)
    async with httpx.AsyncClient(
        base_url=svc.urls["payment-svc"], headers=headers, timeout=60
    ) as c:
        yield c


async def ok(answer: httpx.Response, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    return answer.json() if answer.content else None


async def generate(http: httpx.AsyncClient, month: str, kind: str = "monthly") -> dict[str, Any]:
    return await ok(
        await http.post(f"/v1/districts/{D}/periods/{month}/lists", json={"kind": kind}), 201
    )


async def lines_by_person(http: httpx.AsyncClient, list_id: str) -> dict[str, dict[str, Any]]:
    rows = (await ok(await http.get(f"/v1/lists/{list_id}/lines", params={"size": 5000})))["lines"]
    names = {str(p.id): key for key, p in PEOPLE.items()}
    return {
        names[r["beneficiary_id"]] + ("" if r["parent_id"] is None else f"/{r['total']}"): r
        for r in rows
    }


def amounts(line: dict[str, Any]) -> tuple[int, int, int, int, int]:
    return line["allowance"], line["arrears"], line["carried_over"], line["recovery"], line["total"]


async def set_statuses(
    client: httpx.AsyncClient, list_id: str, everyone: str | None, exceptions: dict[str, str]
) -> None:
    lines = await lines_by_person(client, list_id)
    body = {
        "everyone": everyone,
        "paid_on": "2024-06-10",
        "reason": "Bảng kê của bưu điện",
        "exceptions": [{"line_id": lines[k]["id"], "status": s} for k, s in exceptions.items()],
    }
    await ok(await client.post(f"/v1/lists/{list_id}/statuses", json=body))


async def test_a_district_through_three_months_to_the_dong(
    svc: Stack, http: httpx.AsyncClient, boss: httpx.AsyncClient
) -> None:
    for month in (JUNE, JULY, AUGUST):
        await ok(await http.post(f"/v1/districts/{D}/periods", json={"month": month}), 201)

    recovery = {
        "beneficiary_id": str(PEOPLE["D"].id),
        "decision_no": "12/QĐ-UBND",
        "decision_date": "2024-05-20",
        "reason": "Hưởng sai chế độ",
        "total": 1_000_000,
        "per_period": 1_000_000,
        "from_month": JUNE,
    }
    await ok(await http.post(f"/v1/districts/{D}/recoveries", json=recovery), 201)
    june = await generate(http, JUNE)
    assert june["level"] == 360_000
    lines = await lines_by_person(http, june["id"])
    assert set(lines) == {"A", "B", "C", "D", "E", "F", "G", "S"}, (
        "N starts in July; G dies in August"
    )
    assert amounts(lines["A"]) == (360_000, 0, 0, 0, 360_000)
    assert amounts(lines["B"]) == (900_000, 0, 0, 0, 900_000)  # 2.5 × 360,000
    assert amounts(lines["C"]) == (720_000, 700_000, 0, 0, 1_420_000)  # arrears paid in June
    assert amounts(lines["D"]) == (540_000, 0, 0, 540_000, 0)  # recovery larger than the line
    assert amounts(lines["S"]) == (360_000, 0, 0, 0, 360_000)  # stopped from July
    await ok(await http.post(f"/v1/lists/{june['id']}/submit"), 202)

    # statuses by hand: an integrated district needs the supervisor's role, and it is audited
    refused = await http.post(
        f"/v1/lists/{june['id']}/statuses", json={"everyone": "paid", "reason": "x"}
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "integrated_district"
    await set_statuses(boss, june["id"], "paid", {"E": "unpaid"})
    audit = await ok(await http.get(f"/v1/lines/{lines['E']['id']}/audit"))
    assert [(a["old"], a["new"], a["by_whom"], a["source"]) for a in audit["audit"]] == [
        ("pending", "unpaid", "tester", "manual")
    ]

    july = await generate(http, JULY)
    assert july["level"] == 500_000
    lines = await lines_by_person(http, july["id"])
    assert set(lines) == {"A", "B", "C", "D", "E", "F", "G", "N"}, "S stopped; N started"
    assert amounts(lines["A"]) == (500_000, 0, 0, 0, 500_000)  # the new level
    assert amounts(lines["C"]) == (1_000_000, 0, 0, 0, 1_000_000)  # arrears not paid twice
    assert amounts(lines["D"]) == (750_000, 0, 0, 460_000, 290_000)  # the rest of the recovery
    assert amounts(lines["E"]) == (500_000, 0, 360_000, 0, 860_000)  # June's unpaid money
    # F's June money turns out unpaid only after July's list was made: not carried into July
    await set_statuses(boss, june["id"], None, {"F": "unpaid"})
    await ok(await boss.put(f"/v1/districts/{D}/payment-mode", json={"integrated": False}))
    await ok(await http.post(f"/v1/lists/{july['id']}/submit"), 202)
    await set_statuses(http, july["id"], "paid", {"E": "unpaid"})  # now allowed by hand

    # August: F's June money pulled in by hand (§4.3); E's unpaid money over two months
    moved = await ok(
        await http.post(f"/v1/districts/{D}/periods/{AUGUST}/pull", json={"from_month": JUNE})
    )
    assert moved == {"lines": 1}
    august = await generate(http, AUGUST)
    lines = await lines_by_person(http, august["id"])
    assert amounts(lines["E"]) == (500_000, 0, 860_000, 0, 1_360_000)
    assert amounts(lines["F"]) == (500_000, 0, 360_000, 0, 860_000)
    assert amounts(lines["D"]) == (750_000, 0, 0, 0, 750_000)  # fully recovered in July
    assert amounts(lines["G"]) == (500_000, 0, 0, 0, 500_000)  # died mid-August: paid August
    funeral = await generate(http, AUGUST, "funeral")
    (g_funeral,) = (await lines_by_person(http, funeral["id"])).values()
    assert g_funeral["funeral"] == g_funeral["total"] == 10_000_000  # 20 × 500,000
    assert "Đặng Văn Hải" in g_funeral["note"]

    # a regenerated draft is a new version; the carried money is carried once
    again = await generate(http, AUGUST)
    assert again["version"] == 2
    lines = await lines_by_person(http, again["id"])
    assert amounts(lines["E"]) == (500_000, 0, 860_000, 0, 1_360_000)

    # split A's line into two parts with their own statuses
    parts = await ok(
        await http.post(
            f"/v1/lines/{lines['A']['id']}/split",
            json={"parts": [{"amount": 300_000}, {"amount": 200_000}]},
        ),
        201,
    )
    assert len(parts["parts"]) == 2
    bad = await http.post(
        f"/v1/lines/{lines['B']['id']}/split", json={"parts": [{"amount": 1}, {"amount": 2}]}
    )
    assert bad.json()["code"] == "split_sum_mismatch"
    await ok(await http.post(f"/v1/lists/{again['id']}/submit"), 202)
    lines = await lines_by_person(http, again["id"])
    await set_statuses(http, again["id"], "paid", {"A/200000": "unpaid", "B": "unpaid_stopped"})

    # totals per commune are the sums of the lines; the reports balance
    view = await ok(await http.get(f"/v1/lists/{again['id']}"))
    leaves = [
        r for r in (await lines_by_person(http, again["id"])).values() if r["status"] != "split"
    ]
    for commune in view["communes"]:
        mine = [r for r in leaves if r["commune_code"] == commune["commune_code"]]
        assert commune["total"] == sum(r["total"] for r in mine)
        assert commune["lines"] == len(mine)
    assert view["total"] == sum(r["total"] for r in leaves)
    d1 = await ok(await http.get(f"/v1/districts/{D}/periods/{AUGUST}/reports/dvct01"))
    d2 = await ok(await http.get(f"/v1/districts/{D}/periods/{AUGUST}/reports/dvct02"))
    assert d1["total"]["to_pay"] == view["total"]
    assert d1["total"]["to_pay"] == d1["total"]["paid"] + d1["total"]["recovered"] + d2["total"]
    assert d1["total"]["unpaid"] == d2["total"]
    assert d2["total"] == 200_000 + lines["B"]["total"]
    assert sum(c["to_pay"] for c in d1["communes"]) == d1["total"]["to_pay"]


async def test_locked_periods_and_submitted_lists_refuse_changes(
    svc: Stack, http: httpx.AsyncClient, boss: httpx.AsyncClient, tmp_path: Path
) -> None:
    month = "2024-10"
    await ok(await http.post(f"/v1/districts/{D}/periods", json={"month": month}), 201)
    listed = await generate(http, month)
    await ok(await http.post(f"/v1/lists/{listed['id']}/submit"), 202)
    deleting = await http.delete(f"/v1/lists/{listed['id']}")
    assert (deleting.status_code, deleting.json()["code"]) == (409, "list_not_draft")
    again = await http.post(f"/v1/lists/{listed['id']}/submit")
    assert again.json()["code"] == "list_already_submitted"

    await ok(await http.post(f"/v1/districts/{D}/periods/{month}/lock", json={"note": "Chốt"}))
    for call in (
        http.post(f"/v1/districts/{D}/periods/{month}/lists", json={"kind": "monthly"}),
        http.post(f"/v1/lists/{listed['id']}/statuses", json={"everyone": "paid", "reason": "x"}),
        http.post(f"/v1/districts/{D}/periods/{month}/pull", json={"from_month": "2024-06"}),
    ):
        answer = await call
        assert (answer.status_code, answer.json()["code"]) == (409, "period_locked"), answer.text
    unlock = await http.post(f"/v1/districts/{D}/periods/{month}/unlock", json={})
    assert unlock.status_code == 403, "unlocking needs the supervisor's role"
    await ok(await boss.post(f"/v1/districts/{D}/periods/{month}/unlock", json={}))
    await ok(
        await http.post(
            f"/v1/lists/{listed['id']}/statuses",
            json={"everyone": "paid", "reason": "Bưu điện báo đã trả"},
        )
    )

    # the Excel reports open in LibreOffice (converted to CSV headless: no repair, same sums)
    for name in ("dvct01", "dvct02"):
        answer = await http.get(
            f"/v1/districts/{D}/periods/{month}/reports/{name}", params={"format": "xlsx"}
        )
        assert answer.status_code == 200
        source = tmp_path / f"{name}.xlsx"
        source.write_bytes(answer.content)
        done = subprocess.run(
            [
                "soffice",
                "--headless",
                f"-env:UserInstallation=file://{tmp_path}/lo",
                "--convert-to",
                "csv:Text - txt - csv (StarCalc):44,34,76",  # 76: UTF-8
                "--outdir",
                str(tmp_path),
                str(source),
            ],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        csv = (tmp_path / f"{name}.csv").read_text(encoding="utf-8", errors="replace")
        assert "Tổng cộng" in csv, done.stdout + done.stderr


async def test_another_districts_officer_sees_nothing(svc: Stack) -> None:
    async with httpx.AsyncClient(
        base_url=svc.urls["payment-svc"], headers=svc.token("002")
    ) as other:
        assert (await other.get(f"/v1/districts/{D}/periods")).status_code == 404
        conn = await asyncpg.connect(svc.dsns["payment-svc"])
        try:
            some: UUID = await conn.fetchval("SELECT id FROM payment_list LIMIT 1")
        finally:
            await conn.close()
        for path in (f"/v1/lists/{some}", f"/v1/lists/{some}/lines"):
            assert (await other.get(path)).status_code == 404
        assert (await other.post(f"/v1/lists/{some}/submit")).status_code == 404
