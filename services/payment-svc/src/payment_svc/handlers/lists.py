"""Making, deleting and submitting a period's payment list; pulling unpaid money into it."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import asyncpg
from btxh_common.auth import Principal
from btxh_common.clock import month_text
from btxh_common.events import (
    ListKind,
    PaymentListDeleted,
    PaymentListGenerated,
    PaymentListSubmitted,
    PaymentListSubmittedChunk,
)
from btxh_common.logs import get_logger
from btxh_common.outbox import enqueue_chunked
from btxh_common.topics import PAYMENT_EVENTS

from payment_svc.adapters import generation, lines, lists, periods, positions
from payment_svc.domain import states
from payment_svc.domain.periods import carries_from, require_pull_from_the_past
from payment_svc.handlers import record, recoveries
from payment_svc.handlers.load import PRODUCER, publish, visible_list, writable_period

log = get_logger(__name__)


async def generate(
    conn: asyncpg.Connection,
    caller: Principal,
    district: str,
    month: date,
    kind: ListKind,
    position: int | None = None,
) -> UUID:
    """Make the period's list of ``kind`` (a new version if one exists: never overwritten,
    and never over a list anyone has been paid from), built from register ``position``. A
    monthly list's record is published after it (``record.record_later``; call
    ``record.wake`` once the transaction has committed), a funeral list's with it."""
    # the district's lists not yet recorded are recorded before this one retires or carries
    # from any of them: on the bus, their records come before this list's
    await record.record_district(conn, district)
    p = await writable_period(conn, district, month)
    old = await lists.current(conn, district, month, kind)
    if old is not None:
        old_becomes = states.replace(
            old["status"],
            await lines.anyone_paid(conn, old["id"]),
            await lines.anyone_carried(conn, old["id"]),
        )
        await lists.retire(conn, old["id"], old_becomes)
    version = states.next_version(await lists.latest_version(conn, district, month, kind))
    list_id = uuid4()
    monthly = kind == "monthly"
    await lists.insert(
        conn,
        list_id,
        district,
        month,
        kind,
        version,
        p["level"],
        caller.officer_id,
        recorded=not monthly,
    )
    count, amount = await _fill(conn, caller, list_id, district, month, kind, p["level"])
    if position is not None:
        await positions.stamp(conn, list_id, position)
    if not monthly:
        row = await lists.find(conn, list_id)
        await record.record(conn, row, await lines.record_texts(conn, list_id), (count, amount))
    generated = PaymentListGenerated(
        list_id=list_id,
        period=month_text(month),
        kind=kind,
        version=version,
        line_count=count,
        total_amount=amount,
    )
    await publish(conn, generated, district, str(list_id))
    log.info("list.generated", list_id=str(list_id), kind=kind, version=version, lines=count)
    return list_id


async def _fill(
    conn: asyncpg.Connection,
    caller: Principal,
    list_id: UUID,
    district: str,
    month: date,
    kind: ListKind,
    level: int,
) -> tuple[int, int]:
    """The new list's lines; their count and total."""
    if kind == "monthly":
        written = await generation.fill_monthly(
            conn, list_id, district, month, level, carries_from(month)
        )
        await recoveries.settle(conn, caller, await lists.find(conn, list_id))
        return written.line_count, written.amount
    await generation.fill_funeral(conn, list_id, district, month)
    return await lists.totals(conn, list_id)


async def delete_list(conn: asyncpg.Connection, caller: Principal, list_id: UUID) -> None:
    row = await visible_list(conn, caller, list_id, lock=True)
    await writable_period(conn, row["district_code"], row["month"])
    await lists.retire(conn, list_id, states.delete(row["status"]))
    if row["kind"] == "monthly":
        await recoveries.settle(conn, caller, row)
    deleted = PaymentListDeleted(
        list_id=list_id, period=month_text(row["month"]), kind=row["kind"], version=row["version"]
    )
    await publish(conn, deleted, row["district_code"], str(list_id))


async def submit(conn: asyncpg.Connection, caller: Principal, list_id: UUID) -> None:
    """Send the list's lines to the payment unit: chunks, then the manifest that closes them."""
    row = await visible_list(conn, caller, list_id, lock=True)
    await writable_period(conn, row["district_code"], row["month"])
    states.submit(row["status"])
    rows = await lines.to_send(conn, list_id, row["kind"])
    await enqueue_chunked(
        conn,
        PAYMENT_EVENTS,
        rows,
        transfer_id=list_id,
        chunk=lambda c: PaymentListSubmittedChunk(chunk=c),
        head=lambda manifest: PaymentListSubmitted(
            list_id=list_id,
            period=month_text(row["month"]),
            kind=row["kind"],
            version=row["version"],
            submitted_by=caller.officer_id,
            manifest=manifest,
        ),
        producer=PRODUCER,
        district_code=row["district_code"],
        correlation_id=str(list_id),
        amount_field="amount",
    )
    await lists.mark_submitted(conn, list_id, caller.officer_id)


async def pull_month(conn: asyncpg.Connection, district: str, month: date, from_month: date) -> int:
    """§4.3: point the unpaid, not yet carried money of ``from_month`` at ``month``; the
    lines of a locked or settled month stay as they are."""
    await writable_period(conn, district, month)
    require_pull_from_the_past(from_month, month)
    source = await periods.find(conn, district, from_month, lock=True)
    if source is not None:
        listed = await lists.current(conn, district, from_month, "monthly")
        listed_status = None if listed is None else listed["status"]
        states.require_pull_source_open(source["status"], listed_status, from_month)
    return await lines.pull(conn, district, from_month, month)
