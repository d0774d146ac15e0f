"""The handlers on a real database, without processes or a broker: each step's state and the
events it leaves in the outbox."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest
import pytest_asyncio
from btxh_common.chunks import digest, split
from btxh_common.chunkstore import Transfer
from btxh_common.clock import today
from btxh_common.events import LineStatus, PaymentListSubmitted, PaymentStatusUpdated
from btxh_common.inbox import EventContext
from btxh_common.migrate import COMMON_MIGRATIONS, migrate
from btxh_common.postoffice import (
    PackageAccepted,
    PackageRejected,
    PaymentResults,
    PersonResult,
    SettlementReport,
)
from settlement_svc.adapters.payment_unit import put_settings
from settlement_svc.domain.errors import (
    ExtensionTotalExceeded,
    PackageNotFound,
    PackageNotStuck,
    ResultsIncomplete,
    SettlementAlreadyClosed,
    SettlementBeforeCutoff,
)
from settlement_svc.domain.packages import Policy
from settlement_svc.domain.payment_unit import PaymentUnitSettings
from settlement_svc.handlers import packages, postoffice, settlements

MIGRATIONS = Path(__file__).parents[2] / "src" / "settlement_svc" / "migrations"
POLICY = Policy()
UNITS = frozenset({"001"})


@pytest_asyncio.fixture
async def pool(fresh_db: str, common_db: asyncpg.Pool) -> AsyncIterator[asyncpg.Pool]:
    await migrate(fresh_db, {"common": COMMON_MIGRATIONS, "settlement-svc": MIGRATIONS})
    yield common_db


def lines(n: int, amount: int = 500_000) -> list[dict[str, Any]]:
    return [
        {"line_id": str(uuid4()), "full_name": f"Người {i}", "amount": amount, "arrears": 0}
        for i in range(n)
    ]


def context(district: str = "001") -> EventContext:
    return EventContext(
        event_id=uuid4(),
        event_type="PaymentListSubmitted",
        district_code=district,
        producer="payment-svc",
        occurred_at=datetime.now(UTC),
    )


async def submit(
    pool: asyncpg.Pool,
    rows: list[dict[str, Any]],
    *,
    list_id: UUID | None = None,
    version: int = 1,
    period: str = "2026-11",
    policy: Policy = POLICY,
) -> UUID:
    list_id = list_id or uuid4()
    event = PaymentListSubmitted(
        list_id=list_id,
        period=period,
        kind="monthly",
        version=version,
        submitted_by="officer",
        manifest=split(rows, uuid4(), amount_field="amount")[1],
    )
    async with pool.acquire() as conn, conn.transaction():
        await packages.register(conn, Transfer(event, context(), rows), policy)
    return list_id


async def package(pool: asyncpg.Pool, list_id: UUID, version: int = 1) -> asyncpg.Record:
    return await pool.fetchrow(
        "SELECT * FROM package WHERE list_id = $1 AND version = $2", list_id, version
    )


async def outbox(pool: asyncpg.Pool, event_type: str) -> list[dict[str, Any]]:
    rows = await pool.fetch("SELECT body FROM outbox WHERE event_type = $1 ORDER BY id", event_type)
    return [json.loads(r["body"])["payload"] for r in rows]


async def accept(
    pool: asyncpg.Pool, list_id: UUID, rows: list[dict[str, Any]], **diff: Any
) -> None:
    p = await package(pool, list_id)
    answer = {
        "package_id": p["id"],
        "version": 1,
        "row_count": len(rows),
        "total_amount": sum(r["amount"] for r in rows),
        "sha256": digest(rows),
        **diff,
    }
    async with pool.acquire() as conn, conn.transaction():
        await postoffice.on_accepted(conn, PackageAccepted(**answer), context(), POLICY)


async def test_a_submitted_list_goes_out_as_chunks_and_a_manifest(pool: asyncpg.Pool) -> None:
    rows = lines(2_500)
    list_id = await submit(pool, rows)
    p = await package(pool, list_id)
    assert (p["state"], p["attempts"], p["line_count"]) == ("sent", 1, 2_500)
    assert [c["chunk"]["seq"] for c in await outbox(pool, "PackageChunk")] == [0, 1, 2]
    [manifest] = await outbox(pool, "PackageManifest")
    assert manifest["manifest"]["total_amount"] == 2_500 * 500_000
    assert manifest["manifest"]["sha256"] == digest(rows)
    assert [e["list_id"] for e in await outbox(pool, "PaymentListSent")] == [str(list_id)]


async def test_a_matching_acknowledgement_opens_the_settlement_once(pool: asyncpg.Pool) -> None:
    rows = lines(3)
    list_id = await submit(pool, rows)
    await accept(pool, list_id, rows)
    await accept(pool, list_id, rows)
    assert (await package(pool, list_id))["state"] == "acknowledged"
    deadlines = await pool.fetch(
        "SELECT deadline, state FROM settlement WHERE list_id = $1", list_id
    )
    assert [tuple(d) for d in deadlines] == [(date(2026, 12, 31), "open")]
    assert len(await outbox(pool, "PaymentListAcknowledged")) == 1


async def test_an_acknowledgement_that_differs_sends_the_package_again(pool: asyncpg.Pool) -> None:
    rows = lines(3)
    list_id = await submit(pool, rows)
    await accept(pool, list_id, rows, total_amount=1)
    p = await package(pool, list_id)
    assert (p["state"], p["attempts"]) == ("sent", 2)
    assert p["last_error"] == f"acknowledged 3 lines / 1 / {digest(rows)[:12]}"
    assert len(await outbox(pool, "PackageManifest")) == 2
    assert len(await outbox(pool, "PaymentListSent")) == 1


async def test_a_new_version_goes_out_once_the_old_one_is_recalled(pool: asyncpg.Pool) -> None:
    rows = lines(3)
    list_id = await submit(pool, rows)
    await accept(pool, list_id, rows)
    await submit(pool, lines(4), list_id=list_id, version=2)
    old, new = await package(pool, list_id, 1), await package(pool, list_id, 2)
    assert (old["state"], new["state"], new["replaces"]) == (
        "recall_requested",
        "waiting_recall",
        old["id"],
    )
    assert [r["package_id"] for r in await outbox(pool, "RecallRequest")] == [str(old["id"])]
    recalled = PackageRejected(package_id=old["id"], version=1, reason="recalled")
    async with pool.acquire() as conn, conn.transaction():
        await postoffice.on_rejected(conn, recalled, context(), POLICY)
    assert (await package(pool, list_id, 1))["state"] == "recalled"
    assert (await package(pool, list_id, 2))["state"] == "sent"
    closed = await pool.fetchrow(
        "SELECT state, closed_by FROM settlement WHERE package_id = $1", old["id"]
    )
    assert tuple(closed) == ("closed", "recalled")
    assert [e["recalled"] for e in await outbox(pool, "PaymentListRejected")] == [True]
    assert [e["version"] for e in await outbox(pool, "PaymentListSent")] == [1, 2]


async def test_a_silent_post_office_gets_resends_then_an_officer_is_asked(
    pool: asyncpg.Pool,
) -> None:
    quick = Policy(base_seconds=0, max_seconds=0, max_attempts=2)
    list_id = await submit(pool, lines(2), policy=quick)
    assert await packages.resend_due(pool, quick) == 1
    assert (await package(pool, list_id))["attempts"] == 2
    assert await packages.resend_due(pool, quick) == 1
    p = await package(pool, list_id)
    assert (p["state"], p["next_attempt_at"]) == ("alert", None)
    async with pool.acquire() as conn, conn.transaction():
        with pytest.raises(PackageNotFound):
            await packages.retry(conn, frozenset({"002"}), p["id"], quick)
        retried = await packages.retry(conn, UNITS, p["id"], quick)
        assert (retried.state, retried.attempts) == ("sent", 1)
        with pytest.raises(PackageNotStuck):
            await packages.retry(conn, UNITS, p["id"], quick)


async def test_closing_asks_for_every_result_or_the_officers_say_so(pool: asyncpg.Pool) -> None:
    rows = lines(3)
    list_id = await submit(pool, rows, period="2020-01")  # its cut-off long past
    await accept(pool, list_id, rows)
    p = await package(pool, list_id)
    paid = PersonResult(line_id=rows[0]["line_id"], status="paid", paid_on=date(2026, 11, 10))
    part = PaymentResults(package_id=p["id"], version=1, part=0, parts=1, results=[paid])
    async with pool.acquire() as conn, conn.transaction():
        await postoffice.on_results(conn, part, context(), POLICY)
        await postoffice.on_results(conn, part, context(), POLICY)
    assert len(await outbox(pool, "PaymentResultsReceived")) == 1
    settlement = await pool.fetchval("SELECT id FROM settlement WHERE list_id = $1", list_id)
    async with pool.acquire() as conn:
        with pytest.raises(ResultsIncomplete, match="Còn 2 người"):
            await settlements.close(conn, UNITS, settlement, "officer", rest_unpaid=False)
        await settlements.close(conn, UNITS, settlement, "officer", rest_unpaid=True)
        with pytest.raises(SettlementAlreadyClosed):
            await settlements.close(conn, UNITS, settlement, "officer", rest_unpaid=True)
        summary = await settlements.summary(conn, settlement)
    assert {k: v.count for k, v in summary.lines.items()} == {"paid": 1, "unpaid": 2}
    [event] = await outbox(pool, "SettlementClosed")
    assert sorted(x["line_id"] for x in event["lines"]) == sorted(r["line_id"] for r in rows[1:])


async def test_an_open_settlement_closes_only_after_its_cut_off_a_received_one_at_once(
    pool: asyncpg.Pool,
) -> None:
    rows = lines(2)
    list_id = await submit(pool, rows, period="2026-11")  # cut-off 2026-12-28
    await accept(pool, list_id, rows)
    settlement = await pool.fetchval("SELECT id FROM settlement WHERE list_id = $1", list_id)
    package_id = (await package(pool, list_id))["id"]
    async with pool.acquire() as conn:
        with pytest.raises(SettlementBeforeCutoff) as early:
            await settlements.close(conn, UNITS, settlement, "officer", rest_unpaid=True)
        assert early.value.code == "settlement_before_cutoff"
        report = SettlementReport(
            package_id=package_id,
            version=1,
            period="2026-11",
            paid_count=2,
            paid_amount=1_000_000,
            unpaid_count=0,
            unpaid_amount=0,
        )
        async with conn.transaction():
            await postoffice.on_settlement_report(conn, report, context())
        await settlements.close(conn, UNITS, settlement, "officer", rest_unpaid=True)
    assert await pool.fetchval("SELECT state FROM settlement WHERE id = $1", settlement) == "closed"


async def test_a_late_settlement_is_overdue_once_and_extended_under_20_days(
    pool: asyncpg.Pool,
) -> None:
    rows = lines(1)
    list_id = await submit(pool, rows, period="2020-01")
    await accept(pool, list_id, rows)
    assert await settlements.scan_overdue(pool) == 1
    assert await settlements.scan_overdue(pool) == 0
    [overdue] = await outbox(pool, "SettlementOverdue")
    assert overdue["deadline"] == "2020-02-29"
    settlement = await pool.fetchval("SELECT id FROM settlement WHERE list_id = $1", list_id)
    async with pool.acquire() as conn:
        await settlements.extend(conn, UNITS, settlement, 19, "officer", "Bưu điện xin thêm")
        with pytest.raises(ExtensionTotalExceeded):
            await settlements.extend(conn, UNITS, settlement, 1, "officer", "thêm nữa")
        summary = await settlements.summary(conn, settlement)
    assert summary.effective_deadline == date(2020, 3, 19)
    assert summary.settlement.overdue_since == today(), "still overdue after the extension"
    [extended] = await outbox(pool, "DeadlineExtended")
    assert (extended["days"], extended["new_deadline"]) == (19, "2020-03-19")


async def test_an_extension_past_today_lifts_the_overdue_mark(pool: asyncpg.Pool) -> None:
    target = today() - timedelta(days=5)
    target = target.replace(day=min(target.day, 28))  # a cut-off day is 1–28
    period = f"{target.replace(day=1) - timedelta(days=1):%Y-%m}"  # settled the month after
    async with pool.acquire() as conn:
        await put_settings(conn, unit("001", cutoff=target.day), "supervisor")
    rows = lines(1)
    list_id = await submit(pool, rows, period=period)
    await accept(pool, list_id, rows)
    assert await settlements.scan_overdue(pool) == 1
    settlement = await pool.fetchval("SELECT id FROM settlement WHERE list_id = $1", list_id)
    async with pool.acquire() as conn:
        await settlements.extend(conn, UNITS, settlement, 19, "officer", "Bưu điện xin thêm")
        summary = await settlements.summary(conn, settlement)
    assert summary.effective_deadline == target + timedelta(days=19)
    assert summary.settlement.overdue_since is None


async def test_a_district_without_the_post_office_keeps_statuses_by_hand(
    pool: asyncpg.Pool,
) -> None:
    async with pool.acquire() as conn:
        await put_settings(conn, unit("001", integrated=False), "supervisor")
    rows = lines(2)
    list_id = await submit(pool, rows)
    assert (await package(pool, list_id))["state"] == "manual"
    assert await pool.fetchval("SELECT state FROM settlement WHERE list_id = $1", list_id) == "open"
    assert await outbox(pool, "PackageManifest") == []
    update = PaymentStatusUpdated(
        list_id=list_id,
        lines=[LineStatus(line_id=r["line_id"], status="paid") for r in rows],
        updated_by="officer",
    )
    async with pool.acquire() as conn, conn.transaction():
        await postoffice.on_status_updated(conn, update, context())
    statuses = await pool.fetch("SELECT DISTINCT status FROM package_line")
    assert [s["status"] for s in statuses] == ["paid"]


def unit(district: str, *, cutoff: int = 28, integrated: bool = True) -> PaymentUnitSettings:
    return PaymentUnitSettings(
        district_code=district,
        list_cutoff_day=20,
        settlement_cutoff_day=cutoff,
        months_per_settlement=1,
        integrated=integrated,
    )


async def test_a_word_about_an_unknown_package_another_districts_or_version_is_kept_aside(
    pool: asyncpg.Pool,
) -> None:
    rows = lines(2)
    list_id = await submit(pool, rows)
    p = await package(pool, list_id)
    unpaid = [PersonResult(line_id=r["line_id"], status="unpaid") for r in rows]
    unknown = PaymentResults(package_id=uuid4(), version=1, part=0, parts=1, results=unpaid)
    theirs = PaymentResults(package_id=p["id"], version=1, part=0, parts=1, results=unpaid)
    other_version = PaymentResults(package_id=p["id"], version=2, part=0, parts=1, results=unpaid)
    async with pool.acquire() as conn, conn.transaction():
        await postoffice.on_results(conn, unknown, context(), POLICY)
        await postoffice.on_results(conn, theirs, context("002"), POLICY)
        await postoffice.on_results(conn, other_version, context(), POLICY)
    refused = await pool.fetch(
        "SELECT district_code, package_id, message_type, reason FROM refusal ORDER BY id"
    )
    assert [tuple(r) for r in refused] == [
        ("001", p["id"], "PaymentResults", "version_mismatch"),
    ]
    # a package the post office does not hold (here, or of the sender's district): quarantined
    kept = await pool.fetch(
        "SELECT district_code, package_id, message_type, reason FROM quarantine ORDER BY id"
    )
    assert [tuple(r) for r in kept] == [
        ("001", unknown.package_id, "PaymentResults", "unknown_package"),
        ("002", p["id"], "PaymentResults", "unknown_package"),
    ]
    assert await pool.fetchval("SELECT count(*) FROM package_line WHERE status <> 'pending'") == 0
    assert await outbox(pool, "PaymentResultsReceived") == []
