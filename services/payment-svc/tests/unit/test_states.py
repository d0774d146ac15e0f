"""List, line and period statuses and their guards, as they stand today (DOMAIN "Payment
periods and lists")."""

from __future__ import annotations

from datetime import date

import pytest
from btxh_common.errors import DomainError
from payment_svc.domain.errors import (
    IntegratedDistrict,
    LineNotSplittable,
    ListAlreadySubmitted,
    ListNotDraft,
    ListNotPayable,
    ListSettled,
    PeriodLocked,
)
from payment_svc.domain.states import (
    PAYMENT_UNIT_MOVES,
    ListStatus,
    next_version,
    require_deletable,
    require_manual_allowed,
    require_payable,
    require_splittable,
    require_submittable,
    require_writable,
)

AFTER_SUBMIT = ["submitted", "sent", "acknowledged", "results_received"]
RETIRED = ["superseded", "deleted"]


def test_a_locked_period_refuses_changes_and_says_which_month() -> None:
    with pytest.raises(PeriodLocked) as refused:
        require_writable("locked", date(2024, 10, 1))
    assert refused.value.code == "period_locked"
    assert refused.value.message_vi == "Kỳ chi trả tháng 2024-10 đã khóa: không thay đổi được"


def test_an_open_period_takes_changes() -> None:
    require_writable("open", date(2024, 10, 1))


def test_the_first_list_of_a_period_is_version_one() -> None:
    assert next_version(None) == (1, None)


def test_a_draft_generated_again_is_deleted_for_the_next_version() -> None:
    assert next_version(("draft", 1)) == (2, ListStatus.DELETED)


@pytest.mark.parametrize("status", AFTER_SUBMIT)
def test_a_submitted_list_generated_again_is_superseded_not_overwritten(status: str) -> None:
    assert next_version((status, 3)) == (4, ListStatus.SUPERSEDED)


def test_a_settled_list_cannot_be_generated_again() -> None:
    with pytest.raises(ListSettled) as refused:
        next_version(("settled", 2))
    assert refused.value.code == "list_settled"


def test_only_a_draft_can_be_deleted() -> None:
    require_deletable("draft")
    for status in [*AFTER_SUBMIT, "settled"]:
        with pytest.raises(ListNotDraft):
            require_deletable(status)


def test_only_a_draft_can_be_submitted() -> None:
    require_submittable("draft")
    for status in [*AFTER_SUBMIT, "settled"]:
        with pytest.raises(ListAlreadySubmitted):
            require_submittable(status)


@pytest.mark.parametrize("status", AFTER_SUBMIT)
def test_statuses_by_hand_go_on_a_submitted_list_until_it_is_settled(status: str) -> None:
    require_payable(status)


@pytest.mark.parametrize("status", ["draft", "settled", *RETIRED])
def test_statuses_by_hand_are_refused_on_a_draft_a_settled_or_a_retired_list(status: str) -> None:
    with pytest.raises(ListNotPayable):
        require_payable(status)


@pytest.mark.parametrize(
    ("integrated", "supervisor", "allowed"),
    [
        (None, False, False),  # never set: integrated by default
        (True, False, False),
        (None, True, True),
        (True, True, True),
        (False, False, True),
        (False, True, True),
    ],
)
def test_in_an_integrated_district_only_a_supervisor_sets_statuses_by_hand(
    integrated: bool | None, supervisor: bool, allowed: bool
) -> None:
    if allowed:
        require_manual_allowed(integrated, supervisor)
    else:
        with pytest.raises(IntegratedDistrict):
            require_manual_allowed(integrated, supervisor)


@pytest.mark.parametrize("status", ["draft", *AFTER_SUBMIT])
def test_a_line_of_a_list_in_force_can_be_split_once(status: str) -> None:
    require_splittable(status, "pending")
    require_splittable(status, "paid")  # today even a paid line (issue 14 looks at this)
    with pytest.raises(LineNotSplittable):
        require_splittable(status, "split")


@pytest.mark.parametrize("status", ["settled", *RETIRED])
def test_no_line_of_a_settled_or_retired_list_can_be_split(status: str) -> None:
    with pytest.raises(LineNotSplittable):
        require_splittable(status, "pending")


def test_the_payment_unit_moves_a_list_only_forward() -> None:
    def moves(status: str, to: ListStatus) -> bool:
        return status in PAYMENT_UNIT_MOVES[to]

    assert moves("submitted", ListStatus.SENT)
    assert not moves("acknowledged", ListStatus.SENT), "a late 'sent' does not undo the ack"
    assert moves("sent", ListStatus.ACKNOWLEDGED)
    assert moves("submitted", ListStatus.RESULTS_RECEIVED)
    assert moves("results_received", ListStatus.SETTLED)
    for to in PAYMENT_UNIT_MOVES:
        for status in ["draft", "settled", *RETIRED]:
            assert not moves(status, to), f"{status} → {to}"


def test_every_refusal_is_a_domain_error_with_a_stable_code() -> None:
    refusals = [ListSettled, ListNotDraft, ListAlreadySubmitted, ListNotPayable]
    refusals += [IntegratedDistrict, LineNotSplittable]
    codes = [r().code for r in refusals]
    assert all(issubclass(r, DomainError) for r in refusals)
    assert codes == [
        "list_settled",
        "list_not_draft",
        "list_already_submitted",
        "list_not_payable",
        "integrated_district",
        "line_not_splittable",
    ]
