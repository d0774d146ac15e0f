"""How the simulator's messages reach ``postoffice.inbound``: wrapped, signed with the post
office's key (``btxh_common.po_sign``; none: unsigned), and through the seeded fault mode
(``faults``) when one is set."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from btxh_common.envelope import Envelope, EventPayload
from btxh_common.logs import get_logger
from btxh_common.po_sign import Signer
from btxh_common.postoffice import PackageChunk, PackageManifest, RecallRequest

from btxh_tools.postoffice_sim.faults import Fate, Faults, identity, tampered

log = get_logger("postoffice-sim")
PRODUCER = "postoffice-sim"
# what settlement-svc sends the post office, by type; any other type is ignored
OUTBOUND: dict[str, type[EventPayload]] = {
    c.event_type: c for c in (PackageChunk, PackageManifest, RecallRequest)
}


def opened(envelope: Envelope) -> EventPayload | None:
    """The message in ``envelope`` (None: a type the post office ignores)."""
    contract = OUTBOUND.get(envelope.event_type)
    return envelope.open(contract) if contract else None


def received(record: Any) -> tuple[str, str, EventPayload | None]:
    """A record of ``outbound`` as (type, district, message): the type its header names read
    with its envelope in one pass (a chunk of 1,000 rows), anything else the long way."""
    named = dict(record.headers or ()).get("event_type", b"").decode(errors="replace")
    contract = OUTBOUND.get(named)
    read = Envelope.read_as(record.value or b"", contract) if contract else None
    if read is None:
        envelope = Envelope.from_bytes(record.value or b"")
        return envelope.event_type, envelope.district_code, opened(envelope)
    head, message = read
    return head.event_type, head.district_code, message


class Wire:
    def __init__(
        self,
        topic: str,
        signer: Signer | None,
        faults: Faults,
        duplicate: Callable[[], bool],
    ) -> None:
        self.topic, self.signer, self.faults = topic, signer, faults
        self.duplicate = duplicate  # Behaviour.duplicate, read at each send
        self.producer: Any = None  # an AIOKafkaProducer, or what a test gives
        self.fates: list[tuple[str, Fate, bool]] = []  # the fault mode's choices, in order
        self._sent: dict[str, int] = {}
        self._held: list[Envelope] = []
        self.tasks: set[asyncio.Task[None]] = set()

    def wrap(self, district: str, payload: EventPayload) -> Envelope:
        if self.signer is None:
            return Envelope.wrap(payload, producer=PRODUCER, district_code=district)
        return self.signer.envelope(payload, producer=PRODUCER, district_code=district)

    async def send(self, district: str, payload: EventPayload) -> None:
        envelope = self.wrap(district, payload)
        if not self.faults.active():
            await self.put(envelope, 2 if self.duplicate() else 1)
            return
        first = identity(payload, 0)
        key = identity(payload, self._sent.get(first, 0))
        self._sent[first] = self._sent.get(first, 0) + 1
        fate, forged = self.faults.fate(key)
        self.fates.append((key, fate, forged))
        log.info("postoffice.fault", message=key, fate=fate, forged=forged)
        if forged:  # the genuine signature on changed content: it must not be believed
            await self.put(self._forgery(district, payload, envelope))
        if fate is Fate.DROP:
            return
        if fate is Fate.REORDER:
            self._held.append(envelope)
            self._later(self._flush_after(self.faults.delay_seconds))
            return
        if fate is Fate.DELAY:
            self._later(self._put_after(envelope, self.faults.delay_seconds))
            return
        await self.put(envelope, 2 if fate is Fate.DUPLICATE or self.duplicate() else 1)
        await self._flush()  # what was held back goes after this one

    def _forgery(self, district: str, payload: EventPayload, genuine: Envelope) -> Envelope:
        fake = Envelope.wrap(tampered(payload), producer=PRODUCER, district_code=district)
        signature = genuine.payload.get("signature")
        return fake.model_copy(update={"payload": {**fake.payload, "signature": signature}})

    async def _flush(self) -> None:
        held, self._held = self._held, []
        for envelope in held:
            await self.put(envelope)

    async def _flush_after(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        await self._flush()

    async def _put_after(self, envelope: Envelope, seconds: float) -> None:
        await asyncio.sleep(seconds)
        await self.put(envelope)

    def _later(self, work: Any) -> None:
        task = asyncio.create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def put(self, envelope: Envelope, copies: int = 1) -> None:
        assert self.producer is not None
        for _ in range(copies):
            await self.producer.send_and_wait(
                self.topic, envelope.to_bytes(), key=envelope.key(), headers=envelope.headers()
            )
