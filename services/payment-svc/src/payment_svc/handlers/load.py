"""What every command starts from: the period or list it acts on, within the caller's units,
and the event it leaves behind."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import asyncpg
from btxh_common.auth import Principal
from btxh_common.envelope import Envelope, EventPayload
from btxh_common.outbox import enqueue
from btxh_common.topics import PAYMENT_EVENTS

from payment_svc.adapters import lines, lists, periods
from payment_svc.domain.errors import LineNotFound, ListNotFound, PeriodNotFound
from payment_svc.domain.states import require_writable
from payment_svc.handlers import record
from payment_svc.handlers.record import PRODUCER as PRODUCER


async def publish(
    conn: asyncpg.Connection, event: EventPayload, district: str, correlation_id: str
) -> None:
    envelope = Envelope.wrap(
        event, producer=PRODUCER, district_code=district, correlation_id=correlation_id
    )
    await enqueue(conn, PAYMENT_EVENTS, envelope)


async def period(
    conn: asyncpg.Connection, district: str, month: date, *, lock: bool = False
) -> asyncpg.Record:
    row = await periods.find(conn, district, month, lock=lock)
    if row is None:
        raise PeriodNotFound(month)
    return row


async def writable_period(conn: asyncpg.Connection, district: str, month: date) -> asyncpg.Record:
    row = await period(conn, district, month, lock=True)
    require_writable(row["status"], month)
    return row


async def visible_list(
    conn: asyncpg.Connection, caller: Principal, list_id: UUID, *, lock: bool = False
) -> asyncpg.Record:
    """The list if the caller's units include its district; otherwise it does not exist."""
    row = await lists.find(conn, list_id, lock=lock)
    if row is None or not caller.can_see(row["district_code"]):
        raise ListNotFound()
    if lock and not row["recorded"]:  # a command on the list: its record goes first
        await record.record_kept(conn, row)
    return row


async def list_of_line(conn: asyncpg.Connection, caller: Principal, line_id: UUID) -> UUID:
    """The list a line is on, if the caller may see it."""
    line = await lines.find(conn, line_id)
    if line is None:
        raise LineNotFound()
    row = await visible_list(conn, caller, line["list_id"])
    list_id: UUID = row["id"]
    return list_id
