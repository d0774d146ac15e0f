"""Payment-unit settings and the settlement deadline they give (seed 002 §B, §E)."""

from datetime import date

import pytest
from pydantic import ValidationError
from settlement_svc.api import SettingsBody
from settlement_svc.domain.payment_unit import PaymentUnitSettings, default_settings
from settlement_svc.domain.settlements import settlement_deadline


def unit(cutoff: int | str = "last", months: int = 1) -> PaymentUnitSettings:
    return PaymentUnitSettings(
        district_code="001",
        list_cutoff_day=20,
        settlement_cutoff_day=cutoff,
        months_per_settlement=months,
        integrated=True,
    )


def test_a_district_without_settings_is_integrated_and_settles_monthly_on_the_last_day() -> None:
    settings = default_settings("007")
    assert (settings.district_code, settings.integrated) == ("007", True)
    assert (settings.list_cutoff_day, settings.settlement_cutoff_day) == ("last", "last")
    assert settings.months_per_settlement == 1


@pytest.mark.parametrize("months", [0, 13])
def test_months_per_settlement_are_1_to_12(months: int) -> None:
    with pytest.raises(ValidationError):
        unit(months=months)


def test_a_district_code_has_three_digits() -> None:
    with pytest.raises(ValidationError):
        PaymentUnitSettings(
            district_code="01",
            list_cutoff_day=1,
            settlement_cutoff_day=1,
            months_per_settlement=1,
            integrated=True,
        )


@pytest.mark.parametrize("day", [1, 28, "last"])
def test_a_cutoff_day_is_1_to_28_or_the_last_day(day: int | str) -> None:
    body = SettingsBody.model_validate(
        {
            "list_cutoff_day": day,
            "settlement_cutoff_day": day,
            "months_per_settlement": 1,
            "integrated": True,
        }
    )
    assert body.list_cutoff_day == day


@pytest.mark.parametrize("day", [0, 29, 31, "first", True, 1.5])
def test_a_cutoff_day_past_28_or_not_a_day_is_refused(day: object) -> None:
    with pytest.raises(ValidationError, match="ngày phải từ 1 đến 28"):
        SettingsBody.model_validate(
            {
                "list_cutoff_day": day,
                "settlement_cutoff_day": 5,
                "months_per_settlement": 1,
                "integrated": True,
            }
        )


@pytest.mark.parametrize(
    ("period", "cutoff", "deadline"),
    [
        ("2026-11", "last", date(2026, 12, 31)),
        ("2026-11", 25, date(2026, 12, 25)),
        ("2026-12", 25, date(2027, 1, 25)),  # the month after December is next year's January
        ("2026-01", "last", date(2026, 2, 28)),
        ("2028-01", "last", date(2028, 2, 29)),  # a leap year's February
        ("2026-03", "last", date(2026, 4, 30)),
    ],
)
def test_a_monthly_settlement_is_due_on_the_cutoff_day_of_the_next_month(
    period: str, cutoff: int | str, deadline: date
) -> None:
    assert settlement_deadline(period, unit(cutoff)) == deadline


@pytest.mark.parametrize(
    ("period", "months", "deadline"),
    [
        ("2026-01", 3, date(2026, 4, 10)),  # Jan–Mar settle together, in April
        ("2026-02", 3, date(2026, 4, 10)),
        ("2026-03", 3, date(2026, 4, 10)),
        ("2026-04", 3, date(2026, 7, 10)),  # Apr–Jun, in July
        ("2026-12", 3, date(2027, 1, 10)),  # Oct–Dec, in January
        ("2026-11", 2, date(2027, 1, 10)),  # Nov–Dec
        ("2026-10", 2, date(2026, 11, 10)),  # Sep–Oct
        ("2026-06", 6, date(2026, 7, 10)),  # Jan–Jun
        ("2026-07", 6, date(2027, 1, 10)),  # Jul–Dec
        ("2026-05", 12, date(2027, 1, 10)),  # the whole year
    ],
)
def test_months_settled_together_are_due_after_their_group_counted_from_january(
    period: str, months: int, deadline: date
) -> None:
    assert settlement_deadline(period, unit(10, months)) == deadline
