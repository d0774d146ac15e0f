"""Decisions take effect in a month (DOMAIN.md): every policy decision has an effective month,
and what is in force in a month is the fold of the decisions effective by then.

A decision sets only what it decides (a status, or a category and coefficient — with the
number of children for a single parent, DON_THAN — or both);
a later-effective decision overrides it from its own month, one effective in the same month
overrides an earlier-recorded one. A death is final: nothing after it makes the person paid.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from btxh_common.clock import month_text
from btxh_common.events import PolicyPeriod

from beneficiary_svc.domain.register import Beneficiary

DEAD = "deceased"

# The actions that are policy decisions, and what each decides (status, policy or both).
STARTS = ("register", "import_new", "add_policy")
ADJUSTS = ("adjust", "import_adjust")
STATUS_CHANGES = ("stop", "import_stop", "suspend", "resume", "death", "import_death")


@dataclass(frozen=True)
class Decision:
    month: date
    action: str
    status: str | None = None
    category: str | None = None
    coefficient: int | None = None
    decision_no: str | None = None
    children: int | None = None  # DON_THAN: the children the allowance is paid for
    # the decision record (issue 20): when and by whom it was signed, who recorded it
    decision_date: date | None = None
    signer: str | None = None
    recorded_by: str | None = None


Values = tuple[str, str | None, int | None, int | None]


@dataclass(frozen=True)
class Period:
    from_month: date
    status: str
    category: str | None
    coefficient: int | None
    children: int | None = None

    def values(self) -> Values:
        return self.status, self.category, self.coefficient, self.children

    def contract(self) -> PolicyPeriod:
        return PolicyPeriod(
            from_month=month_text(self.from_month),
            status=self.status,
            category=self.category,
            coefficient=self.coefficient,
            children=self.children,
        )


def decision_of(action: str, month: date | None, after: Beneficiary) -> Decision | None:
    """The decision a change recorded (``after`` is the record it left), or None when the
    change decides nothing about the allowance (information, removal)."""
    no = after.decision_no
    if action in STARTS and after.allowance_start_month is not None:
        return Decision(
            after.allowance_start_month,
            action,
            "active",
            after.category,
            after.coefficient,
            no,
            after.children,
            after.decision_date,
        )
    if action in ADJUSTS and month is not None:
        return Decision(
            month,
            action,
            None,
            after.category,
            after.coefficient,
            no,
            after.children,
            after.decision_date,
        )
    if action in STATUS_CHANGES and after.status_effective_month is not None:
        return Decision(after.status_effective_month, action, after.status, decision_no=no)
    if action == "delete_policy" and after.allowance_start_month is not None:
        return Decision(after.allowance_start_month, action, "stopped", decision_no=no)
    return None


def in_force(decisions: Iterable[Decision]) -> list[Period]:
    """The periods the decisions (given in the order recorded) put in force, oldest first."""
    state: Values = ("active", None, None, None)
    by_month: dict[date, Values] = {}
    for d in sorted(decisions, key=lambda d: d.month):  # stable: recording order in a month
        status, category, coefficient, children = state
        if d.status is not None and status != DEAD:
            status = d.status
        if d.category is not None:
            category, coefficient, children = d.category, d.coefficient, d.children
        state = by_month[d.month] = (status, category, coefficient, children)
    periods: list[Period] = []
    for month, values in by_month.items():
        if not periods or periods[-1].values() != values:
            periods.append(Period(month, *values))
    return periods


@dataclass(frozen=True)
class Signature:
    """What the paper decision says beyond its number: the date it was signed and who signed."""

    decision_date: date | None = None
    signer: str | None = None


def signed(d: Decision | None, officer: str, signature: Signature | None) -> Decision | None:
    """The decision as recorded: signed as ``signature`` says, recorded by ``officer``."""
    if d is None:
        return None
    s = signature or Signature()
    return replace(
        d, decision_date=s.decision_date or d.decision_date, signer=s.signer, recorded_by=officer
    )
