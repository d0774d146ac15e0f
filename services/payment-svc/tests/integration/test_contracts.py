"""payment-svc validates what it receives (issue 16, item 9): ill-formed BeneficiaryChanged
events — a 5 MB name, a negative amount, a district code of the wrong format, a snapshot of
another district, an unknown field — published to the real broker are parked in
``dead_letter`` with the field at fault, never stored, and the valid event behind them on
the same partition is applied."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest_asyncio
from aiokafka import AIOKafkaProducer
from btxh_common.envelope import Envelope
from btxh_common.events import BeneficiaryChanged, BeneficiaryRegistered, BeneficiarySnapshot
from btxh_common.topics import BENEFICIARY_EVENTS
from btxh_tools.harness import Stack, start_stack

D = "001"
A = BeneficiarySnapshot(
    id=UUID(int=1, version=4),
    national_id="001090000001",
    full_name="Nguyễn Văn An",
    district_code=D,
    commune_code="00001",
    category="NCT_80",
    coefficient=10,
    status="active",
    allowance_start_month="2024-01",
    version=1,
)
FIVE_MB = 5 * 1024 * 1024


@pytest_asyncio.fixture(scope="module")
async def svc(pg_server: str, kafka_bootstrap: str, module_tmp: Path) -> AsyncIterator[Stack]:
    async with start_stack(pg_server, kafka_bootstrap, module_tmp, ["payment-svc"]) as run:
        yield run


def changed(snapshot: dict[str, Any], district: str = D) -> bytes:
    """A BeneficiaryChanged envelope built by hand, so that it can break the contract."""
    envelope = Envelope.wrap(
        BeneficiaryChanged(beneficiary=A, changed=["full_name"], source="test"),
        producer="beneficiary-svc",
        district_code=district,
        correlation_id=str(uuid4()),
    )
    body = json.loads(envelope.to_bytes())
    body["payload"]["beneficiary"] = snapshot
    return json.dumps(body, ensure_ascii=False).encode()


def a(**change: Any) -> dict[str, Any]:
    return {**A.model_dump(mode="json"), **change}


async def publish(svc: Stack, *bodies: bytes) -> None:
    # Larger requests than the services' producer takes: a hostile or broken producer.
    producer = AIOKafkaProducer(
        bootstrap_servers=svc.bootstrap, acks="all", max_request_size=16 * 1024 * 1024
    )
    await producer.start()
    try:
        for body in bodies:
            await producer.send_and_wait(svc.topic(BENEFICIARY_EVENTS), body, key=D.encode())
    finally:
        await producer.stop()


async def wait_for(conn: asyncpg.Connection, query: str, *args: Any) -> Any:
    for _ in range(600):
        value = await conn.fetchval(query, *args)
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"never: {query}")


async def test_ill_formed_beneficiary_events_are_parked_and_the_next_valid_one_applied(
    svc: Stack,
) -> None:
    registered = Envelope.wrap(
        BeneficiaryRegistered(beneficiary=A, source="test"),
        producer="beneficiary-svc",
        district_code=D,
    )
    other = str(UUID(int=2, version=4))
    bad = [
        changed(a(full_name="A" * FIVE_MB, version=2)),
        changed(a(arrears_amount=-500_000, arrears_period="2024-05", version=3)),
        changed(a(id=other, district_code="0O1", version=1)),
        changed(a(id=other, district_code="002", commune_code="00002", version=1)),
        changed(a(bank_account="1" * 10_000, payment_channel="bank", version=5)),
        changed(a(is_admin=True, version=6)),
    ]
    good = changed(
        a(
            full_name="Nguyễn Văn An Bình",
            arrears_amount=360_000,
            arrears_period="2024-05",
            version=7,
        )
    )
    await publish(svc, registered.to_bytes(), *bad, good)

    conn = await asyncpg.connect(svc.dsns["payment-svc"])
    try:
        await wait_for(conn, "SELECT version = 7 FROM recipient WHERE beneficiary_id = $1", A.id)
        row = await conn.fetchrow(
            "SELECT full_name, arrears_amount, bank_account FROM recipient "
            "WHERE beneficiary_id = $1",
            A.id,
        )
        assert dict(row) == {
            "full_name": "Nguyễn Văn An Bình",
            "arrears_amount": 360_000,
            "bank_account": None,
        }
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM recipient WHERE beneficiary_id = $1", UUID(other)
            )
            == 0
        )
        parked = await conn.fetch(
            "SELECT consumer, event_type, error, length(body) AS size FROM dead_letter "
            "ORDER BY kafka_offset"
        )
    finally:
        await conn.close()
    assert [(p["consumer"], p["event_type"]) for p in parked] == [
        ("payment-svc", "BeneficiaryChanged")
    ] * 6
    errors = [p["error"] for p in parked]
    expected_fields = [
        "beneficiary.full_name: String should have at most 200 characters",
        "beneficiary.arrears_amount: Input should be greater than or equal to 0",
        "beneficiary.district_code: String should match pattern",
        "beneficiary.district_code is not the district of the event",
        "beneficiary.bank_account: String should have at most 34 characters",
        "beneficiary.is_admin: Extra inputs are not permitted",
    ]
    for error, field in zip(errors, expected_fields, strict=True):
        assert error.startswith("contract broken (BeneficiaryChanged)"), error
        assert field in error, error
        assert len(error) < 500  # the reason names the field, never echoes the value
    assert parked[0]["size"] > FIVE_MB  # the bytes are kept for the officer who looks
