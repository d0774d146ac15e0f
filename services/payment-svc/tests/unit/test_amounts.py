"""The amounts of a line, from DOMAIN "Amounts": levels 360,000 (from 2021-07) and 500,000
(from 2024-07), coefficients in tenths, integer VND."""

from __future__ import annotations

from datetime import date

import pytest
from payment_svc.domain.amounts import (
    LineAmounts,
    allowance_in_force,
    arrears_due,
    funeral_allowance,
    line_amounts,
    monthly_allowance,
    outstanding_recovery,
)

JUNE, JULY, AUGUST = date(2024, 6, 1), date(2024, 7, 1), date(2024, 8, 1)


@pytest.mark.parametrize(
    ("level", "coefficient", "allowance"),
    [
        (360_000, 10, 360_000),
        (360_000, 15, 540_000),
        (360_000, 25, 900_000),
        (500_000, 15, 750_000),
        (500_000, 20, 1_000_000),
        (500_000, 30, 1_500_000),
    ],
)
def test_the_allowance_is_the_level_times_the_coefficient_in_tenths(
    level: int, coefficient: int, allowance: int
) -> None:
    assert monthly_allowance(level, coefficient) == allowance


def test_an_active_beneficiary_is_paid_from_the_month_the_allowance_starts() -> None:
    def paid(month: date) -> bool:
        return allowance_in_force(month, coefficient=10, start_month=JULY, status="active")

    assert not paid(JUNE)
    assert paid(JULY)
    assert paid(AUGUST)


def test_without_a_coefficient_or_a_start_month_nothing_is_paid() -> None:
    assert not allowance_in_force(JULY, coefficient=None, start_month=JUNE, status="active")
    assert not allowance_in_force(JULY, coefficient=10, start_month=None, status="active")


@pytest.mark.parametrize("status", ["suspended", "under_review", "stopped"])
def test_a_stop_or_a_suspension_pays_the_months_before_it_takes_effect(status: str) -> None:
    def paid(month: date) -> bool:
        return allowance_in_force(
            month, coefficient=10, start_month=JUNE, status=status, status_effective_month=JULY
        )

    assert paid(JUNE)
    assert not paid(JULY)
    assert not paid(AUGUST)


def test_a_death_pays_the_month_of_death_and_stops_from_the_next() -> None:
    def paid(month: date) -> bool:
        return allowance_in_force(
            month, coefficient=10, start_month=JUNE, status="deceased", death_date=date(2024, 7, 15)
        )

    assert paid(JULY)
    assert not paid(AUGUST)


def test_a_removed_beneficiary_is_not_paid() -> None:
    assert not allowance_in_force(JULY, coefficient=10, start_month=JUNE, status="removed")


def test_arrears_are_paid_from_their_payment_month_once() -> None:
    assert arrears_due(700_000, JUNE, JUNE, already_listed=False) == 700_000
    assert arrears_due(700_000, JUNE, JULY, already_listed=False) == 700_000
    assert arrears_due(700_000, JULY, JUNE, already_listed=False) == 0, "not before their month"
    assert arrears_due(700_000, JUNE, JULY, already_listed=True) == 0, "not twice"
    assert arrears_due(0, JUNE, JUNE, already_listed=False) == 0
    assert arrears_due(700_000, None, JUNE, already_listed=False) == 0


def test_what_is_left_to_recover_is_the_decided_amount_less_what_was_recovered() -> None:
    assert outstanding_recovery(1_000_000, 0) == 1_000_000
    assert outstanding_recovery(1_000_000, 540_000) == 460_000
    assert outstanding_recovery(1_000_000, 1_000_000) == 0
    assert outstanding_recovery(1_000_000, 1_200_000) == 0


def test_a_recovery_larger_than_the_line_takes_all_of_it_and_the_rest_waits() -> None:
    june = line_amounts(540_000, 0, 0, outstanding=1_000_000)
    assert june == LineAmounts(540_000, 0, 0, recovery=540_000, total=0)
    july = line_amounts(750_000, 0, 0, outstanding=outstanding_recovery(1_000_000, 540_000))
    assert july == LineAmounts(750_000, 0, 0, recovery=460_000, total=290_000)


def test_the_total_adds_arrears_and_carried_over_money_to_the_allowance() -> None:
    assert line_amounts(720_000, 700_000, 0, 0).total == 1_420_000
    assert line_amounts(500_000, 0, 860_000, 0).total == 1_360_000
    assert line_amounts(500_000, 100_000, 360_000, 200_000) == LineAmounts(
        500_000, 100_000, 360_000, recovery=200_000, total=760_000
    )


def test_someone_owed_nothing_has_a_zero_line() -> None:
    assert line_amounts(0, 0, 0, outstanding=300_000) == LineAmounts(0, 0, 0, 0, 0)


def test_the_funeral_allowance_is_twenty_levels_of_the_month_of_death() -> None:
    assert funeral_allowance(360_000) == 7_200_000
    assert funeral_allowance(500_000) == 10_000_000


def test_the_single_parent_allowance_is_per_child() -> None:
    """DOMAIN's coefficient table: DON_THAN 1.0 per child; 3 children at 500,000 = 1,500,000."""
    assert monthly_allowance(500_000, 10, "DON_THAN", 3) == 1_500_000
    assert monthly_allowance(500_000, 10, "DON_THAN", None) == 500_000  # none recorded: one
    assert monthly_allowance(500_000, 15, "KT_N", 3) == 750_000  # per child only for DON_THAN
