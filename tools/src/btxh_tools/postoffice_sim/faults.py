"""The simulator's seeded fault mode: what happens to each message it sends.

Each message gets a fate from the seed and the message's identity alone (its type, package,
version, part, and how many times the same message was sent before) — never from timing —
so one seed gives the same faults on every run: dropped, sent twice, held back until after
the next message (reordered), sent late, and, independently, accompanied by a forgery (the
same message with its content changed and the genuine signature left on it).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from btxh_common.envelope import EventPayload
from btxh_common.postoffice import PaymentResults, PersonResult, ResultStatus, SettlementReport


class Fate(StrEnum):
    DELIVER = "deliver"
    DROP = "drop"
    DUPLICATE = "duplicate"
    REORDER = "reorder"
    DELAY = "delay"


@dataclass(frozen=True)
class Faults:
    """Shares (0–1) of messages dropped, duplicated, reordered, delayed; forged copies."""

    seed: int = 0
    drop: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0
    delay: float = 0.0
    forge: float = 0.0
    delay_seconds: float = 2.0

    def __post_init__(self) -> None:
        shares = (self.drop, self.duplicate, self.reorder, self.delay, self.forge)
        if any(not 0 <= s <= 1 for s in shares) or sum(shares[:4]) > 1:
            raise ValueError(f"fault shares must be 0–1 and sum to ≤ 1: {shares}")

    def active(self) -> bool:
        return any((self.drop, self.duplicate, self.reorder, self.delay, self.forge))

    def fate(self, identity: str) -> tuple[Fate, bool]:
        """The message's fate and whether a forgery goes with it."""
        rng = random.Random(f"{self.seed}:{identity}")
        draw, forged = rng.random(), rng.random() < self.forge
        for fate, share in (
            (Fate.DROP, self.drop),
            (Fate.DUPLICATE, self.duplicate),
            (Fate.REORDER, self.reorder),
            (Fate.DELAY, self.delay),
        ):
            if draw < share:
                return fate, forged
            draw -= share
        return Fate.DELIVER, forged


def identity(payload: EventPayload, sent_before: int) -> str:
    fields: dict[str, Any] = payload.model_dump(include={"package_id", "version", "part"})
    parts = [payload.event_type, *(str(fields.get(k, "")) for k in ("package_id", "version"))]
    return ":".join([*parts, str(fields.get("part", "")), str(sent_before)])


_OTHER: dict[str, ResultStatus] = {"paid": "unpaid", "unpaid": "paid", "returned": "paid"}


def tampered(payload: EventPayload) -> EventPayload:
    """What a forger would change: everyone's status, or the money reported paid."""
    if isinstance(payload, PaymentResults):
        results = [
            PersonResult(line_id=r.line_id, status=_OTHER[r.status], paid_on=r.paid_on)
            for r in payload.results
        ]
        return payload.model_copy(update={"results": results})
    if isinstance(payload, SettlementReport):
        return payload.model_copy(update={"paid_amount": payload.paid_amount + 1_000_000})
    return payload
