"""Streaming parse-and-stage (issue 17): an upload read, validated and staged chunk by chunk.

A worker takes one upload's files (``FOR UPDATE SKIP LOCKED``). Each file is read by a child
process that sends its rows in chunks (``child_reader``); each chunk is checked against the
read model (only the chunk's IDs are looked up) and the upload's duplicate index (IDs only,
``UploadIds``), and COPied into staging, one batch per commune, as it comes. No representation
of a whole file's rows is ever held. Rows whose ID turned out to be duplicated by a later chunk
are checked again at the end; then each batch is counted and announced (``ImportValidated``).
All in one transaction, each file in a savepoint: a crash parses the upload again and a refused
file changes nothing else. Progress (rows read, validated, staged) is written outside the
transaction as it goes, for ``GET /v1/imports/{id}``.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from btxh_common import readpos
from btxh_common.clock import current_month
from btxh_common.envelope import Envelope
from btxh_common.events import ImportValidated
from btxh_common.logs import get_logger
from btxh_common.outbox import enqueue
from btxh_common.topics import IMPORT_EVENTS
from prometheus_client import Counter, Gauge

from import_svc.adapters import batches, identities, positions, rows, units
from import_svc.adapters import files as stored_files
from import_svc.adapters.child_reader import ReadDied, Reading, Streamed, stream_stored
from import_svc.adapters.workbook import FileRefused
from import_svc.domain.batch import Progress
from import_svc.domain.columns import Kind
from import_svc.domain.duplicates import UploadIds
from import_svc.domain.errors import UploadTooManyRows
from import_svc.domain.findings import Checked
from import_svc.domain.rows import found_in, keep_in_commune
from import_svc.domain.validation import national_ids, validate

log = get_logger(__name__)
PRODUCER = "import-svc"
ROWS_READ = Counter("btxh_import_rows_read_total", "Rows read from uploaded workbooks", ["kind"])
ROWS_VALIDATED = Counter("btxh_import_rows_validated_total", "Rows validated", ["kind", "status"])
READER_PEAK = Gauge(
    "btxh_import_reader_peak_rss_megabytes", "Peak RSS of the child that read the last file"
)
Parts = dict[str | None, UUID]  # a file's batches, one per commune


@dataclass
class Upload:
    """What the parse of one upload carries from chunk to chunk."""

    district: str
    kind: Kind
    position: int  # the read model's register position, read before any identity
    communes: dict[str, str] | None
    ids: UploadIds = field(default_factory=UploadIds)
    rows: int = 0  # rows read in the files kept so far and the file being read

    async def check(
        self, db: asyncpg.Connection | asyncpg.Pool, found: list[dict[str, Any]]
    ) -> list[Checked]:
        known = await identities.holders(db, self.district, national_ids(found))
        checked = validate(self.kind, found, known, current_month(), self.communes, self.ids)
        for status in ("valid", "invalid", "duplicate", "skipped"):
            n = sum(1 for c in checked if c.status == status)
            ROWS_VALIDATED.labels(self.kind, status).inc(n)
        return checked


async def parse_next(pool: asyncpg.Pool, reading: Reading) -> bool:
    """Parse one waiting upload; False when there is none. When reading a file dies before its
    last attempt, nothing of the upload is kept and it waits behind uploads never tried."""
    try:
        async with pool.acquire() as conn, conn.transaction():
            files = await batches.lock_next_upload(conn)
            if files is None:
                return False
            await _parse(conn, pool, files, reading)
    except ReadDied:  # logged with its file by _read; tried again later
        pass
    return True


async def _parse(
    conn: asyncpg.Connection, pool: asyncpg.Pool, files: list[asyncpg.Record], reading: Reading
) -> None:
    district = files[0]["district_code"]
    upload = Upload(
        district, files[0]["kind"], await readpos.current(conn, district), units.communes(district)
    )
    kept: list[tuple[asyncpg.Record, Parts]] = []
    for f in files:
        before = upload.rows
        try:
            async with conn.transaction():  # a savepoint: a refused file leaves no row
                parts = await _read(conn, pool, f, reading, upload)
        except FileRefused as refused:
            upload.ids.drop()
            upload.rows = before
            log.info("import.file_refused", batch_id=str(f["id"]), code=refused.code)
            await batches.fail_file(conn, f["id"], refused.code, refused.message_vi)
            await batches.set_progress(pool, f["id"], Progress("failed"))
            continue
        upload.ids.keep()
        kept.append((f, parts))
    await _check_late(conn, upload, kept)
    for f, parts in kept:
        for part in parts.values():
            b = await announce(conn, part, upload.position)
            n = b["total"] + b["skipped"]
            await batches.set_progress(pool, part, Progress("done", n, n, n))
        await batches.drop_file(conn, f["id"])
        log.info("import.parsed", batch_id=str(f["id"]), communes=len(parts))


async def _read(
    conn: asyncpg.Connection, pool: asyncpg.Pool, f: asyncpg.Record, reading: Reading, up: Upload
) -> Parts:
    """One file read by a child process and staged as it comes; the attempt is counted first,
    and a file whose reading died ``reading.attempts`` times is refused (a poison pill is
    never retried forever)."""
    if f["attempts"] >= reading.attempts:
        raise parse_died(f["attempts"])
    await batches.count_attempt(pool, f["id"])
    await batches.set_progress(pool, f["id"], Progress("reading"))
    try:
        fill = partial(stored_files.write_to, conn, f["id"])
        async with stream_stored(fill, f["kind"], reading) as sheet:
            parts = await _stage_file(conn, pool, f, sheet, up, reading.upload_rows)
        READER_PEAK.set(sheet.pipe.peak_mb)
        log.info("import.read", batch_id=str(f["id"]), reader_peak_mb=round(sheet.pipe.peak_mb))
        return parts
    except ReadDied as died:
        log.warning("import.read_died", batch_id=str(f["id"]), reason=died.reason)
        if f["attempts"] + 1 >= reading.attempts:
            raise parse_died(f["attempts"] + 1) from died
        raise


async def _stage_file(
    conn: asyncpg.Connection,
    pool: asyncpg.Pool,
    f: asyncpg.Record,
    sheet: Streamed,
    up: Upload,
    most: int,
) -> Parts:
    """Each chunk of the file checked and COPied into its commune's batch as it comes; a
    chunk's COPY runs while the next chunk is checked (its identities are read on another
    connection of the pool)."""
    parts: Parts = {}
    progress = Progress("staging")
    copying = _Copying(conn)
    try:
        async for chunk in sheet.chunks:
            up.rows += len(chunk)
            if up.rows > most:
                raise too_many_rows(most)
            ROWS_READ.labels(f["kind"]).inc(len(chunk))
            found = found_in(chunk)
            del chunk
            checked = await up.check(pool, found)
            if any(c.commune_code not in parts for c in checked):
                await copying.wait()  # the connection is needed for the new batches
            records = []
            for s, c in zip(found, checked, strict=True):
                part = parts.get(c.commune_code) or await _new_part(conn, f, parts, c, sheet)
                records.append(rows.record(part, c, s["flags"]))
            await copying.start(records)
            progress = progress.more(read=len(found), validated=len(found))
            await batches.set_progress(pool, f["id"], replace(progress, staged=copying.staged))
        await copying.wait()
    finally:
        await copying.settle()
    if not parts:  # a file with no rows still makes one batch
        await _new_part(conn, f, parts, None, sheet)
    await batches.set_progress(pool, f["id"], replace(progress, staged=copying.staged))
    return parts


class _Copying:
    """The COPY of the chunk before, left running on the parse's connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.task: asyncio.Task[None] | None = None
        self.pending = 0
        self.staged = 0  # rows whose COPY is done

    async def start(self, records: list[tuple[Any, ...]]) -> None:
        await self.wait()
        self.pending = len(records)
        self.task = asyncio.create_task(rows.append(self.conn, records))

    async def wait(self) -> None:
        if self.task is not None:
            task, self.task = self.task, None
            await task
            self.staged += self.pending

    async def settle(self) -> None:
        """On the way out (a refusal or a failure): the connection free again, whatever the
        COPY's own outcome (the savepoint is rolled back after)."""
        if self.task is not None:
            with contextlib.suppress(Exception):
                await self.task
            self.task = None


async def _new_part(
    conn: asyncpg.Connection, f: asyncpg.Record, parts: Parts, c: Checked | None, sheet: Streamed
) -> UUID:
    """The file's batch for the commune of ``c``: the file's own batch for the first met."""
    commune = None if c is None else c.commune_code
    if not parts:
        part: UUID = f["id"]
        await batches.to_review(conn, part, commune, sheet.ignored_headers)
    else:
        part = uuid4()
        await batches.add_commune(conn, f["id"], part, commune)
    parts[commune] = part
    return part


async def _check_late(
    conn: asyncpg.Connection, up: Upload, kept: list[tuple[asyncpg.Record, Parts]]
) -> None:
    """Rows validated before a later row of the upload came with the same ID: checked again
    now that every row is known (each staying in its batch)."""
    late = up.ids.finish()
    commune_of = {part: commune for _, parts in kept for commune, part in parts.items()}
    if not late or not commune_of:
        return
    found = await rows.holding(conn, list(commune_of), late)
    checked = await up.check(conn, found)
    for s, c in zip(found, checked, strict=True):
        keep_in_commune([c], commune_of[s["batch"]])
    await rows.replace(
        conn, [rows.record(s["batch"], c, s["flags"]) for s, c in zip(found, checked, strict=True)]
    )


async def announce(conn: asyncpg.Connection, batch: UUID, position: int) -> asyncpg.Record:
    """The batch's staged rows are validated (``ImportValidated``), against ``position``."""
    await rows.count(conn, batch)
    await positions.validated_at(conn, batch, position)
    b = await batches.get(conn, batch)
    assert b is not None
    event = ImportValidated(
        batch_id=batch,
        kind=b["kind"],
        commune_code=b["commune_code"],
        total=b["total"],
        valid=b["valid"],
        invalid=b["invalid"],
        duplicates=b["duplicates"],
        warnings=b["warnings"],
    )
    await enqueue(
        conn,
        IMPORT_EVENTS,
        Envelope.wrap(
            event, producer=PRODUCER, district_code=b["district_code"], correlation_id=str(batch)
        ),
    )
    return b


def too_many_rows(most: int) -> FileRefused:
    """A file that would take its upload's rows over ``most``."""
    refused = UploadTooManyRows(most)
    return FileRefused(refused.code, refused.message_vi)


def parse_died(attempts: int) -> FileRefused:
    return FileRefused(
        "parse_died",
        f"Không đọc được tệp: việc đọc đã dừng {attempts} lần vì vượt giới hạn bộ nhớ hoặc "
        "thời gian xử lý; hãy kiểm tra tệp, chia nhỏ theo xã rồi tải lên lại",
    )
