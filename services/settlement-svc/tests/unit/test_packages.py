"""Package rules as they stand today (seed 002 §C–F): what a new version becomes, back-off,
giving up, the officer's retry, the acceptance check and what each rejection means."""

import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from uuid import uuid4

import pytest
from btxh_common.chunks import digest, total
from settlement_svc.domain.errors import PackageNotStuck
from settlement_svc.domain.packages import (
    REPLACEABLE,
    Package,
    PackageState,
    Policy,
    Registration,
    Rejection,
    acknowledgement_matches,
    attempts_used,
    check_retry,
    given_up,
    is_first_send,
    mismatch_note,
    on_rejection,
    register,
    resend_delay,
    takes_results,
)

S = PackageState
MIGRATIONS = Path(__file__).parents[2] / "src" / "settlement_svc" / "migrations"
ROWS = [
    {"line_id": str(uuid4()), "amount": 500_000, "full_name": "Người 1"},
    {"line_id": str(uuid4()), "amount": 750_000, "full_name": "Người 2"},
]


def package(state: PackageState = S.SENT, attempts: int = 1) -> Package:
    return Package(
        id=uuid4(),
        version=1,
        list_id=uuid4(),
        district_code="001",
        period="2026-11",
        kind="monthly",
        line_count=len(ROWS),
        total_amount=total(ROWS, "amount"),
        sha256=digest(ROWS),
        state=state,
        attempts=attempts,
    )


def test_every_state_the_database_accepts_is_a_package_state() -> None:
    schema = (MIGRATIONS / "0002_handshake.sql").read_text()
    check = re.search(r"state\s+text NOT NULL CHECK \(state IN \(([^)]*)\)\)", schema)
    assert check is not None
    assert set(re.findall(r"'(\w+)'", check.group(1))) == {s.value for s in S}


def test_a_new_version_replaces_the_latest_that_is_neither_ended_nor_given_back() -> None:
    assert set(S) - set(REPLACEABLE) == {S.REJECTED, S.RECALLED, S.SUPERSEDED}


def test_a_first_list_is_sent() -> None:
    assert register(integrated=True, previous=None) == Registration(S.SENT)


def test_a_district_without_the_post_office_keeps_its_packages_by_hand() -> None:
    for previous in (None, S.SENT, S.MANUAL, S.WAITING_RECALL):
        assert register(integrated=False, previous=previous) == Registration(S.MANUAL)


@pytest.mark.parametrize("previous", [S.SENT, S.ACKNOWLEDGED, S.ALERT])
def test_a_new_version_of_a_list_out_at_the_post_office_waits_for_its_recall(
    previous: PackageState,
) -> None:
    assert register(integrated=True, previous=previous) == Registration(
        S.WAITING_RECALL, recall_previous=True
    )


@pytest.mark.parametrize("previous", [S.RECALL_REQUESTED, S.RECALL_UNANSWERED])
def test_a_new_version_waits_without_asking_again_for_a_recall_already_asked(
    previous: PackageState,
) -> None:
    assert register(integrated=True, previous=previous) == Registration(S.WAITING_RECALL)


@pytest.mark.parametrize("previous", [S.WAITING_RECALL, S.MANUAL])
def test_a_new_version_supersedes_one_that_never_reached_the_post_office(
    previous: PackageState,
) -> None:
    assert register(integrated=True, previous=previous) == Registration(
        S.SENT, supersede_previous=True
    )


@pytest.mark.parametrize(
    ("attempt", "seconds"),
    [(0, 30), (1, 30), (2, 60), (3, 120), (4, 240), (5, 480), (6, 960), (7, 1920), (8, 3600)],
)
def test_the_wait_for_an_answer_doubles_from_30_seconds_up_to_an_hour(
    attempt: int, seconds: int
) -> None:
    assert resend_delay(Policy(), attempt) == timedelta(seconds=seconds)


def test_the_back_off_follows_the_configured_base_and_ceiling() -> None:
    fast = Policy(base_seconds=1, max_seconds=2, max_attempts=4)
    assert [resend_delay(fast, n).total_seconds() for n in (1, 2, 3, 4)] == [1, 2, 2, 2]


def test_after_the_last_attempt_a_package_waits_in_alert_and_a_recall_unanswered() -> None:
    policy = Policy(max_attempts=8)
    assert given_up(package(S.SENT, attempts=7), policy) is None
    assert given_up(package(S.SENT, attempts=8), policy) is S.ALERT
    assert given_up(package(S.RECALL_REQUESTED, attempts=7), policy) is None
    assert given_up(package(S.RECALL_REQUESTED, attempts=8), policy) is S.RECALL_UNANSWERED
    assert attempts_used(package(attempts=9), policy)


def test_only_a_package_never_sent_announces_it_was_sent() -> None:
    assert is_first_send(package(attempts=0))
    assert not is_first_send(package(attempts=1))


@pytest.mark.parametrize("state", [S.ALERT, S.RECALL_UNANSWERED])
def test_an_officer_tries_again_a_package_left_waiting(state: PackageState) -> None:
    check_retry(package(state))


@pytest.mark.parametrize("state", [s for s in S if s not in (S.ALERT, S.RECALL_UNANSWERED)])
def test_a_package_that_is_not_stuck_is_not_tried_again(state: PackageState) -> None:
    with pytest.raises(PackageNotStuck) as refused:
        check_retry(package(state))
    assert refused.value.message_vi == f"Gói đang ở trạng thái {state.value}: không cần gửi lại"


def test_an_acknowledgement_with_the_count_total_and_checksum_sent_is_accepted() -> None:
    sent = package()
    assert acknowledgement_matches(sent, 2, 1_250_000, digest(ROWS))


def test_an_acknowledgement_that_differs_in_anything_is_not() -> None:
    sent = package()
    other = digest([*ROWS, {"line_id": str(uuid4()), "amount": 0}])
    assert not acknowledgement_matches(sent, 3, 1_250_000, digest(ROWS))
    assert not acknowledgement_matches(sent, 2, 1_250_001, digest(ROWS))
    assert not acknowledgement_matches(sent, 2, 1_250_000, other)
    assert not acknowledgement_matches(replace(sent, sha256=other), 2, 1_250_000, digest(ROWS))


def test_a_mismatched_acknowledgement_is_noted_with_what_the_post_office_counted() -> None:
    note = mismatch_note(9, 4_500_000, "abcdef0123456789" + "0" * 48)
    assert note == "acknowledged 9 lines / 4500000 / abcdef012345"


@pytest.mark.parametrize(
    ("state", "reason", "outcome"),
    [
        (S.RECALL_REQUESTED, "recalled", Rejection.RECALLED),
        (S.RECALL_UNANSWERED, "recalled", Rejection.RECALLED),
        (S.SENT, "recalled", None),
        (S.ACKNOWLEDGED, "recalled", None),
        (S.SENT, "checksum_mismatch", Rejection.RESEND),
        (S.ALERT, "checksum_mismatch", Rejection.RESEND),
        (S.ACKNOWLEDGED, "checksum_mismatch", Rejection.REJECTED),
        (S.RECALL_REQUESTED, "checksum_mismatch", None),
        (S.SENT, "invalid", Rejection.REJECTED),
        (S.ALERT, "late", Rejection.REJECTED),
        (S.ACKNOWLEDGED, "other", Rejection.REJECTED),
        (S.RECALL_REQUESTED, "invalid", None),
        (S.REJECTED, "duplicate", None),
        (S.RECALLED, "invalid", None),
        (S.MANUAL, "invalid", None),
        (S.WAITING_RECALL, "invalid", None),
    ],
)
def test_what_a_rejection_means_depends_on_the_packages_state(
    state: PackageState, reason: str, outcome: Rejection | None
) -> None:
    assert on_rejection(state, reason) is outcome


def test_results_for_a_rejected_recalled_or_superseded_package_change_nothing() -> None:
    assert {s for s in S if not takes_results(s)} == {S.REJECTED, S.RECALLED, S.SUPERSEDED}
