"""The amounts of a payment line (DOMAIN "Amounts"), rule by rule, in integer VND.

The monthly list is computed set-based in SQL (``adapters/generation.py``): these functions are
the same rules for one person, the place to read them, and what that SQL is tested against.

A line's total = allowance + arrears + carried_over − recovery, never below 0:
- allowance: the level in force in the period's month × coefficient (tenths) / 10 (× the
  children for a single parent, DON_THAN), for people whose allowance is in force that month;
- arrears: the register's arrears whose payment month has come, once;
- carried_over: unpaid money of earlier months carried (or pulled by hand) into this one;
- recovery: what the open recoveries take this period (``domain/recoveries.py``), up to the
  line's gross; the rest carries on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

FUNERAL_LEVELS = 20  # the funeral allowance is 20 × the level in force in the month of death


PER_CHILD = "DON_THAN"  # the single-parent allowance is per child (DOMAIN's coefficient table)


def monthly_allowance(
    level: int, coefficient: int, category: str | None = None, children: int | None = None
) -> int:
    """Level × coefficient, the coefficient in tenths (15 means 1.5); × the children for a
    single parent (DON_THAN; none recorded counts as one)."""
    times = (children or 1) if category == PER_CHILD else 1
    return level * coefficient * times // 10


def allowance_in_force(
    month: date,
    *,
    coefficient: int | None,
    start_month: date | None,
    status: str,
    status_effective_month: date | None = None,
    death_date: date | None = None,
) -> bool:
    """Paid for ``month``: started by then, and active, or suspended / under review / stopped
    only from a later month, or dead in or after ``month``."""
    if coefficient is None or start_month is None or start_month > month:
        return False
    if status == "active":
        return True
    if status in ("suspended", "under_review", "stopped"):
        return status_effective_month is not None and status_effective_month > month
    return status == "deceased" and death_date is not None and death_date >= month


def arrears_due(amount: int, period: date | None, month: date, already_listed: bool) -> int:
    """The register's arrears, paid on the first list of their payment month or later that
    does not find them on another current list."""
    if amount > 0 and period is not None and period <= month and not already_listed:
        return amount
    return 0


def outstanding_recovery(decided: int, recovered: int) -> int:
    """What is left to recover: the register's amount less what earlier lists recovered."""
    return max(decided - recovered, 0)


def funeral_allowance(level_in_month_of_death: int) -> int:
    return FUNERAL_LEVELS * level_in_month_of_death


@dataclass(frozen=True)
class LineAmounts:
    allowance: int
    arrears: int
    carried_over: int
    recovery: int
    total: int


def line_amounts(allowance: int, arrears: int, carried_over: int, outstanding: int) -> LineAmounts:
    """Recovery takes what it can of the line's gross; a person with no gross has no line."""
    gross = allowance + arrears + carried_over
    recovery = min(outstanding, gross)
    return LineAmounts(allowance, arrears, carried_over, recovery, gross - recovery)
