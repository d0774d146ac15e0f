"""Settlement rules (seed 002 §E): deadline, extensions, overdue, closing.

A package's settlement is ``open`` until the post office's report (``received``) and
``closed`` by an officer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from settlement_svc.domain.errors import (
    ExtensionDaysInvalid,
    ExtensionTotalExceeded,
    ResultsIncomplete,
    SettlementAlreadyClosed,
    SettlementBeforeCutoff,
)
from settlement_svc.domain.payment_unit import PaymentUnitSettings, on_day

MAX_EXTENSION_DAYS = 19  # an extension is 1–19 days; 20 or more, alone or together, is refused


class SettlementState(StrEnum):
    OPEN = "open"
    RECEIVED = "received"
    CLOSED = "closed"


@dataclass(frozen=True)
class Settlement:
    id: UUID
    package_id: UUID
    list_id: UUID
    district_code: str
    period: str
    deadline: date
    state: SettlementState
    overdue_since: date | None
    report: dict[str, Any] | None
    closed_by: str | None
    closed_at: datetime | None


@dataclass(frozen=True)
class LineTotal:
    count: int
    amount: int


@dataclass(frozen=True)
class ExtensionAsked:
    """The post office asked for ``days`` more to settle; answered by an officer's extension
    (who, how many days granted, when) or still open."""

    days: int
    reason: str
    asked_at: datetime
    answered_by: str | None = None
    granted_days: int | None = None
    answered_at: datetime | None = None


@dataclass(frozen=True)
class SettlementSummary:
    """A settlement with its extensions, the post office's requests for more days, and its
    package's lines totalled by status (a status set by hand counts where no result is)."""

    settlement: Settlement
    extended_days: int
    lines: dict[str, LineTotal]
    extension_requests: tuple[ExtensionAsked, ...] = ()

    @property
    def effective_deadline(self) -> date:
        return effective_deadline(self.settlement.deadline, self.extended_days)


def settlement_deadline(period: str, settings: PaymentUnitSettings) -> date:
    """The settlement cut-off day of the month after the period's settlement group closes:
    groups of ``months_per_settlement`` months, counted from January."""
    year, month = int(period[:4]), int(period[5:7])
    k = settings.months_per_settlement
    group_end = ((month - 1) // k + 1) * k  # 1..12+
    index = year * 12 + group_end  # the month after the group, 0-based months
    return on_day(index // 12, index % 12 + 1, settings.settlement_cutoff_day)


def effective_deadline(deadline: date, extended_days: int) -> date:
    return deadline + timedelta(days=extended_days)


def is_overdue(due: date, today: date) -> bool:
    return due < today


def receives_report(state: SettlementState) -> bool:
    """Only an open settlement takes the post office's report (a repeat changes nothing)."""
    return state is SettlementState.OPEN


def check_extension(state: SettlementState, days: int, already: int) -> None:
    """An open settlement is extended by 1–19 days at a time, fewer than 20 in all."""
    if state is SettlementState.CLOSED:
        raise SettlementAlreadyClosed()
    if not 1 <= days <= MAX_EXTENSION_DAYS:
        raise ExtensionDaysInvalid()
    if already + days > MAX_EXTENSION_DAYS:
        raise ExtensionTotalExceeded(already)


def check_close(
    state: SettlementState,
    pending: int,
    rest_unpaid: bool,
    *,
    due: date,
    today: date,
    by_hand: bool = False,
) -> None:
    """A settlement closes once; people with no result yet only if the officer says they
    count as not received. One the post office still owes (``open``, not kept by hand) closes
    only after its cut-off with extensions (``due``): before it, the post office may still pay
    people the close would mark unpaid."""
    if state is SettlementState.CLOSED:
        raise SettlementAlreadyClosed()
    if state is SettlementState.OPEN and not by_hand and not is_overdue(due, today):
        raise SettlementBeforeCutoff(str(due))
    if pending and not rest_unpaid:
        raise ResultsIncomplete(pending)
