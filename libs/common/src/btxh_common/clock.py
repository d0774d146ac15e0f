"""Dates of record and months: Asia/Ho_Chi_Minh for the calendar, ``YYYY-MM`` for a month.

A month is held as the first day of that month (``date``); on the wire and in the API it is
the text ``YYYY-MM``.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def today() -> date:
    """Today's date of record (Asia/Ho_Chi_Minh)."""
    return datetime.now(HCM).date()


def current_month() -> date:
    """The first day of this month in Asia/Ho_Chi_Minh."""
    return today().replace(day=1)


def add_months(month: date, n: int) -> date:
    """The first day of the month ``n`` months after ``month`` (before it if negative)."""
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def next_month(month: date) -> date:
    return add_months(month, 1)


def previous_month(month: date) -> date:
    return add_months(month, -1)


def month_text(month: date) -> str:
    """``date(2026, 11, 1)`` → ``"2026-11"``."""
    return f"{month.year:04d}-{month.month:02d}"


def month_text_or_none(month: date | None) -> str | None:
    return None if month is None else month_text(month)


def parse_month(text: str) -> date:
    """``"2026-11"`` → ``date(2026, 11, 1)``; ``ValueError`` if it is not a month."""
    return date.fromisoformat(text + "-01")


def parse_month_or_none(text: str | None) -> date | None:
    return parse_month(text) if text else None


def parse_day_or_none(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None
