"""The register's other functions through beneficiary-svc's HTTP API on real PostgreSQL and
Kafka: policy warnings (fixed months), restoring a removed beneficiary (supervisor only), and
decision records listed and printed as PDF (text read back with ``pdftotext``)."""

import subprocess
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest_asyncio
from beneficiary_svc import demo
from btxh_common.auth import Role
from btxh_common.clock import current_month, month_text
from btxh_tools.harness import Stack, start_stack

NAME = "beneficiary-svc"
SUPERVISOR = Role.DISTRICT_SUPERVISOR


@pytest_asyncio.fixture(scope="module")
async def svc(pg_server: str, kafka_bootstrap: str, module_tmp: Path) -> AsyncIterator[Stack]:
    async with start_stack(pg_server, kafka_bootstrap, module_tmp, [NAME]) as run:
        conn = await asyncpg.connect(run.dsns[NAME])
        try:
            await demo.seed(conn, "001", 600, publish=False)
        finally:
            await conn.close()
        yield run


async def client(
    svc: Stack, district: str, role: Role = Role.DISTRICT_OFFICER
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=svc.urls[NAME], headers=svc.token(district, role=role), timeout=60
    )


@pytest_asyncio.fixture
async def http(svc: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with await client(svc, "001") as c:
        yield c


async def demo_person(svc: Stack, category: str) -> asyncpg.Record:
    conn = await asyncpg.connect(svc.dsns[NAME])
    try:
        row = await conn.fetchrow(
            """SELECT id, birth_date FROM beneficiary WHERE category = $1 AND status = 'active'
               AND birth_date IS NOT NULL ORDER BY id LIMIT 1""",
            category,
        )
    finally:
        await conn.close()
    assert row is not None, f"the demo district has a {category} person"
    return row


async def assert_warned(
    http: httpx.AsyncClient, person: asyncpg.Record, age: int, to_category: str
) -> None:
    born: date = person["birth_date"]
    month = f"{born.year + age:04d}-{born.month:02d}"  # the month of the birthday, by hand
    answer = await http.get("/v1/districts/001/policy-warnings", params={"month": month})
    assert answer.status_code == 200, answer.text
    listed = {i["beneficiary_id"]: i for i in answer.json()["items"]}
    found = listed[str(person["id"])]["warning"]
    assert (found["change"], found["to_category"], found["age"]) == ("adjust", to_category, age)
    assert (found["reached_month"], found["overdue"]) == (month, False)
    assert to_category in found["message_vi"]
    mark = await http.get(
        f"/v1/beneficiaries/{person['id']}/policy-warnings", params={"month": month}
    )
    assert [w["to_category"] for w in mark.json()] == [to_category]
    before = f"{born.year + age - 1:04d}-{born.month:02d}"
    earlier = await http.get("/v1/districts/001/policy-warnings", params={"month": before})
    assert str(person["id"]) not in {i["beneficiary_id"] for i in earlier.json()["items"]}


async def test_demo_people_turning_4_and_80_are_warned_with_the_change_to_decide(
    svc: Stack, http: httpx.AsyncClient
) -> None:
    # DOMAIN.md: TE_MC_U4 (2.5) → TE_MC_4_16 (1.5) at 4; NCT_NGHEO_60_80 (1.5) → NCT_NGHEO_80 (2.0)
    await assert_warned(http, await demo_person(svc, "TE_MC_U4"), 4, "TE_MC_4_16")
    await assert_warned(http, await demo_person(svc, "NCT_NGHEO_60_80"), 80, "NCT_NGHEO_80")


async def test_another_districts_token_sees_no_warning_and_no_record(
    svc: Stack, http: httpx.AsyncClient
) -> None:
    person = await demo_person(svc, "TE_MC_U4")
    async with await client(svc, "002") as intruder:
        listed = await intruder.get("/v1/districts/001/policy-warnings")
        assert (listed.status_code, listed.json()["code"]) == (404, "not_found")
        mark = await intruder.get(f"/v1/beneficiaries/{person['id']}/policy-warnings")
        assert mark.status_code == 404
        decisions = await intruder.get(f"/v1/beneficiaries/{person['id']}/decisions")
        assert decisions.status_code == 404
        district = await intruder.get("/v1/districts/001/decisions")
        assert district.status_code == 404


async def register(http: httpx.AsyncClient, national_id: str, **kw: Any) -> dict[str, Any]:
    body = {
        "full_name": "Đặng Hữu Phúc",
        "national_id": national_id,
        "birth_date": "1950-05-02",
        "gender": "male",
        "commune_code": "00001",
        "category": "KT_N",
        "allowance_start_month": "2025-01",
        "decision_no": "15/QĐ-UBND",
        **kw,
    }
    answer = await http.post("/v1/beneficiaries", json=body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def test_a_supervisor_restores_a_removed_beneficiary_and_the_history_says_who_and_why(
    svc: Stack, http: httpx.AsyncClient
) -> None:
    b = await register(http, "001150000771")
    url = f"/v1/beneficiaries/{b['id']}"
    async with (
        await client(svc, "001", SUPERVISOR) as boss,
        await client(svc, "002", SUPERVISOR) as other,
    ):
        removed = await boss.request("DELETE", url, json={"reason": "Nhập trùng"})
        assert removed.json()["status"] == "removed"
        body = {"reason": "Xóa nhầm, khôi phục theo đơn"}
        denied = await http.post(f"{url}/restore", json=body)
        assert (denied.status_code, denied.json()["code"]) == (403, "role_not_allowed")
        assert (await other.post(f"{url}/restore", json=body)).status_code == 404
        early = await boss.post(f"{url}/restore", json={**body, "pay_from": "2025-01"})
        assert (early.status_code, early.json()["code"]) == (422, "restore_decision_required")
        back = await boss.post(f"{url}/restore", json=body)
        assert back.status_code == 200, back.text
        assert back.json()["status"] == "active"
        again = await boss.post(f"{url}/restore", json=body)
        assert (again.status_code, again.json()["code"]) == (409, "not_removed")
    history = (await http.get(f"{url}/history")).json()["items"]
    last = history[-1]
    assert (last["action"], last["officer"], last["reason"]) == (
        "restore",
        "tester",
        body["reason"],
    )
    assert (last["before"]["status"], last["after"]["status"]) == ("removed", "active")
    decisions = (await http.get(f"{url}/decisions")).json()
    restored = [d for d in decisions if d["action"] == "restore"]
    # removed this month and restored this month: no month was removed, nothing to leave unpaid
    assert restored == []


async def test_decisions_are_kept_listed_and_printed_with_the_districts_header(
    svc: Stack, http: httpx.AsyncClient
) -> None:
    b = await register(
        http,
        "001150000772",
        decision_date="2024-12-20",
        signer="Nguyễn Thị Ngọc Ánh",
        full_name="Trịnh Thị Thu Huyền",
    )
    month = month_text(current_month())
    adjusted = await http.post(
        f"/v1/beneficiaries/{b['id']}/adjust",
        json={
            "category": "KT_DBN",
            "effective_month": month,
            "decision_no": "27/QĐ-UBND",
            "decision_date": "2025-02-03",
            "signer": "Lê Văn Đức",
        },
    )
    assert adjusted.status_code == 200, adjusted.text
    decisions = (await http.get(f"/v1/beneficiaries/{b['id']}/decisions")).json()
    kept = [
        (d["decision_no"], d["decision_date"], d["signer"], d["effective_month"], d["category"])
        for d in decisions
    ]
    assert kept == [
        ("15/QĐ-UBND", "2024-12-20", "Nguyễn Thị Ngọc Ánh", "2025-01", "KT_N"),
        ("27/QĐ-UBND", "2025-02-03", "Lê Văn Đức", month, "KT_DBN"),
    ]
    assert decisions[1]["change_vi"].startswith("Điều chỉnh mức trợ cấp")
    assert "hệ số 2" in decisions[1]["change_vi"]
    page = await http.get("/v1/districts/001/decisions", params={"from_month": month, "limit": 200})
    assert decisions[1]["id"] in [d["id"] for d in page.json()["items"]]
    assert decisions[0]["id"] not in [d["id"] for d in page.json()["items"]]

    printed = await http.get(f"/v1/decisions/{decisions[1]['id']}/pdf")
    assert printed.status_code == 200, printed.text
    assert printed.headers["content-type"] == "application/pdf"
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=printed.content, capture_output=True, check=True
    ).stdout.decode("utf-8")
    for expected in (
        "ỦY BAN NHÂN DÂN",
        "QUẬN BA ĐÌNH",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Quận Ba Đình, ngày 03 tháng 02 năm 2025",
        "Số: 27/QĐ-UBND",
        "Trịnh Thị Thu Huyền",
        "Phường Phúc Xá",
        "Lê Văn Đức",
        "KT_DBN",
    ):
        assert expected in " ".join(text.split()), f"{expected!r} not in the PDF text:\n{text}"
    async with await client(svc, "002") as intruder:
        hidden = await intruder.get(f"/v1/decisions/{decisions[1]['id']}/pdf")
        assert (hidden.status_code, hidden.json()["code"]) == (404, "decision_not_found")
