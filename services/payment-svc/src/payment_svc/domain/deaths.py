"""The period of the death list (payment management §3): whole months, at most two years."""

from __future__ import annotations

from datetime import date

from btxh_common.clock import add_months, current_month

from payment_svc.domain.errors import DeathPeriodInvalid

MAX_MONTHS = 24


def death_period(first: date | None, last: date | None) -> tuple[date, date]:
    """The days ``[from, to)`` the list covers: ``first`` … ``last`` (whole months; either
    missing: the other one, both missing: this month)."""
    first = first or last or current_month()
    last = last or first
    if last < first or add_months(first, MAX_MONTHS) <= last:
        raise DeathPeriodInvalid(field="to_month", value=f"{first:%Y-%m}…{last:%Y-%m}")
    return first, add_months(last, 1)
