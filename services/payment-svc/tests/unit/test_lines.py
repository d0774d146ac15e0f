"""Statuses by hand the way officers work (everyone, then the exceptions) and line splits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID, uuid4

import pytest
from payment_svc.domain.errors import (
    LineCarriedOver,
    LineNotInList,
    NoStatusGiven,
    SplitSumMismatch,
)
from payment_svc.domain.lines import plan_statuses, require_some_status, require_split_adds_up

TENTH = date(2024, 6, 10)
A, B, C, D, E = (uuid4() for _ in range(5))
LEAVES = [
    (A, "001000000001", False),
    (B, "001000000002", False),
    (C, "001000000002", False),
    (D, None, False),
]
CARRIED = [*LEAVES, (E, "001000000005", True)]  # E's money went into the next month


@dataclass(frozen=True)
class Exception_:
    status: str
    line_id: UUID | None = None
    national_id: str | None = None
    paid_on: date | None = None


def test_everyone_gets_the_status_and_the_day() -> None:
    changes = plan_statuses(LEAVES, "paid", TENTH, [])
    assert changes == {line: ("paid", TENTH) for line in (A, B, C, D)}


def test_an_exception_by_line_overrides_everyone_and_keeps_the_day_unless_its_own() -> None:
    twelfth = date(2024, 6, 12)
    exceptions = [Exception_("unpaid", line_id=A), Exception_("paid", line_id=D, paid_on=twelfth)]
    changes = plan_statuses(LEAVES, "paid", TENTH, exceptions)
    assert changes[A] == ("unpaid", TENTH)
    assert changes[D] == ("paid", twelfth)
    assert changes[B] == ("paid", TENTH)


def test_an_exception_by_national_id_reaches_every_line_of_that_person() -> None:
    changes = plan_statuses(
        LEAVES, None, None, [Exception_("returned", national_id="001000000002")]
    )
    assert changes == {B: ("returned", None), C: ("returned", None)}


def test_without_everyone_only_the_exceptions_change() -> None:
    assert plan_statuses(LEAVES, None, TENTH, [Exception_("unpaid", line_id=A)]) == {
        A: ("unpaid", TENTH)
    }


@pytest.mark.parametrize(
    "exception",
    [Exception_("paid", line_id=uuid4()), Exception_("paid", national_id="999999999999")],
)
def test_a_line_or_id_not_on_the_list_refuses_the_whole_update(exception: Exception_) -> None:
    with pytest.raises(LineNotInList) as refused:
        plan_statuses(LEAVES, "paid", TENTH, [exception])
    named = exception.line_id or exception.national_id
    assert refused.value.message_vi == f"Không có dòng chi trả {named} trong danh sách"


def test_everyone_passes_by_a_line_whose_money_was_carried_into_a_later_month() -> None:
    changes = plan_statuses(CARRIED, "paid", TENTH, [])
    assert changes == {line: ("paid", TENTH) for line in (A, B, C, D)}


@pytest.mark.parametrize(
    "exception",
    [Exception_("paid", line_id=E), Exception_("paid", national_id="001000000005")],
)
def test_a_carried_line_named_paid_refuses_the_whole_update(exception: Exception_) -> None:
    with pytest.raises(LineCarriedOver) as refused:
        plan_statuses(CARRIED, "paid", TENTH, [exception])
    assert refused.value.code == "line_carried_over"


def test_a_carried_line_named_unpaid_again_stays_as_it_is() -> None:
    changes = plan_statuses(CARRIED, None, TENTH, [Exception_("unpaid", line_id=E)])
    assert changes == {E: ("unpaid", TENTH)}


def test_an_update_needs_everyone_or_an_exception() -> None:
    with pytest.raises(NoStatusGiven):
        require_some_status(None, [])
    require_some_status("paid", [])
    require_some_status(None, [Exception_("paid", line_id=A)])


def test_a_split_adds_up_to_the_line_in_two_or_more_parts() -> None:
    require_split_adds_up([300_000, 200_000], 500_000)
    require_split_adds_up([1, 1, 499_998], 500_000)


@pytest.mark.parametrize(
    "parts",
    [[500_000], [1, 2], [600_000, -100_000], [500_000, 0], [250_000, 250_001]],
)
def test_a_split_that_does_not_add_up_is_refused_with_the_total(parts: list[int]) -> None:
    with pytest.raises(SplitSumMismatch) as refused:
        require_split_adds_up(parts, 500_000)
    assert refused.value.message_vi.endswith("tổng bằng 500.000 đồng")
