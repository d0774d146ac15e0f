"""Months of a period: the automatic carry-over and the pull by hand (guide §4.3)."""

from __future__ import annotations

from datetime import date

import pytest
from payment_svc.domain.errors import PullNotPast
from payment_svc.domain.periods import carries_from, require_pull_from_the_past


def test_a_months_list_carries_the_unpaid_money_of_the_month_before() -> None:
    assert carries_from(date(2024, 8, 1)) == date(2024, 7, 1)
    assert carries_from(date(2025, 1, 1)) == date(2024, 12, 1)


def test_an_earlier_months_money_can_be_pulled_into_a_later_month() -> None:
    require_pull_from_the_past(date(2024, 6, 1), date(2024, 8, 1))
    require_pull_from_the_past(date(2023, 12, 1), date(2024, 1, 1))


@pytest.mark.parametrize("from_month", [date(2024, 8, 1), date(2024, 9, 1)])
def test_the_same_or_a_later_months_money_cannot_be_pulled(from_month: date) -> None:
    with pytest.raises(PullNotPast):
        require_pull_from_the_past(from_month, date(2024, 8, 1))
