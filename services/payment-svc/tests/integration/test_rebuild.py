"""A list payment-svc made after the backup it was restored from, put back from its own
record (``PaymentListRecorded`` and its chunks, as published): the same list, the same
lines to the đồng, the same recovery deductions; put back twice, it is there once."""

from __future__ import annotations

import json
from uuid import UUID

import asyncpg
from btxh_common.envelope import Envelope
from btxh_common.list_record import PaymentListRecorded, PaymentListRecordedLines
from payment_svc.handlers import lists, record
from payment_svc.handlers.rebuild import Chunks, put_back

from . import test_handlers as h

conn = h.conn  # the same fresh database, register and recoveries

SNAPSHOT = {
    "list": "SELECT id, district_code, month, kind, version, status, level, created_by"
    " FROM payment_list WHERE id = $1",
    "lines": "SELECT * FROM payment_line WHERE list_id = $1 ORDER BY id",
    "carried": "SELECT id, carried_into FROM payment_line WHERE carried_into IN"
    " (SELECT id FROM payment_line WHERE list_id = $1) ORDER BY id",
    "deductions": "SELECT * FROM recovery_deduction WHERE list_id = $1 ORDER BY recovery_id",
}


async def snapshot(conn: asyncpg.Connection, list_id: UUID) -> dict[str, list[dict[str, object]]]:
    return {k: [dict(r) for r in await conn.fetch(sql, list_id)] for k, sql in SNAPSHOT.items()}


async def published(conn: asyncpg.Connection, list_id: UUID) -> tuple[dict[str, object], Chunks]:
    """The list's record as its outbox holds it: the head and its chunks."""
    rows = await conn.fetch(
        "SELECT event_type, body FROM outbox WHERE event_type LIKE 'PaymentListRecorded%'"
        " ORDER BY id"
    )
    chunks: Chunks = {}
    head: dict[str, object] = {}
    for r in rows:
        envelope = json.loads(r["body"])
        if r["event_type"] == PaymentListRecordedLines.event_type:
            c = PaymentListRecordedLines.model_validate(envelope["payload"])
            chunks.setdefault(c.list_id, {})[c.seq] = c.text
        elif envelope["payload"]["list_id"] == str(list_id):
            head = envelope
    return head, chunks


async def test_a_lost_list_is_put_back_from_its_record_once(conn: asyncpg.Connection) -> None:
    await h.submitted_june(conn)
    async with conn.transaction():
        july = await lists.generate(conn, h.OFFICER, h.D, h.JULY, "monthly")
    async with conn.transaction():  # the recorder's work, after the generation
        assert await record.record_district(conn, h.D) == 1
    before = await snapshot(conn, july)
    assert [d["amount"] for d in before["deductions"]] == [460_000], "the rest of D's recovery"
    head, chunks = await published(conn, july)
    assert head, "the list's record is published"
    # the restore: the list made after the backup is gone from the database
    await conn.execute("UPDATE payment_line SET carried_into = NULL WHERE carried_into IS NOT NULL")
    await conn.execute("DELETE FROM recovery_deduction WHERE list_id = $1", july)
    await conn.execute("DELETE FROM payment_line WHERE list_id = $1", july)
    await conn.execute("DELETE FROM payment_list WHERE id = $1", july)
    envelope = Envelope.model_validate(head)
    for _ in range(2):
        async with conn.transaction():
            await put_back(conn, envelope, {k: dict(v) for k, v in chunks.items()})
    assert PaymentListRecorded.model_validate(envelope.payload).list_id == july
    assert await snapshot(conn, july) == before
