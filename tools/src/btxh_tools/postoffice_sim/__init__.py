"""A post office on the bus (ARCHITECTURE "tools/postoffice-sim"): it speaks the contract in
``btxh_common.postoffice`` from the other side, faithfully, and misbehaves on request.

It assembles each package from its chunks, checks count, total and SHA-256, accepts it
(once per package id + version: a resend is answered with the same acceptance) or rejects
it, pays a share of the people after a delay, reports the results in parts and then a
settlement, and gives a package back when recalled. ``Behaviour`` switches it to be late,
silent, rejecting, duplicating, reordering, to corrupt its acknowledgement, or to refuse a
recall. Run it with ``python -m btxh_tools.postoffice_sim``; tests drive it in-process.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from btxh_common.broker import NO_AUTH, KafkaAuth
from btxh_common.chunks import Manifest, TransferError, assemble, digest, total
from btxh_common.envelope import Envelope, EventPayload
from btxh_common.logs import get_logger
from btxh_common.postoffice import (
    PackageAccepted,
    PackageChunk,
    PackageManifest,
    PackageRejected,
    PaymentResults,
    PersonResult,
    RecallRequest,
    SettlementReport,
)
from btxh_common.topics import POSTOFFICE_GROUP, POSTOFFICE_INBOUND, POSTOFFICE_OUTBOUND

log = get_logger("postoffice-sim")
PRODUCER = "postoffice-sim"


@dataclass
class Behaviour:
    pay_share: float = 0.9  # share of people paid; the rest "not received"
    results_delay: float = 1.0  # seconds between acceptance and results
    settle: bool = True  # send the settlement report after the results (False: late)
    silent: bool = False  # drop everything (a partner that went quiet)
    reject: str | None = None  # reject every package with this reason
    duplicate: bool = False  # send every message twice
    reorder: bool = True  # send result parts out of order
    corrupt_acks: int = 0  # acknowledge this many packages with a wrong total
    refuse_recall: bool = False


@dataclass
class Package:
    package_id: UUID
    version: int
    district: str
    manifest: PackageManifest | None = None
    chunks: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    accepted: PackageAccepted | None = None
    recalled: bool = False
    results_sent: bool = False


class PostOffice:
    def __init__(
        self,
        bootstrap: str,
        behaviour: Behaviour | None = None,
        *,
        outbound: str = POSTOFFICE_OUTBOUND,
        inbound: str = POSTOFFICE_INBOUND,
        group: str = POSTOFFICE_GROUP,
        auth: KafkaAuth = NO_AUTH,
    ) -> None:
        self.bootstrap = bootstrap
        self.auth = auth
        self.behaviour = behaviour or Behaviour()
        self.outbound, self.inbound, self.group = outbound, inbound, group
        self.packages: dict[tuple[UUID, int], Package] = {}
        self.received: list[str] = []  # event types, in arrival order
        self._tasks: set[asyncio.Task[None]] = set()
        self._producer: AIOKafkaProducer | None = None

    # -------------------------------------------------------------- what tests look at

    def holding(self) -> list[Package]:
        """Packages accepted and not recalled: what the post office will pay."""
        return [p for p in self.packages.values() if p.accepted and not p.recalled]

    # -------------------------------------------------------------- running

    async def run(self) -> None:
        consumer = AIOKafkaConsumer(
            self.outbound,
            bootstrap_servers=self.bootstrap,
            group_id=self.group,
            auto_offset_reset="earliest",
            enable_auto_commit=True,
            **self.auth.client_kwargs(),
        )
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap, acks="all", **self.auth.client_kwargs()
        )
        await consumer.start()
        await self._producer.start()
        log.info("postoffice.listening", topic=self.outbound)
        try:
            async for record in consumer:
                try:
                    await self.handle(Envelope.from_bytes(record.value or b""))
                except Exception as exc:  # a partner never crashes on our mistakes
                    log.exception("postoffice.bad_message", error=repr(exc))
        finally:
            for task in self._tasks:
                task.cancel()
            await consumer.stop()
            await self._producer.stop()

    async def handle(self, envelope: Envelope) -> None:
        self.received.append(envelope.event_type)
        if self.behaviour.silent:
            return
        if envelope.event_type == "PackageChunk":
            chunk = envelope.open(PackageChunk)
            package = self._package(chunk.package_id, chunk.version, envelope.district_code)
            if package.accepted is None:
                package.chunks[chunk.chunk.seq] = chunk.chunk.rows
                await self._check(package)
        elif envelope.event_type == "PackageManifest":
            manifest = envelope.open(PackageManifest)
            package = self._package(manifest.package_id, manifest.version, envelope.district_code)
            package.manifest = manifest
            await self._check(package)
        elif envelope.event_type == "RecallRequest":
            await self._recall(envelope.open(RecallRequest), envelope.district_code)

    def _package(self, package_id: UUID, version: int, district: str) -> Package:
        return self.packages.setdefault(
            (package_id, version),
            Package(package_id=package_id, version=version, district=district),
        )

    async def _check(self, package: Package) -> None:
        if package.manifest is None:
            return
        if package.accepted is not None:  # the same package again: the same answer
            await self._send(package.district, package.accepted)
            return
        manifest: Manifest = package.manifest.manifest
        if len(package.chunks) < manifest.chunk_count:
            return
        if self.behaviour.reject:
            await self._send(
                package.district,
                PackageRejected(
                    package_id=package.package_id,
                    version=package.version,
                    reason=self.behaviour.reject,
                    detail="từ chối theo cấu hình mô phỏng",
                ),
            )
            package.chunks.clear()
            return
        try:
            rows = assemble(manifest, package.chunks)
        except TransferError as exc:
            await self._send(
                package.district,
                PackageRejected(
                    package_id=package.package_id,
                    version=package.version,
                    reason="checksum_mismatch",
                    detail=str(exc),
                ),
            )
            package.chunks.clear()
            return
        amount = total(rows, "amount")
        if self.behaviour.corrupt_acks > 0:
            self.behaviour.corrupt_acks -= 1
            amount += 1
            package.chunks.clear()  # not kept: it will be sent again
            await self._send(
                package.district,
                PackageAccepted(
                    package_id=package.package_id,
                    version=package.version,
                    row_count=len(rows),
                    total_amount=amount,
                    sha256=digest(rows),
                ),
            )
            return
        package.accepted = PackageAccepted(
            package_id=package.package_id,
            version=package.version,
            row_count=len(rows),
            total_amount=amount,
            sha256=digest(rows),
        )
        await self._send(package.district, package.accepted)
        self._later(self._pay(package, rows))

    async def _recall(self, recall: RecallRequest, district: str) -> None:
        package = self.packages.get((recall.package_id, recall.version))
        if self.behaviour.refuse_recall or package is None:
            return
        package.recalled = True
        await self._send(
            district,
            PackageRejected(
                package_id=recall.package_id,
                version=recall.version,
                reason="recalled",
                detail=recall.reason,
            ),
        )

    async def _pay(self, package: Package, rows: list[dict[str, Any]]) -> None:
        await asyncio.sleep(self.behaviour.results_delay)
        if package.recalled or package.results_sent:
            return
        package.results_sent = True
        today = datetime.now(UTC).date()
        results = [
            PersonResult(
                line_id=UUID(r["line_id"]),
                status="paid" if self._pays(r["line_id"]) else "unpaid",
                paid_on=today if self._pays(r["line_id"]) else None,
            )
            for r in rows
        ]
        parts = [results[i : i + 1000] for i in range(0, len(results), 1000)] or [[]]
        order = list(range(len(parts)))
        if self.behaviour.reorder:
            random.Random(str(package.package_id)).shuffle(order)
        for i in order:
            await self._send(
                package.district,
                PaymentResults(
                    package_id=package.package_id,
                    version=package.version,
                    part=i,
                    parts=len(parts),
                    results=parts[i],
                ),
            )
        if self.behaviour.settle and not package.recalled:
            await self.settle(package)

    async def settle(self, package: Package) -> None:
        """Send the settlement report (also what a test calls for a late post office)."""
        assert package.manifest is not None
        rows = assemble(package.manifest.manifest, package.chunks)
        paid = [r for r in rows if self._pays(r["line_id"])]
        unpaid = [r for r in rows if not self._pays(r["line_id"])]
        await self._send(
            package.district,
            SettlementReport(
                package_id=package.package_id,
                version=package.version,
                period=package.manifest.period,
                paid_count=len(paid),
                paid_amount=sum(r["amount"] for r in paid),
                unpaid_count=len(unpaid),
                unpaid_amount=sum(r["amount"] for r in unpaid),
            ),
        )

    def _pays(self, line_id: str) -> bool:
        h = int(hashlib.sha256(line_id.encode()).hexdigest()[:8], 16)
        return h % 1000 < self.behaviour.pay_share * 1000

    def _later(self, work: Any) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, district: str, payload: EventPayload) -> None:
        assert self._producer is not None
        envelope = Envelope.wrap(payload, producer=PRODUCER, district_code=district)
        copies = 2 if self.behaviour.duplicate else 1
        for _ in range(copies):
            await self._producer.send_and_wait(
                self.inbound, envelope.to_bytes(), key=envelope.key(), headers=envelope.headers()
            )


@contextlib.asynccontextmanager
async def running(post_office: PostOffice) -> Any:
    task = asyncio.create_task(post_office.run())
    try:
        yield post_office
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
