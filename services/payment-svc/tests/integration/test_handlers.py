"""The handlers on a real database, no process, no broker: the lists' SQL pays what DOMAIN
"Amounts" says, written by hand here, and what ``domain/amounts.py`` says for each person.

Levels: 360,000 until 2024-06, 500,000 from 2024-07.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import payment_svc
import pytest_asyncio
from btxh_common.auth import Principal, Role
from btxh_common.clock import parse_month_or_none
from btxh_common.events import (
    BeneficiarySnapshot,
    LineStatus,
    PaymentListSent,
    PaymentResultsReceived,
)
from btxh_common.inbox import EventContext
from btxh_common.migrate import COMMON_MIGRATIONS, migrate
from payment_svc.adapters import lines as line_adapter
from payment_svc.adapters import recipients
from payment_svc.api.schemas import StatusException
from payment_svc.domain.amounts import (
    allowance_in_force,
    arrears_due,
    line_amounts,
    monthly_allowance,
    outstanding_recovery,
)
from payment_svc.handlers import inbound, lines, lists, periods, recoveries

D, C1 = "001", "00001"
JUNE, JULY = date(2024, 6, 1), date(2024, 7, 1)
OFFICER = Principal(officer_id="officer", role=Role.DISTRICT_OFFICER, units=frozenset({D}))
BOSS = Principal(officer_id="boss", role=Role.DISTRICT_SUPERVISOR, units=frozenset({D}))
Amounts = tuple[int, int, int, int, int]  # allowance, arrears, carried_over, recovery, total


def person(n: int, coefficient: int, **extra: Any) -> BeneficiarySnapshot:
    values: dict[str, Any] = {
        "id": UUID(int=n, version=4),
        "national_id": f"001{n:09d}",
        "full_name": f"Người {n}",
        "district_code": D,
        "commune_code": C1,
        "category": "NCT_80",
        "coefficient": coefficient,
        "status": "active",
        "allowance_start_month": "2024-01",
        "version": 1,
    }
    return BeneficiarySnapshot(**{**values, **extra})


PEOPLE = {
    "A": person(1, 10),
    "B": person(2, 25),
    "C": person(3, 20, arrears_amount=700_000, arrears_period="2024-06"),
    "D": person(4, 15),  # a recovery of 1,000,000 (RECOVERIES), as much a period as the line has
    "E": person(5, 10),
    "S": person(6, 10, status="stopped", status_effective_month="2024-07"),
    "N": person(7, 10, allowance_start_month="2024-07"),
    "G": person(8, 10, status="deceased", death_date=date(2024, 7, 15), funeral_recipient="Hải"),
    "R": person(9, 10, status="removed"),
}

RECOVERIES = {"D": 1_000_000}

JUNE_LINES: dict[str, Amounts] = {
    "A": (360_000, 0, 0, 0, 360_000),
    "B": (900_000, 0, 0, 0, 900_000),  # 2.5 × 360,000
    "C": (720_000, 700_000, 0, 0, 1_420_000),  # arrears paid in their month
    "D": (540_000, 0, 0, 540_000, 0),  # the recovery takes the whole line
    "E": (360_000, 0, 0, 0, 360_000),
    "S": (360_000, 0, 0, 0, 360_000),  # stopped only from July
    "G": (360_000, 0, 0, 0, 360_000),
}
JULY_LINES: dict[str, Amounts] = {
    "A": (500_000, 0, 0, 0, 500_000),  # the new level
    "B": (1_250_000, 0, 0, 0, 1_250_000),
    "C": (1_000_000, 0, 0, 0, 1_000_000),  # arrears not twice
    "D": (750_000, 0, 0, 460_000, 290_000),  # the rest of the recovery
    "E": (500_000, 0, 360_000, 0, 860_000),  # June's unpaid money carried over
    "N": (500_000, 0, 0, 0, 500_000),  # starts in July
    "G": (500_000, 0, 0, 0, 500_000),  # died mid-July: paid July
}


def by_the_rules(
    p: BeneficiarySnapshot, month: date, level: int, *, history: dict[str, int]
) -> Amounts | None:
    """The domain's rules for one person; ``history`` says what earlier lists did."""
    paid = allowance_in_force(
        month,
        coefficient=p.coefficient,
        start_month=parse_month_or_none(p.allowance_start_month),
        status=p.status,
        status_effective_month=parse_month_or_none(p.status_effective_month),
        death_date=p.death_date,
    )
    allowance = monthly_allowance(level, p.coefficient or 0) if paid else 0
    listed = history.get("arrears_listed", 0) > 0
    arrears = arrears_due(p.arrears_amount, parse_month_or_none(p.arrears_period), month, listed)
    decided = next((RECOVERIES[k] for k, q in PEOPLE.items() if q is p and k in RECOVERIES), 0)
    outstanding = outstanding_recovery(decided, history.get("recovered", 0))
    line = line_amounts(allowance, arrears, history.get("carried", 0), outstanding)
    if line.allowance + line.arrears + line.carried_over == 0:
        return None
    return line.allowance, line.arrears, line.carried_over, line.recovery, line.total


@pytest_asyncio.fixture
async def conn(fresh_db: str) -> AsyncIterator[asyncpg.Connection]:
    migrations = Path(payment_svc.__file__).parent / "migrations"
    await migrate(fresh_db, {"common": COMMON_MIGRATIONS, "payment-svc": migrations})
    connection = await asyncpg.connect(fresh_db)
    try:
        async with connection.transaction():
            for p in PEOPLE.values():
                await recipients.save(connection, p)
            for month in (JUNE, JULY):
                await periods.open_period(connection, OFFICER, D, month)
            for key, total in RECOVERIES.items():
                decision = ("12/QĐ-UBND", date(2024, 5, 20), "Hưởng sai chế độ")
                await recoveries.create(
                    connection, OFFICER, D, PEOPLE[key].id, decision, (total, total), JUNE
                )
        yield connection
    finally:
        await connection.close()


async def amounts_by_person(conn: asyncpg.Connection, list_id: UUID) -> dict[str, Amounts]:
    names = {p.id: key for key, p in PEOPLE.items()}
    rows = await conn.fetch(
        """SELECT beneficiary_id, allowance, arrears, carried_over, recovery, total
           FROM payment_line WHERE list_id = $1""",
        list_id,
    )
    return {
        names[r["beneficiary_id"]]: (
            r["allowance"],
            r["arrears"],
            r["carried_over"],
            r["recovery"],
            r["total"],
        )
        for r in rows
    }


async def submitted_june(conn: asyncpg.Connection) -> UUID:
    async with conn.transaction():
        june = await lists.generate(conn, OFFICER, D, JUNE, "monthly")
        await lists.submit(conn, OFFICER, june)
    return june


async def test_two_months_of_lists_pay_what_the_rules_say_to_the_dong(
    conn: asyncpg.Connection,
) -> None:
    june = await submitted_june(conn)
    assert await amounts_by_person(conn, june) == JUNE_LINES
    for key, p in PEOPLE.items():
        assert by_the_rules(p, JUNE, 360_000, history={}) == JUNE_LINES.get(key), key

    e_line = await conn.fetchval(
        "SELECT id FROM payment_line WHERE list_id = $1 AND beneficiary_id = $2",
        june,
        PEOPLE["E"].id,
    )
    async with conn.transaction():
        unpaid = [StatusException(line_id=e_line, status="unpaid")]
        changed = await lines.manual_statuses(conn, BOSS, june, "paid", JUNE, unpaid, "bảng kê")
        assert changed == len(JUNE_LINES)
        july = await lists.generate(conn, OFFICER, D, JULY, "monthly")
    assert await amounts_by_person(conn, july) == JULY_LINES
    history = {
        "C": {"arrears_listed": 1},
        "D": {"recovered": 540_000},
        "E": {"carried": 360_000},
    }
    for key, p in PEOPLE.items():
        expected = JULY_LINES.get(key)
        assert by_the_rules(p, JULY, 500_000, history=history.get(key, {})) == expected, key


async def test_the_funeral_list_pays_twenty_levels_of_the_month_of_death(
    conn: asyncpg.Connection,
) -> None:
    async with conn.transaction():
        funeral = await lists.generate(conn, OFFICER, D, JULY, "funeral")
    (line,) = await conn.fetch("SELECT * FROM payment_line WHERE list_id = $1", funeral)
    assert line["beneficiary_id"] == PEOPLE["G"].id
    assert line["funeral"] == line["total"] == 10_000_000
    assert line["note"] == "Người nhận mai táng phí: Hải"


async def test_a_submitted_list_goes_out_as_chunks_closed_by_its_manifest(
    conn: asyncpg.Connection,
) -> None:
    june = await submitted_june(conn)
    events = await conn.fetch(
        "SELECT event_type, body FROM outbox WHERE event_type LIKE 'PaymentList%' ORDER BY id"
    )
    # its own record (published after the generation, by the recorder; here no recorder
    # ran, so the submission recorded it first): every line as kept, what a restored
    # payment-svc rebuilds the list from (PostgreSQL's COPY text of the head's columns)
    assert [e["event_type"] for e in events] == [
        "PaymentListGenerated",
        "PaymentListRecorded.lines",
        "PaymentListRecorded",
        "PaymentListSubmitted.chunk",
        "PaymentListSubmitted",
    ]
    head = json.loads(events[2]["body"])["payload"]
    text = json.loads(events[1]["body"])["payload"]["text"]
    kept = [dict(zip(head["columns"], r.split("\t"), strict=True)) for r in text.splitlines()]
    assert sorted(r["beneficiary_id"] for r in kept) == sorted(
        str(PEOPLE[k].id) for k in JUNE_LINES
    )
    assert sum(int(r["total"]) for r in kept) == sum(a[-1] for a in JUNE_LINES.values())
    chunk = json.loads(events[3]["body"])["payload"]["chunk"]
    manifest = json.loads(events[4]["body"])["payload"]["manifest"]
    lines_with_money = [k for k, amounts in JUNE_LINES.items() if amounts[-1] > 0]
    assert len(chunk["rows"]) == manifest["row_count"] == len(lines_with_money)
    assert manifest["total_amount"] == sum(a[-1] for a in JUNE_LINES.values())
    assert manifest["transfer_id"] == str(june)
    assert await conn.fetchval("SELECT status FROM payment_list WHERE id = $1", june) == "submitted"


async def test_the_payment_units_answers_move_the_list_forward_only(
    conn: asyncpg.Connection,
) -> None:
    june = await submitted_june(conn)
    a_line = await conn.fetchval(
        "SELECT id FROM payment_line WHERE list_id = $1 AND beneficiary_id = $2",
        june,
        PEOPLE["A"].id,
    )
    package = uuid4()
    sent = PaymentListSent(package_id=package, list_id=june, version=1, sent_at=datetime.now(UTC))
    results = PaymentResultsReceived(
        package_id=package,
        list_id=june,
        results=[LineStatus(line_id=a_line, status="paid", paid_on=date(2024, 6, 5))],
    )
    async with conn.transaction():
        await inbound.on_sent(conn, sent, _context("PaymentListSent"))
        await inbound.on_results(conn, results, _context("PaymentResultsReceived"))
        await inbound.on_sent(conn, sent, _context("PaymentListSent"))  # late: no step back
    assert await conn.fetchval("SELECT status FROM payment_list WHERE id = $1", june) == (
        "results_received"
    )
    trail = await line_adapter.audit(conn, a_line)
    assert [(a["line_id"], a["old"], a["new"], a["paid_on"], a["source"]) for a in trail] == [
        (a_line, "pending", "paid", date(2024, 6, 5), "post_office")
    ]
    assert trail[0]["reason"] == f"package {package}"
    others = await conn.fetch(
        "SELECT id FROM payment_line WHERE list_id = $1 AND id <> $2", june, a_line
    )
    assert others
    for other in others:  # the part names only the line it changed
        assert await line_adapter.audit(conn, other["id"]) == []


def _context(event_type: str) -> EventContext:
    return EventContext(
        event_id=uuid4(),
        event_type=event_type,
        district_code=D,
        producer="settlement-svc",
        occurred_at=datetime.now(UTC),
    )
