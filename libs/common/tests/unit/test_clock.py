"""Months as the system counts them."""

from datetime import date

import pytest
from btxh_common.clock import (
    add_months,
    month_text,
    next_month,
    parse_month,
    parse_month_or_none,
    previous_month,
)


@pytest.mark.parametrize(
    ("month", "n", "expected"),
    [
        (date(2026, 11, 1), 1, date(2026, 12, 1)),
        (date(2026, 12, 1), 1, date(2027, 1, 1)),
        (date(2026, 1, 1), -1, date(2025, 12, 1)),
        (date(2026, 3, 1), -14, date(2025, 1, 1)),
        (date(2026, 3, 1), 0, date(2026, 3, 1)),
    ],
)
def test_adding_months_crosses_years(month: date, n: int, expected: date) -> None:
    assert add_months(month, n) == expected


def test_next_and_previous_month_undo_each_other() -> None:
    assert previous_month(next_month(date(2026, 12, 1))) == date(2026, 12, 1)


def test_a_month_reads_and_writes_as_year_dash_month() -> None:
    assert month_text(date(2026, 1, 1)) == "2026-01"
    assert parse_month("2026-01") == date(2026, 1, 1)
    assert parse_month_or_none(None) is None


def test_a_text_that_is_not_a_month_is_refused() -> None:
    with pytest.raises(ValueError, match="month"):
        parse_month("2026-13")
