"""The SQL of every status change of a batch, on PostgreSQL: each move of DOMAIN's lifecycle is
made from the status it leaves, and every other (status, event) leaves the batch as it was
(``WHERE status = ANY(…)`` from the domain's table)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import asyncpg
import import_svc
import pytest
import pytest_asyncio
from btxh_common.db import create_pool
from btxh_common.migrate import COMMON_MIGRATIONS, migrate
from import_svc.adapters import batches

STATUSES = [
    "parsing",
    "awaiting_review",
    "failed",
    "confirmed",
    "applied",
    "partially_applied",
    "refused",
]
# DOMAIN "Excel imports", by hand (not read from the code under test)
MOVES = {
    ("parsing", "parsed"): "awaiting_review",
    ("parsing", "read_failed"): "failed",
    ("awaiting_review", "confirm"): "confirmed",
    ("confirmed", "applied"): "applied",
    ("confirmed", "partially_applied"): "partially_applied",
    ("confirmed", "refused"): "refused",
}
Move = Callable[[asyncpg.Connection, uuid.UUID], Awaitable[object]]
UPDATES: dict[str, Move] = {
    "parsed": lambda c, b: batches.to_review(c, b, "00001", ["Ghi chú"]),
    "read_failed": lambda c, b: batches.fail_file(c, b, "not_xlsx", "Không đọc được tệp"),
    "confirm": lambda c, b: batches.mark_confirmed(c, b, "officer-1"),
    "applied": lambda c, b: batches.mark_applied(c, b, "applied"),
    "partially_applied": lambda c, b: batches.mark_applied(c, b, "partially_applied"),
    "refused": lambda c, b: batches.mark_refused(c, b, json.dumps({"code": "stale"})),
}
# made under the batch's own lock, its status checked first: a refusal there is a bug, loud
UNDER_LOCK = {"parsed", "read_failed", "confirm"}


@pytest_asyncio.fixture
async def pool(fresh_db: str) -> AsyncIterator[asyncpg.Pool]:
    migrations = Path(import_svc.__file__).parent / "migrations"
    await migrate(fresh_db, {"common": COMMON_MIGRATIONS, "import-svc": migrations})
    pool = await create_pool(fresh_db, 1, 2)
    yield pool
    await pool.close()


async def _batch(conn: asyncpg.Connection, status: str) -> uuid.UUID:
    batch = uuid.uuid4()
    await conn.execute(
        """INSERT INTO import_batch (id, upload_id, district_code, kind, file_name, status,
               created_by) VALUES ($1, $2, '001', 'arrears', 'a.xlsx', $3, 'officer-1')""",
        batch,
        uuid.uuid4(),
        status,
    )
    return batch


async def test_every_move_of_the_table_is_made_and_every_other_is_refused(
    pool: asyncpg.Pool,
) -> None:
    outcomes: dict[tuple[str, str], str] = {}
    for status in STATUSES:
        for event, update in UPDATES.items():
            async with pool.acquire() as conn:
                batch = await _batch(conn, status)
                allowed = (status, event) in MOVES
                if allowed or event not in UNDER_LOCK:
                    answer = await update(conn, batch)
                    if event not in UNDER_LOCK:
                        assert answer is allowed, (status, event)
                else:
                    with pytest.raises(RuntimeError, match=f"{event} refused by its status"):
                        await update(conn, batch)
                outcomes[status, event] = await conn.fetchval(
                    "SELECT status FROM import_batch WHERE id = $1", batch
                )
    expected = {
        (s, e): MOVES.get((s, e), s) for s in STATUSES for e in UPDATES
    }  # refused: the batch stays where it was
    assert outcomes == expected
    assert len(outcomes) == 42


async def test_a_move_records_what_goes_with_it(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        parsed, failed, confirmed = [await _batch(conn, "parsing") for _ in range(2)] + [
            await _batch(conn, "awaiting_review")
        ]
        await UPDATES["parsed"](conn, parsed)
        await UPDATES["read_failed"](conn, failed)
        await UPDATES["confirm"](conn, confirmed)
        await UPDATES["applied"](conn, confirmed)
        rows = {
            r["id"]: r
            for r in await conn.fetch(
                "SELECT * FROM import_batch WHERE id = ANY($1::uuid[])",
                [parsed, failed, confirmed],
            )
        }
    assert (rows[parsed]["commune_code"], rows[parsed]["ignored_headers"]) == (
        "00001",
        ["Ghi chú"],
    )
    assert json.loads(rows[failed]["error"]) == {
        "code": "not_xlsx",
        "message_vi": "Không đọc được tệp",
    }
    assert rows[confirmed]["status"] == "applied"
    assert rows[confirmed]["confirmed_by"] == "officer-1"
    assert rows[confirmed]["confirmed_at"] is not None
    assert rows[confirmed]["applied_at"] is not None
