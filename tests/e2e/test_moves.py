"""Moving a beneficiary to another area (chuyển địa bàn, issue 20) through beneficiary-svc's and
payment-svc's HTTP APIs, real processes fed over the real broker:

- 001 asks 002 to take a person from month M1; 002 reads the person's record and decisions,
  accepts into one of its communes; 001's list for M1 leaves the person out, 002's has them
  once, and 001 pays the months before;
- 002 refuses with a reason: the person stays in 001, which reads the reason;
- a list made while the move is pending keeps the person with the sending district for that
  month (payment-svc's rule), never both, never neither;
- within a district the commune changes from its month;
- each token sees only what the rules allow.

Expected amounts come from the independent model (``btxh_tools.model``: DOMAIN.md's level
500,000 VND from 2024-07 × the category's coefficient), not from the services' SQL.
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
from btxh_common.clock import current_month, month_text, next_month
from btxh_tools.harness import Stack, start_stack
from btxh_tools.model import Model
from btxh_tools.polling import until

NAMES = ["beneficiary-svc", "payment-svc"]
START = date(2025, 1, 1)
M = current_month()
M1 = next_month(M)
M2 = next_month(M1)
HOME_COMMUNE = {"001": "00001", "002": "00037", "003": "00091", "004": "00115"}


@pytest_asyncio.fixture(scope="module")
async def world(pg_server: str, kafka_bootstrap: str, module_tmp: Path) -> AsyncIterator[Stack]:
    async with start_stack(pg_server, kafka_bootstrap, module_tmp, NAMES) as run:
        yield run


def register(world: Stack, district: str, role: Role = Role.DISTRICT_OFFICER) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=world.urls["beneficiary-svc"],
        headers=world.token(district, role=role),
        timeout=60,
    )


def pay(world: Stack, district: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=world.urls["payment-svc"], headers=world.token(district), timeout=60
    )


async def person(world: Stack, district: str, national_id: str) -> dict[str, Any]:
    """A KT_DBN beneficiary of ``district`` paid since 2025-01."""
    async with register(world, district) as http:
        answer = await http.post(
            "/v1/beneficiaries",
            json={
                "full_name": f"Người {national_id[-4:]}",
                "national_id": national_id,
                "commune_code": HOME_COMMUNE[district],
                "category": "KT_DBN",
                "allowance_start_month": month_text(START),
                "decision_no": "1/QĐ-UBND",
            },
        )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def models(mover: str, to: str, since: date, *districts: str) -> dict[str, Model]:
    """Each district's model: the person lives in ``districts[0]``, then in ``to`` from
    ``since``."""
    out = {}
    for code in districts:
        m = out[code] = Model(district=code)
        m.start(mover, START, {"KT_DBN": 1}, home=districts[0])
        if to != districts[0]:
            m.move(mover, since, to)
        for month in (M, M1, M2):
            m.open_period(month)
    return out


def expected(model: Model, month: date, who: str) -> int | None:
    """The model's total for ``who`` on ``month``'s list, None when not on it."""
    line = model.expected(model.generate(month)).get(who)
    return None if line is None else line.total


async def learned(world: Stack, beneficiary_id: str, version: int) -> None:
    """Wait until payment-svc holds the beneficiary's version ``version``."""
    db = await asyncpg.connect(world.dsns["payment-svc"])
    try:

        async def kept() -> bool:
            got = await db.fetchval(
                "SELECT version FROM recipient WHERE beneficiary_id = $1::uuid", beneficiary_id
            )
            return bool(got == version)

        await until(f"payment-svc learned {beneficiary_id} v{version}", kept)
    finally:
        await db.close()


async def lines_of(world: Stack, district: str, month: date, who: str) -> list[dict[str, Any]]:
    """Make ``district``'s monthly list of ``month`` (a new version), ``who``'s lines on it;
    the list is the district's alone (another district's token reads 404)."""
    async with pay(world, district) as http:
        opened = await http.post(
            f"/v1/districts/{district}/periods", json={"month": month_text(month)}
        )
        assert opened.status_code in (201, 409), opened.text
        made = await http.post(
            f"/v1/districts/{district}/periods/{month_text(month)}/lists",
            json={"kind": "monthly"},
        )
        assert made.status_code == 201, made.text
        answer = await http.get(f"/v1/lists/{made.json()['id']}/lines", params={"size": 5000})
    assert answer.status_code == 200, answer.text
    other = "002" if district != "002" else "001"
    async with pay(world, other) as stranger:
        hidden = await stranger.get(f"/v1/lists/{made.json()['id']}/lines")
    assert hidden.status_code == 404
    return [line for line in answer.json()["lines"] if line["beneficiary_id"] == who]


async def request_move(world: Stack, b: dict[str, Any], to: str, month: date) -> dict[str, Any]:
    async with register(world, b["district_code"]) as http:
        answer = await http.post(
            f"/v1/beneficiaries/{b['id']}/moves",
            json={
                "to_district_code": to,
                "effective_month": month_text(month),
                "decision_no": "5/QĐ-UBND",
                "reason": "Chuyển nơi cư trú",
            },
        )
    assert answer.status_code == 201, answer.text
    move = dict(answer.json())
    assert (move["status"], move["to_district"], move["to_commune"]) == ("pending", to, None)
    return move


async def test_a_move_from_001_to_002_is_paid_by_001_before_its_month_and_by_002_from_it(
    world: Stack,
) -> None:
    b = await person(world, "001", "001150000101")
    move = await request_move(world, b, "002", M1)

    async with register(world, "002") as receiving:
        incoming = await receiving.get("/v1/moves", params={"direction": "incoming"})
        assert move["id"] in [m["id"] for m in incoming.json()["items"]]
        seen = (await receiving.get(f"/v1/moves/{move['id']}")).json()
        assert seen["beneficiary"]["national_id"] == "001150000101"
        assert [d["category"] for d in seen["decisions"]] == ["KT_DBN"]
        # the record is read through the move only: not the sending district's register
        assert (await receiving.get(f"/v1/beneficiaries/{b['id']}")).status_code == 404
        assert (await receiving.get(f"/v1/beneficiaries/{b['id']}/history")).status_code == 404
        wrong = await receiving.post(
            f"/v1/moves/{move['id']}/accept", json={"commune_code": "00004"}
        )
        assert (wrong.status_code, wrong.json()["code"]) == (422, "commune_not_in_district")
        accepted = await receiving.post(
            f"/v1/moves/{move['id']}/accept", json={"commune_code": "00037"}
        )
        assert accepted.status_code == 200, accepted.text
        now = accepted.json()
        assert (now["status"], now["to_commune"]) == ("accepted", "00037")
        assert (now["beneficiary"]["district_code"], now["beneficiary"]["commune_code"]) == (
            "002",
            "00037",
        )
        history = (await receiving.get(f"/v1/beneficiaries/{b['id']}/history")).json()
        assert [e["action"] for e in history["items"]] == ["move_in"]
        assert history["items"][0]["effective_month"] == f"{month_text(M1)}-01"

    async with register(world, "001") as sending:
        assert (await sending.get(f"/v1/beneficiaries/{b['id']}")).status_code == 404
        after = (await sending.get(f"/v1/moves/{move['id']}")).json()
        assert (after["status"], after["beneficiary"]) == ("accepted", None)

    await learned(world, b["id"], now["beneficiary"]["version"])
    model = models(b["id"], "002", M1, "001", "002")
    for district in ("001", "002"):
        for month in (M, M1):
            found = await lines_of(world, district, month, b["id"])
            want = expected(model[district], month, b["id"])
            assert [line["total"] for line in found] == ([] if want is None else [want]), (
                district,
                month,
            )
    assert expected(model["002"], M1, b["id"]) == 1_000_000  # KT_DBN 2.0 × 500,000
    on_002 = await lines_of(world, "002", M1, b["id"])
    assert [line["commune_code"] for line in on_002] == ["00037"]


async def test_a_refused_move_leaves_the_person_in_001_with_the_reason(world: Stack) -> None:
    b = await person(world, "001", "001150000202")
    move = await request_move(world, b, "002", M1)

    async with register(world, "003") as stranger:
        assert (await stranger.get(f"/v1/moves/{move['id']}")).status_code == 404
        tried = await stranger.post(f"/v1/moves/{move['id']}/refuse", json={"reason": "x"})
        assert tried.status_code == 404
    async with register(world, "001") as sending:
        own = await sending.post(f"/v1/moves/{move['id']}/accept", json={"commune_code": "00037"})
        assert (own.status_code, own.json()["code"]) == (403, "move_not_receiver")
    async with register(world, "002", Role.PROVINCE_OFFICER) as reader:
        read_only = await reader.post(f"/v1/moves/{move['id']}/refuse", json={"reason": "x"})
        assert (read_only.status_code, read_only.json()["code"]) == (403, "role_not_allowed")

    async with register(world, "002") as receiving:
        refused = await receiving.post(
            f"/v1/moves/{move['id']}/refuse", json={"reason": "Không cư trú tại địa bàn"}
        )
        assert refused.status_code == 200, refused.text
        assert refused.json()["beneficiary"] is None  # decided: the record is 001's again
        again = await receiving.post(
            f"/v1/moves/{move['id']}/accept", json={"commune_code": "00037"}
        )
        assert (again.status_code, again.json()["code"]) == (409, "move_decided")
        assert (await receiving.get(f"/v1/beneficiaries/{b['id']}")).status_code == 404

    async with register(world, "001") as sending:
        seen = (await sending.get(f"/v1/moves/{move['id']}")).json()
        assert (seen["status"], seen["refusal_reason"]) == ("refused", "Không cư trú tại địa bàn")
        record = (await sending.get(f"/v1/beneficiaries/{b['id']}")).json()
        assert (record["district_code"], record["commune_code"]) == ("001", "00001")
        history = (await sending.get(f"/v1/beneficiaries/{b['id']}/history")).json()
        last = history["items"][-1]
        assert (last["action"], last["reason"]) == ("move_refused", "Không cư trú tại địa bàn")

    await learned(world, b["id"], record["version"])
    stays = models(b["id"], "001", M1, "001")["001"]
    found = await lines_of(world, "001", M1, b["id"])
    assert [line["total"] for line in found] == [expected(stays, M1, b["id"])]


async def test_a_list_made_while_the_move_is_pending_keeps_the_person_there_for_its_month(
    world: Stack,
) -> None:
    """003's list for M1 is made while the move to 004 from M1 is pending: M1 stays 003's
    (on its list again when made again), 004 pays from M2."""
    b = await person(world, "003", "001150000303")
    await learned(world, b["id"], b["version"])
    move = await request_move(world, b, "004", M1)
    assert len(await lines_of(world, "003", M1, b["id"])) == 1

    async with register(world, "004") as receiving:
        accepted = await receiving.post(
            f"/v1/moves/{move['id']}/accept", json={"commune_code": "00118"}
        )
    assert accepted.status_code == 200, accepted.text
    await learned(world, b["id"], accepted.json()["beneficiary"]["version"])

    model = models(b["id"], "004", M2, "003", "004")
    for district, month in [("004", M1), ("003", M1), ("003", M2), ("004", M2)]:
        found = await lines_of(world, district, month, b["id"])
        want = expected(model[district], month, b["id"])
        assert [line["total"] for line in found] == ([] if want is None else [want]), (
            district,
            month,
        )
    assert expected(model["003"], M1, b["id"]) == 1_000_000
    assert expected(model["004"], M2, b["id"]) == 1_000_000


async def test_a_move_within_the_district_changes_the_commune_from_its_month(
    world: Stack,
) -> None:
    b = await person(world, "001", "001150000404")
    async with register(world, "001") as http:
        answer = await http.post(
            f"/v1/beneficiaries/{b['id']}/commune-move",
            json={
                "commune_code": "00004",
                "effective_month": month_text(M1),
                "decision_no": "6/QĐ-UBND",
                "reason": "Chuyển sang phường Trúc Bạch",
            },
        )
        assert answer.status_code == 200, answer.text
        moved = answer.json()
        assert (moved["district_code"], moved["commune_code"]) == ("001", "00004")
        history = (await http.get(f"/v1/beneficiaries/{b['id']}/history")).json()
        last = history["items"][-1]
        assert (last["action"], last["changed"]) == ("move_commune", ["commune_code"])
        assert last["effective_month"] == f"{month_text(M1)}-01"
        outside = await http.post(
            f"/v1/beneficiaries/{b['id']}/commune-move",
            json={
                "commune_code": "00037",
                "effective_month": month_text(M2),
                "decision_no": "7/QĐ-UBND",
                "reason": "Sai huyện",
            },
        )
        assert (outside.status_code, outside.json()["code"]) == (422, "commune_not_in_district")
    async with register(world, "002") as other:
        assert (await other.get(f"/v1/beneficiaries/{b['id']}/history")).status_code == 404

    await learned(world, b["id"], moved["version"])
    model = models(b["id"], "001", M1, "001")["001"]
    for month, commune in [(M, "00001"), (M1, "00004")]:
        found = await lines_of(world, "001", month, b["id"])
        assert [(line["commune_code"], line["total"]) for line in found] == [
            (commune, expected(model, month, b["id"]))
        ]


async def test_a_move_request_is_refused_with_a_code_for_what_is_wrong(world: Stack) -> None:
    b = await person(world, "001", "001150000505")
    body = {"effective_month": month_text(M1), "decision_no": "8/QĐ", "reason": "Chuyển"}
    async with register(world, "001") as http:
        for to, status, code in [
            ("001", 422, "move_same_district"),
            ("999", 422, "district_unknown"),
        ]:
            answer = await http.post(
                f"/v1/beneficiaries/{b['id']}/moves", json={**body, "to_district_code": to}
            )
            assert (answer.status_code, answer.json()["code"]) == (status, code), answer.text
        early = await http.post(
            f"/v1/beneficiaries/{b['id']}/moves",
            json={**body, "to_district_code": "002", "effective_month": "2024-12"},
        )
        assert (early.status_code, early.json()["code"]) == (422, "effective_month_invalid")
    pending = await request_move(world, b, "002", M1)
    async with register(world, "001") as http:
        twice = await http.post(
            f"/v1/beneficiaries/{b['id']}/moves", json={**body, "to_district_code": "003"}
        )
        assert (twice.status_code, twice.json()["code"]) == (409, "move_pending")
        commune = await http.post(
            f"/v1/beneficiaries/{b['id']}/commune-move",
            json={**body, "commune_code": "00004"},
        )
        assert (commune.status_code, commune.json()["code"]) == (409, "move_pending")
    async with register(world, "002") as other:
        theirs = await other.post(
            f"/v1/beneficiaries/{b['id']}/moves", json={**body, "to_district_code": "003"}
        )
        assert theirs.status_code == 404
    async with register(world, "001", Role.PROVINCE_OFFICER) as reader:
        read_only = await reader.post(
            f"/v1/beneficiaries/{b['id']}/moves", json={**body, "to_district_code": "003"}
        )
        assert (read_only.status_code, read_only.json()["code"]) == (403, "role_not_allowed")

    async with register(world, "002") as receiving:
        theirs = await receiving.post(f"/v1/moves/{pending['id']}/cancel", json={"reason": "x"})
        assert (theirs.status_code, theirs.json()["code"]) == (403, "move_not_sender")
    async with register(world, "001") as http:
        withdrawn = await http.post(
            f"/v1/moves/{pending['id']}/cancel", json={"reason": "Nhập nhầm huyện"}
        )
        assert withdrawn.status_code == 200, withdrawn.text
        assert (withdrawn.json()["status"], withdrawn.json()["refusal_reason"]) == (
            "cancelled",
            "Nhập nhầm huyện",
        )
    await request_move(world, b, "003", M1)  # withdrawn: the person may be asked for again
