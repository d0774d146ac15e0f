"""A list's record (``PaymentListRecorded`` v2: its lines as PostgreSQL's COPY text) puts the
list back exactly, whatever its strings hold (quotes, backslashes, tabs, newlines, control
characters, Vietnamese, emoji, empty and null fields); a damaged record puts nothing back;
and a v1 record (rows of canonical JSON, published before v2) is still read."""

from __future__ import annotations

import hashlib
import json
from uuid import UUID

import asyncpg
import pytest
from btxh_common.chunks import split
from btxh_common.envelope import Envelope
from btxh_common.list_record import (
    MAX_LINES_ROWS,
    MAX_LINES_TEXT,
    PaymentListRecorded,
    PaymentListRecordedLines,
)
from btxh_common.outbox import MAX_EVENT_BYTES
from payment_svc.adapters import lines as line_store
from payment_svc.adapters import lists as list_store
from payment_svc.api.schemas import StatusException
from payment_svc.handlers import lines as line_handlers
from payment_svc.handlers import lists, record
from payment_svc.handlers.rebuild import Chunks, put_back
from pydantic import ValidationError

from . import test_handlers as h
from .test_rebuild import published, snapshot

conn = h.conn  # a fresh database with the register and a recovery

ODD = [
    'Nguyễn "Văn" \\ A \\N',
    "Tab\there\nnew line\r\x01\x1f\x7f",
    "Đặng Thị Ánh 😀 \u2028 /slash",
    "",
]


async def july_with_odd_lines(conn: asyncpg.Connection) -> UUID:
    """July's list carrying two of June's unpaid lines and a recovery, its first lines with
    odd strings and empty fields."""
    june = await h.submitted_june(conn)
    gone = await conn.fetch(
        "SELECT id FROM payment_line WHERE list_id = $1 AND beneficiary_id = ANY($2::uuid[])",
        june,
        [h.PEOPLE["A"].id, h.PEOPLE["E"].id],
    )
    async with conn.transaction():
        unpaid = [StatusException(line_id=r["id"], status="unpaid") for r in gone]
        await line_handlers.manual_statuses(conn, h.BOSS, june, "paid", h.JUNE, unpaid, "bảng kê")
        july = await lists.generate(conn, h.OFFICER, h.D, h.JULY, "monthly")
    ids = [
        r["id"] for r in await conn.fetch("SELECT id FROM payment_line WHERE list_id = $1", july)
    ]
    for line_id, text in zip(ids, ODD, strict=False):
        await conn.execute(
            "UPDATE payment_line SET full_name = $2, note = $2, bank_account = $3,"
            " category = NULL, coefficient = NULL, national_id = NULL WHERE id = $1",
            line_id,
            text,
            text[:5] or None,
        )
    return july


async def record_again(conn: asyncpg.Connection, list_id: UUID) -> None:
    """The list's record of the lines as they are now (the odd strings included)."""
    await conn.execute("DELETE FROM outbox")
    async with conn.transaction():
        row = await conn.fetchrow("SELECT * FROM payment_list WHERE id = $1", list_id)
        texts = await line_store.record_texts(conn, list_id)
        await record.record(conn, row, texts, await list_store.totals(conn, list_id))


async def lose(conn: asyncpg.Connection, list_id: UUID) -> None:
    """The restore: the list made after the backup is gone from the database."""
    await conn.execute("UPDATE payment_line SET carried_into = NULL WHERE carried_into IS NOT NULL")
    await conn.execute("DELETE FROM recovery_deduction WHERE list_id = $1", list_id)
    await conn.execute("DELETE FROM payment_line WHERE list_id = $1", list_id)
    await conn.execute("DELETE FROM payment_list WHERE id = $1", list_id)


async def test_odd_strings_come_back_exactly(conn: asyncpg.Connection) -> None:
    july = await july_with_odd_lines(conn)
    await record_again(conn, july)
    before = await snapshot(conn, july)
    assert len(before["carried"]) == 2, "July carries June's two unpaid lines"
    assert before["deductions"], "and takes a recovery"
    assert {r["full_name"] for r in before["lines"]} >= set(ODD)
    head, chunks = await published(conn, july)
    made = PaymentListRecorded.model_validate(head["payload"])
    assert made.manifest.row_count == len(before["lines"])
    assert made.manifest.total_amount == sum(r["total"] for r in before["lines"])
    await lose(conn, july)
    async with conn.transaction():
        await put_back(conn, Envelope.model_validate(head), chunks)
    assert await snapshot(conn, july) == before


async def test_a_damaged_record_puts_nothing_back(conn: asyncpg.Connection) -> None:
    july = await july_with_odd_lines(conn)
    await record_again(conn, july)
    head, chunks = await published(conn, july)
    await lose(conn, july)
    (seq, text), *_ = chunks[july].items()
    damaged: Chunks = {july: {**chunks[july], seq: text.replace("Nguyễn", "Nguyen")}}
    async with conn.transaction():
        await put_back(conn, Envelope.model_validate(head), damaged)
    assert await conn.fetchval("SELECT count(*) FROM payment_list WHERE id = $1", july) == 0
    missing: Chunks = {july: {}}
    async with conn.transaction():
        await put_back(conn, Envelope.model_validate(head), missing)
    assert await conn.fetchval("SELECT count(*) FROM payment_line WHERE list_id = $1", july) == 0


async def test_a_version_1_record_is_still_read(conn: asyncpg.Connection) -> None:
    july = await july_with_odd_lines(conn)
    before = await snapshot(conn, july)
    # v1 as it was published before v2: each line a JSON row (DOMAIN's line fields), the
    # lines it carries and its deductions, in chunks with a manifest over canonical JSON
    carried: dict[UUID, list[str]] = {}
    for r in before["carried"]:
        carried.setdefault(r["carried_into"], []).append(str(r["id"]))
    taken: dict[UUID, list[dict[str, object]]] = {}
    for d in before["deductions"]:
        taken.setdefault(d["line_id"], []).append(
            {"recovery_id": str(d["recovery_id"]), "amount": d["amount"]}
        )
    rows = [
        {
            **{k: r[k] for k in ("national_id", "full_name", "commune_code", "payment_channel")},
            **{k: r[k] for k in ("bank_account", "category", "coefficient", "allowance")},
            **{k: r[k] for k in ("arrears", "carried_over", "recovery", "funeral", "total")},
            "id": str(r["id"]),
            "beneficiary_id": str(r["beneficiary_id"]),
            "arrears_period": r["arrears_period"] and r["arrears_period"].isoformat(),
            "note": r["note"],
            "carried_from": carried.get(r["id"], []),
            "deductions": taken.get(r["id"], []),
        }
        for r in before["lines"]
    ]
    parts, manifest = split(rows, july, amount_field="total")
    listed = before["list"][0]
    head = {
        "list_id": str(july),
        "period": "2024-07",
        "kind": "monthly",
        "version": listed["version"],
        "level": listed["level"],
        "created_by": listed["created_by"],
        "manifest": json.loads(manifest.model_dump_json()),
    }
    envelope = Envelope(
        event_type="PaymentListRecorded",
        schema_version=1,
        producer="payment-svc",
        district_code=h.D,
        payload=head,
    )
    await lose(conn, july)
    async with conn.transaction():
        await put_back(conn, envelope, {july: {p.seq: p.rows for p in parts}})
    assert await snapshot(conn, july) == before


async def test_a_monthly_list_is_recorded_after_its_generation_once(
    conn: asyncpg.Connection,
) -> None:
    """The generation keeps the list unrecorded and publishes no record; the recorder's
    sweep publishes it from the lines as kept (carried lines and deductions included), once:
    a second sweep finds nothing. Its text is cut into chunks of whole lines at any size."""
    july = await july_with_odd_lines(conn)
    assert await conn.fetchval("SELECT recorded FROM payment_list WHERE id = $1", july) is False
    head, chunks = await published(conn, july)
    assert not head, "no record inside the generation"
    assert july not in chunks
    for done in (1, 0):
        async with conn.transaction():
            assert await record.record_district(conn, h.D) == done
    assert await conn.fetchval("SELECT recorded FROM payment_list WHERE id = $1", july) is True
    head, chunks = await published(conn, july)
    assert head
    written = "".join(chunks[july][s] for s in sorted(chunks[july]))
    async with conn.transaction():
        kept = await line_store.record_texts(conn, july)
        read = "".join(kept.texts)
    assert written == read  # the odd strings, written before it was recorded, included
    fields = [r.split("\t") for r in read.split("\n")[:-1]]
    assert len(fields) == await conn.fetchval(
        "SELECT count(*) FROM payment_line WHERE list_id = $1", july
    )
    assert sum(f[-2] != "{}" for f in fields) == 2, "the lines that carry June's money"
    assert any(f[-1] != "[]" for f in fields), "a line with its recovery deductions"
    manifest = PaymentListRecorded.model_validate(head["payload"]).manifest
    assert manifest.row_count == len(fields)
    assert manifest.total_amount == await conn.fetchval(
        "SELECT sum(total) FROM payment_line WHERE list_id = $1", july
    )
    data = read.encode()
    assert manifest.sha256 == kept.sha256 == hashlib.sha256(data).hexdigest()
    for size in (1, 50, 10_000):
        cut = line_store.record_text(data, size)
        assert "".join(cut.texts) == read
        assert all(p.endswith("\n") for p in cut.texts)
        assert cut.rows == [p.count("\n") for p in cut.texts]
        assert cut.sha256 == kept.sha256


async def test_a_sweep_leaves_a_list_a_command_holds_and_records_the_rest(
    conn: asyncpg.Connection, fresh_db: str
) -> None:
    """The recorder records each unrecorded list in a transaction of its own and skips one
    another transaction holds (that command records it first itself)."""
    july = await july_with_odd_lines(conn)
    pool = await asyncpg.create_pool(fresh_db, min_size=1, max_size=2)
    try:
        async with conn.transaction():
            await conn.execute("SELECT 1 FROM payment_list WHERE id = $1 FOR UPDATE", july)
            assert await record.record_pending(pool) == 0
        assert await record.record_pending(pool) == 1
        assert await record.record_pending(pool) == 0
    finally:
        await pool.close()
    head, _ = await published(conn, july)
    assert head


def test_a_chunk_of_any_text_fits_in_an_event() -> None:
    """The worst a chunk's text can grow to as JSON (every character a control character,
    written as \\u00xx), plus the envelope, stays under the outbox's limit."""
    worst = "\x01" * line_store.RECORD_CHUNK_BYTES + "\n"
    (text,) = line_store.record_text(worst.encode()).texts
    event = PaymentListRecordedLines(list_id=UUID(int=1), seq=0, row_count=1, text=text)
    body = Envelope.wrap(event, producer="payment-svc", district_code="001").to_bytes()
    assert len(body) < MAX_EVENT_BYTES


def test_a_chunk_beyond_the_contract_is_refused_not_recorded() -> None:
    """The record's chunks skip validation only within the contract's bounds: a chunk with
    more lines or more text than ``PaymentListRecordedLines`` takes is refused as before."""
    ok = record._lines(UUID(int=1), 0, 2, "a\nb\n")
    assert (ok.row_count, ok.text) == (2, "a\nb\n")
    with pytest.raises(ValidationError, match="row_count"):
        record._lines(UUID(int=1), 0, MAX_LINES_ROWS + 1, "\n" * (MAX_LINES_ROWS + 1))
    with pytest.raises(ValidationError, match="text"):
        record._lines(UUID(int=1), 0, 1, "x" * MAX_LINES_TEXT + "\n")
