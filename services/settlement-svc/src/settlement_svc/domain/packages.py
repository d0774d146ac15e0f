"""A package's handshake with the post office: its states and every rule that reads them.

A package is one version of a payment list (seed 002 §C–F). It is ``sent`` until the post
office accepts it with the same count, total and checksum (``acknowledged``), sent again with
back-off while unanswered, and left in ``alert`` for an officer after the last attempt. A new
version of a list already out asks for a recall and waits (``waiting_recall``) until the old
one comes back ``recalled``; a recall never answered ends in ``recall_unanswered``. A district
without a connection to the post office keeps its packages ``manual``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Literal
from uuid import UUID

from settlement_svc.domain.errors import PackageNotStuck


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
)
AWAITING_ANSWER = (S.SENT, S.RECALL_REQUESTED)  # sent again (or recalled again) when overdue
AWAITING_ACKNOWLEDGEMENT = (S.SENT, S.ALERT)
RECALLABLE = (S.SENT, S.ACKNOWLEDGED, S.ALERT)  # a new version asks the post office for these
ENDED = (S.REJECTED, S.RECALLED, S.SUPERSEDED)  # results for these change nothing

Kind = Literal["monthly", "funeral"]
RejectionReason = Literal["invalid", "checksum_mismatch", "recalled", "late", "duplicate", "other"]


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


@dataclass(frozen=True)
class Registration:
    """What a newly submitted list version becomes, and what happens to the one it replaces."""

    state: PackageState
    supersede_previous: bool = False
    recall_previous: bool = False


def register(integrated: bool, previous: PackageState | None) -> Registration:
    """A new version is ``manual`` in a district without the post office. Otherwise it is
    sent at once, unless a previous version is still out: then it waits for the recall,
    which is asked for only if the previous one is not being recalled already."""
    if not integrated:
        return Registration(S.MANUAL)
    if previous is None:
        return Registration(S.SENT)
    if previous in (S.WAITING_RECALL, S.MANUAL):
        return Registration(S.SENT, supersede_previous=True)
    return Registration(S.WAITING_RECALL, recall_previous=previous in RECALLABLE)


def given_up(package: Package, policy: Policy) -> PackageState | None:
    """Where a package whose answer is overdue ends once every attempt is used (``alert``
    for a package, ``recall_unanswered`` for a recall); None while attempts remain."""
    if not attempts_used(package, policy):
        return None
    return S.ALERT if package.state is S.SENT else S.RECALL_UNANSWERED


def check_retry(package: Package) -> None:
    """An officer tries again only a package left in ``alert`` or ``recall_unanswered``."""
    if package.state not in (S.ALERT, S.RECALL_UNANSWERED):
        raise PackageNotStuck(package.state)


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


class Rejection(StrEnum):
    RECALLED = "recalled"  # given back on our request
    RESEND = "resend"  # the post office received it damaged: send it again
    REJECTED = "rejected"


def on_rejection(state: PackageState, reason: str) -> Rejection | None:
    """What a rejection means for a package in ``state``; None: it changes nothing (a
    duplicate, or an answer to a package already settled otherwise)."""
    if reason == "recalled":
        return Rejection.RECALLED if state in (S.RECALL_REQUESTED, S.RECALL_UNANSWERED) else None
    if reason == "checksum_mismatch" and state in AWAITING_ACKNOWLEDGEMENT:
        return Rejection.RESEND
    if state in (S.SENT, S.ALERT, S.ACKNOWLEDGED):
        return Rejection.REJECTED
    return None


def takes_results(state: PackageState) -> bool:
    return state not in ENDED
