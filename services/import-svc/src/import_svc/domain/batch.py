"""A batch's lifecycle as a state machine, and the guards that say when it may be edited,
validated or confirmed.

DOMAIN "Excel imports": parsing → awaiting_review → confirmed → applied, partially_applied or
refused; failed for a file that could not be read. A row edited in review is ``unvalidated``
until the batch is validated again. ``TRANSITIONS`` is the whole machine: ``transition`` says
whether an event may move a batch from where it is, and where to; ``sources`` and ``target``
are what the adapters' updates guard with (``WHERE status = ANY(sources)``), so the SQL holds
no status of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from import_svc.domain.columns import Kind
from import_svc.domain.errors import (
    AlreadyConfirmed,
    BatchFailed,
    BatchNotEditable,
    BatchNotInReview,
    CommuneUnknown,
    InvalidRowsLeft,
    NoFiles,
    RowsNotValidated,
    TooManyFiles,
    UploadLengthMissing,
    UploadTooLarge,
)

Status = Literal[
    "parsing", "awaiting_review", "failed", "confirmed", "applied", "partially_applied", "refused"
]
INITIAL: Status = "parsing"
IN_REVIEW = "awaiting_review"
Event = Literal["parsed", "read_failed", "confirm", "applied", "partially_applied", "refused"]
Applied = Literal["applied", "partially_applied"]  # both an event and the status it leads to
TRANSITIONS: dict[tuple[Status, Event], Status] = {
    ("parsing", "parsed"): "awaiting_review",
    ("parsing", "read_failed"): "failed",
    ("awaiting_review", "confirm"): "confirmed",
    ("confirmed", "applied"): "applied",
    ("confirmed", "partially_applied"): "partially_applied",
    ("confirmed", "refused"): "refused",
}
FINAL: frozenset[Status] = frozenset({"failed", "applied", "partially_applied", "refused"})


def transition(status: Status, event: Event) -> Status | None:
    """Where ``event`` takes a batch in ``status``; None when it may not happen there."""
    return TRANSITIONS.get((status, event))


def sources(event: Event) -> list[Status]:
    """The statuses ``event`` may move a batch from (sorted): an update for ``event`` changes
    a batch only in one of them."""
    return sorted({status for status, e in TRANSITIONS if e == event})


def target(event: Event) -> Status:
    """Where ``event`` takes a batch: one status per event, whichever status it came from."""
    (to,) = {to for (_, e), to in TRANSITIONS.items() if e == event}
    return to


@dataclass(frozen=True)
class Progress:
    """How far the parse of an uploaded file has come: its phase (queued, reading, staging,
    done, failed) and the rows read, validated and staged so far."""

    phase: str
    read: int = 0
    validated: int = 0
    staged: int = 0

    def more(self, read: int = 0, validated: int = 0, staged: int = 0) -> Progress:
        return replace(
            self,
            read=self.read + read,
            validated=self.validated + validated,
            staged=self.staged + staged,
        )


def check_upload(files: int, most: int) -> None:
    if not files:
        raise NoFiles()
    if files > most:
        raise TooManyFiles(most)


def check_upload_size(declared: int | None, most: int) -> None:
    """An upload says its size before it is read, and stays within ``most`` bytes."""
    if declared is None:
        raise UploadLengthMissing()
    if declared > most:
        raise UploadTooLarge(most)


def ensure_editable(status: str) -> None:
    if status != IN_REVIEW:
        raise BatchNotEditable(status)


def ensure_in_review(status: str) -> None:
    """Validating again needs the batch still in review."""
    if status != IN_REVIEW:
        raise BatchNotInReview(status)


def ensure_confirmable(
    status: str,
    commune: str | None,
    invalid: int,
    duplicates: int,
    skip_invalid: bool,
    unvalidated: int = 0,
) -> None:
    """Confirmed once, for a known commune, with every edited row validated again, and no
    invalid or duplicate row left unless the officer chose to skip them."""
    if status == "failed":
        raise BatchFailed(status)
    if status != IN_REVIEW:
        raise AlreadyConfirmed(status)
    if commune is None:
        raise CommuneUnknown()
    if unvalidated:
        raise RowsNotValidated(unvalidated)
    left = invalid + duplicates
    if left and not skip_invalid:
        raise InvalidRowsLeft(left)


def amount_field(kind: Kind) -> str | None:
    """The field whose sum a confirmed transfer's manifest carries."""
    return "arrears_amount" if kind == "arrears" else None


def applied_status(any_rejected: bool) -> Applied:
    return "partially_applied" if any_rejected else "applied"
