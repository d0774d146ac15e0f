"""Transactional outbox: events are written with the state change, a relay publishes them
(``outbox_relay``).

The relay is a single leader per database (a session advisory lock), so rows go out in
commit order; a crash between commit and publish loses nothing because unsent rows stay
unsent until the broker has acknowledged them. Delivery is at-least-once; consumers
deduplicate with the inbox.

No message can stop the relay: an event larger than the broker path takes is refused at
``enqueue`` (``EventTooLarge``, 413 at the HTTP edge), and a row the producer or the broker
still refuses for good (too large, corrupt, an invalid topic) is moved to ``outbox_parked``
with an alert metric while the rest go on. Outages (timeouts, lost leaders) are retried.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from uuid import UUID

import asyncpg

from btxh_common import jsonfast
from btxh_common.chunks import Manifest, Row, TransferChunk, split
from btxh_common.envelope import Envelope, EventPayload
from btxh_common.errors import TooLarge
from btxh_common.logs import get_logger

# The relay lives in ``outbox_relay``; its names are imported from here too.
from btxh_common.outbox_relay import LAG as LAG
from btxh_common.outbox_relay import MAX_REQUEST_BYTES as MAX_REQUEST_BYTES
from btxh_common.outbox_relay import PARKED as PARKED
from btxh_common.outbox_relay import PARKED_NOW as PARKED_NOW
from btxh_common.outbox_relay import PENDING as PENDING
from btxh_common.outbox_relay import PUBLISHED as PUBLISHED
from btxh_common.outbox_relay import REFUSED_FOR_GOOD as REFUSED_FOR_GOOD
from btxh_common.outbox_relay import OutboxRelay as OutboxRelay
from btxh_common.outbox_relay import Retention as Retention
from btxh_common.outbox_relay import make_producer as make_producer
from btxh_common.outbox_relay import pending_count as pending_count
from btxh_common.outbox_relay import purge as purge

log = get_logger(__name__)

MAX_EVENT_BYTES = 3 * 1024 * 1024


class EventTooLarge(TooLarge):
    """An event larger than the bus carries: refused before it is recorded (413)."""

    code = "event_too_large"
    message_vi = "Dữ liệu quá lớn để gửi đi; hãy rút ngắn các trường văn bản dài"


async def enqueue(conn: asyncpg.Connection, topic: str, *events: Envelope) -> None:
    """Record events for publication inside the caller's transaction."""
    await enqueue_many(conn, topic, events)


def _record(topic: str, e: Envelope) -> tuple[UUID, str, str, str, str, bytes]:
    headers = json.dumps({k: v.decode() for k, v in e.headers()})
    body = e.to_bytes()
    size = len(body) + len(headers) + len(e.key())
    if size > MAX_EVENT_BYTES:
        log.warning("outbox.event_refused", event_type=e.event_type, topic=topic, size_bytes=size)
        raise EventTooLarge(
            f"{EventTooLarge.message_vi} ({size:,} byte, tối đa {MAX_EVENT_BYTES:,} byte)"
        )
    return e.event_id, topic, e.district_code, e.event_type, headers, body


async def enqueue_many(conn: asyncpg.Connection, topic: str, events: Iterable[Envelope]) -> None:
    """Record events for publication; an event over ``MAX_EVENT_BYTES`` raises
    ``EventTooLarge`` and nothing of the call is recorded."""
    records = [_record(topic, e) for e in events]
    if not records:
        return
    await conn.copy_records_to_table(
        "outbox",
        records=records,
        columns=["event_id", "topic", "key", "event_type", "headers", "body"],
    )


async def enqueue_chunked(
    conn: asyncpg.Connection,
    topic: str,
    rows: Sequence[Row],
    *,
    transfer_id: UUID,
    chunk: Callable[[TransferChunk], EventPayload],
    head: Callable[[Manifest], EventPayload],
    producer: str,
    district_code: str,
    correlation_id: str,
    amount_field: str | None = None,
    sha256: str | None = None,
) -> Manifest:
    """Record a large row set as numbered chunk events closed by the head event that carries
    the manifest, all in the caller's transaction; the manifest is returned. ``sha256``: the
    rows' checksum, when the caller has just verified it (not computed again)."""
    parts, manifest = split(rows, transfer_id, amount_field=amount_field, sha256=sha256)
    chunks = [(chunk(part), part) for part in parts]
    payloads = [(p, _dumped(p, part)) for p, part in chunks] + [(head(manifest), None)]
    await enqueue_many(
        conn,
        topic,
        (
            Envelope.wrap(
                p,
                producer=producer,
                district_code=district_code,
                correlation_id=correlation_id,
                dumped=dumped,
            )
            for p, dumped in payloads
        ),
    )
    return manifest


def _dumped(payload: EventPayload, part: TransferChunk) -> dict[str, Any] | None:
    """``payload.model_dump(mode="json")`` without walking the chunk's rows once more when
    they are plain JSON values already (what that dump would give them as); else None."""
    names = [name for name in type(payload).model_fields if getattr(payload, name) is part]
    if len(names) != 1 or not jsonfast.plain(part.rows):
        return None
    dumped = payload.model_dump(mode="json", exclude={names[0]: {"rows"}})
    dumped[names[0]]["rows"] = part.rows
    return dumped
