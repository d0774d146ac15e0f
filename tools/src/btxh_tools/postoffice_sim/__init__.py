"""A post office on the bus (ARCHITECTURE "tools/postoffice-sim"): it speaks the contract in
``btxh_common.postoffice`` from the other side, faithfully, and misbehaves on request.

It assembles each package from its chunks, checks count, total and SHA-256, accepts it
(once per package id + version: a resend is answered with the same acceptance) or rejects
it, pays a share of the people after a delay — in several rounds, each reported in its own
result parts, with the money of some people coming back (``returned``) — then settles. It
gives a package back when recalled, unless it has paid anyone in it: then it refuses the
recall (``RecallRejected``). When late it asks for an extension. It signs every message
(``btxh_common.po_sign``; the dev key unless given another). ``Behaviour`` switches it to
be late, silent, rejecting, duplicating, reordering, to corrupt its acknowledgement, or to
ignore a recall; ``Faults`` adds a seeded fault mode (drop, duplicate, reorder, delay,
forge). Run it with ``python -m btxh_tools.postoffice_sim``; tests drive it in-process.
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
from btxh_common.po_sign import DEV_SIGNER, Signer
from btxh_common.postoffice import (
    ExtensionRequest,
    PackageAccepted,
    PackageChunk,
    PackageManifest,
    PackageRejected,
    PaymentResults,
    PersonResult,
    RecallRejected,
    RecallRequest,
    ResultStatus,
    SettlementReport,
)
from btxh_common.topics import POSTOFFICE_GROUP, POSTOFFICE_INBOUND, POSTOFFICE_OUTBOUND

from btxh_tools.postoffice_sim.faults import Faults
from btxh_tools.postoffice_sim.wire import Wire, opened, received

log = get_logger("postoffice-sim")


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
    refuse_recall: bool = False  # ignore recalls (never answer them)
    rounds: int = 1  # pay in this many rounds, each reported in its own result parts
    round_delay: float = 0.5  # seconds between rounds
    returned_share: float = 0.0  # of the people paid, the share whose money comes back
    refuse_recall_once_paid: bool = True  # a recall after anyone is paid: RecallRejected
    extension_days: int | None = None  # when late (settle False): ask for these many days
    # seconds a result part takes to reach settlement-svc after the people in it are paid
    # (counted in a recall's refusal at once): paid results still in transit at a refusal
    results_in_transit: float = 0.0


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
    paid: int = 0  # people reported paid so far


class PostOffice:
    def __init__(
        self,
        bootstrap: str,
        behaviour: Behaviour | None = None,
        *,
        outbound: str = POSTOFFICE_OUTBOUND,
        inbound: str = POSTOFFICE_INBOUND,
        group: str = POSTOFFICE_GROUP,
        signer: Signer | None = DEV_SIGNER,
        faults: Faults | None = None,
        producer: Any = None,
        auth: KafkaAuth = NO_AUTH,
    ) -> None:
        self.bootstrap = bootstrap
        self.auth = auth
        self.behaviour = behaviour or Behaviour()
        self.outbound, self.inbound, self.group = outbound, inbound, group
        # signer None: unsigned (a partner that forgot to sign)
        self.wire = Wire(inbound, signer, faults or Faults(), lambda: self.behaviour.duplicate)
        self.wire.producer = producer  # an AIOKafkaProducer is made by run() if None
        self.packages: dict[tuple[UUID, int], Package] = {}
        self.received: list[str] = []  # event types, in arrival order
        self._tasks: set[asyncio.Task[None]] = set()

    # -------------------------------------------------------------- what tests look at

    def holding(self) -> list[Package]:
        """Packages accepted and not recalled: what the post office will pay."""
        return [p for p in self.packages.values() if p.accepted and not p.recalled]

    async def idle(self) -> None:
        """Wait until nothing is left to send (payments, delayed and held messages)."""
        while pending := {*self._tasks, *self.wire.tasks}:
            await asyncio.gather(*pending)

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
        producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap, acks="all", **self.auth.client_kwargs()
        )
        self.wire.producer = producer
        await consumer.start()
        await producer.start()
        log.info("postoffice.listening", topic=self.outbound, faults=str(self.wire.faults))
        try:
            async for record in consumer:
                try:
                    await self.take(*received(record))
                except Exception as exc:  # a partner never crashes on our mistakes
                    log.exception("postoffice.bad_message", error=repr(exc))
        finally:
            for task in {*self._tasks, *self.wire.tasks}:
                task.cancel()
            await consumer.stop()
            await producer.stop()

    async def handle(self, envelope: Envelope) -> None:
        await self.take(envelope.event_type, envelope.district_code, opened(envelope))

    async def take(self, event_type: str, district: str, message: EventPayload | None) -> None:
        """A message of settlement-svc's, opened (None: a type the post office ignores)."""
        self.received.append(event_type)
        if self.behaviour.silent:
            return
        if isinstance(message, PackageChunk):
            package = self._package(message.package_id, message.version, district)
            if package.accepted is None:
                package.chunks[message.chunk.seq] = message.chunk.rows
                await self._check(package)
        elif isinstance(message, PackageManifest):
            package = self._package(message.package_id, message.version, district)
            package.manifest = message
            await self._check(package)
        elif isinstance(message, RecallRequest):
            await self._recall(message, district)

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
        if package.paid and self.behaviour.refuse_recall_once_paid:
            refused = RecallRejected(
                package_id=recall.package_id,
                version=recall.version,
                reason="already_paid",
                paid_count=package.paid,
                detail=f"Đã chi trả cho {package.paid} người, không thể thu hồi",
            )
            await self._send(district, refused)
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
        rounds = self._rounds(rows)
        parts = [
            (n, round_[i : i + 1000])
            for n, round_ in enumerate(rounds)
            for i in range(0, len(round_), 1000)
        ] or [(0, [])]
        order: list[int] = []
        rng = random.Random(str(package.package_id))
        for n in range(len(rounds)):
            of_round = [i for i, (round_no, _) in enumerate(parts) if round_no == n]
            if self.behaviour.reorder:  # out of order within each round
                rng.shuffle(of_round)
            order += of_round
        sent_round = 0
        for i in order:
            round_no, results = parts[i]
            if round_no != sent_round:
                await asyncio.sleep(self.behaviour.round_delay)
                sent_round = round_no
            if package.recalled:
                return
            package.paid += sum(1 for r in results if r.status == "paid")
            part = PaymentResults(
                package_id=package.package_id,
                version=package.version,
                part=i,
                parts=len(parts),
                results=results,
            )
            if self.behaviour.results_in_transit:
                self._later(self._send_after(self.behaviour.results_in_transit, package, part))
            else:
                await self._send(package.district, part)
        if package.recalled:
            return
        await asyncio.sleep(self.behaviour.results_in_transit)  # the report after the results
        if self.behaviour.settle:
            await self.settle(package)
        elif self.behaviour.extension_days:
            await self._send(
                package.district,
                ExtensionRequest(
                    package_id=package.package_id,
                    days=self.behaviour.extension_days,
                    reason="Chưa đối soát xong, xin gia hạn quyết toán",
                ),
            )

    def _rounds(self, rows: list[dict[str, Any]]) -> list[list[PersonResult]]:
        """Everyone's result, by the round it is reported in: the paid in the round they are
        paid; the unpaid and returned in the last round (the post office's final word)."""
        today = datetime.now(UTC).date()
        last = max(1, self.behaviour.rounds) - 1
        rounds: list[list[PersonResult]] = [[] for _ in range(last + 1)]
        for r in rows:
            status = self.status(r["line_id"])
            paid_on = today if status != "unpaid" else None
            n = _draw(r["line_id"], "round") % (last + 1) if status == "paid" and last else last
            rounds[n].append(
                PersonResult(line_id=UUID(r["line_id"]), status=status, paid_on=paid_on)
            )
        return rounds

    async def settle(self, package: Package) -> None:
        """Send the settlement report (also what a test calls for a late post office)."""
        assert package.manifest is not None
        rows = assemble(package.manifest.manifest, package.chunks)
        said = {r["line_id"]: self.status(r["line_id"]) for r in rows}
        paid = [r for r in rows if said[r["line_id"]] == "paid"]
        unpaid = [r for r in rows if said[r["line_id"]] != "paid"]  # returned too
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

    def status(self, line_id: str) -> ResultStatus:
        """A person's outcome, the same every time it is asked (a hash of the line id)."""
        if _draw(line_id, "pay") % 1000 >= self.behaviour.pay_share * 1000:
            return "unpaid"
        returned = self.behaviour.returned_share
        if returned and _draw(line_id, "returned") % 1000 < returned * 1000:
            return "returned"
        return "paid"

    def _later(self, work: Any) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send_after(self, delay: float, package: Package, payload: EventPayload) -> None:
        await asyncio.sleep(delay)
        await self._send(package.district, payload)

    async def _send(self, district: str, payload: EventPayload) -> None:
        await self.wire.send(district, payload)


def _draw(line_id: str, what: str) -> int:
    seed = line_id if what == "pay" else f"{what}:{line_id}"  # "pay": as it always was
    return int(hashlib.sha256(seed.encode()).hexdigest()[:8], 16)


@contextlib.asynccontextmanager
async def running(post_office: PostOffice) -> Any:
    task = asyncio.create_task(post_office.run())
    try:
        yield post_office
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
