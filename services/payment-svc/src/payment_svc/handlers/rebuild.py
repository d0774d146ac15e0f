"""After payment-svc's database is restored from a backup: what it made by its own commands
since — periods opened, lists generated (with their lines, from ``PaymentListRecorded``),
submitted or deleted, line statuses recorded by hand, periods locked or unlocked — is put
back from the events it published, before it consumes anything else (``on_start``).

Lost events are those of its own topic that its database does not know it published (not in
``outbox``, ``outbox_parked`` or ``rebuilt_event``), made after its newest outbox row less a
margin (older ones may have left the outbox by design: they are not lost); the topic is read
from that moment on (the broker's timestamps), from the beginning if the outbox is empty.
Each is put back once, in the order of the topic, and remembered in ``rebuilt_event``; a
list already there is left as it is (a period a lost list needs is opened with the list's
level, by its creator, if its own opening is not on the bus). Not put back, being in no
event: recoveries decided or cancelled (a list's deductions are put back for the recoveries
still there), splits, pulls, the payment mode, death records, status audit rows.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any
from uuid import UUID

import asyncpg
from btxh_common.chunks import (
    ChunkMissing,
    Manifest,
    ManifestMismatch,
    TransferError,
    assemble,
    missing_chunks,
)
from btxh_common.clock import parse_month
from btxh_common.envelope import Envelope
from btxh_common.events import (
    PaymentListDeleted,
    PaymentListSubmitted,
    PaymentPeriodLocked,
    PaymentPeriodOpened,
    PaymentPeriodUnlocked,
    PaymentStatusUpdated,
)
from btxh_common.list_record import (
    PaymentLineRecord,
    PaymentListRecorded,
    PaymentListRecordedChunk,
    PaymentListRecordedLines,
)
from btxh_common.logs import get_logger
from btxh_common.service import ServiceState
from btxh_common.topics import PAYMENT_EVENTS

from payment_svc.adapters import bus, lines, lists, periods, positions, recoveries
from payment_svc.domain import states
from payment_svc.domain.states import PeriodStatus
from payment_svc.handlers.load import PRODUCER

log = get_logger(__name__)

MARGIN = timedelta(minutes=5)  # transactions begun before the newest outbox row, committed after
Chunks = dict[UUID, dict[int, Any]]  # a record's chunks: v1 rows (list[Row]) or v2 text


async def rebuild(state: ServiceState) -> None:
    settings = state.settings
    async with state.db().acquire() as conn:
        known, newest = await bus.published(conn)
    since = None if newest is None else newest - MARGIN
    events = await bus.read_all(
        settings.kafka_bootstrap_servers, PAYMENT_EVENTS, settings.kafka_auth(), since
    )
    lost = [
        e
        for e in events
        if e.producer == PRODUCER
        and str(e.event_id) not in known
        and (since is None or e.occurred_at > since)
    ]
    chunks: Chunks = {}
    for event in lost:
        if _keep_chunk(event, chunks):
            continue
        async with state.db().acquire() as conn, conn.transaction():
            await put_back(conn, event, chunks)
            await bus.mark_rebuilt(conn, event)
    if lost:
        log.warning("rebuild.put_back", events=len(lost))


def _keep_chunk(event: Envelope, chunks: Chunks) -> bool:
    """A chunk of a list's record (v1 rows or v2 text) kept aside for its head; False for
    any other event."""
    if event.event_type == PaymentListRecordedChunk.event_type:
        chunk = PaymentListRecordedChunk.model_validate(event.payload).chunk
        chunks.setdefault(chunk.transfer_id, {})[chunk.seq] = chunk.rows
    elif event.event_type == PaymentListRecordedLines.event_type:
        part = PaymentListRecordedLines.model_validate(event.payload)
        chunks.setdefault(part.list_id, {})[part.seq] = part.text
    else:
        return False
    return True


async def put_back(conn: asyncpg.Connection, event: Envelope, chunks: Chunks) -> None:
    kind, district, payload = event.event_type, event.district_code, event.payload
    if kind == PaymentListRecorded.event_type:
        await _list(conn, district, PaymentListRecorded.model_validate(payload), chunks)
    elif kind == PaymentListSubmitted.event_type:
        submitted = PaymentListSubmitted.model_validate(payload)
        row = await lists.find(conn, submitted.list_id, lock=True)
        if row is not None and row["status"] == "draft":
            await lists.mark_submitted(conn, submitted.list_id, submitted.submitted_by)
    elif kind == PaymentListDeleted.event_type:
        deleted = PaymentListDeleted.model_validate(payload)
        await lists.move(conn, deleted.list_id, "deleted", ("draft",))
    elif kind == PaymentStatusUpdated.event_type:
        updated = PaymentStatusUpdated.model_validate(payload)
        await lines.set_recorded_statuses(conn, [x.model_dump(mode="json") for x in updated.lines])
    elif kind == PaymentPeriodOpened.event_type:
        opened = PaymentPeriodOpened.model_validate(payload)
        month = parse_month(opened.period)
        await periods.insert(conn, district, month, opened.opened_by, opened.level)
    elif kind == PaymentPeriodLocked.event_type:
        locked = PaymentPeriodLocked.model_validate(payload)
        month = parse_month(locked.period)
        await periods.set_status(
            conn, district, month, PeriodStatus.LOCKED, locked.locked_by, locked.note
        )
    elif kind == PaymentPeriodUnlocked.event_type:
        unlocked = PaymentPeriodUnlocked.model_validate(payload)
        month = parse_month(unlocked.period)
        await periods.set_status(
            conn, district, month, PeriodStatus.OPEN, unlocked.unlocked_by, unlocked.note
        )


async def _list(
    conn: asyncpg.Connection, district: str, made: PaymentListRecorded, chunks: Chunks
) -> None:
    """A list the restored database lost: the list, its lines, the lines it carries."""
    if await lists.find(conn, made.list_id) is not None:
        return
    parts = chunks.pop(made.list_id, {})
    try:
        if made.columns:
            text = assemble_text(made.manifest, made.columns, parts)
        else:
            rows = assemble(made.manifest, parts)
            records = [PaymentLineRecord.model_validate(r).model_dump(mode="json") for r in rows]
    except (TransferError, TypeError, ValueError) as exc:
        log.error("rebuild.list_incomplete", list_id=str(made.list_id), error=str(exc))
        return
    month = parse_month(made.period)
    await periods.insert(conn, district, month, made.created_by, made.level)
    old = await lists.current(conn, district, month, made.kind)
    if old is not None:
        try:
            becomes: str = states.replace(old["status"], False)
        except Exception:  # the officer's command was accepted then: the old list gave way
            becomes = "superseded"
        await lists.retire(conn, old["id"], becomes)
    await lists.insert(
        conn, made.list_id, district, month, made.kind, made.version, made.level, made.created_by
    )
    if made.register_position is not None:
        await positions.stamp(conn, made.list_id, made.register_position)
    if made.columns:
        await lines.restore_text(conn, made.list_id, made.columns, text)
    else:
        await lines.restore(conn, made.list_id, records)
    why = f"Danh sách tháng {made.period} phiên bản {made.version} (khôi phục)"
    await recoveries.settle_statuses(conn, district, made.created_by, why)
    log.warning("rebuild.list", list_id=str(made.list_id), lines=made.manifest.row_count)


def assemble_text(manifest: Manifest, columns: list[str], parts: dict[int, Any]) -> str:
    """A v2 record's lines (COPY text) whole, or a ``TransferError`` saying what is wrong:
    every chunk there, and the row count, the total of ``total`` and the SHA-256 over the
    chunks in order as the manifest says."""
    missing = missing_chunks(manifest, parts)
    if missing:
        raise ChunkMissing(missing)
    texts = [parts[seq] for seq in range(manifest.chunk_count)]
    if not all(isinstance(t, str) for t in texts):
        raise ManifestMismatch("a chunk of the record is not text")
    text = "".join(texts)
    if hashlib.sha256(text.encode()).hexdigest() != manifest.sha256:
        raise ManifestMismatch("checksum differs from the manifest")
    at = columns.index("total")
    rows = text.split("\n")[:-1]
    if len(rows) != manifest.row_count:
        raise ManifestMismatch(f"row count {len(rows)} != manifest {manifest.row_count}")
    amount = sum(int(r.split("\t")[at]) for r in rows)
    if amount != manifest.total_amount:
        raise ManifestMismatch(f"total amount {amount} != manifest {manifest.total_amount}")
    return text
