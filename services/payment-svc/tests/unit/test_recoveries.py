"""Recoveries (truy thu) for one person, by hand from DOMAIN "Amounts": each period takes
min(per_period, outstanding, what the line has left), the rest carries on."""

from __future__ import annotations

from datetime import date

import pytest
from payment_svc.domain.recoveries import (
    Due,
    PerPeriodOverTotal,
    RecoveryNotOpen,
    cap,
    deductions,
    outstanding,
    require_cancellable,
    require_valid,
    status_after,
)

JULY, AUGUST = date(2024, 7, 1), date(2024, 8, 1)


def test_a_period_takes_the_amount_per_period_then_the_rest() -> None:
    # 1,000,000 at 400,000 a period from a 500,000 line: 400,000, 400,000, then 200,000
    taken = 0
    seen = []
    for _ in range(4):
        (d,) = deductions(500_000, [Due(400_000, 1_000_000, taken, JULY)], AUGUST)
        seen.append(d)
        taken += d
    assert seen == [400_000, 400_000, 200_000, 0]


def test_a_line_smaller_than_the_amount_per_period_gives_all_it_has() -> None:
    assert deductions(500_000, [Due(700_000, 900_000, 0, JULY)], JULY) == [500_000]
    assert deductions(0, [Due(700_000, 900_000, 0, JULY)], JULY) == [0]


def test_several_recoveries_fill_the_line_in_the_order_they_were_made() -> None:
    dues = [Due(300_000, 1_000_000, 0, JULY), Due(300_000, 1_000_000, 0, JULY)]
    assert deductions(500_000, dues, JULY) == [300_000, 200_000]


def test_nothing_is_taken_before_the_first_month_or_after_a_cancel() -> None:
    assert cap(Due(300_000, 1_000_000, 0, AUGUST), JULY) == 0
    assert cap(Due(300_000, 1_000_000, 0, JULY, cancelled=True), AUGUST) == 0
    assert cap(Due(300_000, 1_000_000, 900_000, JULY), AUGUST) == 100_000


def test_closed_when_recovered_open_again_when_a_list_takes_it_back_a_cancel_is_final() -> None:
    assert status_after("open", 1_000_000, 1_000_000) == "closed"
    assert status_after("closed", 1_000_000, 800_000) == "open"
    assert status_after("cancelled", 1_000_000, 0) == "cancelled"
    assert outstanding("open", 1_000_000, 300_000) == 700_000
    assert outstanding("cancelled", 1_000_000, 300_000) == 0


def test_the_amount_per_period_is_at_most_the_total_and_only_an_open_one_is_cancelled() -> None:
    require_valid(100_000, 100_000)
    with pytest.raises(PerPeriodOverTotal):
        require_valid(100_000, 100_001)
    require_cancellable("open")
    for status in ("closed", "cancelled"):
        with pytest.raises(RecoveryNotOpen) as refused:
            require_cancellable(status)
        assert refused.value.code == "recovery_not_open"
