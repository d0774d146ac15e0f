"""A package's lifecycle as one table: state × what happens → the next state and its effects.

What happens (``Event``) is the post office's word, the clock, the list's next version, or an
officer's action. ``step`` reads ``TABLE``: a ``Move`` (next state and the effects a handler
carries out, in order), ``None`` for a repeat that changes nothing, or a ``Reason`` the event
is refused for (stored, counted and shown to the officer: never a silent drop). Guards are
made into events before the table is read (``on_acceptance``, ``on_rejection``,
``on_no_answer``), so the table alone says what moves where (DOMAIN.md "The payment unit",
"The post office is a partner…"):

- at most one live package per list at the post office: a new version waits for the recall
  of the one out there (``WAITING_RECALL``), and a newer one still takes the waiting one's
  place and waits for the same recall;
- a package gone back (recalled or rejected) releases the version waiting for it; one the
  post office keeps (the recall refused: people are paid) is live again, and the version
  waiting for it goes out as a new package holding only the people not paid in the kept one
  (``unpaid_rest``); the lines of people paid there are left out and keep their paid status,
  so nobody is paid twice; if everyone is paid there, nothing goes out and an officer is told;
- the refusal states how many people the post office has paid in the kept package; while
  fewer "paid" results than that have reached us, some are still in transit and we cannot
  tell who they are: the new version is held (``WAITING_RESULTS``) until they have come,
  then goes out without them. Results that never come leave it ``RESULTS_OVERDUE`` after
  the time-out, for an officer to release by hand with a reason (``OFFICER_RELEASE``);
- a recall refused before the package's acceptance reached us (lost or late) is its
  acceptance too: the post office holds it, so it is live and its settlement opens as for an
  accepted one;
- results and reports are taken only from packages the post office holds; a package that has
  results is not thrown away by a late rejection;
- a person-month is paid at most once (``domain.words.screen_results``): once a newer
  version holding a person has gone to the post office, a kept package's word about that
  person is raised, not applied (the post office was to pay the rest through the new
  package); and a result paying a person already paid in another package of the list is
  raised, never applied;
- a package kept by hand, or ended, closes its settlement when it is replaced.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from settlement_svc.domain.packages import PackageState

S = PackageState


class Event(StrEnum):
    # the post office
    ACCEPTED = "accepted"  # with the count, total and checksum sent
    ACCEPTED_WRONG = "accepted_wrong"  # with something else; attempts remain
    ACCEPTED_WRONG_LAST = "accepted_wrong_last"  # with something else; every attempt used
    REJECTED = "rejected"  # invalid, late, duplicate, other
    REJECTED_DAMAGED = "rejected_damaged"  # checksum_mismatch: received damaged
    REJECTED_AFTER_RESULTS = "rejected_after_results"  # any rejection once results came
    RECALLED = "recalled"  # given back on our request
    RECALL_REFUSED = "recall_refused"  # kept: people in it are paid already
    # kept, and its acceptance never reached us (lost or late): the refusal says it holds it
    RECALL_REFUSED_UNACCEPTED = "recall_refused_unaccepted"
    RESULTS = "results"
    REPORT = "report"  # the settlement report
    EXTENSION_ASKED = "extension_asked"  # the post office asks for more days to settle
    # the clock
    NO_ANSWER = "no_answer"  # an answer is overdue, attempts remain
    NO_ANSWER_LAST = "no_answer_last"  # an answer is overdue, every attempt used
    # the list's next version
    NEW_VERSION = "new_version"  # a newer version of the list replaces this one
    RELEASED = "released"  # the package this one waited for is back from the post office
    # the package this one waited for is kept by the post office (people paid in it): this one
    # goes out with the people not paid there (``on_live_kept``)
    LIVE_KEPT = "live_kept"
    # released or kept, everyone in this version is paid in a package the post office holds:
    # nothing to send (``on_released``, ``on_live_kept``)
    ALL_PAID = "all_paid"
    # kept, but fewer paid results have reached us than the refusal counts: some are still in
    # transit, the people they pay unknown (``on_live_kept``)
    RESULTS_OWED = "results_owed"
    # the officer
    RETRY = "retry"
    # a version held past the time-out for the kept package's results, let go with a reason
    OFFICER_RELEASE = "officer_release"


class Effect(StrEnum):
    RESTART = "restart"  # attempts counted from 0 again
    SEND = "send"  # send the package (again) and wait for the answer
    ASK_RECALL = "ask_recall"  # ask the post office for it back, and wait
    NOTE_MISMATCH = "note_mismatch"  # keep what the post office counted
    ALERT = "alert"  # an officer is needed
    OPEN_SETTLEMENT = "open_settlement"
    CLOSE_SETTLEMENT = "close_settlement"  # the package ended or was replaced: nothing to settle
    RELEASE_WAITING = "release_waiting"  # the version waiting for this one goes out
    # kept by the post office: the version waiting for this one goes out, for the unpaid only
    RELEASE_WAITING_UNPAID = "release_waiting_unpaid"
    # the lines of people paid in a package of the list the post office holds (the kept one)
    # are taken out of this one (count, total and checksum again); payment-svc is told they
    # stay paid. Nobody is left out when no such package is held (an ordinary release)
    LEAVE_OUT_PAID = "leave_out_paid"
    RECORD_RESULTS = "record_results"
    RECORD_REPORT = "record_report"
    EMIT_ACKNOWLEDGED = "emit_acknowledged"
    EMIT_REJECTED = "emit_rejected"
    NOTE_REJECTION = "note_rejection"  # keep the post office's reason; the officer sees it
    RECORD_EXTENSION_REQUEST = "record_extension_request"  # shown to the officer, who decides
    HOLD = "hold"  # wait for the kept package's paid results, until the time-out


class Reason(StrEnum):
    """Why a message from the post office (or an officer's action) is refused."""

    UNKNOWN_PACKAGE = "unknown_package"
    VERSION_MISMATCH = "version_mismatch"
    NOT_SENT = "package_not_sent"  # waiting for a recall: the post office never had it
    MANUAL = "package_manual"  # kept by hand in a district without the post office
    ENDED = "package_ended"  # rejected, recalled or superseded: no longer live
    NOT_ACKNOWLEDGED = "package_not_acknowledged"  # a settlement before the acceptance
    NOT_ASKED_BACK = "recall_not_requested"
    ACCEPTANCE_DISAGREES = "acceptance_disagrees"
    REJECTED_AFTER_RESULTS = "rejected_after_results"
    RESULT_DISAGREES = "result_disagrees"
    RESULT_DISAGREES_MANUAL = "result_disagrees_manual"  # with a status a supervisor set
    UNKNOWN_LINE = "unknown_line"
    REPORT_TOTALS = "report_totals_mismatch"
    NO_OPEN_SETTLEMENT = "no_open_settlement"
    REPORT_AGAIN = "report_differs"  # a second, different report for a settlement received
    NOT_STUCK = "package_not_stuck"
    SETTLEMENT_CLOSED = "settlement_closed"  # an extension asked for a settlement closed
    EXTENSION_TOO_LONG = "extension_too_long"  # with what was granted: 20 days or more
    NOT_HELD = "package_not_held"  # an officer's release of a package not held past time-out
    # one person's result, not applied (``screen_results``): a person-month is paid once
    PERSON_MOVED = "person_in_newer_package"  # a kept package's word on someone sent again
    PAID_ELSEWHERE = "paid_in_other_package"  # paid already in another package of the list


@dataclass(frozen=True)
class Move:
    to: PackageState
    effects: tuple[Effect, ...] = ()


E, X = Event, Effect
AT_POST_OFFICE = (S.SENT, S.ACKNOWLEDGED, S.ALERT, S.RECALL_REQUESTED, S.RECALL_UNANSWERED)
POSTOFFICE_EVENTS = frozenset(
    {
        E.ACCEPTED,
        E.ACCEPTED_WRONG,
        E.ACCEPTED_WRONG_LAST,
        E.REJECTED,
        E.REJECTED_DAMAGED,
        E.REJECTED_AFTER_RESULTS,
        E.RECALLED,
        E.RECALL_REFUSED,
        E.RECALL_REFUSED_UNACCEPTED,
        E.RESULTS,
        E.REPORT,
        E.EXTENSION_ASKED,
    }
)
_ACKNOWLEDGE = Move(S.ACKNOWLEDGED, (X.OPEN_SETTLEMENT, X.EMIT_ACKNOWLEDGED))
_RESEND = (X.NOTE_MISMATCH, X.SEND)
_GONE = (X.NOTE_REJECTION, X.CLOSE_SETTLEMENT, X.EMIT_REJECTED)
_GONE_BACK = (X.CLOSE_SETTLEMENT, X.RELEASE_WAITING, X.EMIT_REJECTED)  # recalled, as asked
_REJECTED_BACK = (X.NOTE_REJECTION, *_GONE_BACK)  # rejected while being recalled
_ASK_BACK = Move(S.RECALL_REQUESTED, (X.RESTART, X.ASK_RECALL))
_STAY = {state: Move(state, (X.RECORD_RESULTS,)) for state in AT_POST_OFFICE}
_REPORT = {state: Move(state, (X.RECORD_REPORT,)) for state in AT_POST_OFFICE}
_ASKED = {state: Move(state, (X.RECORD_EXTENSION_REQUEST,)) for state in AT_POST_OFFICE}
_BEING_RECALLED: dict[Event, Move | Reason | None] = {
    E.ACCEPTED: None,  # a late acceptance: the recall answers for it
    E.ACCEPTED_WRONG: None,
    E.ACCEPTED_WRONG_LAST: None,
    E.REJECTED: Move(S.REJECTED, _REJECTED_BACK),
    E.REJECTED_DAMAGED: Move(S.REJECTED, _REJECTED_BACK),
    E.RECALLED: Move(S.RECALLED, _GONE_BACK),
    # once it has paid people the post office keeps the package (it will pay and settle it):
    # live again; the changed list goes in a new package for the people not yet paid
    E.RECALL_REFUSED: Move(S.ACKNOWLEDGED, (X.RELEASE_WAITING_UNPAID,)),
    # the same before its acceptance reached us: the refusal is the acceptance (it holds the
    # package and has paid in it), so its settlement opens and payment-svc is told
    E.RECALL_REFUSED_UNACCEPTED: Move(
        S.ACKNOWLEDGED, (X.OPEN_SETTLEMENT, X.EMIT_ACKNOWLEDGED, X.RELEASE_WAITING_UNPAID)
    ),
    E.NEW_VERSION: None,  # asked back already
}

_SEND_UNPAID = Move(S.SENT, (X.LEAVE_OUT_PAID, X.SEND))
# a version held for the kept package's results, when they have come (or a newer one came)
_RESULTS_CAME: dict[Event, Move | Reason | None] = {
    E.NEW_VERSION: Move(S.SUPERSEDED),
    E.LIVE_KEPT: _SEND_UNPAID,
    E.ALL_PAID: Move(S.SUPERSEDED, (X.LEAVE_OUT_PAID, X.ALERT)),
}

# state → event → Move | Reason (refused) | None (a repeat: nothing changes). An event a state
# does not list is refused with ``_REFUSED[state]`` if it comes from the post office, and
# changes nothing otherwise (the clock or a release that raced an answer).
TABLE: Mapping[PackageState, Mapping[Event, Move | Reason | None]] = {
    S.SENT: {
        E.ACCEPTED: _ACKNOWLEDGE,
        E.ACCEPTED_WRONG: Move(S.SENT, _RESEND),
        E.ACCEPTED_WRONG_LAST: Move(S.ALERT, (X.NOTE_MISMATCH, X.ALERT)),
        E.REJECTED: Move(S.REJECTED, _GONE),
        E.REJECTED_DAMAGED: Move(S.SENT, (X.SEND,)),
        E.RESULTS: _STAY[S.SENT],
        E.REPORT: Reason.NOT_ACKNOWLEDGED,
        E.EXTENSION_ASKED: Reason.NOT_ACKNOWLEDGED,  # no settlement to extend yet
        E.NO_ANSWER: Move(S.SENT, (X.SEND,)),
        E.NO_ANSWER_LAST: Move(S.ALERT, (X.ALERT,)),
        E.NEW_VERSION: _ASK_BACK,
    },
    S.ALERT: {
        E.ACCEPTED: _ACKNOWLEDGE,
        E.ACCEPTED_WRONG: Move(S.ALERT, (X.NOTE_MISMATCH,)),
        E.ACCEPTED_WRONG_LAST: Move(S.ALERT, (X.NOTE_MISMATCH,)),
        E.REJECTED: Move(S.REJECTED, _GONE),
        E.REJECTED_DAMAGED: Move(S.SENT, (X.SEND,)),
        E.RESULTS: _STAY[S.ALERT],
        E.REPORT: Reason.NOT_ACKNOWLEDGED,
        E.EXTENSION_ASKED: Reason.NOT_ACKNOWLEDGED,
        E.NEW_VERSION: _ASK_BACK,
        E.RETRY: Move(S.SENT, (X.RESTART, X.SEND)),
    },
    S.ACKNOWLEDGED: {
        E.ACCEPTED: None,
        E.ACCEPTED_WRONG: Reason.ACCEPTANCE_DISAGREES,
        E.ACCEPTED_WRONG_LAST: Reason.ACCEPTANCE_DISAGREES,
        E.REJECTED: Move(S.REJECTED, _GONE),
        E.REJECTED_DAMAGED: Move(S.REJECTED, _GONE),
        E.RESULTS: _STAY[S.ACKNOWLEDGED],
        E.REPORT: _REPORT[S.ACKNOWLEDGED],
        E.EXTENSION_ASKED: _ASKED[S.ACKNOWLEDGED],
        E.NEW_VERSION: _ASK_BACK,
    },
    S.RECALL_REQUESTED: {
        **_BEING_RECALLED,
        E.RESULTS: _STAY[S.RECALL_REQUESTED],  # paid before the recall arrived: genuine
        E.REPORT: _REPORT[S.RECALL_REQUESTED],
        E.EXTENSION_ASKED: _ASKED[S.RECALL_REQUESTED],  # it may have paid: its settlement stands
        E.NO_ANSWER: Move(S.RECALL_REQUESTED, (X.ASK_RECALL,)),
        E.NO_ANSWER_LAST: Move(S.RECALL_UNANSWERED, (X.ALERT,)),
    },
    S.RECALL_UNANSWERED: {
        **_BEING_RECALLED,
        E.RESULTS: _STAY[S.RECALL_UNANSWERED],
        E.REPORT: _REPORT[S.RECALL_UNANSWERED],
        E.EXTENSION_ASKED: _ASKED[S.RECALL_UNANSWERED],
        E.RETRY: _ASK_BACK,
    },
    S.WAITING_RECALL: {
        E.NEW_VERSION: Move(S.SUPERSEDED),
        E.RELEASED: _SEND_UNPAID,
        E.LIVE_KEPT: _SEND_UNPAID,
        E.ALL_PAID: Move(S.SUPERSEDED, (X.LEAVE_OUT_PAID, X.ALERT)),
        E.RESULTS_OWED: Move(S.WAITING_RESULTS, (X.HOLD,)),
    },
    S.WAITING_RESULTS: {
        **_RESULTS_CAME,
        E.RESULTS_OWED: None,  # still owed: held as it is
        E.NO_ANSWER: Move(S.RESULTS_OVERDUE, (X.ALERT,)),
        E.NO_ANSWER_LAST: Move(S.RESULTS_OVERDUE, (X.ALERT,)),
    },
    S.RESULTS_OVERDUE: {
        **_RESULTS_CAME,  # the results came late, before an officer released it
        E.RESULTS_OWED: None,
        E.OFFICER_RELEASE: _SEND_UNPAID,
    },
    S.MANUAL: {E.NEW_VERSION: Move(S.SUPERSEDED, (X.CLOSE_SETTLEMENT,))},
    S.REJECTED: {E.REJECTED: None, E.REJECTED_DAMAGED: None},
    S.RECALLED: {E.RECALLED: None},
    S.SUPERSEDED: {},
}
_REFUSED: Mapping[PackageState, Reason] = {
    S.WAITING_RECALL: Reason.NOT_SENT,
    S.WAITING_RESULTS: Reason.NOT_SENT,
    S.RESULTS_OVERDUE: Reason.NOT_SENT,
    S.MANUAL: Reason.MANUAL,
    S.REJECTED: Reason.ENDED,
    S.RECALLED: Reason.ENDED,
    S.SUPERSEDED: Reason.ENDED,
    S.SENT: Reason.NOT_ASKED_BACK,  # the only post-office event these states do not list:
    S.ALERT: Reason.NOT_ASKED_BACK,  # RECALLED (and a rejection once results came)
    S.ACKNOWLEDGED: Reason.NOT_ASKED_BACK,
    S.RECALL_REQUESTED: Reason.REJECTED_AFTER_RESULTS,
    S.RECALL_UNANSWERED: Reason.REJECTED_AFTER_RESULTS,
}


def step(state: PackageState, event: Event) -> Move | Reason | None:
    """What ``event`` does to a package in ``state``."""
    moves = TABLE[state]
    if event in moves:
        return moves[event]
    if event is E.REJECTED_AFTER_RESULTS and state in AT_POST_OFFICE:
        return Reason.REJECTED_AFTER_RESULTS
    if event in POSTOFFICE_EVENTS:
        return _REFUSED[state]
    if event is E.RETRY:
        return Reason.NOT_STUCK
    if event is E.OFFICER_RELEASE:
        return Reason.NOT_HELD
    return None


# ------------------------------------------------------------------ guards, as events


def on_acceptance(matches: bool, attempts_used: bool) -> Event:
    if matches:
        return E.ACCEPTED
    return E.ACCEPTED_WRONG_LAST if attempts_used else E.ACCEPTED_WRONG


def on_rejection(reason: str, has_results: bool) -> Event:
    """``recalled`` answers our recall; any other rejection of a package some results came
    for would throw genuine results away, and is refused."""
    if reason == "recalled":
        return E.RECALLED
    if has_results:
        return E.REJECTED_AFTER_RESULTS
    return E.REJECTED_DAMAGED if reason == "checksum_mismatch" else E.REJECTED


def on_no_answer(attempts_used: bool) -> Event:
    return E.NO_ANSWER_LAST if attempts_used else E.NO_ANSWER


def on_recall_refusal(accepted_before: bool) -> Event:
    """A refused recall of a package whose acceptance we had, or never got."""
    return E.RECALL_REFUSED if accepted_before else E.RECALL_REFUSED_UNACCEPTED


Row = Mapping[str, Any]


@dataclass(frozen=True)
class UnpaidRest:
    """A waiting version split by the package the post office kept."""

    sent: list[Row]  # lines of people not paid in the kept package: the new package
    left_out: list[Row]  # lines of people paid there: not sent, they stay paid


def unpaid_rest(rows: Sequence[Row], paid_people: Collection[str]) -> UnpaidRest:
    """``rows`` (a waiting version's lines, in order) without the people paid in a package of
    the list the post office holds (``paid_people``: their beneficiary ids). A person is a
    beneficiary, not a line: the new version's line ids are its own."""

    def paid(row: Row) -> bool:  # a line naming no beneficiary is never taken for one
        person = row.get("beneficiary_id")
        return person is not None and str(person) in paid_people

    return UnpaidRest([r for r in rows if not paid(r)], [r for r in rows if paid(r)])


def results_in(known_paid: int, stated_paid: int | None) -> bool:
    """Whether every "paid" result the post office's refusal counted (``stated_paid``, None
    if no refusal counted any) has reached us for the kept package (``known_paid``)."""
    return stated_paid is None or known_paid >= stated_paid


def on_live_kept(rest: UnpaidRest, results_came: bool = True) -> Event:
    """The package waited for is kept: the waiting version goes out for the unpaid once the
    paid results the refusal counted are all here (``results_in``), and is held until then;
    nothing goes out if everyone in it is known paid."""
    if not rest.sent:
        return E.ALL_PAID
    return E.LIVE_KEPT if results_came else E.RESULTS_OWED


def on_officer_release(rest: UnpaidRest) -> Event:
    """An officer lets a held version go without the results owed: the people known paid
    are still left out; if that is everyone, nothing goes out."""
    return E.OFFICER_RELEASE if rest.sent else E.ALL_PAID


def on_released(rest: UnpaidRest) -> Event:
    """The package waited for is back; a package the post office kept earlier may still
    hold people paid (v1 kept, v2 sent for the unpaid, v3 replaces v2): they stay out."""
    return E.RELEASED if rest.sent else E.ALL_PAID
