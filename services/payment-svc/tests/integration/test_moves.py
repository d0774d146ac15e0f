"""Moves to another area on a real database, no process, no broker: ``BeneficiaryChanged``
with a ``move`` puts the person on the list of the district they live in each month, and a
month either district had already made its list for stays with the sending district.

Amounts by hand from DOMAIN.md: NCT_80 (1.0) × 360,000 until 2024-06, × 500,000 from 2024-07.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID, uuid4

import asyncpg
import payment_svc
import pytest
import pytest_asyncio
from btxh_common.auth import Principal, Role
from btxh_common.events import BeneficiaryChanged, BeneficiarySnapshot, DistrictMove
from btxh_common.inbox import ContractBroken, EventContext
from btxh_common.migrate import COMMON_MIGRATIONS, migrate
from payment_svc.adapters import recipients
from payment_svc.api.schemas import StatusException
from payment_svc.handlers import inbound, lists, periods
from payment_svc.handlers.lines import manual_statuses

JUNE, JULY, AUGUST = date(2024, 6, 1), date(2024, 7, 1), date(2024, 8, 1)
PERSON = UUID(int=42, version=4)
BOTH = Principal(officer_id="o", role=Role.DISTRICT_OFFICER, units=frozenset({"001", "002"}))


def snapshot(district: str, commune: str, version: int, arrears: int = 0) -> BeneficiarySnapshot:
    return BeneficiarySnapshot(
        arrears_amount=arrears,
        arrears_period="2024-05" if arrears else None,
        id=PERSON,
        full_name="Người chuyển đi",
        district_code=district,
        commune_code=commune,
        category="NCT_80",
        coefficient=10,
        status="active",
        allowance_start_month="2024-01",
        version=version,
    )


@pytest_asyncio.fixture
async def conn(fresh_db: str) -> AsyncIterator[asyncpg.Connection]:
    migrations = Path(payment_svc.__file__).parent / "migrations"
    await migrate(fresh_db, {"common": COMMON_MIGRATIONS, "payment-svc": migrations})
    connection = await asyncpg.connect(fresh_db)
    try:
        await recipients.save(connection, snapshot("001", "00001", 1))
        for district in ("001", "002"):
            for month in (JUNE, JULY, AUGUST):
                await periods.open_period(connection, BOTH, district, month)
        yield connection
    finally:
        await connection.close()


async def move(
    conn: asyncpg.Connection,
    effective: str,
    *,
    key: str = "002",
    move_id: UUID | None = None,
    arrears: int = 0,
) -> None:
    event = BeneficiaryChanged(
        beneficiary=snapshot(key, "00037" if key == "002" else "00001", 2, arrears),
        changed=["district_code", "commune_code"],
        source="manual",
        move=DistrictMove(
            move_id=move_id or uuid4(),
            from_district="001",
            from_commune="00001",
            to_district="002",
            to_commune="00037",
            effective_month=effective,
        ),
    )
    context = EventContext(
        event_id=uuid4(),
        event_type="BeneficiaryChanged",
        district_code=key,
        producer="beneficiary-svc",
        occurred_at=datetime.now(UTC),
    )
    async with conn.transaction():
        await inbound.on_beneficiary(conn, event, context)


async def paid(conn: asyncpg.Connection, district: str, month: date) -> list[tuple[str, int]]:
    """Make ``district``'s monthly list of ``month``; the person's (commune, total) on it."""
    async with conn.transaction():
        list_id = await lists.generate(conn, BOTH, district, month, "monthly")
    rows = await conn.fetch(
        "SELECT commune_code, total FROM payment_line WHERE list_id = $1 AND beneficiary_id = $2",
        list_id,
        PERSON,
    )
    return [(r["commune_code"], r["total"]) for r in rows]


async def test_a_move_with_no_list_made_yet_is_paid_where_the_person_lives_each_month(
    conn: asyncpg.Connection,
) -> None:
    await move(conn, "2024-07")
    assert await paid(conn, "001", JUNE) == [("00001", 360_000)]
    assert await paid(conn, "002", JUNE) == []
    assert await paid(conn, "001", JULY) == []
    assert await paid(conn, "002", JULY) == [("00037", 500_000)]


async def test_a_month_the_receiving_district_had_listed_stays_with_the_sending_one(
    conn: asyncpg.Connection,
) -> None:
    assert await paid(conn, "002", JULY) == []  # made before the move reached payment
    await move(conn, "2024-07")
    assert await paid(conn, "001", JULY) == [("00001", 500_000)]
    assert await paid(conn, "002", JULY) == []  # made again: still not theirs
    assert await paid(conn, "001", AUGUST) == []
    assert await paid(conn, "002", AUGUST) == [("00037", 500_000)]


async def test_a_month_the_sending_district_listed_the_person_on_stays_with_it(
    conn: asyncpg.Connection,
) -> None:
    assert await paid(conn, "001", JULY) == [("00001", 500_000)]  # made while pending
    await move(conn, "2024-07")
    assert await paid(conn, "001", JULY) == [("00001", 500_000)]  # made again: still theirs
    assert await paid(conn, "002", JULY) == []
    assert await paid(conn, "002", AUGUST) == [("00037", 500_000)]


async def test_the_same_move_heard_twice_is_kept_once(conn: asyncpg.Connection) -> None:
    same = uuid4()
    await move(conn, "2024-07", move_id=same)
    await move(conn, "2024-07", move_id=same)
    assert await conn.fetchval("SELECT count(*) FROM recipient_move") == 1
    assert await paid(conn, "002", JULY) == [("00037", 500_000)]


async def test_a_move_into_another_district_than_the_event_is_keyed_by_is_never_applied(
    conn: asyncpg.Connection,
) -> None:
    with pytest.raises(ContractBroken):
        await move(conn, "2024-07", key="001")
    assert await conn.fetchval("SELECT count(*) FROM recipient_move") == 0


async def test_unpaid_money_of_the_sending_district_is_carried_on_its_own_next_list(
    conn: asyncpg.Connection,
) -> None:
    """June's 360,000 unpaid in 001; the person lives in 002 from July: 001's July line
    carries the 360,000 with no allowance, 002's pays July's 500,000 and nothing of 001's."""
    async with conn.transaction():
        june = await lists.generate(conn, BOTH, "001", JUNE, "monthly")
        await lists.submit(conn, BOTH, june)
        line = await conn.fetchval(
            "SELECT id FROM payment_line WHERE list_id = $1 AND beneficiary_id = $2", june, PERSON
        )
        boss = BOTH.model_copy(update={"role": Role.DISTRICT_SUPERVISOR})
        unpaid = [StatusException(line_id=line, status="unpaid")]
        await manual_statuses(conn, boss, june, "paid", JUNE, unpaid, "bảng kê")
    await move(conn, "2024-07")
    async with conn.transaction():
        july = await lists.generate(conn, BOTH, "001", JULY, "monthly")
    row = await conn.fetchrow(
        """SELECT id, commune_code, allowance, carried_over, total FROM payment_line
           WHERE list_id = $1 AND beneficiary_id = $2""",
        july,
        PERSON,
    )
    assert (row["commune_code"], row["allowance"], row["carried_over"], row["total"]) == (
        "00001",
        0,
        360_000,
        360_000,
    )
    assert (
        await conn.fetchval("SELECT carried_into FROM payment_line WHERE id = $1", line)
        == (row["id"])
    )
    assert await paid(conn, "002", JULY) == [("00037", 500_000)]


async def test_arrears_paid_on_the_sending_districts_list_are_not_paid_again_after_a_move(
    conn: asyncpg.Connection,
) -> None:
    """1,200,000 of arrears (for May) paid on 001's June list with June's 360,000; the
    person lives in 002 from July, the arrears still on the register: 002's July list pays
    July's 500,000 only."""
    await recipients.save(conn, snapshot("001", "00001", 2, arrears=1_200_000))
    assert await paid(conn, "001", JUNE) == [("00001", 1_560_000)]
    await move(conn, "2024-07", arrears=1_200_000)
    assert await paid(conn, "002", JULY) == [("00037", 500_000)]
