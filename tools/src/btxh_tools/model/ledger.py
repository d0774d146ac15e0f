"""Periods, lists, lines and recoveries as the model keeps them (DOMAIN "Payment periods and
lists", "Decisions take effect in a month", "Amounts"), and the policy payment-svc chose
where DOMAIN leaves a choice (refuse the new version once anyone is paid or the payment unit
has the list). The model answers what month M's list must hold, line by line, and per person
what is owed, paid, carried, unpaid-stopped and recovered.

A line's key is ``"<month>/<version>/<person>"``; a part of a split line has the key its
caller gives it (the service's id of the part).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from btxh_tools.model.rules import Person, Refused, add_months, level_in, text

RETIRED = ("superseded", "deleted")
PAYABLE = ("submitted", "sent", "acknowledged", "results_received")
STATUSES = ("pending", "paid", "unpaid", "unpaid_stopped", "returned", "recovered")


@dataclass
class Line:
    key: str
    person: str
    month: date
    category: str | None = None
    coefficient: int = 0
    allowance: int = 0
    arrears: int = 0
    arrears_period: date | None = None
    carried_over: int = 0
    recovery: int = 0
    total: int = 0
    status: str = "pending"
    parent: str | None = None
    carried_into: str | None = None
    pull_to: date | None = None
    deductions: dict[str, int] = field(default_factory=dict)  # recovery id → amount

    def amounts(self) -> tuple[int, int, int, int, int]:
        return self.allowance, self.arrears, self.carried_over, self.recovery, self.total


@dataclass
class PayList:
    month: date
    version: int
    status: str = "draft"
    lines: dict[str, Line] = field(default_factory=dict)

    def leaves(self) -> list[Line]:
        return [x for x in self.lines.values() if x.status != "split"]

    def top(self) -> list[Line]:
        return [x for x in self.lines.values() if x.parent is None]


@dataclass
class Recovery:
    id: str
    person: str
    total: int
    per_period: int
    from_month: date
    cancelled: bool = False


class Ledger:
    """The model of one district's payments. Every action either changes the model and
    returns, or raises ``Refused(code)`` and changes nothing."""

    def __init__(self, integrated: bool = True, district: str | None = None) -> None:
        self.district = district  # None: every person is this ledger's, whatever their moves
        self.people: dict[str, Person] = {}
        self.periods: dict[date, str] = {}
        self.levels: dict[date, int] = {}
        self.lists: dict[date, list[PayList]] = defaultdict(list)
        self.recoveries: dict[str, Recovery] = {}
        self.integrated = integrated

    # -- lookups ------------------------------------------------------------------------
    def current(self, month: date) -> PayList | None:
        alive = [x for x in self.lists.get(month, []) if x.status not in RETIRED]
        return alive[-1] if alive else None

    def current_lists(self) -> list[PayList]:
        return [c for m in sorted(self.lists) if (c := self.current(m)) is not None]

    def find_line(self, key: str) -> tuple[PayList, Line]:
        for versions in self.lists.values():
            for x in versions:
                if key in x.lines:
                    return x, x.lines[key]
        raise Refused("line_not_found")

    def _writable(self, month: date) -> None:
        if month not in self.periods:
            raise Refused("period_not_found")
        if self.periods[month] == "locked":
            raise Refused("period_locked")

    # -- periods ------------------------------------------------------------------------
    def open_period(self, month: date) -> None:
        level = level_in(month)
        if level is None:
            raise Refused("no_level")
        if month in self.periods:
            raise Refused("period_exists")
        self.periods[month], self.levels[month] = "open", level

    def lock(self, month: date, locked: bool) -> None:
        if month not in self.periods:
            raise Refused("period_not_found")
        self.periods[month] = "locked" if locked else "open"

    # -- lists --------------------------------------------------------------------------
    def generate(self, month: date) -> PayList:
        """A new version of ``month``'s monthly list, from what the model knows now."""
        self._writable(month)
        old = self.current(month)
        if old is not None:
            self._retire(old, self._replaced(old))
        made = PayList(month, len(self.lists[month]) + 1)
        self.lists[month].append(made)
        sources = self._carry_sources(month)
        for person in self.people.values():
            self._line(made, person, sources.get(person.id, []))
        return made

    def _replaced(self, old: PayList) -> str:
        if old.status == "settled":
            raise Refused("list_settled")
        if old.status in ("acknowledged", "results_received"):
            raise Refused("list_at_payment_unit")
        if any(x.status == "paid" for x in old.leaves()):
            raise Refused("list_has_payments")
        if any(x.carried_into is not None for x in old.leaves()):
            raise Refused("list_carried_over")  # its unpaid money is owed by a later list
        return "deleted" if old.status == "draft" else "superseded"

    def _retire(self, old: PayList, status: str) -> None:
        """Take a list out of force: what it carried from earlier months is released."""
        keys = set(old.lines)
        for x in self.current_lists():
            for line in x.lines.values():
                if line.carried_into in keys:
                    line.carried_into = None
        old.status = status

    def _carry_sources(self, month: date) -> dict[str, list[Line]]:
        """Unpaid money not carried yet: of the month before by itself, or pointed at
        ``month`` by a pull (DOMAIN §4.3)."""
        found: dict[str, list[Line]] = defaultdict(list)
        for x in self.current_lists():
            if x.month >= month:
                continue
            for line in x.leaves():
                if line.status != "unpaid" or line.carried_into is not None:
                    continue
                target = line.pull_to or add_months(x.month, 1)
                if target == month:
                    found[line.person].append(line)
        return found

    def _arrears(self, person: Person, month: date) -> tuple[int, date | None]:
        """Arrears are paid once, on the list of their payment month (or the first list
        after it), never on two current lists."""
        if person.arrears is None or person.arrears[0] <= 0 or person.arrears[1] > month:
            return 0, None
        amount, period = person.arrears
        for x in self.current_lists():
            if x.month != month and any(
                t.arrears > 0 and t.arrears_period == period and t.person == person.id
                for t in x.top()
            ):
                return 0, None
        return amount, period

    def _line(self, made: PayList, person: Person, sources: list[Line]) -> None:
        if person.removed:
            return
        category, tenths, allowance = person.entitlement(made.month, self.levels[made.month])
        arrears, period = self._arrears(person, made.month)
        lives = person.district_in(made.month)
        if self.district is not None and lives is not None and lives != self.district:
            # the district the person lives in pays the month; this one pays only the unpaid
            # money it owes them from before they moved
            allowance, arrears, period = 0, 0, None
        carried = sum(s.total for s in sources)
        gross = allowance + arrears + carried
        if gross <= 0:
            return
        key = f"{text(made.month)}/{made.version}/{person.id}"
        line = Line(key, person.id, made.month, category, tenths, allowance, arrears, period)
        line.carried_over = carried
        line.deductions = self._deduct(person.id, made.month, gross)
        line.recovery = sum(line.deductions.values())
        line.total = gross - line.recovery
        made.lines[key] = line
        for s in sources:
            s.carried_into = key

    def delete(self, x: PayList) -> None:
        self._writable(x.month)
        if x.status != "draft":
            raise Refused("list_not_draft")
        self._retire(x, "deleted")

    def submit(self, x: PayList) -> None:
        self._writable(x.month)
        if x.status != "draft":
            raise Refused("list_already_submitted")
        x.status = "submitted"

    # -- lines --------------------------------------------------------------------------
    def statuses(
        self,
        x: PayList,
        everyone: str | None,
        exceptions: list[tuple[str, str]],
        supervisor: bool,
    ) -> int:
        """Everyone gets ``everyone``, then each exception (line key, status) its own; a line
        whose money a later line carries is passed by and may not change."""
        if everyone is None and not exceptions:
            raise Refused("no_status")
        self._writable(x.month)
        if x.status not in PAYABLE:
            raise Refused("list_not_payable")
        if self.integrated and not supervisor:
            raise Refused("integrated_district")
        leaves = {line.key: line for line in x.leaves()}
        plan: dict[str, str] = {}
        if everyone:
            plan = {k: everyone for k, line in leaves.items() if line.carried_into is None}
        for key, status in exceptions:
            if key not in leaves:
                raise Refused("line_not_in_list")
            if leaves[key].carried_into is not None and status != "unpaid":
                raise Refused("line_carried_over")
            plan[key] = status
        changed = 0
        for key, status in plan.items():
            changed += leaves[key].status != status
            leaves[key].status = status
        return changed

    def split(self, key: str, amounts: list[int], part_keys: list[str]) -> None:
        x, line = self.find_line(key)
        self._writable(x.month)
        if x.status in (*RETIRED, "settled"):
            raise Refused("line_not_splittable")
        if line.status == "paid":
            raise Refused("line_paid")
        if line.status != "pending":
            raise Refused("line_not_splittable")
        if len(amounts) < 2 or min(amounts) <= 0 or sum(amounts) != line.total:
            raise Refused("split_sum_mismatch")
        for part, amount in zip(part_keys, amounts, strict=True):
            x.lines[part] = Line(
                part,
                line.person,
                x.month,
                line.category,
                line.coefficient,
                allowance=amount,
                total=amount,
                parent=key,
            )
        line.status = "split"

    def pull(self, month: date, from_month: date) -> int:
        """Point ``from_month``'s unpaid money not carried yet at ``month``."""
        self._writable(month)
        if from_month >= month:
            raise Refused("pull_not_past")
        source = self.current(from_month)
        if from_month in self.periods:
            if self.periods[from_month] == "locked":
                raise Refused("period_locked")
            if source is not None and source.status == "settled":
                raise Refused("pull_from_settled")
        if source is None:
            return 0
        moved = 0
        for line in source.leaves():
            if line.status == "unpaid" and line.carried_into is None:
                line.pull_to, moved = month, moved + 1
        return moved

    # -- recoveries (truy thu) ----------------------------------------------------------
    def create_recovery(
        self, rid: str, person: str, total: int, per_period: int, from_month: date
    ) -> Recovery:
        if total <= 0 or per_period <= 0 or per_period > total:
            raise Refused("invalid_input")
        made = Recovery(rid, person, total, per_period, from_month)
        self.recoveries[rid] = made
        return made

    def cancel_recovery(self, rid: str, supervisor: bool) -> None:
        if not supervisor:
            raise Refused("role_not_allowed")
        r = self.recoveries[rid]
        if r.cancelled or self.outstanding(rid) == 0:
            raise Refused("recovery_closed")
        r.cancelled = True

    def deducted(self, rid: str, *, except_month: date | None = None) -> int:
        return sum(
            t.deductions.get(rid, 0)
            for x in self.current_lists()
            if x.month != except_month
            for t in x.top()
        )

    def outstanding(self, rid: str) -> int:
        r = self.recoveries[rid]
        return 0 if r.cancelled else r.total - self.deducted(rid)

    def recovery_status(self, rid: str) -> str:
        if self.recoveries[rid].cancelled:
            return "cancelled"
        return "closed" if self.outstanding(rid) == 0 else "open"

    def _deduct(self, person: str, month: date, gross: int) -> dict[str, int]:
        """Each open recovery of the person due by ``month`` takes up to its amount per
        period, never more than is outstanding (counting the current lists of the other
        months) nor than what the line still holds."""
        taken: dict[str, int] = {}
        left = gross
        for r in self.recoveries.values():
            if r.person != person or r.cancelled or r.from_month > month:
                continue
            outstanding = r.total - self.deducted(r.id, except_month=month)
            d = min(r.per_period, outstanding, left)
            if d > 0:
                taken[r.id], left = d, left - d
        return taken
