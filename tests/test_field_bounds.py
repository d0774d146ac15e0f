"""No field can make an event the bus refuses (issue 16, item 3): an over-long text is
refused at the API with a 422 problem that does not repeat it, and the service's events
keep flowing after it."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaConsumer
from btxh_common.auth import Role
from btxh_common.envelope import Envelope
from btxh_common.topics import BENEFICIARY_EVENTS
from btxh_tools.harness import Stack, start_stack

NAME = "beneficiary-svc"
FIVE_MB = 5 * 1024 * 1024
PERSON = {
    "full_name": "Lê Thị Hoa",
    "national_id": "001145000123",
    "birth_date": "1945-03-02",
    "gender": "female",
    "commune_code": "00001",
    "category": "NCT_80",
    "allowance_start_month": "2025-01",
    "decision_no": "15/QĐ-UBND",
}


@pytest_asyncio.fixture(scope="module")
async def svc(pg_server: str, kafka_bootstrap: str, module_tmp: Path) -> AsyncIterator[Stack]:
    async with start_stack(pg_server, kafka_bootstrap, module_tmp, [NAME]) as run:
        yield run


@pytest_asyncio.fixture
async def http(svc: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=svc.urls[NAME], headers=svc.token("001"), timeout=60
    ) as client:
        yield client


async def events_of(svc: Stack, beneficiary_id: str, count: int) -> list[Envelope]:
    consumer = AIOKafkaConsumer(
        svc.topic(BENEFICIARY_EVENTS),
        bootstrap_servers=svc.bootstrap,
        auto_offset_reset="earliest",
        group_id=None,
    )
    await consumer.start()
    found: list[Envelope] = []
    try:
        for _ in range(60):
            for records in (await consumer.getmany(timeout_ms=500)).values():
                found += [
                    e
                    for e in (Envelope.from_bytes(r.value) for r in records)
                    if e.correlation_id == beneficiary_id
                ]
            if len(found) >= count:
                return found
    finally:
        await consumer.stop()
    raise AssertionError(f"{len(found)} of {count} events of {beneficiary_id} published")


def assert_refused_without_echo(answer: httpx.Response, field: str) -> None:
    assert answer.status_code == 422, answer.text[:300]
    assert answer.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = answer.json()
    assert body["code"] == "validation_failed"
    (error,) = body["errors"]
    assert (error["field"], error["code"]) == (field, "string_too_long")
    assert error["message_vi"].startswith("Giá trị không hợp lệ")
    assert len(answer.content) < 2000, "the refused value is not sent back"


async def test_a_5_mb_bank_account_is_refused_and_later_changes_are_still_published(
    svc: Stack, http: httpx.AsyncClient
) -> None:
    registered = await http.post("/v1/beneficiaries", json=PERSON)
    assert registered.status_code == 201, registered.text
    url = f"/v1/beneficiaries/{registered.json()['id']}"

    huge = await http.patch(url, json={"bank_account": "1" * FIVE_MB})
    assert_refused_without_echo(huge, "bank_account")

    fine = await http.patch(url, json={"bank_account": "1" * 34, "phone": "0912345678"})
    assert fine.status_code == 200, fine.text
    registered_event, changed = await events_of(svc, registered.json()["id"], 2)
    assert registered_event.event_type == "BeneficiaryRegistered"
    assert changed.event_type == "BeneficiaryChanged"


@pytest.mark.parametrize(
    ("field", "longest"),
    [
        ("full_name", 200),
        ("address", 300),
        ("phone", 20),
        ("bank_account", 34),
        ("bank_name", 200),
        ("ethnicity", 50),
        ("category", 50),
        ("decision_no", 100),
    ],
)
async def test_every_free_text_of_a_registration_has_a_length_bound(
    http: httpx.AsyncClient, field: str, longest: int
) -> None:
    answer = await http.post("/v1/beneficiaries", json={**PERSON, field: "a" * (longest + 1)})
    assert_refused_without_echo(answer, field)


async def test_an_address_of_100k_characters_is_refused_at_registration(
    http: httpx.AsyncClient,
) -> None:
    answer = await http.post("/v1/beneficiaries", json={**PERSON, "address": "Thôn " * 20_000})
    assert_refused_without_echo(answer, "address")


def assert_refused(answer: httpx.Response, field: str, code: str) -> None:
    assert answer.status_code == 422, answer.text[:300]
    (error,) = answer.json()["errors"]
    assert (error["field"], error["code"]) == (field, code), error


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("birth_date", "2999-01-01"),  # after today
        ("birth_date", "1899-12-31"),  # before 1900
        ("decision_date", "3025-06-01"),
    ],
)
async def test_a_date_of_record_outside_1900_to_today_is_refused(
    http: httpx.AsyncClient, field: str, value: str
) -> None:
    answer = await http.post("/v1/beneficiaries", json={**PERSON, field: value})
    assert_refused(answer, field, "date_out_of_range")


async def test_district_codes_and_ids_out_of_shape_are_refused(
    svc: Stack, http: httpx.AsyncClient
) -> None:
    assert (await http.get("/v1/districts/0011/data-locks")).status_code == 422
    assert (await http.get("/v1/districts/001/data-locks")).status_code == 200
    duplicates = await http.get("/v1/beneficiaries/duplicates", params={"district": "01' OR 1"})
    assert duplicates.status_code == 422
    supervisor = svc.token("001", role=Role.DISTRICT_SUPERVISOR)
    unlock = await http.post(
        f"/v1/districts/001/data-locks/{2**70}/unlock", json={"note": "x"}, headers=supervisor
    )
    assert_refused(unlock, "path.lock_id", "less_than_equal")
