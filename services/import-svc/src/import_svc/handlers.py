"""import-svc's commands and events (seed 000 §10C steps 3–5, and the same for §10B, §10A).

Upload: each file is stored with a placeholder batch in ``parsing`` and answered at once;
a worker reads, validates and stages it chunk by chunk (``parsing``). Re-validation and
confirmation work on the staged rows; ``ImportConfirmed`` carries the valid rows in
checksummed chunks.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import asyncpg
from btxh_common import readpos
from btxh_common.clock import current_month
from btxh_common.events import (
    BeneficiaryChanged,
    BeneficiaryRegistered,
    ImportApplied,
    ImportConfirmed,
    ImportConfirmedChunk,
)
from btxh_common.inbox import EventContext, require_district
from btxh_common.logs import get_logger
from btxh_common.outbox import enqueue_chunked
from btxh_common.topics import IMPORT_EVENTS

from import_svc.adapters import batches, identities, positions, rows, units
from import_svc.adapters.spool import Spooled
from import_svc.domain.batch import (
    amount_field,
    applied_status,
    ensure_confirmable,
    ensure_editable,
    ensure_in_review,
)
from import_svc.domain.columns import Kind
from import_svc.domain.errors import NothingToConfirm, RowNotFound
from import_svc.domain.findings import Checked
from import_svc.domain.rows import confirmed_row, keep_in_commune
from import_svc.domain.validation import national_ids, validate
from import_svc.parsing import PRODUCER, ROWS_VALIDATED, announce, parse_next

__all__ = ["accept_upload", "confirm", "edit_row", "on_applied", "on_beneficiary", "parse_next"]

log = get_logger(__name__)


# ---------------------------------------------------------------- upload and parsing


async def accept_upload(
    conn: asyncpg.Connection, district: str, kind: Kind, officer: str, files: list[Spooled]
) -> list[UUID]:
    """Store the spooled files, one batch each, for the worker to parse; returns the batches."""
    named = [(uuid4(), f.name, f.path) for f in files]
    await batches.add_upload(conn, uuid4(), district, kind, officer, named)
    return [batch for batch, _, _ in named]


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
    await rows.stage(conn, batch, mine, flags)
    await announce(conn, batch, position)


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
