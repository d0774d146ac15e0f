"""Streaming parse-and-stage (issue 17) against a real PostgreSQL: an upload read two rows at a
time by the child process, each chunk validated and COPied into its commune's batch as it
comes. A duplicate whose rows fall in different chunks is found on both rows; a refused file
of the upload leaves no row and counts for no duplicate; the progress counts every row read,
validated and staged."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import import_svc
import openpyxl
import pytest_asyncio
from btxh_common.clock import add_months, current_month
from btxh_common.db import create_pool
from btxh_common.migrate import COMMON_MIGRATIONS, migrate
from import_svc import handlers
from import_svc.adapters.child_reader import Reading
from import_svc.adapters.spool import Spooled
from import_svc.domain.columns import ARREARS_CHANGE, COLUMNS
from import_svc.parsing import parse_next

DISTRICT = "001"
C1, C2 = "00001", "00004"  # Phường Phúc Xá, Phường Trúc Bạch (district 001)
PEOPLE = {f"00108500000{n}": (uuid.uuid4(), C1 if n % 2 else C2) for n in range(1, 7)}
IDS = sorted(PEOPLE)


@pytest_asyncio.fixture
async def pool(fresh_db: str) -> AsyncIterator[asyncpg.Pool]:
    migrations = Path(import_svc.__file__).parent / "migrations"
    await migrate(fresh_db, {"common": COMMON_MIGRATIONS, "import-svc": migrations})
    pool = await create_pool(fresh_db, 1, 4)
    await pool.copy_records_to_table(
        "identity",
        records=[
            (b, DISTRICT, c, i, f"Người {i[-1]}", "active", 1) for i, (b, c) in PEOPLE.items()
        ],
        columns=[
            "beneficiary_id",
            "district_code",
            "commune_code",
            "national_id",
            "full_name",
            "status",
            "version",
        ],
    )
    yield pool
    await pool.close()


def workbook(ids: list[str], path: Path) -> Spooled:
    """An arrears workbook, one row per ID (a new amount for next month)."""
    book = openpyxl.Workbook()
    sheet = book.active
    columns = COLUMNS["arrears"]
    sheet.append([c.header for c in columns])
    after = add_months(current_month(), 1)
    for national_id in ids:
        values = {
            "national_id": national_id,
            "change_type": ARREARS_CHANGE,
            "arrears_amount": 120_000,
            "arrears_period": f"{after.month:02d}/{after.year}",
        }
        sheet.append([values.get(c.key) for c in columns])
    out = io.BytesIO()
    book.save(out)
    path.write_bytes(out.getvalue())
    return Spooled(path.name, path, len(out.getvalue()))


async def upload(pool: asyncpg.Pool, files: list[Spooled], reading: Reading) -> list[uuid.UUID]:
    async with pool.acquire() as conn, conn.transaction():
        batches = await handlers.accept_upload(conn, DISTRICT, "arrears", "officer", files)
    while await parse_next(pool, reading):
        pass
    return batches


async def rows_of(pool: asyncpg.Pool) -> dict[tuple[str, int], tuple[str, list[str]]]:
    """(file, row) → (the batch's commune, the row's status, its error codes)."""
    found = await pool.fetch(
        """SELECT b.file_name, b.commune_code, r.row_no, r.status, r.errors
           FROM import_row r JOIN import_batch b ON b.id = r.batch_id"""
    )
    return {
        (r["file_name"], r["row_no"]): (
            r["commune_code"],
            r["status"],
            [e["code"] for e in json.loads(r["errors"])],
        )
        for r in found
    }


async def test_an_upload_read_in_chunks_finds_a_duplicate_across_chunks_on_both_rows(
    pool: asyncpg.Pool, tmp_path: Path
) -> None:
    # rows 2..8; the first ID again at row 6: chunks are rows 2-3, 4-5, 6-7, 8
    ids = [IDS[0], IDS[1], IDS[2], IDS[3], IDS[0], IDS[4], IDS[5]]
    (batch,) = await upload(pool, [workbook(ids, tmp_path / "a.xlsx")], Reading(chunk_rows=2))
    staged = await rows_of(pool)
    for row_no, national_id in enumerate(ids, start=2):
        commune = PEOPLE[national_id][1]
        if national_id == IDS[0]:
            assert staged["a.xlsx", row_no] == (commune, "invalid", ["duplicate_in_file"])
        else:
            assert staged["a.xlsx", row_no] == (commune, "valid", [])
    batches = await pool.fetch(
        "SELECT id, commune_code, status, total, valid, invalid FROM import_batch ORDER BY 2"
    )
    # IDS[0] ends in 1 (odd: C1): C1 holds rows 2, 4, 6, 8 (two of them the duplicate)
    assert [tuple(b)[1:] for b in batches] == [
        (C1, "awaiting_review", 4, 2, 2),
        (C2, "awaiting_review", 3, 3, 0),
    ]
    assert batches[0]["id"] == batch, "the file's own batch holds the first commune met"
    events = await pool.fetchval("SELECT count(*) FROM outbox WHERE event_type = 'ImportValidated'")
    assert events == 2
    progress = await pool.fetch(
        "SELECT phase, rows_read, rows_validated, rows_staged FROM upload_progress ORDER BY 2"
    )
    assert [tuple(p) for p in progress] == [("done", 3, 3, 3), ("done", 4, 4, 4)]


async def test_a_file_refused_midway_leaves_no_row_and_no_duplicate(
    pool: asyncpg.Pool, tmp_path: Path
) -> None:
    first = workbook([IDS[0], IDS[1], IDS[2]], tmp_path / "a.xlsx")
    second = workbook([IDS[3], IDS[4], IDS[0]], tmp_path / "b.xlsx")  # past 5 rows at its row 4
    await upload(pool, [first, second], Reading(chunk_rows=2, upload_rows=5))
    staged = await rows_of(pool)
    assert {k: v[1:] for k, v in staged.items()} == {
        ("a.xlsx", 2): ("valid", []),
        ("a.xlsx", 3): ("valid", []),
        ("a.xlsx", 4): ("valid", []),
    }
    failed = await pool.fetchrow(
        "SELECT status, error FROM import_batch WHERE file_name = 'b.xlsx'"
    )
    assert failed["status"] == "failed"
    assert json.loads(failed["error"])["code"] == "upload_too_many_rows"
    assert await pool.fetchval("SELECT count(*) FROM import_batch WHERE file_name = 'b.xlsx'") == 1
    phases: list[Any] = await pool.fetch("SELECT phase FROM upload_progress ORDER BY 1")
    assert sorted(p["phase"] for p in phases) == ["done", "done", "failed"]
