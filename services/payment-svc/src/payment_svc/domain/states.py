"""List, line and period statuses and every guard on them, as they stand today: the one place
to read or change what a status allows."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal

from payment_svc.domain.errors import (
    IntegratedDistrict,
    LineNotSplittable,
    ListAlreadySubmitted,
    ListNotDraft,
    ListNotPayable,
    ListSettled,
    PeriodLocked,
)


class PeriodStatus(StrEnum):
    OPEN = "open"
    LOCKED = "locked"


class ListStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    RESULTS_RECEIVED = "results_received"
    SETTLED = "settled"
    SUPERSEDED = "superseded"  # replaced by a newer version after it left the draft
    DELETED = "deleted"  # a draft deleted or generated again


class LineStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    UNPAID = "unpaid"  # the money carries into a later month
    UNPAID_STOPPED = "unpaid_stopped"  # unpaid, and does not carry
    RETURNED = "returned"
    RECOVERED = "recovered"
    SPLIT = "split"  # replaced by its parts, which carry the statuses


# What an officer or the payment unit may set on a line.
ManualStatus = Literal["pending", "paid", "unpaid", "unpaid_stopped", "returned", "recovered"]

# A period's current list of a kind is its one list in neither of these.
RETIRED = (ListStatus.SUPERSEDED, ListStatus.DELETED)

# The payment unit's answers move a submitted list forward, each only from these statuses
# (a late or repeated answer changes nothing).
PAYMENT_UNIT_MOVES: dict[ListStatus, tuple[ListStatus, ...]] = {
    ListStatus.SENT: (ListStatus.SUBMITTED,),
    ListStatus.ACKNOWLEDGED: (ListStatus.SUBMITTED, ListStatus.SENT),
    ListStatus.RESULTS_RECEIVED: (
        ListStatus.SUBMITTED,
        ListStatus.SENT,
        ListStatus.ACKNOWLEDGED,
    ),
    ListStatus.SETTLED: (
        ListStatus.SUBMITTED,
        ListStatus.SENT,
        ListStatus.ACKNOWLEDGED,
        ListStatus.RESULTS_RECEIVED,
    ),
}


def require_writable(period_status: str, month: date) -> None:
    """A locked period changes nothing an officer does (the payment unit's facts still land)."""
    if period_status == PeriodStatus.LOCKED:
        raise PeriodLocked(month)


def next_version(current: tuple[str, int] | None) -> tuple[int, ListStatus | None]:
    """A new list for a period and kind, given the current one's (status, version): its
    version, and what the current one becomes — a list is never overwritten."""
    if current is None:
        return 1, None
    status, version = current
    if status == ListStatus.SETTLED:
        raise ListSettled()
    return version + 1, ListStatus.DELETED if status == ListStatus.DRAFT else ListStatus.SUPERSEDED


def require_deletable(list_status: str) -> None:
    if list_status != ListStatus.DRAFT:
        raise ListNotDraft()


def require_submittable(list_status: str) -> None:
    if list_status != ListStatus.DRAFT:
        raise ListAlreadySubmitted()


def require_payable(list_status: str) -> None:
    """Statuses by hand: on a list that has been submitted and is not settled or retired."""
    if list_status in (ListStatus.DRAFT, *RETIRED, ListStatus.SETTLED):
        raise ListNotPayable()


def require_manual_allowed(integrated: bool | None, supervisor: bool) -> None:
    """In a district paid through the integrated payment unit (the default when unset),
    statuses come from the payment unit: by hand only with the supervisor's role."""
    if (integrated is None or integrated) and not supervisor:
        raise IntegratedDistrict()


def require_splittable(list_status: str, line_status: str) -> None:
    if list_status in (*RETIRED, ListStatus.SETTLED) or line_status == LineStatus.SPLIT:
        raise LineNotSplittable()
