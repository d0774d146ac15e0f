"""import-svc's commands and events (seed 000 §10C steps 3–5, and the same for §10B, §10A).

Upload: each file is stored with a placeholder batch in ``parsing`` and answered at once.
A worker takes one upload's files (``FOR UPDATE SKIP LOCKED``), reads and validates all of
them together (duplicates are looked for across the upload), splits each file's rows into
one batch per commune and stages them with COPY — all in one transaction, so a crash parses
the upload again and a failed file changes nothing else. Re-validation and confirmation work
on the staged rows; ``ImportConfirmed`` carries the valid rows in checksummed chunks.
"""

from __future__ import annotations

from collections import defaultdict
from functools import partial
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from btxh_common import readpos
from btxh_common.clock import current_month
from btxh_common.envelope import Envelope
from btxh_common.events import (
    BeneficiaryChanged,
    BeneficiaryRegistered,
    ImportApplied,
    ImportConfirmed,
    ImportConfirmedChunk,
    ImportValidated,
)
from btxh_common.inbox import EventContext, require_district
from btxh_common.logs import get_logger
from btxh_common.outbox import enqueue, enqueue_chunked
from btxh_common.topics import IMPORT_EVENTS
from prometheus_client import Counter

from import_svc.adapters import batches, identities, positions, rows, units
from import_svc.adapters import files as stored_files
from import_svc.adapters.child_reader import ReadDied, Reading, read_stored
from import_svc.adapters.spool import Spooled
from import_svc.adapters.workbook import FileRefused, Sheet
from import_svc.domain.batch import (
    amount_field,
    applied_status,
    ensure_confirmable,
    ensure_editable,
    ensure_in_review,
)
from import_svc.domain.columns import Kind
from import_svc.domain.errors import NothingToConfirm, RowNotFound, UploadTooManyRows
from import_svc.domain.findings import Checked
from import_svc.domain.rows import by_commune, confirmed_row, keep_in_commune, staged
from import_svc.domain.validation import national_ids, validate

log = get_logger(__name__)
PRODUCER = "import-svc"
ROWS_READ = Counter("btxh_import_rows_read_total", "Rows read from uploaded workbooks", ["kind"])
ROWS_VALIDATED = Counter("btxh_import_rows_validated_total", "Rows validated", ["kind", "status"])
Flags = dict[int, dict[str, Any]]  # row number -> what reading found


# ---------------------------------------------------------------- upload and parsing


async def accept_upload(
    conn: asyncpg.Connection, district: str, kind: Kind, officer: str, files: list[Spooled]
) -> list[UUID]:
    """Store the spooled files, one batch each, for the worker to parse; returns the batches."""
    named = [(uuid4(), f.name, f.path) for f in files]
    await batches.add_upload(conn, uuid4(), district, kind, officer, named)
    return [batch for batch, _, _ in named]


async def parse_next(pool: asyncpg.Pool, reading: Reading) -> bool:
    """Parse one waiting upload; False when there is none. When reading a file dies before its
    last attempt, nothing of the upload is kept and it waits behind uploads never tried."""
    try:
        async with pool.acquire() as conn, conn.transaction():
            files = await batches.lock_next_upload(conn)
            if files is None:
                return False
            sheets = await _read(conn, pool, files, reading)
            if sheets:
                await _parse(conn, pool, sheets)
    except ReadDied:  # logged with its file by _read_one; tried again later
        pass
    return True


async def _read(
    conn: asyncpg.Connection, pool: asyncpg.Pool, files: list[asyncpg.Record], reading: Reading
) -> list[tuple[asyncpg.Record, Sheet]]:
    """Each file read, or failed with its reason (the other files go on)."""
    sheets = []
    rows = 0
    for f in files:
        try:
            sheet = await _read_one(conn, pool, f, reading)
            if rows + len(sheet.rows) > reading.upload_rows:
                raise too_many_rows(reading.upload_rows)
        except FileRefused as refused:
            log.info("import.file_refused", batch_id=str(f["id"]), code=refused.code)
            await batches.fail_file(conn, f["id"], refused.code, refused.message_vi)
            await batches.set_progress(pool, f["id"], "failed")
            continue
        rows += len(sheet.rows)
        ROWS_READ.labels(f["kind"]).inc(len(sheet.rows))
        await batches.set_progress(pool, f["id"], "validating", len(sheet.rows))
        sheets.append((f, sheet))
    return sheets


async def _read_one(
    conn: asyncpg.Connection, pool: asyncpg.Pool, f: asyncpg.Record, reading: Reading
) -> Sheet:
    """One file read by a child process; the attempt is counted first, and a file whose
    reading died ``reading.attempts`` times is refused (a poison pill is never retried
    forever)."""
    if f["attempts"] >= reading.attempts:
        raise parse_died(f["attempts"])
    await batches.count_attempt(pool, f["id"])
    await batches.set_progress(pool, f["id"], "reading")
    try:
        return await read_stored(partial(stored_files.write_to, conn, f["id"]), f["kind"], reading)
    except ReadDied as died:
        log.warning("import.read_died", batch_id=str(f["id"]), reason=died.reason)
        if f["attempts"] + 1 >= reading.attempts:
            raise parse_died(f["attempts"] + 1) from died
        raise


def too_many_rows(most: int) -> FileRefused:
    """A file that would take its upload's rows over ``most`` (they are held together)."""
    refused = UploadTooManyRows(most)
    return FileRefused(refused.code, refused.message_vi)


def parse_died(attempts: int) -> FileRefused:
    return FileRefused(
        "parse_died",
        f"Không đọc được tệp: việc đọc đã dừng {attempts} lần vì vượt giới hạn bộ nhớ hoặc "
        "thời gian xử lý; hãy kiểm tra tệp, chia nhỏ theo xã rồi tải lên lại",
    )


async def _parse(
    conn: asyncpg.Connection, pool: asyncpg.Pool, sheets: list[tuple[asyncpg.Record, Sheet]]
) -> None:
    """Validate the upload's rows together, then stage each file's by commune."""
    district, kind = sheets[0][0]["district_code"], sheets[0][0]["kind"]
    found = staged([sheet.rows for _, sheet in sheets])
    checked, position = await _validate(conn, district, kind, found)
    per_file: dict[int, list[Checked]] = defaultdict(list)
    flags: dict[int, Flags] = defaultdict(dict)
    for s, c in zip(found, checked, strict=True):
        per_file[s["file"]].append(c)
        flags[s["file"]][s["row_no"]] = s["flags"]
    for i, (f, sheet) in enumerate(sheets):
        parts = by_commune(per_file[i])
        for n, (commune, part) in enumerate(parts):
            batch = f["id"] if n == 0 else uuid4()
            if n == 0:
                await batches.to_review(conn, batch, commune, sheet.ignored_headers)
            else:
                await batches.add_commune(conn, f["id"], batch, commune)
            await _stage(conn, batch, part, flags[i], position)
            await batches.set_progress(pool, batch, "done", len(part))
        await batches.drop_file(conn, f["id"])
        log.info("import.parsed", batch_id=str(f["id"]), rows=len(per_file[i]), communes=len(parts))


async def _validate(
    conn: asyncpg.Connection, district: str, kind: Kind, found: list[dict[str, Any]]
) -> tuple[list[Checked], int]:
    """The rows checked, and the read model's register position they were checked against
    (read first: the identities read after it hold at least that)."""
    position = await readpos.current(conn, district)
    known = await identities.holders(conn, district, national_ids(found))
    checked = validate(kind, found, known, current_month(), units.communes(district))
    for c in checked:
        ROWS_VALIDATED.labels(kind, c.status).inc()
    return checked, position


async def _stage(
    conn: asyncpg.Connection, batch: UUID, checked: list[Checked], flags: Flags, position: int
) -> None:
    """Store the batch's checked rows and say so (``ImportValidated``)."""
    await rows.stage(conn, batch, checked, flags)
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


# ---------------------------------------------------------------- review


async def edit_row(
    conn: asyncpg.Connection, batch: UUID, row_no: int, values: dict[str, Any]
) -> dict[str, Any]:
    """An officer's edit of a row in review (in the caller's transaction)."""
    ensure_editable(str(await batches.lock_status(conn, batch)))
    saved = await rows.edit(conn, batch, row_no, values)
    if saved is None:
        raise RowNotFound()
    return saved


async def revalidate(conn: asyncpg.Connection, batch: UUID) -> None:
    """Validate the batch's rows again, with the other batches of its upload still in review."""
    b = await batches.lock(conn, batch)
    assert b is not None
    ensure_in_review(b["status"])
    found = await rows.staged(conn, await batches.in_review(conn, b["upload_id"]))
    checked, position = await _validate(conn, b["district_code"], b["kind"], found)
    mine = [c for s, c in zip(found, checked, strict=True) if s["batch"] == batch]
    keep_in_commune(mine, b["commune_code"])
    flags = {s["row_no"]: s["flags"] for s in found if s["batch"] == batch}
    await _stage(conn, batch, mine, flags, position)


async def confirm(conn: asyncpg.Connection, batch: UUID, officer: str, skip_invalid: bool) -> None:
    """Send the batch's valid rows to the register (``ImportConfirmed``, chunked)."""
    b = await batches.lock(conn, batch)
    assert b is not None
    ensure_confirmable(
        b["status"],
        b["commune_code"],
        b["invalid"],
        b["duplicates"],
        skip_invalid,
        unvalidated=await rows.unvalidated(conn, batch),
    )
    valid = await rows.valid(conn, batch)
    if not valid:
        raise NothingToConfirm()
    kind: Kind = b["kind"]
    confirmed = [confirmed_row(kind, r) for r in valid]
    await enqueue_chunked(
        conn,
        IMPORT_EVENTS,
        confirmed,
        transfer_id=batch,
        chunk=lambda c: ImportConfirmedChunk(chunk=c),
        head=lambda m: ImportConfirmed(
            batch_id=batch,
            kind=kind,
            commune_code=b["commune_code"],
            confirmed_by=officer,
            manifest=m,
        ),
        producer=PRODUCER,
        district_code=b["district_code"],
        correlation_id=str(batch),
        amount_field=amount_field(kind),
    )
    await batches.mark_confirmed(conn, batch, officer)
    log.info("import.confirmed", batch_id=str(batch), rows=len(confirmed))


# ---------------------------------------------------------------- events


async def on_beneficiary(
    conn: asyncpg.Connection,
    event: BeneficiaryRegistered | BeneficiaryChanged,
    context: EventContext,
) -> None:
    """The read model follows the register (of the event's district only)."""
    require_district(context, event.beneficiary.district_code, "beneficiary.district_code")
    await identities.save(conn, event.beneficiary)
    await readpos.record(conn, context.district_code, event.position)


async def on_applied(conn: asyncpg.Connection, event: ImportApplied, context: EventContext) -> None:
    """beneficiary-svc's answer to a confirmed batch: refused whole, or applied (some rows
    possibly rejected, each with why)."""
    await readpos.record(conn, context.district_code, event.position)
    await positions.applied_at(conn, event.batch_id, event.position)
    if event.refused is not None:
        await batches.mark_refused(conn, event.batch_id, event.refused.model_dump_json())
        return
    if event.rejected:
        await rows.record_rejected(conn, event.batch_id, event.rejected)
    await batches.mark_applied(conn, event.batch_id, applied_status(bool(event.rejected)))
