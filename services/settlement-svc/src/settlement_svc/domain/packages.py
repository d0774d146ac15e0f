"""A package's handshake with the post office: its states, back-off and acceptance check.

A package is one version of a payment list (seed 002 §C–F). It is ``sent`` until the post
office accepts it with the same count, total and checksum (``acknowledged``), sent again with
back-off while unanswered, and left in ``alert`` for an officer after the last attempt. A new
version of a list already out asks for a recall and waits (``waiting_recall``) until the old
one comes back ``recalled``; a recall never answered ends in ``recall_unanswered``. One kept by
the post office (the recall refused: people paid) holds the new version back
(``waiting_results``) until the paid results the refusal counted have reached us, or an
officer releases it after the time-out (``results_overdue``). A district
without a connection to the post office keeps its packages ``manual``. What moves a package
from one state to another is the table in ``domain.lifecycle``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Literal
from uuid import UUID


class PackageState(StrEnum):
    WAITING_RECALL = "waiting_recall"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    REJECTED = "rejected"
    RECALL_REQUESTED = "recall_requested"
    RECALLED = "recalled"
    RECALL_UNANSWERED = "recall_unanswered"
    SUPERSEDED = "superseded"
    ALERT = "alert"
    MANUAL = "manual"
    # the recall refused (people paid), the kept package's paid results not all here yet:
    # held so nobody whose "paid" is still in transit is sent again (issue 15)
    WAITING_RESULTS = "waiting_results"
    RESULTS_OVERDUE = "results_overdue"  # held past the time-out: an officer may release it


S = PackageState
# The version a new one replaces is the latest package of its district, period and kind in
# one of these states.
REPLACEABLE = (
    S.WAITING_RECALL,
    S.SENT,
    S.ACKNOWLEDGED,
    S.ALERT,
    S.RECALL_REQUESTED,
    S.RECALL_UNANSWERED,
    S.MANUAL,
    S.WAITING_RESULTS,
    S.RESULTS_OVERDUE,
)
# sent again (or recalled again, or held no longer) when overdue
AWAITING_ANSWER = (S.SENT, S.RECALL_REQUESTED, S.WAITING_RESULTS)

Kind = Literal["monthly", "funeral"]


@dataclass(frozen=True)
class Package:
    id: UUID
    version: int
    list_id: UUID
    district_code: str
    period: str
    kind: Kind
    line_count: int
    total_amount: int
    sha256: str
    state: PackageState
    attempts: int


@dataclass(frozen=True)
class Policy:
    """How often a package (or a recall) is sent before an officer is asked."""

    base_seconds: float = 30.0
    max_seconds: float = 3600.0
    max_attempts: int = 8
    # how long a new version waits for the kept package's paid results before an officer is
    # asked (``results_overdue``)
    results_wait_seconds: float = 86400.0


def resend_delay(policy: Policy, attempts: int) -> timedelta:
    """How long to wait for an answer after attempt ``attempts`` (1, 2, …): doubling from
    ``base_seconds``, at most ``max_seconds``."""
    return timedelta(
        seconds=min(policy.base_seconds * 2 ** max(attempts - 1, 0), policy.max_seconds)
    )


def attempts_used(package: Package, policy: Policy) -> bool:
    return package.attempts >= policy.max_attempts


def is_first_send(package: Package) -> bool:
    """Sending a package that was never sent (or an officer started again from 0)."""
    return package.attempts == 0


def acknowledgement_matches(
    package: Package, row_count: int, total_amount: int, sha256: str
) -> bool:
    """The post office holds what was sent: same count, total and checksum."""
    return (row_count, total_amount, sha256) == (
        package.line_count,
        package.total_amount,
        package.sha256,
    )


def mismatch_note(row_count: int, total_amount: int, sha256: str) -> str:
    return f"acknowledged {row_count} lines / {total_amount} / {sha256[:12]}"


# ------------------------------------------------------------------ a new version


@dataclass(frozen=True)
class Placement:
    """What a new version of a list becomes, and the package it waits for (if any)."""

    state: PackageState
    waits_for: UUID | None = None


def place(integrated: bool, previous: Package | None, previous_waits_for: UUID | None) -> Placement:
    """A new version is ``manual`` in a district without the post office. Otherwise it is
    sent at once unless a version is still out there: then it waits for that one's recall
    — the previous version's, or, if the previous was itself waiting, the same one it
    waited for (never two live packages of a list at the post office)."""
    if not integrated:
        return Placement(S.MANUAL)
    if previous is None or previous.state is S.MANUAL:
        return Placement(S.SENT)
    if previous.state is S.WAITING_RECALL:
        return Placement(S.WAITING_RECALL, previous_waits_for)
    if previous.state in (S.WAITING_RESULTS, S.RESULTS_OVERDUE):  # held for a kept package
        return Placement(S.WAITING_RESULTS, previous_waits_for)
    return Placement(S.WAITING_RECALL, previous.id)
