"""A list as kept, lines included, published for a restored payment-svc to rebuild it from
(``PaymentListRecorded``: the lines as PostgreSQL's COPY text in chunks, a chunk an event,
the head last with the manifest: row count, total, SHA-256 over the texts in order).

A monthly list is recorded after the officer's generation, in a transaction of its own
(``record_later``, woken after each generation and every ``RECORD_POLL_SECONDS``): the
generation returns once its lines are kept, without reading 1M lines back into a record.
Until then the list is kept with ``recorded`` false. What could put an event about a list
on the bus before its record records it first, in the same transaction, so the record still
comes first in the topic, which a rebuild reads in order: a command on the list records that
list (``load.visible_list``, which every command locks it through); a generation (a new
version, or next month's list, which carries its lines) and a period locked or unlocked
record the district's unrecorded lists (``record_district``). A crash between
the generation and its record loses nothing: the list is still unrecorded when the service
starts again."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from uuid import UUID

import asyncpg
from btxh_common.chunks import Manifest
from btxh_common.clock import month_text
from btxh_common.envelope import Envelope
from btxh_common.list_record import (
    MAX_LINES_ROWS,
    MAX_LINES_TEXT,
    PaymentListRecorded,
    PaymentListRecordedLines,
)
from btxh_common.logs import get_logger
from btxh_common.outbox import enqueue_many
from btxh_common.service import ServiceState
from btxh_common.topics import PAYMENT_EVENTS

from payment_svc.adapters import lines, lists

log = get_logger(__name__)

PRODUCER = "payment-svc"
RECORD_POLL_SECONDS = 5.0  # the recorder's sweep, besides being woken by each generation


async def record(
    conn: asyncpg.Connection, row: asyncpg.Record, text: lines.RecordText, totals: tuple[int, int]
) -> Manifest:
    """Publish ``row``'s record: ``text`` its lines (chunks of whole lines), ``totals`` the
    list's (lines, amount) as written. A text that is not the list written records nothing."""
    count, amount = totals
    if text.row_count != count:
        raise RuntimeError(f"list {row['id']}: {text.row_count} lines in the record, {count} kept")
    manifest = Manifest(
        transfer_id=row["id"],
        chunk_count=len(text.texts),
        row_count=count,
        total_amount=amount,
        amount_field="total",
        sha256=text.sha256,
    )
    head = PaymentListRecorded(
        list_id=row["id"],
        period=month_text(row["month"]),
        kind=row["kind"],
        version=row["version"],
        level=row["level"],
        created_by=row["created_by"],
        register_position=row["register_position"],
        manifest=manifest,
        columns=lines.RECORD_COLUMNS,
    )
    wrap = functools.partial(
        Envelope.wrap,
        producer=PRODUCER,
        district_code=row["district_code"],
        correlation_id=str(row["id"]),
    )
    events = [
        wrap(_lines(row["id"], i, n, t))
        for i, (n, t) in enumerate(zip(text.rows, text.texts, strict=True))
    ]
    await enqueue_many(conn, PAYMENT_EVENTS, [*events, wrap(head)])
    return manifest


def _lines(list_id: UUID, seq: int, row_count: int, text: str) -> PaymentListRecordedLines:
    """A chunk of the record. Its text was cut by ``lines.record_text`` within the contract's
    bounds, so it is not validated again character by character (163 MB at 1M lines, a third
    of a second); a chunk outside them goes through validation, which refuses it."""
    if row_count <= MAX_LINES_ROWS and len(text) <= MAX_LINES_TEXT:
        return PaymentListRecordedLines.model_construct(
            list_id=list_id, seq=seq, row_count=row_count, text=text
        )
    return PaymentListRecordedLines(list_id=list_id, seq=seq, row_count=row_count, text=text)


async def record_kept(conn: asyncpg.Connection, row: asyncpg.Record) -> None:
    """Record a list from its lines as kept, and mark it recorded. ``row``: the list, locked
    by this transaction."""
    await record(
        conn, row, await lines.record_texts(conn, row["id"]), await lists.totals(conn, row["id"])
    )
    await lists.mark_recorded(conn, row["id"])
    log.info("list.recorded", list_id=str(row["id"]), district=row["district_code"])


async def record_district(conn: asyncpg.Connection, district: str) -> int:
    """Record the district's unrecorded lists, oldest first (each locked; a recorder holding
    one is waited for, and then it is recorded); how many were."""
    done = 0
    for list_id in await lists.unrecorded(conn, district):
        row = await lists.find(conn, list_id, lock=True)
        if row is not None and not row["recorded"]:
            await record_kept(conn, row)
            done += 1
    return done


async def record_pending(pool: asyncpg.Pool) -> int:
    """One sweep: each unrecorded list in a transaction of its own; a list a command holds
    is left to it (the command records it first). How many were recorded."""
    done = 0
    async with pool.acquire() as conn:
        pending = await lists.unrecorded(conn, None)
    for list_id in pending:
        async with pool.acquire() as conn, conn.transaction():
            row = await lists.find_unrecorded_unlocked(conn, list_id)
            if row is not None:
                await record_kept(conn, row)
                done += 1
    return done


_wake: dict[int, asyncio.Event] = {}  # per event loop: the tests run services in one process


def wake() -> None:
    """A list was generated: record it now rather than at the next sweep."""
    event = _wake.get(id(asyncio.get_running_loop()))
    if event is not None:
        event.set()


async def record_later(state: ServiceState) -> None:
    """The recorder: a sweep when woken by a generation, and every ``RECORD_POLL_SECONDS``."""
    event = _wake.setdefault(id(asyncio.get_running_loop()), asyncio.Event())
    while True:
        event.clear()  # a generation during the sweep wakes the next one at once
        try:
            await record_pending(state.db())
        except Exception as exc:  # database outage or a bug: log, wait, go on
            log.exception("list.record_error", error=repr(exc))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), RECORD_POLL_SECONDS)
