"""What the inbox does with a record before any handler: a record whose ``event_type``
header names a type the consumer has no handler for only moves the position (its body,
another consumer's chunk, is not read); a record without that header is read as before, and
one that is not an envelope is parked."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import asyncpg
from btxh_common.envelope import Envelope, EventPayload
from btxh_common.inbox import EventContext, handle_message, routes_of


class Routed(EventPayload):
    event_type = "Routed"
    n: int


@dataclass
class Raw:
    value: bytes
    headers: list[tuple[str, bytes]]
    offset: int
    topic: str = "t"
    partition: int = 0


@dataclass
class Message:
    raw_message: Raw
    acked: list[bool] = field(default_factory=list)

    async def ack(self) -> None:
        self.acked.append(True)


async def test_records_not_for_the_consumer_move_only_its_position(
    common_db: asyncpg.Pool,
) -> None:
    applied: list[int] = []

    async def on_routed(conn: asyncpg.Connection, event: Routed, _: EventContext) -> None:
        applied.append(event.n)

    routes = routes_of({Routed: on_routed})
    good = Envelope.wrap(Routed(n=7), producer="p", district_code="001")
    records = [
        Raw(b"not json at all", [("event_type", b"Someone.else")], 0),  # not read: passed
        Raw(good.to_bytes(), good.headers(), 1),  # applied
        Raw(b"not json either", [], 2),  # no header: read, parked
    ]
    for record in records:
        msg = Message(record)
        await handle_message(common_db, "c", routes, msg, max_backoff=0.1)  # type: ignore[arg-type]
        assert msg.acked == [True]
    assert applied == [7]
    async with common_db.acquire() as conn:
        parked = await conn.fetch("SELECT kafka_offset FROM dead_letter WHERE consumer = 'c'")
        position: Any = await conn.fetchval(
            "SELECT kafka_offset FROM consumer_offset WHERE consumer = 'c'"
        )
    assert [r["kafka_offset"] for r in parked] == [2]
    assert position == 2
