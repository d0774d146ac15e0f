"""The post office's word about each person, line by line (DOMAIN.md "The post office is a
partner…"): results are final per person per package (``sort_results``), and a person-month
is paid at most once across the packages of a list (``screen_results``). What is not applied
is refused with a ``lifecycle.Reason``; the package's own moves are ``lifecycle.TABLE``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from uuid import UUID

from settlement_svc.domain.lifecycle import Reason
from settlement_svc.domain.packages import Package

Outcome = tuple[str, str | None]  # a person's status and paid_on (ISO date), as recorded


@dataclass(frozen=True)
class Sorted:
    new: list[UUID]  # first word for these people: recorded
    disagreeing: list[UUID]  # a later word that differs from the first: raised
    unknown: list[UUID]  # not in this package


def sort_results(recorded: Mapping[UUID, Outcome], incoming: Mapping[UUID, Outcome]) -> Sorted:
    """Results are final per person per package: the first word is kept, a repeat changes
    nothing, a different later word is raised (``recorded`` holds ``pending`` for people
    with no word yet)."""
    new, disagreeing, unknown = [], [], []
    for line, outcome in incoming.items():
        before = recorded.get(line)
        if before is None:
            unknown.append(line)
        elif before[0] == "pending":
            new.append(line)
        elif before != outcome:
            disagreeing.append(line)
    return Sorted(new, disagreeing, unknown)


@dataclass(frozen=True)
class Elsewhere:
    """What the list's other packages say about the person of one line."""

    newer_sent: UUID | None = None  # a newer version holding them went to the post office
    paid_in: UUID | None = None  # another package where they are paid (its word or by hand)


@dataclass(frozen=True)
class Screened:
    apply: list[UUID]  # recorded and passed on
    moved: list[UUID]  # raised: Reason.PERSON_MOVED
    paid_twice: list[UUID]  # raised: Reason.PAID_ELSEWHERE


def screen_results(
    new: Sequence[UUID], incoming: Mapping[UUID, Outcome], elsewhere: Mapping[UUID, Elsewhere]
) -> Screened:
    """A person-month is paid at most once (DOMAIN "The post office is a partner…"), across
    the packages of a list. A first word (``new``: ``sort_results``) about a person whom a
    newer version sent to the post office holds is not this package's to give: the package
    was kept only for the people paid in it, the rest were to be paid through the new one
    (whatever it says, it is raised). Otherwise a result paying a person already paid in
    another package is a second payment: raised. Neither is applied."""
    apply, moved, paid_twice = [], [], []
    for line in new:
        other = elsewhere.get(line, Elsewhere())
        if other.newer_sent is not None:
            moved.append(line)
        elif other.paid_in is not None and incoming[line][0] == "paid":
            paid_twice.append(line)
        else:
            apply.append(line)
    return Screened(apply, moved, paid_twice)


# ------------------------------------------------------------------ the post office's word


def check_extension_request(
    settlement_closed: bool, days: int, granted: int, max_days: int
) -> Reason | None:
    """The post office asks for more days (seed 002 §E): only for a settlement not yet
    closed, and only within the rule (with the days granted before, fewer than 20). The
    request is recorded for the officer, who decides the days (extend): never granted here."""
    if settlement_closed:
        return Reason.SETTLEMENT_CLOSED
    if granted + days > max_days:
        return Reason.EXTENSION_TOO_LONG
    return None


def check_report(package: Package, counts: int, amounts: int) -> Reason | None:
    """The settlement report accounts for every line and đồng of the package."""
    if (counts, amounts) != (package.line_count, package.total_amount):
        return Reason.REPORT_TOTALS
    return None
