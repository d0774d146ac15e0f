"""What settlement-svc sends through the outbox: its events, and packages and recalls.

A package goes to the post office as ``PackageChunk`` messages closed by its manifest.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg
from btxh_common.chunks import Row
from btxh_common.envelope import Envelope, EventPayload
from btxh_common.outbox import enqueue, enqueue_chunked
from btxh_common.postoffice import PackageChunk, PackageManifest, RecallRequest
from btxh_common.topics import POSTOFFICE_OUTBOUND, SETTLEMENT_EVENTS

from settlement_svc.domain.packages import Package

PRODUCER = "settlement-svc"
RECALL_REASON = "Danh sách đã thay đổi: gửi phiên bản mới"


async def emit(
    conn: asyncpg.Connection,
    event: EventPayload,
    *,
    district: str,
    correlation: UUID,
    topic: str = SETTLEMENT_EVENTS,
) -> None:
    """Record ``event`` for publication in the caller's transaction."""
    envelope = Envelope.wrap(
        event, producer=PRODUCER, district_code=district, correlation_id=str(correlation)
    )
    await enqueue(conn, topic, envelope)


async def send_package(
    conn: asyncpg.Connection, package: Package, rows: list[Row], *, sha256: str | None = None
) -> None:
    """The package's lines as ``PackageChunk`` messages closed by its ``PackageManifest``;
    ``sha256``: the rows' checksum when the caller has it, verified, at hand."""
    await enqueue_chunked(
        conn,
        POSTOFFICE_OUTBOUND,
        rows,
        transfer_id=package.id,
        chunk=lambda c: PackageChunk(package_id=package.id, version=package.version, chunk=c),
        head=lambda m: PackageManifest(
            package_id=package.id,
            version=package.version,
            list_id=package.list_id,
            period=package.period,
            kind=package.kind,
            manifest=m,
        ),
        producer=PRODUCER,
        district_code=package.district_code,
        correlation_id=str(package.id),
        amount_field="amount",
        sha256=sha256,
    )


async def request_recall(conn: asyncpg.Connection, package: Package) -> None:
    recall = RecallRequest(package_id=package.id, version=package.version, reason=RECALL_REASON)
    await emit(
        conn,
        recall,
        district=package.district_code,
        correlation=package.id,
        topic=POSTOFFICE_OUTBOUND,
    )
