"""The post office played by a test, message by message (issue 15).

Unlike ``btxh_tools.postoffice_sim`` (a post office that answers on its own), the player only
listens: it reads ``postoffice.outbound`` and keeps what settlement-svc sent, in order, and a
test decides what the post office says back, when, how often, and in which order.

Every message the player puts on ``postoffice.inbound`` is made by ``inbound_message``: the
one place where, once post-office messages are signed, the signature is added.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from btxh_common.chunks import TransferError, assemble, digest, total
from btxh_common.envelope import Envelope, EventPayload
from btxh_common.po_sign import DEV_SIGNER
from btxh_common.postoffice import PackageAccepted, PackageChunk, PackageManifest, RecallRequest

PRODUCER = "postoffice-player"


def inbound_message(payload: EventPayload, district: str) -> Envelope:
    """A post-office message as it goes on ``postoffice.inbound``, signed with the dev key."""
    return DEV_SIGNER.envelope(payload, producer=PRODUCER, district_code=district)


@dataclass
class Held:
    """A package version as the post office received it."""

    package_id: UUID
    version: int
    district: str
    manifest: PackageManifest | None = None
    chunks: dict[int, list[dict[str, Any]]] = field(default_factory=dict)

    def rows(self) -> list[dict[str, Any]] | None:
        """The package's lines once every chunk and the manifest are in; None before."""
        if self.manifest is None or len(self.chunks) < self.manifest.manifest.chunk_count:
            return None
        try:
            return assemble(self.manifest.manifest, self.chunks)
        except TransferError:
            return None

    def acceptance(self) -> PackageAccepted:
        rows = self.rows()
        assert rows is not None, "accepted before it was whole"
        return PackageAccepted(
            package_id=self.package_id,
            version=self.version,
            row_count=len(rows),
            total_amount=total(rows, "amount"),
            sha256=digest(rows),
        )


@dataclass(frozen=True)
class Outbound:
    """One message settlement-svc sent, in the order the post office read them."""

    kind: str  # "manifest" (a package closed: sent) or "recall"
    package_id: UUID
    version: int
    list_id: UUID | None = None


class PostOfficePlayer:
    def __init__(self, bootstrap: str, *, outbound: str, inbound: str, group: str) -> None:
        self.consumer = AIOKafkaConsumer(
            outbound,
            bootstrap_servers=bootstrap,
            group_id=group,
            auto_offset_reset="earliest",
            enable_auto_commit=True,
        )
        self.producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
        self.inbound = inbound
        self.held: dict[tuple[UUID, int], Held] = {}
        self.log: list[Outbound] = []

    async def start(self) -> None:
        await self.consumer.start()
        await self.producer.start()

    async def stop(self) -> None:
        await self.consumer.stop()
        await self.producer.stop()

    async def read(self, timeout_ms: int = 300) -> int:
        """Take in what settlement-svc has sent since; returns how many messages."""
        batches = await self.consumer.getmany(timeout_ms=timeout_ms, max_records=10_000)
        count = 0
        for records in batches.values():
            for record in records:
                self._take(Envelope.from_bytes(record.value or b""))
                count += 1
        return count

    def _take(self, envelope: Envelope) -> None:
        if envelope.event_type == "PackageChunk":
            chunk = envelope.open(PackageChunk)
            held = self._held(chunk.package_id, chunk.version, envelope.district_code)
            held.chunks[chunk.chunk.seq] = chunk.chunk.rows
        elif envelope.event_type == "PackageManifest":
            manifest = envelope.open(PackageManifest)
            held = self._held(manifest.package_id, manifest.version, envelope.district_code)
            held.manifest = manifest
            self.log.append(
                Outbound("manifest", manifest.package_id, manifest.version, manifest.list_id)
            )
        elif envelope.event_type == "RecallRequest":
            recall = envelope.open(RecallRequest)
            self.log.append(Outbound("recall", recall.package_id, recall.version))

    def _held(self, package_id: UUID, version: int, district: str) -> Held:
        return self.held.setdefault(
            (package_id, version), Held(package_id=package_id, version=version, district=district)
        )

    async def say(self, payload: EventPayload, district: str, copies: int = 1) -> Envelope:
        """Put one post-office message on ``postoffice.inbound`` (``copies`` times the same
        envelope: a duplicate delivery)."""
        envelope = inbound_message(payload, district)
        await self.send(envelope, copies)
        return envelope

    async def send(self, envelope: Envelope, copies: int = 1) -> None:
        for _ in range(copies):
            await self.producer.send_and_wait(
                self.inbound, envelope.to_bytes(), key=envelope.key(), headers=envelope.headers()
            )
