"""Package rules (seed 002 §C–F): states, back-off and the acceptance check. What moves a
package between states is tested in test_lifecycle.py."""

import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from uuid import uuid4

import pytest
from btxh_common.chunks import digest, total
from settlement_svc.domain.packages import (
    REPLACEABLE,
    Package,
    PackageState,
    Policy,
    acknowledgement_matches,
    attempts_used,
    is_first_send,
    mismatch_note,
    resend_delay,
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
    """The latest CHECK on package.state (0006 replaced 0002's) lists exactly the states."""
    schema = (MIGRATIONS / "0006_held_for_results.sql").read_text()
    check = re.search(r"package_state_check CHECK \(state IN \(([^)]*)\)\)", schema)
    assert check is not None
    assert set(re.findall(r"'(\w+)'", check.group(1))) == {s.value for s in S}


def test_a_new_version_replaces_the_latest_that_is_neither_ended_nor_given_back() -> None:
    assert set(S) - set(REPLACEABLE) == {S.REJECTED, S.RECALLED, S.SUPERSEDED}


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


def test_every_attempt_is_used_at_the_configured_maximum() -> None:
    policy = Policy(max_attempts=8)
    assert not attempts_used(package(attempts=7), policy)
    assert attempts_used(package(attempts=8), policy)
    assert attempts_used(package(attempts=9), policy)


def test_only_a_package_never_sent_announces_it_was_sent() -> None:
    assert is_first_send(package(attempts=0))
    assert not is_first_send(package(attempts=1))


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
