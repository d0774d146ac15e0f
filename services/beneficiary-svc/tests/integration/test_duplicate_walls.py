"""A district cannot learn through ``/duplicates`` whether an ID is registered in another
district (issue 16, item 10a): registering the ID and reading the duplicates tells it
nothing of the other holder, not even that one exists. The province officer whose units hold
both districts sees the ID shared across them in full. Two district tokens, one process.
And the duplicates and a beneficiary's history come a page at a time (item 10b)."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio
from btxh_common.auth import Role
from btxh_tools.harness import Stack, start_stack

NAME = "beneficiary-svc"
SHARED = "001150424242"


@pytest_asyncio.fixture(scope="module")
async def svc(pg_server: str, kafka_bootstrap: str, module_tmp: Path) -> AsyncIterator[Stack]:
    async with start_stack(pg_server, kafka_bootstrap, module_tmp, [NAME]) as run:
        yield run


def person(full_name: str, commune: str) -> dict[str, Any]:
    return {
        "full_name": full_name,
        "national_id": SHARED,
        "birth_date": "1942-03-02",
        "gender": "male",
        "commune_code": commune,
        "category": "NCT_80",
        "allowance_start_month": "2025-01",
        "decision_no": "15/QĐ-UBND",
    }


async def register(http: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    answer = await http.post("/v1/beneficiaries", json=body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def groups(http: httpx.AsyncClient, district: str) -> tuple[list[dict[str, Any]], str]:
    answer = await http.get("/v1/beneficiaries/duplicates", params={"district": district})
    assert answer.status_code == 200, answer.text
    return [g for g in answer.json()["items"] if g["national_id"] == SHARED], answer.text


async def test_an_id_held_in_another_district_is_not_revealed(svc: Stack) -> None:
    url = svc.urls[NAME]
    async with (
        httpx.AsyncClient(base_url=url, headers=svc.token("001")) as d1,
        httpx.AsyncClient(base_url=url, headers=svc.token("002")) as d2,
        httpx.AsyncClient(
            base_url=url, headers=svc.token("001", "002", role=Role.PROVINCE_OFFICER)
        ) as province,
    ):
        communes = (await d2.get("/v1/districts/002/communes")).json()["items"]
        theirs = await register(d2, person("Phạm Thị Zung", communes[0]["code"]))
        # District 001 plants the same ID and looks for it.
        planted = await register(d1, person("Lê Văn Dò", "00001"))
        for officer, district in ((d1, "001"), (d2, "002")):
            found, text = await groups(officer, district)
            assert found == []
        found, text = await groups(d1, "001")
        assert theirs["id"] not in text
        assert "Zung" not in text

        # A second holder in 001: the district sees its own two, and still nothing of 002's.
        second = await register(d1, person("Lê Văn Hai", "00006"))
        [group], text = await groups(d1, "001")
        assert {h["id"] for h in group["holders"]} == {planted["id"], second["id"]}
        assert theirs["id"] not in text
        assert "Zung" not in text

        # The province officer of both districts sees all three.
        [group], _ = await groups(province, "001")
        assert {h["id"] for h in group["holders"]} == {planted["id"], second["id"], theirs["id"]}
        assert {h["district_code"] for h in group["holders"]} == {"001", "002"}


async def test_duplicates_come_a_page_at_a_time_each_id_once(svc: Stack) -> None:
    ids = [f"0011601000{n:02d}" for n in range(5)]
    async with httpx.AsyncClient(base_url=svc.urls[NAME], headers=svc.token("001")) as d1:
        for n, national_id in enumerate(ids):
            for who in ("Một", "Hai"):
                body = {**person(f"Trần Văn {who} {n}", "00001"), "national_id": national_id}
                await register(d1, body)
        seen: list[str] = []
        cursor: str | None = None
        pages = 0
        while True:
            params = {"district": "001", "limit": 2, **({"cursor": cursor} if cursor else {})}
            answer = await d1.get("/v1/beneficiaries/duplicates", params=params)
            assert answer.status_code == 200, answer.text
            page = answer.json()
            assert len(page["items"]) <= 2
            assert all(len(g["holders"]) >= 2 for g in page["items"])
            seen += [g["national_id"] for g in page["items"]]
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert set(ids) <= set(seen)
        assert seen == sorted(seen)
        assert len(seen) == len(set(seen))
        assert pages == -(-len(seen) // 2)

        too_many = await d1.get(
            "/v1/beneficiaries/duplicates", params={"district": "001", "limit": 201}
        )
        assert too_many.status_code == 422
        widest = await d1.get(
            "/v1/beneficiaries/duplicates", params={"district": "001", "limit": 200}
        )
        assert len(widest.json()["items"]) <= 200
        forged = await d1.get(
            "/v1/beneficiaries/duplicates", params={"district": "001", "cursor": "not-a-cursor"}
        )
        assert (forged.status_code, forged.json()["code"]) == (422, "bad_cursor")


async def test_a_beneficiarys_history_comes_a_page_at_a_time(svc: Stack) -> None:
    async with httpx.AsyncClient(base_url=svc.urls[NAME], headers=svc.token("001")) as d1:
        body = {**person("Ngô Thị Lịch", "00001"), "national_id": "001170000777"}
        b = await register(d1, body)
        url = f"/v1/beneficiaries/{b['id']}"
        for n in range(4):
            answer = await d1.patch(url, json={"phone": f"091000000{n}"})
            assert answer.status_code == 200, answer.text
        entries: list[int] = []
        sizes: list[int] = []
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = (await d1.get(url + "/history", params=params)).json()
            sizes.append(len(page["items"]))
            entries += [e["id"] for e in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sizes == [2, 2, 1]
        assert entries == sorted(entries)
        assert len(set(entries)) == 5
        whole = (await d1.get(url + "/history")).json()["items"]
        assert [e["id"] for e in whole] == entries
        assert (await d1.get(url + "/history", params={"limit": 201})).status_code == 422
