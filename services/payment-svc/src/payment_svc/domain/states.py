"""The lifecycle of periods, payment lists and their lines as one explicit state machine: the
states, the transitions each action makes, and the guards that refuse the others — each
refusal one named rule with a stable code (a refused transition answers 409 with it).

Periods: ``open`` ⇄ ``locked``. A locked period takes nothing an officer does, and nothing
is taken from it either: ``pull`` refuses a locked source month (the payment unit's facts
still land).

Lists (DOMAIN "Payment periods and lists")::

    draft ──submit──▶ submitted ──sent──▶ sent ──acknowledged──▶ acknowledged
      │                  │                 │                          │
      │ delete /         │ replaced        │ replaced              results
      │ replaced         ▼ (nobody paid)   ▼ (nobody paid)             ▼
      ▼              superseded        superseded              results_received ──▶ settled
    deleted

    submitted / sent / acknowledged ──rejected by the post office──▶ rejected
    rejected ──replaced (nobody paid)──▶ superseded   (the officer's new version goes out)

The payment unit's answers move a list only forward, possibly over a step (results straight
after ``submitted``, ``settled`` from any status since); a late or repeated one changes
nothing.
Versions count every list the period ever had of a kind, deleted ones too: a number is never
given twice, a list never overwritten.

**A person-month is paid at most once** (DOMAIN "Decisions take effect…"). The choice made
here: *refuse the new version*. Once the payment unit has acknowledged a list, reported
results on it or settled it, or once anyone on it is ``paid`` (by the post office or by
hand), no new version of it can be generated (``list_at_payment_unit``,
``list_has_payments``, ``list_settled``), nor once a later month's list carries the money of
its unpaid lines (``list_carried_over``: the new version would owe that money a second time);
the money still owed goes through the next month
(carry-over, arrears, recoveries). Only a ``draft`` is deleted or replaced freely; a list
submitted or sent that nobody has been paid from is superseded by the new version (the
recall / resend path of settlement-svc).

Lines: ``pending`` → the statuses of a payment (``paid``, ``unpaid``, ``unpaid_stopped``,
``returned``, ``recovered``) by the post office or by hand on a list the payment unit has and
that is not settled; ``pending`` → ``split`` (its parts are new ``pending`` lines, the same
total). An ``unpaid`` line whose money the next month's list carries (``carried_into``) is
final: its money lives in the later line, so no hand changes it — above all not to ``paid``
(``line_carried_over``; naming it ``unpaid`` again changes nothing), and "everyone paid"
passes it by. A ``paid`` line is never split (``line_paid``), nor is any line that is no
longer ``pending``.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal

from payment_svc.domain.errors import (
    IntegratedDistrict,
    LineCarriedOver,
    LineNotSplittable,
    LinePaid,
    ListAlreadySubmitted,
    ListAtPaymentUnit,
    ListCarriedOver,
    ListHasPayments,
    ListNotDraft,
    ListNotFound,
    ListNotPayable,
    ListSettled,
    PeriodLocked,
    PullFromSettled,
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
    REJECTED = "rejected"  # the post office rejected its package: a new version may replace it
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


class ListAction(StrEnum):
    SUBMIT = "submit"  # an officer sends the draft to the payment unit
    DELETE = "delete"  # an officer deletes the draft
    REPLACE = "replace"  # a new version is generated over the current list
    SENT = "sent"  # the payment unit's answers, from here down
    ACKNOWLEDGED = "acknowledged"
    RESULTS = "results"
    SETTLE = "settle"
    REJECTED = "rejected"  # the post office rejected the package (not a recall)


_S = ListStatus
_OUT = (_S.SUBMITTED, _S.SENT)  # with the payment unit, not yet accepted by it

# Every transition of a list: action → {from: to}. What is not here is refused (by an
# officer: with the guard's code; by the payment unit: left as it is).
LIST_TRANSITIONS: dict[ListAction, dict[ListStatus, ListStatus]] = {
    ListAction.SUBMIT: {_S.DRAFT: _S.SUBMITTED},
    ListAction.DELETE: {_S.DRAFT: _S.DELETED},
    ListAction.REPLACE: {_S.DRAFT: _S.DELETED} | {s: _S.SUPERSEDED for s in (*_OUT, _S.REJECTED)},
    ListAction.SENT: {_S.SUBMITTED: _S.SENT},
    ListAction.ACKNOWLEDGED: {s: _S.ACKNOWLEDGED for s in _OUT},
    ListAction.RESULTS: {s: _S.RESULTS_RECEIVED for s in (*_OUT, _S.ACKNOWLEDGED)},
    ListAction.SETTLE: {s: _S.SETTLED for s in (*_OUT, _S.ACKNOWLEDGED, _S.RESULTS_RECEIVED)},
    # settlement-svc refuses a rejection once results came: never from results_received
    ListAction.REJECTED: {s: _S.REJECTED for s in (*_OUT, _S.ACKNOWLEDGED)},
}

# What an officer or the payment unit may set on a line.
ManualStatus = Literal["pending", "paid", "unpaid", "unpaid_stopped", "returned", "recovered"]

# A period's current list of a kind is its one list in neither of these.
RETIRED = (ListStatus.SUPERSEDED, ListStatus.DELETED)

# Lines of lists in these statuses take statuses by hand.
PAYABLE = (_S.SUBMITTED, _S.SENT, _S.ACKNOWLEDGED, _S.RESULTS_RECEIVED)


def payment_unit_move(action: ListAction) -> tuple[ListStatus, tuple[ListStatus, ...]]:
    """The status a payment unit's answer sets, and the statuses it moves a list from."""
    moves = LIST_TRANSITIONS[action]
    (to,) = set(moves.values())
    return to, tuple(moves)


def require_writable(period_status: str, month: date) -> None:
    """A locked period changes nothing an officer does (the payment unit's facts still land)."""
    if period_status == PeriodStatus.LOCKED:
        raise PeriodLocked(month)


def next_version(latest: int) -> int:
    """A new list's version, after the period's ``latest`` of the kind (0: none yet), deleted
    and superseded ones included: a version number is never given twice."""
    return latest + 1


def replace(list_status: str, anyone_paid: bool, anyone_carried: bool = False) -> ListStatus:
    """What the current list becomes when a new version is generated over it: the new
    version may not pay again anyone this list has paid or may yet pay, nor owe again the
    money of its lines a later month's list already carries (``list_carried_over``)."""
    if list_status == ListStatus.SETTLED:
        raise ListSettled()
    if list_status in (ListStatus.ACKNOWLEDGED, ListStatus.RESULTS_RECEIVED):
        raise ListAtPaymentUnit()
    if anyone_paid:
        raise ListHasPayments()
    if anyone_carried:
        raise ListCarriedOver()
    if list_status not in LIST_TRANSITIONS[ListAction.REPLACE]:
        raise ListNotFound()  # a retired list is no period's list: nothing to replace
    return LIST_TRANSITIONS[ListAction.REPLACE][ListStatus(list_status)]


def delete(list_status: str) -> ListStatus:
    """Only a draft is deleted."""
    if list_status not in LIST_TRANSITIONS[ListAction.DELETE]:
        raise ListNotDraft()
    return LIST_TRANSITIONS[ListAction.DELETE][ListStatus(list_status)]


def submit(list_status: str) -> ListStatus:
    """Only a draft is submitted, once."""
    if list_status not in LIST_TRANSITIONS[ListAction.SUBMIT]:
        raise ListAlreadySubmitted()
    return LIST_TRANSITIONS[ListAction.SUBMIT][ListStatus(list_status)]


def require_payable(list_status: str) -> None:
    """Statuses by hand: on a list that has been submitted and is not settled or retired."""
    if list_status not in PAYABLE:
        raise ListNotPayable()


def require_manual_allowed(integrated: bool | None, supervisor: bool) -> None:
    """In a district paid through the integrated payment unit (the default when unset),
    statuses come from the payment unit: by hand only with the supervisor's role."""
    if (integrated is None or integrated) and not supervisor:
        raise IntegratedDistrict()


def require_not_carried(carried: bool, status: str) -> None:
    """A line whose money a later month's line carries stays ``unpaid``: no hand changes it
    (above all not to ``paid``)."""
    if carried and status != LineStatus.UNPAID:
        raise LineCarriedOver()


def require_splittable(list_status: str, line_status: str) -> None:
    """Only a ``pending`` line of a list in force and not settled splits into parts (a
    carried line is ``unpaid``: it does not split either)."""
    if list_status in (*RETIRED, ListStatus.SETTLED):
        raise LineNotSplittable()
    if line_status == LineStatus.PAID:
        raise LinePaid()
    if line_status != LineStatus.PENDING:
        raise LineNotSplittable()


def require_pull_source_open(period_status: str, list_status: str | None, month: date) -> None:
    """``pull`` changes the lines of its source ``month``: not of a locked period, nor of a
    settled list."""
    require_writable(period_status, month)
    if list_status == ListStatus.SETTLED:
        raise PullFromSettled(month)
