"""The package lifecycle table (issue 15): every move, every refusal, every repeat, written
out by hand from DOMAIN.md "The payment unit" and "The post office is a partner…"."""

from uuid import uuid4

import pytest
from settlement_svc.domain.lifecycle import (
    TABLE,
    Effect,
    Event,
    Move,
    Reason,
    on_acceptance,
    on_live_kept,
    on_no_answer,
    on_officer_release,
    on_recall_refusal,
    on_rejection,
    on_released,
    results_in,
    step,
    unpaid_rest,
)
from settlement_svc.domain.packages import Package, PackageState, Placement, place
from settlement_svc.domain.words import check_extension_request, check_report, sort_results

S, E, X, R = PackageState, Event, Effect, Reason

HELD = (S.WAITING_RESULTS, S.RESULTS_OVERDUE)  # a new version held for a kept one's results

MOVES = [
    # sent, and answered
    (S.SENT, E.ACCEPTED, S.ACKNOWLEDGED, (X.OPEN_SETTLEMENT, X.EMIT_ACKNOWLEDGED)),
    (S.ALERT, E.ACCEPTED, S.ACKNOWLEDGED, (X.OPEN_SETTLEMENT, X.EMIT_ACKNOWLEDGED)),
    (S.SENT, E.ACCEPTED_WRONG, S.SENT, (X.NOTE_MISMATCH, X.SEND)),
    (S.SENT, E.ACCEPTED_WRONG_LAST, S.ALERT, (X.NOTE_MISMATCH, X.ALERT)),
    (S.ALERT, E.ACCEPTED_WRONG, S.ALERT, (X.NOTE_MISMATCH,)),
    (S.ALERT, E.ACCEPTED_WRONG_LAST, S.ALERT, (X.NOTE_MISMATCH,)),
    # rejected: the reason kept for the officer, payment-svc told (a new version may go)
    (S.SENT, E.REJECTED, S.REJECTED, (X.NOTE_REJECTION, X.CLOSE_SETTLEMENT, X.EMIT_REJECTED)),
    (S.ALERT, E.REJECTED, S.REJECTED, (X.NOTE_REJECTION, X.CLOSE_SETTLEMENT, X.EMIT_REJECTED)),
    (
        S.ACKNOWLEDGED,
        E.REJECTED,
        S.REJECTED,
        (X.NOTE_REJECTION, X.CLOSE_SETTLEMENT, X.EMIT_REJECTED),
    ),
    (
        S.ACKNOWLEDGED,
        E.REJECTED_DAMAGED,
        S.REJECTED,
        (X.NOTE_REJECTION, X.CLOSE_SETTLEMENT, X.EMIT_REJECTED),
    ),
    (S.SENT, E.REJECTED_DAMAGED, S.SENT, (X.SEND,)),
    (S.ALERT, E.REJECTED_DAMAGED, S.SENT, (X.SEND,)),
    # given back: the version waiting for it goes out
    (
        S.RECALL_REQUESTED,
        E.RECALLED,
        S.RECALLED,
        (X.CLOSE_SETTLEMENT, X.RELEASE_WAITING, X.EMIT_REJECTED),
    ),
    (
        S.RECALL_UNANSWERED,
        E.RECALLED,
        S.RECALLED,
        (X.CLOSE_SETTLEMENT, X.RELEASE_WAITING, X.EMIT_REJECTED),
    ),
    (
        S.RECALL_REQUESTED,
        E.REJECTED,
        S.REJECTED,
        (X.NOTE_REJECTION, X.CLOSE_SETTLEMENT, X.RELEASE_WAITING, X.EMIT_REJECTED),
    ),
    (
        S.RECALL_UNANSWERED,
        E.REJECTED_DAMAGED,
        S.REJECTED,
        (X.NOTE_REJECTION, X.CLOSE_SETTLEMENT, X.RELEASE_WAITING, X.EMIT_REJECTED),
    ),
    (
        S.RECALL_REQUESTED,
        E.REJECTED_DAMAGED,
        S.REJECTED,
        (X.NOTE_REJECTION, X.CLOSE_SETTLEMENT, X.RELEASE_WAITING, X.EMIT_REJECTED),
    ),
    (
        S.RECALL_UNANSWERED,
        E.REJECTED,
        S.REJECTED,
        (X.NOTE_REJECTION, X.CLOSE_SETTLEMENT, X.RELEASE_WAITING, X.EMIT_REJECTED),
    ),
    # results and the report, from a package the post office holds
    (S.SENT, E.RESULTS, S.SENT, (X.RECORD_RESULTS,)),
    (S.ALERT, E.RESULTS, S.ALERT, (X.RECORD_RESULTS,)),
    (S.ACKNOWLEDGED, E.RESULTS, S.ACKNOWLEDGED, (X.RECORD_RESULTS,)),
    (S.RECALL_REQUESTED, E.RESULTS, S.RECALL_REQUESTED, (X.RECORD_RESULTS,)),
    (S.RECALL_UNANSWERED, E.RESULTS, S.RECALL_UNANSWERED, (X.RECORD_RESULTS,)),
    (S.ACKNOWLEDGED, E.REPORT, S.ACKNOWLEDGED, (X.RECORD_REPORT,)),
    (S.RECALL_REQUESTED, E.REPORT, S.RECALL_REQUESTED, (X.RECORD_REPORT,)),
    (S.RECALL_UNANSWERED, E.REPORT, S.RECALL_UNANSWERED, (X.RECORD_REPORT,)),
    # the post office asks for more days: recorded for the officer, who decides
    (S.ACKNOWLEDGED, E.EXTENSION_ASKED, S.ACKNOWLEDGED, (X.RECORD_EXTENSION_REQUEST,)),
    (
        S.RECALL_REQUESTED,
        E.EXTENSION_ASKED,
        S.RECALL_REQUESTED,
        (X.RECORD_EXTENSION_REQUEST,),
    ),
    (
        S.RECALL_UNANSWERED,
        E.EXTENSION_ASKED,
        S.RECALL_UNANSWERED,
        (X.RECORD_EXTENSION_REQUEST,),
    ),
    # the clock
    (S.SENT, E.NO_ANSWER, S.SENT, (X.SEND,)),
    (S.SENT, E.NO_ANSWER_LAST, S.ALERT, (X.ALERT,)),
    (S.RECALL_REQUESTED, E.NO_ANSWER, S.RECALL_REQUESTED, (X.ASK_RECALL,)),
    (S.RECALL_REQUESTED, E.NO_ANSWER_LAST, S.RECALL_UNANSWERED, (X.ALERT,)),
    # the next version of the list
    (S.SENT, E.NEW_VERSION, S.RECALL_REQUESTED, (X.RESTART, X.ASK_RECALL)),
    (S.ACKNOWLEDGED, E.NEW_VERSION, S.RECALL_REQUESTED, (X.RESTART, X.ASK_RECALL)),
    (S.ALERT, E.NEW_VERSION, S.RECALL_REQUESTED, (X.RESTART, X.ASK_RECALL)),
    (S.WAITING_RECALL, E.NEW_VERSION, S.SUPERSEDED, ()),
    (S.MANUAL, E.NEW_VERSION, S.SUPERSEDED, (X.CLOSE_SETTLEMENT,)),
    # released: people paid in a package of the list the post office still holds (one it
    # kept earlier) are left out first; in an ordinary release there are none
    (S.WAITING_RECALL, E.RELEASED, S.SENT, (X.LEAVE_OUT_PAID, X.SEND)),
    # the officer
    (S.ALERT, E.RETRY, S.SENT, (X.RESTART, X.SEND)),
    (S.RECALL_UNANSWERED, E.RETRY, S.RECALL_REQUESTED, (X.RESTART, X.ASK_RECALL)),
    # the recall refused (people paid): the post office keeps it, live again, and the version
    # waiting for it goes out for the people not paid in it
    (S.RECALL_REQUESTED, E.RECALL_REFUSED, S.ACKNOWLEDGED, (X.RELEASE_WAITING_UNPAID,)),
    (S.RECALL_UNANSWERED, E.RECALL_REFUSED, S.ACKNOWLEDGED, (X.RELEASE_WAITING_UNPAID,)),
    # the same before its acceptance reached us: the refusal stands for the acceptance (the
    # settlement opens, payment-svc is told), then the waiting version goes out the same way
    *[
        (
            s,
            E.RECALL_REFUSED_UNACCEPTED,
            S.ACKNOWLEDGED,
            (X.OPEN_SETTLEMENT, X.EMIT_ACKNOWLEDGED, X.RELEASE_WAITING_UNPAID),
        )
        for s in (S.RECALL_REQUESTED, S.RECALL_UNANSWERED)
    ],
    # the waiting version: the paid people's lines left out first, then sent
    (S.WAITING_RECALL, E.LIVE_KEPT, S.SENT, (X.LEAVE_OUT_PAID, X.SEND)),
    # everyone paid in the kept package: nothing to send, an officer is told
    (S.WAITING_RECALL, E.ALL_PAID, S.SUPERSEDED, (X.LEAVE_OUT_PAID, X.ALERT)),
    # kept, but some "paid" results the refusal counts are still in transit: held
    (S.WAITING_RECALL, E.RESULTS_OWED, S.WAITING_RESULTS, (X.HOLD,)),
    # they came (before or after the time-out): it goes out without the people now paid
    *[(s, E.LIVE_KEPT, S.SENT, (X.LEAVE_OUT_PAID, X.SEND)) for s in HELD],
    *[(s, E.ALL_PAID, S.SUPERSEDED, (X.LEAVE_OUT_PAID, X.ALERT)) for s in HELD],
    *[(s, E.NEW_VERSION, S.SUPERSEDED, ()) for s in HELD],  # the newer one is held instead
    # they never came: an officer is asked, and may let it go with a reason
    (S.WAITING_RESULTS, E.NO_ANSWER, S.RESULTS_OVERDUE, (X.ALERT,)),
    (S.WAITING_RESULTS, E.NO_ANSWER_LAST, S.RESULTS_OVERDUE, (X.ALERT,)),
    (S.RESULTS_OVERDUE, E.OFFICER_RELEASE, S.SENT, (X.LEAVE_OUT_PAID, X.SEND)),
]

REFUSALS = [
    # never at the post office, kept by hand, or no longer live
    *[(S.WAITING_RECALL, e, R.NOT_SENT) for e in (E.ACCEPTED, E.REJECTED, E.RECALLED)],
    *[(S.WAITING_RECALL, e, R.NOT_SENT) for e in (E.RESULTS, E.REPORT)],
    *[(S.MANUAL, e, R.MANUAL) for e in (E.ACCEPTED, E.REJECTED, E.RECALLED, E.RESULTS)],
    (S.MANUAL, E.REPORT, R.MANUAL),
    (S.WAITING_RECALL, E.EXTENSION_ASKED, R.NOT_SENT),
    (S.MANUAL, E.EXTENSION_ASKED, R.MANUAL),
    *[(s, E.EXTENSION_ASKED, R.ENDED) for s in (S.REJECTED, S.RECALLED, S.SUPERSEDED)],
    (S.SENT, E.EXTENSION_ASKED, R.NOT_ACKNOWLEDGED),  # no settlement open yet
    (S.ALERT, E.EXTENSION_ASKED, R.NOT_ACKNOWLEDGED),
    *[(S.REJECTED, e, R.ENDED) for e in (E.ACCEPTED, E.RECALLED, E.RESULTS, E.REPORT)],
    *[(S.RECALLED, e, R.ENDED) for e in (E.ACCEPTED, E.REJECTED, E.RESULTS, E.REPORT)],
    *[(S.SUPERSEDED, e, R.ENDED) for e in (E.ACCEPTED, E.REJECTED, E.RECALLED, E.RESULTS)],
    (S.SUPERSEDED, E.REPORT, R.ENDED),
    # what the post office may not say
    *[(s, E.RECALLED, R.NOT_ASKED_BACK) for s in (S.SENT, S.ALERT, S.ACKNOWLEDGED)],
    (S.SENT, E.REPORT, R.NOT_ACKNOWLEDGED),
    (S.ALERT, E.REPORT, R.NOT_ACKNOWLEDGED),
    (S.ACKNOWLEDGED, E.ACCEPTED_WRONG, R.ACCEPTANCE_DISAGREES),
    (S.ACKNOWLEDGED, E.ACCEPTED_WRONG_LAST, R.ACCEPTANCE_DISAGREES),
    *[
        (s, E.REJECTED_AFTER_RESULTS, R.REJECTED_AFTER_RESULTS)
        for s in (S.SENT, S.ALERT, S.ACKNOWLEDGED, S.RECALL_REQUESTED, S.RECALL_UNANSWERED)
    ],
    # a recall refused that was never asked, or for a package not (or no longer) there
    *[
        (s, e, R.NOT_ASKED_BACK)
        for s in (S.SENT, S.ALERT, S.ACKNOWLEDGED)
        for e in (E.RECALL_REFUSED, E.RECALL_REFUSED_UNACCEPTED)
    ],
    *[(S.WAITING_RECALL, e, R.NOT_SENT) for e in (E.RECALL_REFUSED, E.RECALL_REFUSED_UNACCEPTED)],
    *[(S.MANUAL, e, R.MANUAL) for e in (E.RECALL_REFUSED, E.RECALL_REFUSED_UNACCEPTED)],
    *[
        (s, e, R.ENDED)
        for s in (S.REJECTED, S.RECALLED, S.SUPERSEDED)
        for e in (E.RECALL_REFUSED, E.RECALL_REFUSED_UNACCEPTED)
    ],
    # an officer's retry of a package that is not stuck
    *[(s, E.RETRY, R.NOT_STUCK) for s in S if s not in (S.ALERT, S.RECALL_UNANSWERED)],
    # a held version was never sent: the post office's word about it is not believed
    *[
        (s, e, R.NOT_SENT)
        for s in HELD
        for e in (
            E.ACCEPTED,
            E.ACCEPTED_WRONG,
            E.REJECTED,
            E.RECALLED,
            E.RECALL_REFUSED,
            E.RECALL_REFUSED_UNACCEPTED,
            E.RESULTS,
            E.REPORT,
            E.EXTENSION_ASKED,
        )
    ],
    # an officer's release of a package not held past the time-out (while it still waits
    # for the results, too: the time-out is the officer's cue, not before)
    *[(s, E.OFFICER_RELEASE, R.NOT_HELD) for s in S if s is not S.RESULTS_OVERDUE],
]

REPEATS = [
    (S.ACKNOWLEDGED, E.ACCEPTED),  # the acceptance of a resend
    (S.REJECTED, E.REJECTED),
    (S.REJECTED, E.REJECTED_DAMAGED),
    (S.RECALLED, E.RECALLED),  # the answer to a recall asked twice
    *[(s, e) for s in (S.RECALL_REQUESTED, S.RECALL_UNANSWERED) for e in (E.ACCEPTED,)],
    *[
        (s, e)
        for s in (S.RECALL_REQUESTED, S.RECALL_UNANSWERED)
        for e in (E.ACCEPTED_WRONG, E.ACCEPTED_WRONG_LAST)
    ],
    (S.RECALL_REQUESTED, E.NEW_VERSION),  # asked back already
    (S.RECALL_UNANSWERED, E.NEW_VERSION),
    # the clock or a release racing an answer
    *[(s, E.NO_ANSWER) for s in S if s not in (S.SENT, S.RECALL_REQUESTED, S.WAITING_RESULTS)],
    (S.RESULTS_OVERDUE, E.NO_ANSWER_LAST),  # the officer is asked already
    *[(s, E.RELEASED) for s in S if s is not S.WAITING_RECALL],
    # the kept package's release reaches only a version waiting for it: anything else (sent
    # already, superseded by a newer one, ended) is left as it is — never sent twice
    *[
        (s, e)
        for s in S
        if s not in (S.WAITING_RECALL, *HELD)
        for e in (E.LIVE_KEPT, E.ALL_PAID, E.RESULTS_OWED)
    ],
    *[(s, E.RESULTS_OWED) for s in HELD],  # still owed: held as it is
]


@pytest.mark.parametrize(("state", "event", "to", "effects"), MOVES)
def test_every_move_of_the_table(
    state: PackageState, event: Event, to: PackageState, effects: tuple[Effect, ...]
) -> None:
    assert step(state, event) == Move(to, effects)


@pytest.mark.parametrize(("state", "event", "reason"), REFUSALS)
def test_every_refusal_has_its_reason(state: PackageState, event: Event, reason: Reason) -> None:
    assert step(state, event) is reason


@pytest.mark.parametrize(("state", "event"), REPEATS)
def test_a_repeat_or_a_race_changes_nothing(state: PackageState, event: Event) -> None:
    assert step(state, event) is None


def test_the_table_lists_nothing_the_tests_do_not() -> None:
    listed = {(s, e) for s, moves in TABLE.items() for e in moves}
    tested = (
        {(s, e) for s, e, *_ in MOVES}
        | {(s, e) for s, e, _ in REFUSALS}
        | {(s, e) for s, e in REPEATS}
    )
    assert listed <= tested
    assert set(TABLE) == set(S)


def test_no_package_reaches_the_post_office_while_another_of_its_list_is_there() -> None:
    """Only a package not at the post office is ever sent for the first time: one released
    from waiting (its predecessor back), never one replacing a package still out there —
    except the one DOMAIN.md names: the predecessor kept because people in it are paid, and
    then only with those people left out (``LEAVE_OUT_PAID`` before ``SEND``)."""
    first_sends = [
        (s, e)
        for s, moves in TABLE.items()
        for e, m in moves.items()
        if isinstance(m, Move) and X.SEND in m.effects and s not in (S.SENT, S.ALERT)
    ]
    assert first_sends == [
        (S.WAITING_RECALL, E.RELEASED),
        (S.WAITING_RECALL, E.LIVE_KEPT),
        (S.WAITING_RESULTS, E.LIVE_KEPT),
        (S.RESULTS_OVERDUE, E.LIVE_KEPT),
        (S.RESULTS_OVERDUE, E.OFFICER_RELEASE),
    ]


def test_an_acceptance_is_judged_by_what_was_sent_and_the_attempts_left() -> None:
    assert on_acceptance(matches=True, attempts_used=True) is E.ACCEPTED
    assert on_acceptance(matches=False, attempts_used=False) is E.ACCEPTED_WRONG
    assert on_acceptance(matches=False, attempts_used=True) is E.ACCEPTED_WRONG_LAST


@pytest.mark.parametrize(
    ("reason", "has_results", "event"),
    [
        ("recalled", False, E.RECALLED),
        ("recalled", True, E.RECALLED),
        ("checksum_mismatch", False, E.REJECTED_DAMAGED),
        ("invalid", False, E.REJECTED),
        ("late", False, E.REJECTED),
        ("other", True, E.REJECTED_AFTER_RESULTS),
        ("checksum_mismatch", True, E.REJECTED_AFTER_RESULTS),
    ],
)
def test_a_rejection_once_results_came_would_throw_them_away(
    reason: str, has_results: bool, event: Event
) -> None:
    assert on_rejection(reason, has_results) is event


def test_the_last_overdue_answer_asks_an_officer() -> None:
    assert on_no_answer(attempts_used=False) is E.NO_ANSWER
    assert on_no_answer(attempts_used=True) is E.NO_ANSWER_LAST


def package(state: PackageState) -> Package:
    return Package(
        id=uuid4(),
        version=1,
        list_id=uuid4(),
        district_code="001",
        period="2026-11",
        kind="monthly",
        line_count=3,
        total_amount=1_500_000,
        sha256="0" * 64,
        state=state,
        attempts=1,
    )


def test_a_first_version_is_sent_and_one_kept_by_hand_stays_so() -> None:
    assert place(True, None, None) == Placement(S.SENT)
    assert place(True, package(S.MANUAL), None) == Placement(S.SENT)
    for state in (None, S.SENT, S.MANUAL, S.WAITING_RECALL):
        previous = package(state) if state else None
        assert place(False, previous, uuid4()) == Placement(S.MANUAL)


@pytest.mark.parametrize(
    "state", [S.SENT, S.ACKNOWLEDGED, S.ALERT, S.RECALL_REQUESTED, S.RECALL_UNANSWERED]
)
def test_a_new_version_waits_for_the_one_at_the_post_office(state: PackageState) -> None:
    previous = package(state)
    assert place(True, previous, None) == Placement(S.WAITING_RECALL, previous.id)


def test_a_third_version_waits_for_the_same_recall_as_the_second() -> None:
    first = uuid4()
    assert place(True, package(S.WAITING_RECALL), first) == Placement(S.WAITING_RECALL, first)


def test_results_are_final_per_person_a_different_later_word_is_raised() -> None:
    a, b, c, d, e = (uuid4() for _ in range(5))
    recorded = {
        a: ("pending", None),
        b: ("paid", "2026-11-10"),
        c: ("unpaid", None),
        d: ("paid", "2026-11-10"),
    }
    incoming = {
        a: ("paid", "2026-11-12"),
        b: ("paid", "2026-11-10"),  # a repeat
        c: ("paid", "2026-11-12"),  # disagrees
        d: ("paid", "2026-11-11"),  # disagrees on the day
        e: ("paid", "2026-11-12"),  # not in the package
    }
    found = sort_results(recorded, incoming)
    assert (found.new, found.disagreeing, found.unknown) == ([a], [c, d], [e])


def test_a_settlement_report_must_account_for_every_line_and_dong() -> None:
    sent = package(S.ACKNOWLEDGED)
    assert check_report(sent, 3, 1_500_000) is None
    assert check_report(sent, 2, 1_500_000) is R.REPORT_TOTALS
    assert check_report(sent, 3, 1_499_999) is R.REPORT_TOTALS


def test_an_extension_request_is_recorded_only_within_the_1_to_19_day_rule() -> None:
    """Seed 002 §E: fewer than 20 days in all, for a settlement not yet closed."""
    assert check_extension_request(False, 19, 0, 19) is None
    assert check_extension_request(False, 5, 14, 19) is None
    assert check_extension_request(False, 6, 14, 19) is R.EXTENSION_TOO_LONG
    assert check_extension_request(False, 20, 0, 19) is R.EXTENSION_TOO_LONG
    assert check_extension_request(True, 1, 0, 19) is R.SETTLEMENT_CLOSED


# ------------------------------------------------------------------ a recall refused


def _row(person: str, amount: int) -> dict[str, object]:
    return {"line_id": str(uuid4()), "beneficiary_id": person, "amount": amount}


def test_the_unpaid_rest_holds_only_people_not_paid_in_the_kept_package() -> None:
    a, b, c, d = (str(uuid4()) for _ in range(4))
    rows = [_row(a, 500_000), _row(b, 510_000), _row(c, 520_000), _row(d, 530_000)]
    rest = unpaid_rest(rows, {b, d, str(uuid4())})  # b and d paid (and someone not in v2)
    assert [r["beneficiary_id"] for r in rest.sent] == [a, c]  # in the version's order
    assert [r["beneficiary_id"] for r in rest.left_out] == [b, d]
    assert on_live_kept(rest) is E.LIVE_KEPT


def test_nobody_paid_in_the_kept_package_leaves_the_version_whole() -> None:
    rows = [_row(str(uuid4()), 500_000) for _ in range(3)]
    rest = unpaid_rest(rows, set())
    assert rest.sent == rows
    assert rest.left_out == []


def test_everyone_paid_in_the_kept_package_leaves_nothing_to_send() -> None:
    people = [str(uuid4()) for _ in range(3)]
    rest = unpaid_rest([_row(p, 500_000) for p in people], set(people))
    assert rest.sent == []
    assert on_live_kept(rest) is E.ALL_PAID
    assert on_released(rest) is E.ALL_PAID


def test_a_line_naming_no_beneficiary_is_never_left_out() -> None:
    row = {"line_id": str(uuid4()), "amount": 500_000}
    rest = unpaid_rest([row], {"None", ""})
    assert rest.sent == [row]


def test_a_release_with_people_left_to_pay_sends_them() -> None:
    a, b = str(uuid4()), str(uuid4())
    rest = unpaid_rest([_row(a, 500_000), _row(b, 500_000)], {a})
    assert on_released(rest) is E.RELEASED
    assert [r["beneficiary_id"] for r in rest.sent] == [b]


def test_a_recall_refused_never_sends_the_waiting_version_whole() -> None:
    """The refused recall's move releases the waiting version only through the unpaid rest:
    a plain release (the whole version) is never among its effects."""
    for state in (S.RECALL_REQUESTED, S.RECALL_UNANSWERED):
        for refused in (E.RECALL_REFUSED, E.RECALL_REFUSED_UNACCEPTED):
            move = step(state, refused)
            assert isinstance(move, Move)
            assert X.RELEASE_WAITING not in move.effects
            assert X.RELEASE_WAITING_UNPAID in move.effects
    for event in (E.LIVE_KEPT, E.RELEASED):
        sent = step(S.WAITING_RECALL, event)
        assert isinstance(sent, Move)
        assert sent.effects.index(X.LEAVE_OUT_PAID) < sent.effects.index(X.SEND)


def test_a_recall_refused_before_the_acceptance_came_opens_the_settlement() -> None:
    """The kept package is live whether or not its acceptance reached us: the refusal of a
    package never accepted here opens its settlement (before the waiting version goes out);
    one accepted already has its settlement and opens none again."""
    assert on_recall_refusal(accepted_before=True) is E.RECALL_REFUSED
    assert on_recall_refusal(accepted_before=False) is E.RECALL_REFUSED_UNACCEPTED
    for state in (S.RECALL_REQUESTED, S.RECALL_UNANSWERED):
        kept = step(state, on_recall_refusal(accepted_before=False))
        assert isinstance(kept, Move)
        assert kept.to is S.ACKNOWLEDGED
        assert kept.effects.index(X.OPEN_SETTLEMENT) < kept.effects.index(X.RELEASE_WAITING_UNPAID)
        again = step(state, on_recall_refusal(accepted_before=True))
        assert isinstance(again, Move)
        assert X.OPEN_SETTLEMENT not in again.effects


# ------------------------------------------------------------------ results still in transit


def test_the_kept_packages_results_are_in_when_they_reach_the_count_the_refusal_states() -> None:
    assert results_in(known_paid=2, stated_paid=2)
    assert results_in(known_paid=3, stated_paid=2)  # paid more since it refused
    assert not results_in(known_paid=1, stated_paid=2)  # one "paid" still in transit
    assert not results_in(known_paid=0, stated_paid=1)
    assert results_in(known_paid=0, stated_paid=None)  # no refusal counted any


def test_a_version_is_held_while_paid_results_are_owed_and_goes_out_when_they_came() -> None:
    a, b = str(uuid4()), str(uuid4())
    rest = unpaid_rest([_row(a, 500_000), _row(b, 500_000)], set())  # nobody known paid yet
    assert on_live_kept(rest, results_came=False) is E.RESULTS_OWED
    assert on_live_kept(rest, results_came=True) is E.LIVE_KEPT
    assert on_live_kept(rest) is E.LIVE_KEPT


def test_nothing_is_held_when_everyone_in_the_version_is_known_paid() -> None:
    a = str(uuid4())
    rest = unpaid_rest([_row(a, 500_000)], {a})
    assert on_live_kept(rest, results_came=False) is E.ALL_PAID


def test_an_officers_release_leaves_out_the_people_known_paid() -> None:
    a, b = str(uuid4()), str(uuid4())
    assert on_officer_release(unpaid_rest([_row(a, 1), _row(b, 1)], {a})) is E.OFFICER_RELEASE
    assert on_officer_release(unpaid_rest([_row(a, 1)], {a})) is E.ALL_PAID


@pytest.mark.parametrize("state", HELD)
def test_a_newer_version_of_a_held_one_is_held_for_the_same_kept_package(
    state: PackageState,
) -> None:
    kept = uuid4()
    assert place(True, package(state), kept) == Placement(S.WAITING_RESULTS, kept)
