"""The death list's period: whole months, both ends included, at most 24 months."""

from datetime import date

import pytest
from payment_svc.domain.deaths import death_period
from payment_svc.domain.errors import DeathPeriodInvalid

JUL, AUG = date(2024, 7, 1), date(2024, 8, 1)


def test_a_period_covers_its_months_to_the_first_day_after_them() -> None:
    assert death_period(JUL, AUG) == (JUL, date(2024, 9, 1))
    assert death_period(AUG, None) == (AUG, date(2024, 9, 1))
    assert death_period(None, JUL) == (JUL, AUG)


def test_two_full_years_are_the_most_a_list_covers() -> None:
    assert death_period(date(2023, 1, 1), date(2024, 12, 1)) == (date(2023, 1, 1), date(2025, 1, 1))
    with pytest.raises(DeathPeriodInvalid):
        death_period(date(2023, 1, 1), date(2025, 1, 1))


def test_a_backwards_period_is_refused() -> None:
    with pytest.raises(DeathPeriodInvalid):
        death_period(AUG, JUL)
