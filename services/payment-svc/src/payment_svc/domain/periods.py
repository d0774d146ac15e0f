"""Months of a payment period: which month's unpaid money carries, which may be pulled."""

from __future__ import annotations

from datetime import date

from btxh_common.clock import previous_month

from payment_svc.domain.errors import PullNotPast


def carries_from(month: date) -> date:
    """Unpaid money of the month before carries into a month's list by itself."""
    return previous_month(month)


def require_pull_from_the_past(from_month: date, month: date) -> None:
    """§4.3: only an earlier month's unpaid money can be pointed at ``month``."""
    if from_month >= month:
        raise PullNotPast()
