"""The register through beneficiary-svc's HTTP API: a real process on real PostgreSQL and Kafka."""

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaConsumer
from btxh_common.auth import Role
from btxh_common.clock import current_month, month_text, next_month
from btxh_common.envelope import Envelope
from btxh_common.topics import BENEFICIARY_EVENTS
from btxh_tools.harness import Stack, start_stack

NAME = "beneficiary-svc"
THIS_MONTH = current_month()
NEXT_MONTH = next_month(THIS_MONTH)


@pytest_asyncio.fixture(scope="module")
async def svc(pg_server: str, kafka_bootstrap: str, module_tmp: Path) -> AsyncIterator[Stack]:
    async with start_stack(pg_server, kafka_bootstrap, module_tmp, [NAME]) as run:
        yield run


@pytest_asyncio.fixture
async def http(svc: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=svc.urls[NAME], headers=svc.token("001")) as client:
        yield client


def new_person(**kw: Any) -> dict[str, Any]:
    body = {
        "full_name": "Nguyễn Văn An",
        "national_id": "001140012345",
        "birth_date": "1940-03-02",
        "gender": "male",
        "commune_code": "00001",
        "category": "NCT_80",
        "allowance_start_month": "2025-01",
        "decision_no": "15/QĐ-UBND",
    }
    return {**body, **kw}


async def register(http: httpx.AsyncClient, **kw: Any) -> dict[str, Any]:
    answer = await http.post("/v1/beneficiaries", json=new_person(**kw))
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def unique_id(seed: int) -> str:
    return f"0011{40 + seed % 50:02d}{seed:06d}"


async def bus_events(svc: Stack, correlation: str, count: int) -> list[Envelope]:
    consumer = AIOKafkaConsumer(
        svc.topic(BENEFICIARY_EVENTS),
        bootstrap_servers=svc.bootstrap,
        auto_offset_reset="earliest",
        group_id=None,
    )
    await consumer.start()
    found: list[Envelope] = []
    try:
        for _ in range(120):
            for records in (await consumer.getmany(timeout_ms=500, max_records=5000)).values():
                found += [
                    e
                    for e in (Envelope.from_bytes(r.value) for r in records)
                    if e.correlation_id == correlation
                ]
            if len(found) >= count:
                return found
    finally:
        await consumer.stop()
    raise AssertionError(f"only {len(found)} of {count} events for {correlation}")


async def test_registering_records_history_and_publishes_the_snapshot(
    svc: Stack, http: httpx.AsyncClient
) -> None:
    b = await register(
        http,
        full_name="  Trần\u00a0Thị   Bích  ",
        national_id=unique_id(1),
        gender="female",
        birth_date="1941-06-01",
    )
    assert b["full_name"] == "Trần Thị Bích"
    assert b["coefficient"] == 10
    assert b["status"] == "active"
    assert b["district_code"] == "001"
    (event,) = await bus_events(svc, b["id"], 1)
    assert event.event_type == "BeneficiaryRegistered"
    assert event.district_code == "001"
    assert event.payload["beneficiary"]["full_name"] == "Trần Thị Bích"
    history = (await http.get(f"/v1/beneficiaries/{b['id']}/history")).json()["items"]
    assert [h["action"] for h in history] == ["register"]


async def test_the_callers_trace_id_follows_the_request_into_its_events(
    svc: Stack, http: httpx.AsyncClient
) -> None:
    answer = await http.post(
        "/v1/beneficiaries",
        json=new_person(national_id=unique_id(77)),
        headers={"X-Trace-Id": "upload-2026-12-001"},
    )
    assert answer.status_code == 201, answer.text
    assert answer.headers["X-Trace-Id"] == "upload-2026-12-001"
    (event,) = await bus_events(svc, answer.json()["id"], 1)
    assert event.trace_id == "upload-2026-12-001"
    anonymous = await http.get("/v1/categories", headers={"X-Trace-Id": "bad id with spaces"})
    assert anonymous.headers["X-Trace-Id"] != "bad id with spaces"  # replaced by a fresh one


async def test_every_manual_change_is_applied_recorded_and_published(
    svc: Stack, http: httpx.AsyncClient
) -> None:
    b = await register(http, national_id=unique_id(2))
    url = f"/v1/beneficiaries/{b['id']}"
    steps: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
        ("PATCH", "", {"phone": "0912345678", "address": "Tổ 5"}, {"phone": "0912345678"}),
        (
            "POST",
            "/adjust",
            {"category": "NCT_NGHEO_80", "effective_month": "2025-06", "decision_no": "20/QĐ"},
            {"category": "NCT_NGHEO_80", "coefficient": 20},
        ),
        (
            "POST",
            "/suspend",
            {"effective_month": "2025-07", "reason": "Đi khỏi địa phương", "under_review": True},
            {"status": "under_review"},
        ),
        (
            "POST",
            "/resume",
            {"effective_month": "2025-08", "reason": "Đã về"},
            {"status": "active"},
        ),
        (
            "POST",
            "/stop",
            {"effective_month": "2025-09", "decision_no": "30/QĐ", "reason": "Thôi hưởng"},
            {"status": "stopped"},
        ),
        (
            "POST",
            "/policy",
            {"category": "NCT_80", "effective_month": "2025-10", "decision_no": "31/QĐ"},
            {"status": "active", "coefficient": 10},
        ),
        (
            "DELETE",
            "/policy",
            {"reason": "Nhập nhầm chế độ"},
            {"category": None, "status": "stopped"},
        ),
        (
            "POST",
            "/policy",
            {"category": "KT_DBN_TE_NCT", "effective_month": "2025-10", "decision_no": "32/QĐ"},
            {"coefficient": 25},
        ),
        (
            "POST",
            "/death",
            {
                "death_date": "2025-11-20",
                "decision_no": "40/QĐ",
                "funeral_recipient": "Nguyễn Văn Bình",
            },
            {
                "status": "deceased",
                "death_date": "2025-11-20",
                "status_effective_month": "2025-12",
                "funeral_recipient": "Nguyễn Văn Bình",
            },
        ),
        ("DELETE", "", {"reason": "Trùng hồ sơ"}, {"status": "removed"}),
    ]
    supervisor = svc.token("001", role=Role.DISTRICT_SUPERVISOR)  # DOMAIN: only they remove
    for method, path, body, expected in steps:
        removal = (method, path) == ("DELETE", "")
        answer = await http.request(
            method, url + path, json=body, headers=supervisor if removal else None
        )
        assert answer.status_code == 200, (path, answer.text)
        assert expected.items() <= answer.json().items(), (path, answer.json())
    history = (await http.get(url + "/history")).json()["items"]
    assert [h["action"] for h in history] == [
        "register",
        "update_info",
        "adjust",
        "suspend",
        "resume",
        "stop",
        "add_policy",
        "delete_policy",
        "add_policy",
        "death",
        "remove",
    ]
    adjust = history[2]
    assert adjust["officer"] == "tester"
    assert adjust["source"] == "manual"
    assert (adjust["before"]["coefficient"], adjust["after"]["coefficient"]) == (10, 20)
    assert {"category", "coefficient"} <= set(adjust["changed"])
    assert "allowance_start_month" not in adjust["changed"]  # the start stays; the timeline moves
    assert [h["effective_month"] for h in history] == [
        "2025-01-01",  # register
        None,  # information is not a policy decision
        "2025-06-01",
        "2025-07-01",
        "2025-08-01",
        "2025-09-01",
        "2025-10-01",
        "2025-10-01",  # the policy deleted from its start
        "2025-10-01",
        "2025-12-01",  # dead on 2025-11-20: the allowance stops from the next month
        None,  # removal
    ]
    events = await bus_events(svc, b["id"], 11)
    assert [e.event_type for e in events].count("BeneficiaryChanged") == 10
    assert events[-1].payload["beneficiary"]["status"] == "removed"
    assert events[-1].payload["beneficiary"]["version"] == 11
    timeline = events[-1].payload["beneficiary"]["timeline"]
    assert [(p["from_month"], p["status"], p["category"], p["coefficient"]) for p in timeline] == [
        ("2025-01", "active", "NCT_80", 10),
        ("2025-06", "active", "NCT_NGHEO_80", 20),
        ("2025-07", "under_review", "NCT_NGHEO_80", 20),
        ("2025-08", "active", "NCT_NGHEO_80", 20),
        ("2025-09", "stopped", "NCT_NGHEO_80", 20),
        ("2025-10", "active", "KT_DBN_TE_NCT", 25),  # the policy deleted, then entered again
        ("2025-12", "deceased", "KT_DBN_TE_NCT", 25),  # dead on 2025-11-20
    ]


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        (
            "/adjust",
            {"category": "NOPE", "effective_month": "2025-06", "decision_no": "1"},
            422,
            "unknown_category",
        ),
        (
            "/adjust",
            {"category": "NCT_80", "effective_month": "2025-06", "decision_no": "1"},
            409,
            "no_change",
        ),
        (
            "/stop",
            {"effective_month": "2024-06", "decision_no": "1", "reason": "x"},
            422,
            "effective_month_invalid",
        ),
        ("/resume", {"effective_month": "2025-06", "reason": "x"}, 409, "invalid_transition"),
        ("/death", {"death_date": "2999-01-01", "decision_no": "1"}, 422, "invalid_value"),
        ("/death", {"death_date": "1900-01-01", "decision_no": "1"}, 422, "invalid_value"),
        (
            "/adjust",
            {"category": "NCT_80", "effective_month": "2025-13", "decision_no": "1"},
            422,
            "validation_failed",
        ),
    ],
)
async def test_a_change_the_rules_forbid_is_refused_and_changes_nothing(
    http: httpx.AsyncClient, path: str, body: dict[str, Any], status: int, code: str
) -> None:
    b = await register(http, national_id=None)
    answer = await http.post(f"/v1/beneficiaries/{b['id']}{path}", json=body)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == code
    after = (await http.get(f"/v1/beneficiaries/{b['id']}")).json()
    assert after["version"] == 1
    assert after == {**b, "version": 1}


async def test_after_death_no_allowance_change_is_accepted(http: httpx.AsyncClient) -> None:
    b = await register(http, national_id=None)
    url = f"/v1/beneficiaries/{b['id']}"
    assert (
        await http.post(url + "/death", json={"death_date": "2025-10-01", "decision_no": "1"})
    ).status_code == 200
    for path, body in [
        ("/adjust", {"category": "NCT_CD", "effective_month": "2025-11", "decision_no": "2"}),
        ("/stop", {"effective_month": "2025-11", "decision_no": "2", "reason": "x"}),
        ("/suspend", {"effective_month": "2025-11", "reason": "x"}),
        ("/policy", {"category": "NCT_CD", "effective_month": "2025-11", "decision_no": "2"}),
    ]:
        answer = await http.post(url + path, json=body)
        assert answer.status_code == 409, (path, answer.text)
        assert answer.json()["code"] == "beneficiary_deceased"


async def test_policy_fields_cannot_be_changed_through_the_information_update(
    http: httpx.AsyncClient,
) -> None:
    b = await register(http, national_id=None)
    answer = await http.patch(f"/v1/beneficiaries/{b['id']}", json={"coefficient": 30})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "coefficient"


async def test_registering_in_a_commune_of_another_district_is_refused(
    http: httpx.AsyncClient,
) -> None:
    answer = await http.post("/v1/beneficiaries", json=new_person(commune_code="00037"))
    assert answer.status_code == 422
    assert answer.json()["code"] == "commune_not_in_district"


async def test_a_locked_month_refuses_changes_until_a_supervisor_unlocks_it(
    svc: Stack, http: httpx.AsyncClient
) -> None:
    b = await register(http, national_id=None)
    url = f"/v1/beneficiaries/{b['id']}"
    lock = await http.post(
        "/v1/districts/001/data-locks", json={"month": month_text(THIS_MONTH), "note": "Chốt tháng"}
    )
    assert lock.status_code == 201, lock.text
    stop = {"effective_month": month_text(THIS_MONTH), "decision_no": "1", "reason": "x"}
    refused = await http.post(url + "/stop", json=stop)
    assert refused.status_code == 409
    assert refused.json()["code"] == "data_locked"
    assert (await http.patch(url, json={"phone": "0900000001"})).json()["code"] == "data_locked"
    later = {**stop, "effective_month": month_text(NEXT_MONTH)}
    assert (await http.post(url + "/stop", json=later)).status_code == 200, "next month is open"

    unlock = f"/v1/districts/001/data-locks/{lock.json()['id']}/unlock"
    assert (await http.post(unlock, json={"note": "Mở"})).status_code == 403
    supervisor = svc.token("001", role=Role.DISTRICT_SUPERVISOR)
    opened = await http.post(unlock, json={"note": "Sửa sai"}, headers=supervisor)
    assert opened.status_code == 200
    assert opened.json()["unlocked_by"] == "tester"
    assert (await http.patch(url, json={"phone": "0900000001"})).status_code == 200
    locks = (await http.get("/v1/districts/001/data-locks")).json()["items"]
    assert any(
        item["id"] == lock.json()["id"] and item["unlock_note"] == "Sửa sai" for item in locks
    )


async def test_search_finds_names_without_diacritics_and_filters(http: httpx.AsyncClient) -> None:
    target = await register(
        http,
        full_name="Phạm Thị Hương Giang",
        national_id=unique_id(3),
        commune_code="00004",
        gender="female",
    )
    await register(http, full_name="Phạm Văn Hưng", national_id=unique_id(4))
    found = (await http.get("/v1/beneficiaries", params={"q": "pham thi huong"})).json()
    assert [i["id"] for i in found["items"]] == [target["id"]]
    assert found["total"] == 1
    with_marks = (await http.get("/v1/beneficiaries", params={"q": "Hương Giang"})).json()
    assert [i["id"] for i in with_marks["items"]] == [target["id"]]
    by_id = (await http.get("/v1/beneficiaries", params={"national_id": unique_id(3)})).json()
    assert [i["id"] for i in by_id["items"]] == [target["id"]]
    by_commune = (await http.get("/v1/beneficiaries", params={"commune": "00004"})).json()
    assert target["id"] in [i["id"] for i in by_commune["items"]]
    assert all(i["commune_code"] == "00004" for i in by_commune["items"])
    page = (await http.get("/v1/beneficiaries", params={"q": "pham", "size": 1})).json()
    assert len(page["items"]) == 1
    assert page["total"] >= 2
    assert set(page["items"][0]) == {
        "id",
        "national_id",
        "full_name",
        "birth_date",
        "gender",
        "commune_code",
        "category",
        "coefficient",
        "children",
        "status",
        "arrears_amount",
        "arrears_period",
        "recovery_amount",
    }


async def test_an_id_held_by_two_beneficiaries_is_listed_with_both(
    http: httpx.AsyncClient,
) -> None:
    shared = unique_id(5)
    first = await register(http, full_name="Lê Văn Một", national_id=shared)
    second = await register(http, full_name="Lê Văn Hai", national_id=shared, commune_code="00006")
    groups = (await http.get("/v1/beneficiaries/duplicates", params={"district": "001"})).json()
    group = next(g for g in groups["items"] if g["national_id"] == shared)
    assert {h["id"] for h in group["holders"]} == {first["id"], second["id"]}
    assert {h["commune_code"] for h in group["holders"]} == {"00001", "00006"}


async def test_records_missing_information_are_listed_with_what_is_missing(
    http: httpx.AsyncClient,
) -> None:
    b = await register(http, national_id=None, birth_date=None)
    listed = (await http.get("/v1/beneficiaries/missing-info", params={"size": 500})).json()
    row = next(r for r in listed["items"] if r["id"] == b["id"])
    assert row["missing"] == ["national_id", "birth_date"]


async def test_another_districts_beneficiary_is_invisible_on_every_endpoint(
    svc: Stack, http: httpx.AsyncClient
) -> None:
    b = await register(http, national_id=unique_id(6))
    lock = (
        await http.post("/v1/districts/001/data-locks", json={"month": "2020-01", "note": "cũ"})
    ).json()
    url = f"/v1/beneficiaries/{b['id']}"
    calls = [
        ("GET", url, None),
        ("GET", url + "/history", None),
        ("PATCH", url, {"phone": "0900000002"}),
        ("POST", url + "/stop", {"effective_month": "2025-09", "decision_no": "1", "reason": "x"}),
        (
            "POST",
            url + "/adjust",
            {"category": "NCT_CD", "effective_month": "2025-09", "decision_no": "1"},
        ),
        ("POST", url + "/suspend", {"effective_month": "2025-09", "reason": "x"}),
        ("POST", url + "/resume", {"effective_month": "2025-09", "reason": "x"}),
        ("POST", url + "/death", {"death_date": "2025-09-01", "decision_no": "1"}),
        (
            "POST",
            url + "/policy",
            {"category": "NCT_CD", "effective_month": "2025-09", "decision_no": "1"},
        ),
        ("DELETE", url + "/policy", {"reason": "x"}),
        ("DELETE", url, {"reason": "x"}),
        ("GET", "/v1/beneficiaries?district=001", None),
        ("GET", "/v1/beneficiaries/duplicates?district=001", None),
        ("GET", "/v1/beneficiaries/missing-info?district=001", None),
        ("GET", "/v1/districts/001/communes", None),
        ("GET", "/v1/districts/001/data-locks", None),
        ("POST", "/v1/districts/001/data-locks", {"month": "2026-01", "note": "x"}),
        ("POST", f"/v1/districts/001/data-locks/{lock['id']}/unlock", {"note": "x"}),
    ]
    # removing and unlocking are the supervisor's: an officer is refused on role alone, before
    # (and without learning anything of) the data; the supervisor of 002 meets the wall
    supervisor_only = {
        ("DELETE", url),
        ("POST", f"/v1/districts/001/data-locks/{lock['id']}/unlock"),
    }
    for role in (Role.DISTRICT_OFFICER, Role.DISTRICT_SUPERVISOR):
        intruder = svc.token("002", role=role)
        for method, path, body in calls:
            answer = await http.request(method, path, json=body, headers=intruder)
            refused = role == Role.DISTRICT_OFFICER and (method, path) in supervisor_only
            assert answer.status_code == (403 if refused else 404), (method, path, answer.text)
            assert b["id"] not in answer.text
    own = (await http.get(url)).json()
    assert own["version"] == 1
    assert own["status"] == "active"
    async with httpx.AsyncClient(base_url=svc.urls[NAME]) as anonymous:
        assert (await anonymous.get(url)).status_code == 401


async def test_the_catalogues_come_from_data(http: httpx.AsyncClient) -> None:
    communes = (await http.get("/v1/districts/001/communes")).json()["items"]
    assert communes[0] == {"code": "00001", "name": "Phường Phúc Xá"}
    levels = (await http.get("/v1/standard-levels")).json()["items"]
    assert [(lv["effective_from"], lv["amount"]) for lv in levels] == [
        ("2021-07-01", 360000),
        ("2024-07-01", 500000),
    ]
    categories = {
        c["code"]: c["coefficient"] for c in (await http.get("/v1/categories")).json()["items"]
    }
    assert categories["TE_MC_U4"] == 25
    assert categories["NCT_CD"] == 30
    assert len(categories) == 17


async def test_the_owner_of_a_row_is_its_district_in_the_database(svc: Stack) -> None:
    conn = await asyncpg.connect(svc.dsns[NAME])
    try:
        districts = await conn.fetch("SELECT DISTINCT district_code FROM beneficiary")
        assert {r["district_code"] for r in districts} == {"001"}
        assert await conn.fetchval("SELECT count(*) FROM admin_unit") > 10_000
    finally:
        await conn.close()
    assert date.today().year >= 2026
