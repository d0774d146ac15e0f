"""Imports: upload → all rows validated and staged (``ImportValidated`` written), and the
district template WITH DATA, against their floors (BENCHMARKS.md).

- upload: a 100k-row arrears workbook with 25 columns; floor = python-calamine reading every
  row + COPY of the rows into a staging table; system = import-svc's own accept + parse path
  (read, check of every row against the read model, per-commune batches, COPY, events), run
  in a child process so that the peak RSS printed is that path's alone (interpreter included).
- template: 100k beneficiaries in 100 communes, zipped, current arrears prefilled; floor =
  rustpy-xlsxwriter (the fastest writer measured, BENCHMARKS.md) writing the same cells into
  the same zip, with nothing else (no styles, drop-down, hidden list or defined names).
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
from btxh_common.db import create_pool
from btxh_common.migrate import COMMON_MIGRATIONS, migrate
from btxh_common.testing.infra import create_database, drop_database

from btxh_tools.bench.common import SEED, BenchContext, alternate, report

DISTRICT = "001"
COMMUNES = [f"{n:05d}" for n in range(1, 101)]


def _people(n: int) -> list[dict[str, Any]]:
    rng = random.Random(SEED)
    return [
        {
            "beneficiary_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "national_id": f"001{rng.randrange(0, 10**9):09d}",
            "full_name": f"Nguyễn Văn {i}",
            "commune_code": COMMUNES[i % len(COMMUNES)],
            "status": "active",
        }
        for i in range(n)
    ]


def _workbook(people: list[dict[str, Any]]) -> bytes:
    from import_svc.domain.columns import ARREARS_CHANGE, COLUMNS
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("DuLieu")
    columns = COLUMNS["arrears"]
    filler = [f"Ghi chú {k}" for k in range(25 - len(columns))]
    sheet.append([c.header for c in columns] + filler)
    for i, p in enumerate(people):
        values = {
            **p,
            "change_type": ARREARS_CHANGE,
            "arrears_amount": 100_000 + i,
            "arrears_period": "12/2026",
        }
        sheet.append([values.get(c.key) for c in columns] + [f"x{i}"] * len(filler))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def run(ctx: BenchContext) -> None:
    import import_svc

    name = f"bench_{uuid.uuid4().hex[:8]}"
    dsn = await create_database(ctx.server, name)
    migrations = Path(import_svc.__file__).parent / "migrations"
    try:
        await migrate(dsn, {"common": COMMON_MIGRATIONS, "import-svc": migrations})
        pool = await create_pool(dsn, 1, 4)
        people = _people(ctx.rows)
        async with pool.acquire() as conn:
            await _register(conn, people)
        if ctx.wants("import_upload_validated"):
            await _upload_bench(ctx, pool, dsn, _workbook(people))
        if ctx.wants("template_district"):
            await _template_bench(ctx, people)
        if ctx.wants("import_upload_peak_rss"):
            del people
            await _upload_big(ctx, pool, dsn, ctx.rows * 10)
        await pool.close()
    finally:
        await drop_database(ctx.server, name)


async def _upload_big(ctx: BenchContext, pool: asyncpg.Pool, dsn: str, rows: int) -> None:
    """One upload of ``rows`` (10× the bench's size: 1M) through the same path, once, for its
    peak RSS (target ≤ 400 MB); its seconds are printed, no floor."""
    people = _people(rows)
    async with pool.acquire() as conn:
        await conn.execute("TRUNCATE identity, import_batch, upload_progress, outbox CASCADE")
        await _register(conn, people)
    cached = Path(os.environ.get("BTXH_RUN_DIR", ".run")) / "bench" / f"upload_{rows}_{SEED}.xlsx"
    if not cached.exists():
        cached.parent.mkdir(parents=True, exist_ok=True)
        building = cached.with_name(f"part-{cached.name}")  # the writer wants .xlsx
        await asyncio.to_thread(_fast_workbook, people, building)
        building.rename(cached)
    del people
    workbook_file = Path(tempfile.mkdtemp()) / "big.xlsx"  # the upload's own copy
    await asyncio.to_thread(shutil.copyfile, cached, workbook_file)
    seconds, rss, outcome = await _child(dsn, workbook_file, rows)
    name = f"import_upload_peak_rss_{rows // 1000}k"
    print(f"{name:32} {seconds:9.2f} {'—':>9} {'—':>7} {rss:10.0f}  ({outcome})", flush=True)
    workbook_file.unlink()


def _fast_workbook(people: list[dict[str, Any]], target: Path) -> None:
    """The cells of ``_workbook`` (inline strings, as openpyxl's write-only mode writes them)
    written by rustpy-xlsxwriter: seconds where openpyxl takes minutes for 1M rows; kept
    under ``.run/bench`` for the next run."""
    import rustpy_xlsxwriter
    from import_svc.domain.columns import ARREARS_CHANGE, COLUMNS

    columns = COLUMNS["arrears"]
    filler = [f"Ghi chú {k}" for k in range(25 - len(columns))]

    def records() -> Iterator[dict[str, Any]]:
        for i, p in enumerate(people):
            values = {
                **p,
                "change_type": ARREARS_CHANGE,
                "arrears_amount": 100_000 + i,
                "arrears_period": "12/2026",
            }
            yield {c.header: values.get(c.key) for c in columns} | dict.fromkeys(filler, f"x{i}")

    rustpy_xlsxwriter.write_worksheet(records(), str(target), sheet_name="DuLieu")


async def _child(dsn: str, workbook_file: Path, rows: int) -> tuple[float, float, str]:
    """import-svc's upload path run by a child process: its seconds, peak RSS and outcome."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "btxh_tools.bench.imports",
        dsn,
        str(workbook_file),
        str(rows),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await child.communicate()
    if child.returncode != 0:
        raise RuntimeError("the upload child failed")
    seconds, rss, outcome = json.loads(out)
    return float(seconds), float(rss), str(outcome)


async def _register(conn: asyncpg.Connection, people: list[dict[str, Any]]) -> None:
    """The read model of the register the upload is checked against."""
    await conn.copy_records_to_table(
        "identity",
        records=[
            (
                uuid.UUID(p["beneficiary_id"]),
                DISTRICT,
                p["commune_code"],
                p["national_id"],
                p["full_name"],
                "active",
                1,
            )
            for p in people
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


async def _upload_bench(ctx: BenchContext, pool: asyncpg.Pool, dsn: str, data: bytes) -> None:
    import python_calamine

    workbook_file = Path(tempfile.mkdtemp()) / "b.xlsx"
    workbook_file.write_bytes(data)
    system_rss: list[float] = []

    async def system() -> float:
        """import-svc's path in a process of its own, so its peak RSS is its own."""
        async with pool.acquire() as conn:
            await conn.execute("TRUNCATE import_batch, upload_progress, outbox CASCADE")
        seconds, rss, outcome = await _child(dsn, workbook_file, ctx.rows)
        if "failed" in outcome:
            raise RuntimeError(f"the upload was not parsed: {outcome}")
        system_rss.append(rss)
        return seconds

    async def floor() -> float:
        started = time.perf_counter()
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        grid = book.get_sheet_by_index(0).to_python()
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "CREATE TEMP TABLE floor_rows ("
                + ", ".join(f"c{i} text" for i in range(25))
                + ") ON COMMIT DROP"
            )
            await conn.copy_records_to_table(
                "floor_rows",
                records=[tuple(None if v == "" else str(v) for v in row) for row in grid[1:]],
            )
        return time.perf_counter() - started

    report(
        f"import_upload_validated_{ctx.rows // 1000}k",
        *await alternate(ctx.rounds, system, floor),
        rss_mb=max(system_rss),
    )
    workbook_file.unlink()


async def _template_bench(ctx: BenchContext, people: list[dict[str, Any]]) -> None:
    from import_svc.adapters.templates import write_zip
    from import_svc.domain.columns import ARREARS_CHANGE

    by_commune: dict[str, list[dict[str, Any]]] = {}
    for i, p in enumerate(people):
        row = {**p, "change_type": ARREARS_CHANGE}
        if i % 2:  # half of them owed arrears: prefilled
            row |= {"arrears_amount": 100_000 + i, "arrears_period": "09/2026"}
        by_commune.setdefault(p["commune_code"], []).append(row)

    async def system() -> float:
        with tempfile.TemporaryDirectory() as directory:
            started = time.perf_counter()
            write_zip(
                "arrears",
                ((c, c, ps) for c, ps in sorted(by_commune.items())),
                Path(directory) / "t.zip",
            )
            return time.perf_counter() - started

    async def floor() -> float:
        with tempfile.TemporaryDirectory() as directory:
            started = time.perf_counter()
            _fastest_writer_zip(by_commune, Path(directory) / "f.zip")
            return time.perf_counter() - started

    report(f"template_district_{ctx.rows // 1000}k", *await alternate(ctx.rounds, system, floor))


def _fastest_writer_zip(by_commune: dict[str, list[dict[str, Any]]], target: Path) -> None:
    """rustpy-xlsxwriter writing the same cells, one workbook per commune, into one zip."""
    import rustpy_xlsxwriter
    from import_svc.domain.columns import COLUMNS

    heads = [(c.key, c.header) for c in COLUMNS["arrears"]]
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
        for code, ps in sorted(by_commune.items()):
            with tempfile.TemporaryFile() as part:
                records = ({h: p.get(k) for k, h in heads} for p in ps)
                rustpy_xlsxwriter.write_worksheet(records, part, sheet_name="DuLieu")
                part.seek(0)
                with archive.open(f"{code}.xlsx", "w") as entry:
                    while chunk := part.read(1024 * 1024):
                        entry.write(chunk)


async def _upload_child(dsn: str, path: Path, rows: int) -> tuple[float, float, str]:
    """Seconds; peak RSS of this process plus that of import-svc's file-reading child (they
    overlap while the file is read), each its own ``VmHWM`` (``ru_maxrss`` would carry the
    RSS of the process that started it); and the batches' statuses. The limits are the
    service's defaults, raised to ``rows`` for the big upload, with room (8 GiB) to measure
    what it takes."""
    from import_svc import handlers
    from import_svc.adapters.child_reader import Reading, peak_rss_mb
    from import_svc.adapters.spool import Spooled
    from import_svc.adapters.workbook import Limits
    from prometheus_client import REGISTRY

    reading = Reading()
    if rows > reading.upload_rows:
        limits = Limits(max_rows=rows, max_bytes=2**40, max_uncompressed=2**40, max_ratio=2**20)
        reading = Reading(limits, memory_bytes=8 * 2**30, seconds=3600.0, upload_rows=rows)

    pool = await create_pool(dsn, 1, 4)
    try:
        started = time.perf_counter()
        size = await asyncio.to_thread(os.path.getsize, path)
        async with pool.acquire() as conn, conn.transaction():
            spooled = Spooled("b.xlsx", path, size)
            await handlers.accept_upload(conn, DISTRICT, "arrears", "bench", [spooled])
        while await handlers.parse_next(pool, reading):
            pass
        seconds = time.perf_counter() - started
        reader = REGISTRY.get_sample_value("btxh_import_reader_peak_rss_megabytes") or 0.0
        statuses = await pool.fetch("SELECT status, count(*) FROM import_batch GROUP BY 1")
        outcome = ", ".join(f"{r['status']}: {r['count']}" for r in statuses)
        print(f"import-svc {peak_rss_mb():.0f} MB, reading child {reader:.0f} MB", file=sys.stderr)
        return seconds, peak_rss_mb() + reader, outcome
    finally:
        await pool.close()


if __name__ == "__main__":
    from btxh_common.logs import configure_logging

    configure_logging("bench", "WARNING")
    print(json.dumps(asyncio.run(_upload_child(sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])))))
