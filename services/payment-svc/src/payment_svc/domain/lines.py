"""What officers do to a list's lines by hand: statuses in bulk, a line split into parts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol
from uuid import UUID

from payment_svc.domain.errors import LineNotInList, NoStatusGiven, SplitSumMismatch
from payment_svc.domain.states import require_not_carried

Changes = dict[UUID, tuple[str, date | None]]  # line → (status, paid on)


class StatusException(Protocol):
    """One person's status, named by line or by national ID."""

    @property
    def line_id(self) -> UUID | None: ...
    @property
    def national_id(self) -> str | None: ...
    @property
    def status(self) -> str: ...
    @property
    def paid_on(self) -> date | None: ...


def plan_statuses(
    leaves: Sequence[tuple[UUID, str | None, bool]],
    everyone: str | None,
    paid_on: date | None,
    exceptions: Sequence[StatusException],
) -> Changes:
    """§7 the way officers work: everyone gets ``everyone`` (if given), then each exception
    its own status — on every line of that national ID when named by ID. ``leaves`` are the
    list's lines that are not split, as (line, national ID, carried into a later month):
    a carried line's money is no longer here, so "everyone" passes it by and an exception
    may not change it."""
    by_id = {line for line, _, _ in leaves}
    carried = {line for line, _, was_carried in leaves if was_carried}
    by_national: dict[str, list[UUID]] = {}
    for line, national_id, _ in leaves:
        if national_id:
            by_national.setdefault(national_id, []).append(line)
    changes: Changes = {}
    if everyone:
        changes = {line: (everyone, paid_on) for line in by_id - carried}
    for e in exceptions:
        targets = [e.line_id] if e.line_id else by_national.get(e.national_id or "", [])
        if not targets or any(t not in by_id for t in targets):
            raise LineNotInList(e.line_id or e.national_id)
        for target in targets:
            require_not_carried(target in carried, e.status)
            changes[target] = (e.status, e.paid_on or paid_on)
    return changes


def require_split_adds_up(amounts: Sequence[int], total: int) -> None:
    """§8: at least two parts, each above 0, summing to the line's total to the đồng."""
    if len(amounts) < 2 or any(a <= 0 for a in amounts) or sum(amounts) != total:
        raise SplitSumMismatch(total)


def require_some_status(everyone: str | None, exceptions: Sequence[StatusException]) -> None:
    if everyone is None and not exceptions:
        raise NoStatusGiven()
