"""A list's record is written by PostgreSQL as canonical JSON (``adapters/lines.py``): every
line's text must be the bytes Python's ``json.dumps(sort_keys=True, separators=(",", ":"),
ensure_ascii=False)`` writes for the same line, whatever its strings hold (quotes,
backslashes, control characters, Vietnamese, emoji, nulls), or the record's checksum fails
and a restored payment-svc cannot put the list back."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import asyncpg
from btxh_common.chunks import assemble, canonical_row
from btxh_common.list_record import PaymentLineRecord, PaymentListRecorded, PaymentListRecordedChunk
from payment_svc.adapters import lines as line_store
from payment_svc.api.schemas import StatusException
from payment_svc.handlers import lines as line_handlers
from payment_svc.handlers import lists

from . import test_handlers as h

conn = h.conn  # a fresh database with the register and a recovery

ODD = [
    'Nguyễn "Văn" \\ A',
    "Tab\there\nnew line\r\x01\x1f\x7f",
    "Đặng Thị Ánh 😀 \u2028 /slash",
    "",
]


def expected(r: asyncpg.Record, carried: list[str], deductions: list[dict[str, Any]]) -> bytes:
    """The line as DOMAIN's record has it, encoded by Python's json module (not orjson)."""
    row = {
        "id": str(r["id"]),
        "beneficiary_id": str(r["beneficiary_id"]),
        "national_id": r["national_id"],
        "full_name": r["full_name"],
        "commune_code": r["commune_code"],
        "payment_channel": r["payment_channel"],
        "bank_account": r["bank_account"],
        "category": r["category"],
        "coefficient": r["coefficient"],
        "allowance": r["allowance"],
        "arrears": r["arrears"],
        "arrears_period": None if r["arrears_period"] is None else r["arrears_period"].isoformat(),
        "carried_over": r["carried_over"],
        "recovery": r["recovery"],
        "funeral": r["funeral"],
        "total": r["total"],
        "note": r["note"],
        "carried_from": carried,
        "deductions": deductions,
    }
    return json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


async def test_each_line_of_the_record_is_its_canonical_json(conn: asyncpg.Connection) -> None:
    june = await h.submitted_june(conn)
    gone = await conn.fetch(  # two of June's lines went unpaid: July carries their money
        "SELECT id FROM payment_line WHERE list_id = $1 AND beneficiary_id = ANY($2::uuid[])",
        june,
        [h.PEOPLE["A"].id, h.PEOPLE["E"].id],
    )
    async with conn.transaction():
        unpaid = [StatusException(line_id=r["id"], status="unpaid") for r in gone]
        await line_handlers.manual_statuses(conn, h.BOSS, june, "paid", h.JUNE, unpaid, "bảng kê")
        july = await lists.generate(conn, h.OFFICER, h.D, h.JULY, "monthly")
    listed = "SELECT id FROM payment_line WHERE list_id = $1 ORDER BY id"
    ids = [r["id"] for r in await conn.fetch(listed, july)]
    assert len(ids) >= len(ODD)
    for line_id, text in zip(ids, ODD, strict=False):
        await conn.execute(
            "UPDATE payment_line SET full_name = $2, note = $2, bank_account = $3,"
            " category = NULL, coefficient = NULL, national_id = NULL WHERE id = $1",
            line_id,
            text,
            text[:5] or None,
        )
    stored = await conn.fetch("SELECT * FROM payment_line WHERE list_id = $1 ORDER BY id", july)
    carried: dict[UUID, list[str]] = {}
    for r in await conn.fetch(
        "SELECT id, carried_into FROM payment_line WHERE carried_into = ANY($1::uuid[])"
        " ORDER BY id",
        ids,
    ):
        carried.setdefault(r["carried_into"], []).append(str(r["id"]))
    taken: dict[UUID, list[dict[str, Any]]] = {}
    for r in await conn.fetch(
        "SELECT line_id, recovery_id, amount FROM recovery_deduction WHERE list_id = $1"
        " ORDER BY recovery_id",
        july,
    ):
        taken.setdefault(r["line_id"], []).append(
            {"recovery_id": str(r["recovery_id"]), "amount": r["amount"]}
        )
    assert len(carried) == 2, "the July list carries June's unpaid money"
    assert taken, "and takes a recovery"
    want = [expected(r, carried.get(r["id"], []), taken.get(r["id"], [])) for r in stored]

    got: list[bytes] = []
    async with conn.transaction():
        async for part in line_store.record_chunks(conn, july, 2):
            assert part.seq == len(got) // 2
            texts = part.lines.encode().split(b"\n")
            assert texts[-1] == b"", "every line ends in a newline"
            assert part.row_count == len(texts) - 1
            assert part.total == sum(json.loads(t)["total"] for t in texts[:-1])
            got += texts[:-1]
    assert sorted(got) == sorted(want)  # the record keeps the order the scan gives
    for text in got:  # and what the receiver re-encodes from the parsed line is the same
        assert canonical_row(json.loads(text)) == text


async def test_the_published_record_assembles_and_validates(conn: asyncpg.Connection) -> None:
    async with conn.transaction():
        july = await lists.generate(conn, h.OFFICER, h.D, h.JULY, "monthly")
    await conn.execute(
        "UPDATE payment_line SET full_name = $2 WHERE list_id = $1", july, ODD[0] + ODD[1]
    )
    async with conn.transaction():  # the record again, of the lines as they are now
        await lists._record(
            conn, await conn.fetchrow("SELECT * FROM payment_list WHERE id = $1", july)
        )
    head, chunks = None, {}
    for r in await conn.fetch(
        "SELECT event_type, body FROM outbox WHERE event_type LIKE 'PaymentListRecorded%'"
        " ORDER BY id"
    ):
        payload = json.loads(r["body"])["payload"]
        if r["event_type"] == PaymentListRecordedChunk.event_type:
            c = PaymentListRecordedChunk.model_validate(payload).chunk
            if c.transfer_id == july:
                chunks[c.seq] = c.rows
        elif payload["list_id"] == str(july):
            head = PaymentListRecorded.model_validate(payload)
    assert head is not None
    rows = assemble(head.manifest, chunks)  # count, total and SHA-256 checked
    assert head.manifest.total_amount == await conn.fetchval(
        "SELECT sum(total) FROM payment_line WHERE list_id = $1", july
    )
    assert {r["full_name"] for r in rows} == {ODD[0] + ODD[1]}
    assert sorted(PaymentLineRecord.model_validate(r).id for r in rows) == sorted(
        r["id"] for r in await conn.fetch("SELECT id FROM payment_line WHERE list_id = $1", july)
    )
