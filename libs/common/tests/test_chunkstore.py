from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from btxh_common import chunkstore
from btxh_common.chunks import Manifest, TransferChunk, split
from btxh_common.envelope import EventPayload
from btxh_common.inbox import EventContext


def rows(n: int) -> list[dict[str, object]]:
    return [{"row_no": i, "amount": 1_000 * i} for i in range(n)]


async def offer_all(
    pool: asyncpg.Pool, parts: list[Any], transfer_id: UUID
) -> chunkstore.TransferResult:
    result = None
    for part in parts:
        async with pool.acquire() as conn, conn.transaction():
            if hasattr(part, "seq"):
                await chunkstore.store_chunk(conn, part)
            else:
                await chunkstore.store_manifest(conn, "Test", part, {"batch": "b1"})
            result = await chunkstore.complete(conn, transfer_id)
            if result.status == "complete":
                return result
    assert result is not None
    return result


async def test_rows_are_handed_over_once_whatever_the_arrival_order(
    common_db: asyncpg.Pool,
) -> None:
    tid = uuid4()
    data = rows(2_500)
    chunks, manifest = split(data, tid, amount_field="amount")
    result = await offer_all(common_db, [chunks[2], manifest, chunks[2], chunks[0], chunks[1]], tid)
    assert result.status == "complete"
    assert result.rows == data
    assert result.meta == {"batch": "b1"}
    async with common_db.acquire() as conn:
        again = await chunkstore.complete(conn, tid)
        assert again.status == "done"
        assert again.rows == []
        assert await conn.fetchval("SELECT count(*) FROM transfer_chunk") == 0


async def test_a_missing_chunk_keeps_the_transfer_incomplete_and_names_it(
    common_db: asyncpg.Pool,
) -> None:
    tid = uuid4()
    chunks, manifest = split(rows(3_000), tid, amount_field="amount")
    result = await offer_all(common_db, [manifest, chunks[0], chunks[2]], tid)
    assert result.status == "incomplete"
    assert result.missing == [1]
    assert result.rows == []


async def test_a_bad_checksum_rejects_the_transfer_and_keeps_nothing(
    common_db: asyncpg.Pool,
) -> None:
    tid = uuid4()
    chunks, manifest = split(rows(1_200), tid, amount_field="amount")
    forged = chunks[1].model_copy(update={"rows": [{"row_no": 9999, "amount": 0}]})
    result = await offer_all(common_db, [manifest, chunks[0], forged], tid)
    assert result.status == "rejected"
    assert result.error_code == "manifest_mismatch"
    async with common_db.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM transfer_chunk") == 0
        assert await conn.fetchval("SELECT status FROM transfer_manifest") == "rejected"
        await chunkstore.reset(conn, tid)
    resent = await offer_all(common_db, [*chunks, manifest], tid)
    assert resent.status == "complete"
    assert len(resent.rows) == 1_200


class Shipped(EventPayload):
    event_type = "Shipped"
    batch: str
    manifest: Manifest


class ShippedChunk(EventPayload):
    event_type = "Shipped.chunk"
    chunk: TransferChunk


def context(event_type: str) -> EventContext:
    return EventContext(
        event_id=uuid4(),
        event_type=event_type,
        district_code="001",
        producer="test",
        occurred_at=datetime.now(UTC),
        correlation_id="b1",
    )


async def test_typed_handlers_hand_over_the_head_event_and_its_rows_once(
    common_db: asyncpg.Pool,
) -> None:
    received: list[chunkstore.Transfer[Shipped]] = []

    async def on_complete(_: asyncpg.Connection, transfer: chunkstore.Transfer[Shipped]) -> None:
        received.append(transfer)

    handlers = chunkstore.chunked_handlers(Shipped, ShippedChunk, on_complete)
    tid = uuid4()
    data = rows(1_500)
    chunks, manifest = split(data, tid, amount_field="amount")
    head = Shipped(batch="b1", manifest=manifest)
    arrivals: list[EventPayload] = [ShippedChunk(chunk=chunks[1]), head]
    arrivals += [ShippedChunk(chunk=chunks[0]), ShippedChunk(chunk=chunks[1])]
    for event in arrivals:
        async with common_db.acquire() as conn, conn.transaction():
            await handlers[type(event)](conn, event, context(event.event_type))
    [transfer] = received
    assert transfer.event == head
    assert transfer.context.district_code == "001"
    assert transfer.context.correlation_id == "b1"
    assert transfer.rows == data


async def test_typed_handlers_report_a_transfer_whose_checksum_does_not_match(
    common_db: asyncpg.Pool,
) -> None:
    rejected: list[chunkstore.RejectedTransfer[Shipped]] = []

    async def on_complete(_: asyncpg.Connection, __: chunkstore.Transfer[Shipped]) -> None:
        raise AssertionError("a tampered transfer must not be handed over")

    async def on_rejected(_: asyncpg.Connection, bad: chunkstore.RejectedTransfer[Shipped]) -> None:
        rejected.append(bad)

    handlers = chunkstore.chunked_handlers(Shipped, ShippedChunk, on_complete, on_rejected)
    tid = uuid4()
    [chunk], manifest = split(rows(10), tid, amount_field="amount")
    tampered = TransferChunk(transfer_id=tid, seq=0, rows=[*chunk.rows[:-1], {"row_no": 9}])
    for event in (ShippedChunk(chunk=tampered), Shipped(batch="b1", manifest=manifest)):
        async with common_db.acquire() as conn, conn.transaction():
            await handlers[type(event)](conn, event, context(event.event_type))
    [bad] = rejected
    assert bad.event.batch == "b1"
    assert bad.error_code == "manifest_mismatch"
