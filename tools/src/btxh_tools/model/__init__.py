"""An independent model of the money rules (DOMAIN.md, the seeds), for tests to check the
services against: it imports nothing from ``services/`` nor ``btxh_common``'s domain code and
contains no SQL.

    model = Model()
    model.start("p1", month, {"NCT_80": 1})
    model.decide("p1", ADJUST, next_month, {"KT_DBN": 1})
    model.open_period(month)
    expected = model.expected(model.generate(month))   # line key → Expected
    model.books("p1")                                  # owed / paid / carried / …

A model of one district (``Model(district="001")``, people started with ``home=``) leaves
out the months a person lives elsewhere (``model.move("p1", month, "002")``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from btxh_tools.model.ledger import Ledger, Line, PayList, Recovery
from btxh_tools.model.rules import (
    ADJUST,
    COEFFICIENTS,
    DEATH,
    RESUME,
    START,
    STOP,
    SUSPEND,
    Decision,
    Person,
    Refused,
    add_months,
    level_in,
    month_of,
    monthly_allowance,
    text,
)

__all__ = [
    "ADJUST",
    "COEFFICIENTS",
    "DEATH",
    "RESUME",
    "START",
    "STOP",
    "SUSPEND",
    "Books",
    "Expected",
    "Line",
    "Model",
    "PayList",
    "Recovery",
    "Refused",
    "add_months",
    "books_of",
    "level_in",
    "monthly_allowance",
    "text",
]


@dataclass(frozen=True)
class Expected:
    """One line of a list as the model expects it."""

    person: str
    allowance: int
    arrears: int
    carried_over: int
    recovery: int
    total: int


@dataclass(frozen=True)
class Books:
    """Per person, where the money owed went, to the đồng: owed (allowance and arrears of
    every current list) = paid + pending + carried (unpaid, waiting for a later list) +
    unpaid_stopped + returned + recovered (deducted, or a line marked recovered)."""

    owed: int = 0
    paid: int = 0
    pending: int = 0
    carried: int = 0
    unpaid_stopped: int = 0
    returned: int = 0
    recovered: int = 0

    def accounted(self) -> int:
        return (
            self.paid
            + self.pending
            + self.carried
            + self.unpaid_stopped
            + self.returned
            + self.recovered
        )


class Model(Ledger):
    """The register (a timeline of decisions per person) and the payments of one district."""

    def __init__(self, integrated: bool = True, district: str | None = None) -> None:
        super().__init__(integrated, district)
        self._seq = 0

    def _decision(self, kind: str, month: date, groups: dict[str, int] | None) -> Decision:
        self._seq += 1
        return Decision(self._seq, kind, month, tuple(sorted((groups or {}).items())))

    def start(
        self, person: str, month: date, groups: dict[str, int], home: str | None = None
    ) -> Person:
        p = self.people[person] = Person(person, home=home)
        p.decisions.append(self._decision(START, month, groups))
        return p

    def move(self, person: str, month: date, district: str) -> None:
        """The person lives in ``district`` from ``month`` (a move to another area): the
        district holding them in a month pays that month, and only it."""
        self.people[person].moves.append((month, district))

    def add(self, person: str) -> Person:
        self.people[person] = Person(person)
        return self.people[person]

    def record(
        self, person: str, kind: str, month: date, groups: dict[str, int] | None = None
    ) -> None:
        """A decision as a register recorded it (no guards; a death effective from the month
        its allowance stops)."""
        self.people[person].decisions.append(self._decision(kind, month, groups))

    def decide(
        self, person: str, kind: str, month: date, groups: dict[str, int] | None = None
    ) -> None:
        """Record a decision effective from ``month`` (for a death: the death's month — the
        allowance stops from the next one)."""
        p = self.people[person]
        p.check(kind, month, groups if kind == ADJUST else None)
        effective = add_months(month_of(month), 1) if kind == DEATH else month
        p.decisions.append(self._decision(kind, effective, groups))

    def set_arrears(self, person: str, amount: int, period: date) -> None:
        self.people[person].arrears = (amount, period) if amount else None

    # -- answers ------------------------------------------------------------------------
    @staticmethod
    def expected(x: PayList) -> dict[str, Expected]:
        """The top-level lines of list ``x`` by person."""
        return {
            line.person: Expected(line.person, *line.amounts())
            for line in x.lines.values()
            if line.parent is None
        }

    def books(self, person: str) -> Books:
        return books_of(
            person,
            (line for x in self.current_lists() for line in x.lines.values()),
        )

    def entitlement(self, person: str, month: date) -> int:
        level = self.levels.get(month) or level_in(month) or 0
        return self.people[person].entitlement(month, level)[2]


def books_of(person: str, lines: Iterable[Line]) -> Books:
    """The books of ``person`` over ``lines`` (every line of the current lists)."""
    sums = dict.fromkeys(("owed", *Books.__dataclass_fields__), 0)
    for line in lines:
        if line.person != person:
            continue
        if line.parent is None:
            sums["owed"] += line.allowance + line.arrears
            sums["recovered"] += line.recovery
        if line.status == "split":
            continue
        if line.status == "unpaid":
            sums["carried"] += 0 if line.carried_into else line.total
        elif line.status == "recovered":
            sums["recovered"] += line.total
        else:
            sums[line.status] += line.total
    return Books(**sums)
