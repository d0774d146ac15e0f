"""The receiving side of a chunked transfer, kept in the service's own database.

Chunks and the manifest may arrive in any order, more than once, across restarts. Each part
is stored as it arrives; once everything is there, ``complete`` verifies it and hands over
all rows, in the caller's transaction, exactly once. ``chunked_handlers`` binds a pair of
contracts (the head event with the manifest, its ``.chunk`` event) to one function that
receives the typed head event, its context and the rows.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Protocol, TypeVar
from uuid import UUID

import asyncpg

from btxh_common import jsonfast
from btxh_common.chunks import (
    ChunkMissing,
    Manifest,
    Row,
    TransferChunk,
    TransferError,
    assemble,
)
from btxh_common.envelope import EventPayload
from btxh_common.inbox import EventContext, Handler
from btxh_common.logs import get_logger

log = get_logger(__name__)


Status = Literal["incomplete", "complete", "rejected", "done"]


@dataclass
class TransferResult:
    transfer_id: UUID
    status: Status
    rows: list[Row] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    missing: list[int] = field(default_factory=list)
    error: str | None = None
    error_code: str | None = None


async def store_chunk(conn: asyncpg.Connection, chunk: TransferChunk) -> None:
    await conn.execute(
        """INSERT INTO transfer_chunk (transfer_id, seq, rows) VALUES ($1, $2, $3::json)
           ON CONFLICT DO NOTHING""",
        chunk.transfer_id,
        chunk.seq,
        jsonfast.dumps_text(chunk.rows),
    )


async def store_manifest(
    conn: asyncpg.Connection, event_type: str, manifest: Manifest, meta: dict[str, Any]
) -> None:
    await conn.execute(
        """INSERT INTO transfer_manifest (transfer_id, event_type, manifest, meta)
           VALUES ($1, $2, $3::jsonb, $4::jsonb) ON CONFLICT DO NOTHING""",
        manifest.transfer_id,
        event_type,
        manifest.model_dump_json(),
        json.dumps(meta, ensure_ascii=False, default=str),
    )


async def complete(conn: asyncpg.Connection, transfer_id: UUID) -> TransferResult:
    """Hand over the rows if the transfer is whole and verified; otherwise say why not."""
    head = await conn.fetchrow(
        """SELECT manifest::text AS manifest, meta::text AS meta, status, error
           FROM transfer_manifest WHERE transfer_id = $1 FOR UPDATE""",
        transfer_id,
    )
    if head is None:
        return TransferResult(transfer_id, "incomplete")
    meta = json.loads(head["meta"])
    if head["status"] != "pending":
        status: Status = "done" if head["status"] == "complete" else "rejected"
        return TransferResult(transfer_id, status, meta=meta, error=head["error"])
    manifest = Manifest.model_validate_json(head["manifest"])
    records = await conn.fetch(
        "SELECT seq, rows::text AS rows FROM transfer_chunk WHERE transfer_id = $1", transfer_id
    )
    chunks = {r["seq"]: jsonfast.loads(r["rows"]) for r in records}
    try:
        rows = assemble(manifest, chunks)
    except TransferError as exc:
        if isinstance(exc, ChunkMissing):
            return TransferResult(transfer_id, "incomplete", meta=meta, missing=exc.missing)
        await _finish(conn, transfer_id, "rejected", str(exc))
        log.warning("transfer.rejected", transfer_id=str(transfer_id), error=str(exc))
        return TransferResult(
            transfer_id, "rejected", meta=meta, error=str(exc), error_code=exc.code
        )
    await _finish(conn, transfer_id, "complete", None)
    return TransferResult(transfer_id, "complete", rows=rows, meta=meta)


async def _finish(
    conn: asyncpg.Connection, transfer_id: UUID, status: str, error: str | None
) -> None:
    await conn.execute(
        """UPDATE transfer_manifest SET status = $2, error = $3, completed_at = now()
           WHERE transfer_id = $1""",
        transfer_id,
        status,
        error,
    )
    await conn.execute("DELETE FROM transfer_chunk WHERE transfer_id = $1", transfer_id)


async def reset(conn: asyncpg.Connection, transfer_id: UUID) -> None:
    """Forget a rejected transfer so that a resend under the same id can be received."""
    await conn.execute("DELETE FROM transfer_manifest WHERE transfer_id = $1", transfer_id)
    await conn.execute("DELETE FROM transfer_chunk WHERE transfer_id = $1", transfer_id)


class HeadEvent(Protocol):
    """The event that closes a transfer: it carries the manifest."""

    @property
    def manifest(self) -> Manifest: ...


class ChunkEvent(Protocol):
    @property
    def chunk(self) -> TransferChunk: ...


H = TypeVar("H", bound=EventPayload)


@dataclass(frozen=True)
class Transfer(Generic[H]):
    """A chunked event received whole: the head event, its context and every row, verified."""

    event: H
    context: EventContext
    rows: list[Row]


@dataclass(frozen=True)
class RejectedTransfer(Generic[H]):
    """A transfer whose rows do not match its manifest (count, total or checksum)."""

    event: H
    context: EventContext
    error: str | None
    error_code: str | None


def chunked_handlers(
    head: type[H],
    chunk: type[EventPayload],
    on_complete: Callable[[asyncpg.Connection, Transfer[H]], Awaitable[None]],
    on_rejected: Callable[[asyncpg.Connection, RejectedTransfer[H]], Awaitable[None]] | None = None,
) -> dict[type[EventPayload], Handler]:
    """Inbox handlers for ``head`` and its ``chunk`` contract: store each part; when the
    transfer is whole, call ``on_complete`` once with the typed head event and the rows."""

    async def settle(conn: asyncpg.Connection, transfer_id: UUID) -> None:
        result = await complete(conn, transfer_id)
        if result.status == "complete":
            event, context = _head(head, result.meta)
            await on_complete(conn, Transfer(event, context, result.rows))
        elif result.status == "rejected" and on_rejected is not None:
            event, context = _head(head, result.meta)
            await on_rejected(
                conn, RejectedTransfer(event, context, result.error, result.error_code)
            )

    async def on_chunk(conn: asyncpg.Connection, part: ChunkEvent, _: EventContext) -> None:
        await store_chunk(conn, part.chunk)
        await settle(conn, part.chunk.transfer_id)

    async def on_head(conn: asyncpg.Connection, event: HeadEvent, context: EventContext) -> None:
        assert isinstance(event, EventPayload)
        meta = {"event": event.model_dump(mode="json"), "context": context.model_dump(mode="json")}
        await store_manifest(conn, context.event_type, event.manifest, meta)
        await settle(conn, event.manifest.transfer_id)

    return {head: on_head, chunk: on_chunk}


def _head(head: type[H], meta: dict[str, Any]) -> tuple[H, EventContext]:
    return head.model_validate(meta["event"]), EventContext.model_validate(meta["context"])
