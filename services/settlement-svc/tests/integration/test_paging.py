"""The district's settlements and refusals a page at a time (issue 16, item 10b): a page
holds at most its limit, the cursors walk every row once, newest first, and each settlement
of a page carries the same extensions and line totals as when read alone — from one query,
not three per settlement."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest_asyncio
from btxh_common import paging
from btxh_common.chunks import digest, split
from btxh_common.chunkstore import Transfer
from btxh_common.events import PaymentListSubmitted
from btxh_common.inbox import EventContext
from btxh_common.migrate import COMMON_MIGRATIONS, migrate
from btxh_common.postoffice import PackageAccepted
from settlement_svc.adapters import refusals as refusal_db
from settlement_svc.domain.packages import Policy
from settlement_svc.handlers import packages, postoffice, settlements

MIGRATIONS = Path(__file__).parents[2] / "src" / "settlement_svc" / "migrations"
UNITS = frozenset({"001"})


@pytest_asyncio.fixture
async def pool(fresh_db: str, common_db: asyncpg.Pool) -> AsyncIterator[asyncpg.Pool]:
    await migrate(fresh_db, {"common": COMMON_MIGRATIONS, "settlement-svc": MIGRATIONS})
    yield common_db


def context() -> EventContext:
    return EventContext(
        event_id=uuid4(),
        event_type="PaymentListSubmitted",
        district_code="001",
        producer="payment-svc",
        occurred_at=datetime.now(UTC),
    )


async def settle_period(pool: asyncpg.Pool, period: str, people: int, amount: int) -> None:
    """A list of ``people`` lines of ``amount`` sent and acknowledged: its settlement opens."""
    rows = [{"line_id": str(uuid4()), "amount": amount} for _ in range(people)]
    event = PaymentListSubmitted(
        list_id=uuid4(),
        period=period,
        kind="monthly",
        version=1,
        submitted_by="officer",
        manifest=split(rows, uuid4(), amount_field="amount")[1],
    )
    async with pool.acquire() as conn, conn.transaction():
        await packages.register(conn, Transfer(event, context(), rows), Policy())
    package_id = await pool.fetchval("SELECT id FROM package WHERE list_id = $1", event.list_id)
    answer = PackageAccepted(
        package_id=package_id,
        version=1,
        row_count=people,
        total_amount=people * amount,
        sha256=digest(rows),
    )
    async with pool.acquire() as conn, conn.transaction():
        await postoffice.on_accepted(conn, answer, context(), Policy())


async def walk(read: Any, limit: int, key: Any, parse: Any) -> list[list[Any]]:
    """Every page, following the cursors."""
    pages, cursor = [], None
    while True:
        rows = await read(limit + 1, parse(cursor))
        shown, cursor = paging.page(rows, limit, key)
        assert len(shown) <= limit
        pages.append(shown)
        if cursor is None:
            return pages


async def test_settlements_page_by_period_with_their_totals(pool: asyncpg.Pool) -> None:
    periods = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05"]
    for i, period in enumerate(periods):
        await settle_period(pool, period, i + 1, 100_000 * (i + 1))
    first = await pool.fetchval("SELECT id FROM settlement WHERE period = '2026-01'")
    async with pool.acquire() as conn:
        await settlements.extend(conn, UNITS, first, 5, "officer", "Bưu điện xin thêm")

        async def read(limit: int, before: Any) -> list[Any]:
            return await settlements.of_district(conn, "001", limit, before)

        pages = await walk(
            read,
            2,
            lambda s: (s.settlement.period, s.settlement.id),
            lambda c: paging.parse(c, str, UUID),
        )
        alone = {
            s.settlement.id: await settlements.summary(conn, s.settlement.id)
            for page in pages
            for s in page
        }
    assert [len(p) for p in pages] == [2, 2, 1]
    seen = [s for page in pages for s in page]
    assert [s.settlement.period for s in seen] == periods[::-1]
    for s in seen:
        assert s == alone[s.settlement.id]
    oldest = seen[-1]
    assert oldest.extended_days == 5
    assert {k: (v.count, v.amount) for k, v in oldest.lines.items()} == {"pending": (1, 100_000)}
    assert {k: (v.count, v.amount) for k, v in seen[0].lines.items()} == {"pending": (5, 2_500_000)}


async def test_refusals_page_newest_first_each_once(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        for i in range(paging.MAX_PAGE + 25):
            await refusal_db.insert(conn, "001", None, "PaymentResults", "unknown_package", str(i))
        await refusal_db.insert(conn, "002", None, "PaymentResults", "unknown_package", "x")

        async def read(limit: int, before: Any) -> list[Any]:
            return await packages.refusals_of(conn, "001", limit, before[0] if before else None)

        pages = await walk(
            read, paging.MAX_PAGE, lambda r: (r["id"],), lambda c: paging.parse(c, int)
        )
    assert [len(p) for p in pages] == [paging.MAX_PAGE, 25]
    details = [r["detail"] for page in pages for r in page]
    assert details == [str(i) for i in reversed(range(paging.MAX_PAGE + 25))]
