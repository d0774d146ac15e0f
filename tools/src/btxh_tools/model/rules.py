"""The money rules of DOMAIN.md as data and small pure functions, written from DOMAIN.md
("Amounts", "Categories and coefficients", "Decisions take effect in a month") and the seeds,
not from any service: the dated standard level, the coefficient catalogue, and a person's
decision timeline folded into the entitlement of a month.

Nothing here is imported from ``services/`` or from ``btxh_common``; it contains no SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# Standard level (mức chuẩn trợ giúp xã hội), VND per month, by the first month in force.
STANDARD_LEVELS: tuple[tuple[date, int], ...] = (
    (date(2021, 7, 1), 360_000),  # Decree 20/2021/NĐ-CP
    (date(2024, 7, 1), 500_000),  # Decree 76/2024/NĐ-CP
)

# Coefficients in tenths (15 means 1.5), Decree 20/2021/NĐ-CP Art. 5-6, in force from
# 2021-07-01. DON_THAN is per child.
COEFFICIENTS: dict[str, int] = {
    "TE_MC_U4": 25,
    "TE_MC_4_16": 15,
    "HS_16_22": 15,
    "TE_HIV_U4": 25,
    "TE_HIV_4_16": 20,
    "DON_THAN": 10,
    "NCT_NGHEO_60_80": 15,
    "NCT_NGHEO_80": 20,
    "NCT_80": 10,
    "NCT_CD": 30,
    "KT_DBN": 20,
    "KT_DBN_TE_NCT": 25,
    "KT_N": 15,
    "KT_N_TE_NCT": 20,
    "TE_U3_DTTS": 15,
    "HIV_NGHEO": 15,
}
PER_CHILD = "DON_THAN"


def month_of(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def text(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def level_in(month: date) -> int | None:
    """The standard level in force in ``month`` (None before the first one)."""
    found = None
    for since, amount in STANDARD_LEVELS:
        if since <= month:
            found = amount
    return found


def monthly_allowance(level: int, groups: dict[str, int]) -> tuple[str | None, int, int]:
    """(category, coefficient in tenths, allowance) for a person in ``groups`` (category →
    children, which counts only for the per-child group): the highest coefficient gives the one
    allowance, except the single-parent allowance, paid per child on top (DOMAIN)."""
    best = max(
        ((c, COEFFICIENTS[c]) for c in groups if c != PER_CHILD),
        key=lambda x: x[1],
        default=(None, 0),
    )
    category, tenths = best
    amount = level * tenths // 10
    children = groups.get(PER_CHILD, 0)
    if children:
        amount += level * COEFFICIENTS[PER_CHILD] * children // 10
        if category is None:
            category, tenths = PER_CHILD, COEFFICIENTS[PER_CHILD] * children
    return category, tenths, amount


# What a decision decides.
START, ADJUST, SUSPEND, RESUME, STOP, DEATH = (
    "start",
    "adjust",
    "suspend",
    "resume",
    "stop",
    "death",
)


@dataclass(frozen=True)
class Decision:
    """One decision with its effective month; ``groups`` for start / adjust (category →
    children); ``seq`` is the order it was recorded in."""

    seq: int
    kind: str
    month: date
    groups: tuple[tuple[str, int], ...] = ()


class Refused(Exception):
    """The model refuses an action; ``code`` is the reason's name."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class Person:
    """A beneficiary as the model knows them: the decisions in the order recorded, and the
    arrears the last arrears import set (amount, the payment month it is for)."""

    id: str
    decisions: list[Decision] = field(default_factory=list)
    arrears: tuple[int, date] | None = None
    removed: bool = False
    home: str | None = None  # the district that first held them (None: any, one district)
    moves: list[tuple[date, str]] = field(default_factory=list)  # (from month, district)

    def district_in(self, month: date) -> str | None:
        """The district the person lives in in ``month``: a move to another area (chuyển
        địa bàn) takes effect from its month; before any, their first district."""
        found = self.home
        for since, district in sorted(self.moves):
            if since <= month:
                found = district
        return found

    def in_force(self, month: date) -> tuple[str, dict[str, int]] | None:
        """(status, groups) the decisions effective by ``month`` put in force: later-effective
        decisions override earlier ones; in one month, the one recorded later; death is
        final. None before the first start."""
        status, groups, started = "active", {}, False
        for d in sorted(self.decisions, key=lambda d: (d.month, d.seq)):
            if d.month > month:
                break
            if d.kind in (START, ADJUST):
                groups = dict(d.groups)
                started = True
                if d.kind == START and status != "deceased":
                    status = "active"
            elif status != "deceased":
                status = {SUSPEND: "suspended", RESUME: "active", STOP: "stopped"}.get(
                    d.kind, "deceased"
                )
        return (status, groups) if started else None

    def entitlement(self, month: date, level: int) -> tuple[str | None, int, int]:
        """(category, coefficient, allowance) owed for ``month``: the allowance runs from the
        start month, stops from a suspension's or stop's month, and after a death from the
        next month (a death decision is effective from the month after the death)."""
        now = self.in_force(month)
        if now is None or self.removed:
            return None, 0, 0
        status, groups = now
        category, tenths, amount = monthly_allowance(level, groups)
        return category, tenths, amount if status == "active" else 0

    # The register's guards: what a decision may follow (beneficiary-svc's chosen rules,
    # restated: status decisions go forward in time, a dead person takes no decision).
    def current(self) -> tuple[str, date | None, date | None]:
        """(status, month of the last status decision, start month) as last recorded."""
        status, status_month, start = "active", None, None
        for d in self.decisions:
            if d.kind == START:
                start = status_month = d.month
                status = "active"
            elif d.kind != ADJUST:
                status = {SUSPEND: "suspended", RESUME: "active", STOP: "stopped"}.get(
                    d.kind, "deceased"
                )
                status_month = d.month
        return status, status_month, start

    def check(self, kind: str, month: date, groups: dict[str, int] | None = None) -> None:
        status, status_month, start = self.current()
        if status == "deceased":
            raise Refused("beneficiary_deceased")
        allowed = {
            STOP: ("active", "suspended", "under_review"),
            ADJUST: ("active", "suspended", "under_review"),
            SUSPEND: ("active",),
            RESUME: ("suspended", "under_review"),
            DEATH: ("active", "suspended", "under_review", "stopped"),
        }[kind]
        if status not in allowed:
            raise Refused("invalid_transition")
        if kind != DEATH and start is not None and month < start:
            raise Refused("effective_month_invalid")
        if kind in (STOP, SUSPEND, RESUME) and status_month is not None and month < status_month:
            raise Refused("effective_month_invalid")
        if kind == ADJUST and groups is not None:
            recorded = [d for d in self.decisions if d.kind in (START, ADJUST)]
            if recorded and dict(recorded[-1].groups) == groups:
                raise Refused("no_change")
