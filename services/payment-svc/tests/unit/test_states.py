"""The lifecycle state machine: every transition of a list and a line, and every refusal with
its code (DOMAIN "Payment periods and lists" and "A person-month is paid at most once").
Expected states are written here from DOMAIN.md, not read from the table under test."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from btxh_common.errors import DomainError
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
from payment_svc.domain.states import (
    ListAction,
    ListStatus,
    delete,
    next_version,
    payment_unit_move,
    replace,
    require_manual_allowed,
    require_not_carried,
    require_payable,
    require_pull_source_open,
    require_splittable,
    require_writable,
    submit,
)

OUT = ["submitted", "sent"]  # with the payment unit, not yet accepted by it
AFTER_SUBMIT = ["submitted", "sent", "acknowledged", "results_received"]
RETIRED = ["superseded", "deleted"]
OUTCOMES = ["unpaid", "unpaid_stopped", "returned", "recovered"]
OCTOBER = date(2024, 10, 1)


def test_a_locked_period_refuses_changes_and_says_which_month() -> None:
    with pytest.raises(PeriodLocked) as refused:
        require_writable("locked", OCTOBER)
    assert refused.value.code == "period_locked"
    assert refused.value.message_vi == "Kỳ chi trả tháng 2024-10 đã khóa: không thay đổi được"


def test_an_open_period_takes_changes() -> None:
    require_writable("open", OCTOBER)


def test_the_first_list_of_a_period_is_version_one() -> None:
    assert next_version(0) == 1


def test_a_version_number_is_never_given_twice_even_after_a_deleted_draft() -> None:
    assert next_version(1) == 2  # version 1 was deleted: the next one is 2, not 1 again
    assert next_version(7) == 8


def test_a_draft_generated_again_is_deleted_for_the_next_version() -> None:
    assert replace("draft", anyone_paid=False) == ListStatus.DELETED


@pytest.mark.parametrize("status", OUT)
def test_a_list_nobody_was_paid_from_is_superseded_by_the_next_version(status: str) -> None:
    assert replace(status, anyone_paid=False) == ListStatus.SUPERSEDED


@pytest.mark.parametrize("status", ["acknowledged", "results_received"])
def test_a_list_the_payment_unit_accepted_cannot_be_generated_again(status: str) -> None:
    with pytest.raises(ListAtPaymentUnit) as refused:
        replace(status, anyone_paid=False)
    assert refused.value.code == "list_at_payment_unit"


@pytest.mark.parametrize("status", OUT)
def test_a_list_anyone_was_paid_from_cannot_be_generated_again(status: str) -> None:
    with pytest.raises(ListHasPayments) as refused:
        replace(status, anyone_paid=True)
    assert refused.value.code == "list_has_payments"


@pytest.mark.parametrize("status", OUT)
def test_a_list_whose_unpaid_money_a_later_list_carries_cannot_be_generated_again(
    status: str,
) -> None:
    """Found by tests/property: the new version owed the month again while the later
    month's line still carried its unpaid money."""
    with pytest.raises(ListCarriedOver) as refused:
        replace(status, anyone_paid=False, anyone_carried=True)
    assert refused.value.code == "list_carried_over"


@pytest.mark.parametrize("anyone_paid", [False, True])
def test_a_settled_list_cannot_be_generated_again(anyone_paid: bool) -> None:
    with pytest.raises(ListSettled) as refused:
        replace("settled", anyone_paid=anyone_paid)
    assert refused.value.code == "list_settled"


# What each officer action does to a list in each status, written from DOMAIN.md: the state
# it moves to, or the code of the refusal. Per status: (submit, delete, a new version
# generated over it while nobody on it is paid, the same once anyone is paid — never).
BY_HAND: dict[str, tuple[str, str, str, str]] = {
    "draft": ("submitted", "deleted", "deleted", "list_has_payments"),
    "submitted": ("list_already_submitted", "list_not_draft", "superseded", "list_has_payments"),
    "sent": ("list_already_submitted", "list_not_draft", "superseded", "list_has_payments"),
    "acknowledged": (
        "list_already_submitted",
        "list_not_draft",
        "list_at_payment_unit",
        "list_at_payment_unit",
    ),
    "results_received": (
        "list_already_submitted",
        "list_not_draft",
        "list_at_payment_unit",
        "list_at_payment_unit",
    ),
    "settled": ("list_already_submitted", "list_not_draft", "list_settled", "list_settled"),
    # the post office rejected it (issue 15 item 3): the officer's new version replaces it
    "rejected": ("list_already_submitted", "list_not_draft", "superseded", "list_has_payments"),
    "superseded": (
        "list_already_submitted",
        "list_not_draft",
        "list_not_found",
        "list_has_payments",
    ),
    "deleted": ("list_already_submitted", "list_not_draft", "list_not_found", "list_has_payments"),
}


def outcome(act: Callable[[], ListStatus]) -> str:
    try:
        return act().value
    except DomainError as refused:
        return refused.code


def test_every_list_status_is_in_the_table_of_actions_by_hand() -> None:
    assert set(BY_HAND) == {s.value for s in ListStatus}


@pytest.mark.parametrize("status", list(BY_HAND))
def test_each_action_by_hand_moves_a_list_or_is_refused_with_its_code(status: str) -> None:
    expected = BY_HAND[status]
    assert (
        outcome(lambda: submit(status)),
        outcome(lambda: delete(status)),
        outcome(lambda: replace(status, anyone_paid=False)),
        outcome(lambda: replace(status, anyone_paid=True)),
    ) == expected


def test_a_retired_list_is_not_replaced_it_is_not_the_periods_list() -> None:
    with pytest.raises(ListNotFound):
        replace("superseded", anyone_paid=False)


def test_only_a_draft_is_deleted() -> None:
    assert delete("draft") == ListStatus.DELETED
    for status in [*AFTER_SUBMIT, "settled", *RETIRED]:
        with pytest.raises(ListNotDraft):
            delete(status)


def test_only_a_draft_is_submitted() -> None:
    assert submit("draft") == ListStatus.SUBMITTED
    for status in [*AFTER_SUBMIT, "settled", *RETIRED]:
        with pytest.raises(ListAlreadySubmitted):
            submit(status)


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


@pytest.mark.parametrize("status", ["pending", "paid", *OUTCOMES])
def test_a_line_still_holding_its_money_takes_any_status_by_hand(status: str) -> None:
    require_not_carried(False, status)


@pytest.mark.parametrize("status", ["pending", "paid", "unpaid_stopped", "returned", "recovered"])
def test_a_line_carried_into_a_later_month_takes_no_other_status(status: str) -> None:
    with pytest.raises(LineCarriedOver) as refused:
        require_not_carried(True, status)
    assert refused.value.code == "line_carried_over"


def test_a_carried_line_named_unpaid_again_changes_nothing_and_is_not_refused() -> None:
    require_not_carried(True, "unpaid")


@pytest.mark.parametrize("status", ["draft", *AFTER_SUBMIT])
def test_a_pending_line_of_a_list_in_force_can_be_split(status: str) -> None:
    require_splittable(status, "pending")


@pytest.mark.parametrize("status", ["draft", *AFTER_SUBMIT])
def test_a_paid_line_cannot_be_split(status: str) -> None:
    with pytest.raises(LinePaid) as refused:
        require_splittable(status, "paid")
    assert refused.value.code == "line_paid"


@pytest.mark.parametrize("line_status", ["split", *OUTCOMES])
def test_a_line_no_longer_pending_cannot_be_split(line_status: str) -> None:
    with pytest.raises(LineNotSplittable):
        require_splittable("results_received", line_status)


@pytest.mark.parametrize("status", ["settled", *RETIRED])
def test_no_line_of_a_settled_or_retired_list_can_be_split(status: str) -> None:
    with pytest.raises(LineNotSplittable):
        require_splittable(status, "pending")


@pytest.mark.parametrize("status", [None, "draft", *AFTER_SUBMIT, *RETIRED])
def test_pull_takes_the_unpaid_money_of_an_open_month_not_settled(status: str | None) -> None:
    require_pull_source_open("open", status, OCTOBER)


@pytest.mark.parametrize("status", [None, "draft", *AFTER_SUBMIT, "settled"])
def test_pull_changes_nothing_in_a_locked_month(status: str | None) -> None:
    with pytest.raises(PeriodLocked) as refused:
        require_pull_source_open("locked", status, OCTOBER)
    assert refused.value.message_vi == "Kỳ chi trả tháng 2024-10 đã khóa: không thay đổi được"


def test_pull_changes_nothing_in_a_settled_month() -> None:
    with pytest.raises(PullFromSettled) as refused:
        require_pull_source_open("open", "settled", OCTOBER)
    assert refused.value.code == "pull_from_settled"
    assert refused.value.message_vi == "Danh sách tháng 2024-10 đã quyết toán: không chuyển được"


@pytest.mark.parametrize(
    ("action", "to", "after"),
    [
        (ListAction.SENT, "sent", {"submitted"}),
        (ListAction.ACKNOWLEDGED, "acknowledged", {"submitted", "sent"}),
        (ListAction.RESULTS, "results_received", {"submitted", "sent", "acknowledged"}),
        (ListAction.SETTLE, "settled", {"submitted", "sent", "acknowledged", "results_received"}),
        (ListAction.REJECTED, "rejected", {"submitted", "sent", "acknowledged"}),
    ],
)
def test_the_payment_unit_moves_a_list_only_forward(
    action: ListAction, to: str, after: set[str]
) -> None:
    status, moves_from = payment_unit_move(action)
    assert (status, set(moves_from)) == (to, after)
    assert not {"draft", "settled", *RETIRED} & set(moves_from), "never from these"


def test_every_refusal_is_a_domain_error_with_a_stable_code() -> None:
    refusals = [ListSettled, ListAtPaymentUnit, ListHasPayments, ListNotDraft]
    refusals += [ListAlreadySubmitted, ListNotPayable, LineNotSplittable, LinePaid]
    refusals += [LineCarriedOver]
    assert all(issubclass(r, DomainError) for r in refusals)
    assert [r().code for r in refusals] == [
        "list_settled",
        "list_at_payment_unit",
        "list_has_payments",
        "list_not_draft",
        "list_already_submitted",
        "list_not_payable",
        "line_not_splittable",
        "line_paid",
        "line_carried_over",
    ]
    assert issubclass(PullFromSettled, DomainError)
    assert PullFromSettled(OCTOBER).code == "pull_from_settled"
