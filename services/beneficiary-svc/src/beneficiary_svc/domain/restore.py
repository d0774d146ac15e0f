"""Restoring data (*khôi phục dữ liệu*, seed "Other functions" and "Beneficiary management" §11):
a supervisor brings back a beneficiary removed from the system — in this register every
member of a household is a beneficiary record of their own, so a removed household member is
restored the same way.

The record returns to the status it had when it was removed. Nothing is paid for the months
it was removed — from the month of the removal to the month before the restore — unless a
decision says so: with a decision number, ``pay_from`` names the first month paid again (the
months before it stay unpaid). The timeline records the unpaid months as a ``removed``
period, so payment-svc pays them nothing even if a list for them is made later.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from btxh_common.clock import month_text

from beneficiary_svc.domain.errors import NotRemoved, PayFromInvalid, RestoreDecisionRequired
from beneficiary_svc.domain.register import Beneficiary, Change
from beneficiary_svc.domain.timeline import Decision, in_force

REMOVED = "removed"


@dataclass(frozen=True)
class Removal:
    """The removal being undone: its month (Asia/Ho_Chi_Minh) and the record's status then."""

    month: date
    status: str
    status_reason: str | None


def restored(b: Beneficiary, removal: Removal) -> Change:
    """The record as it was before the removal (status and its reason)."""
    if b.status != REMOVED:
        raise NotRemoved(value=b.status)
    after = replace(
        b, status=removal.status, status_reason=removal.status_reason, version=b.version + 1
    )
    return after, ["status", "status_reason", "timeline"]


def unpaid_until(
    removal: Removal, restore_month: date, decision_no: str | None, pay_from: date | None
) -> date:
    """The first month paid again: the restore's month, or ``pay_from`` when a decision says
    so (between the removal's month and the restore's)."""
    if pay_from is None:
        return restore_month
    if decision_no is None:
        raise RestoreDecisionRequired(field="decision_no")
    if pay_from > restore_month:
        raise PayFromInvalid(
            f"Tháng trả lại ({month_text(pay_from)}) không được sau tháng khôi phục "
            f"({month_text(restore_month)})",
            field="pay_from",
            value=month_text(pay_from),
        )
    return max(pay_from, removal.month)


def gap_decisions(
    existing: Iterable[Decision], removal: Removal, until: date, decision_no: str | None
) -> list[Decision]:
    """The decisions that leave the months ``removal.month`` … ``until`` − 1 unpaid and put
    back, from ``until``, the status the existing decisions had then. A status decision
    effective inside the gap is overridden by a ``removed`` one in its month (recorded later,
    so it wins in that month)."""
    if until <= removal.month:
        return []
    existing = list(existing)
    back = [p for p in in_force(existing) if p.from_month <= until]
    inside = sorted(
        {d.month for d in existing if d.status is not None and removal.month < d.month < until}
    )
    gap = [
        Decision(m, "restore", REMOVED, decision_no=decision_no) for m in [removal.month, *inside]
    ]
    if back:
        gap.append(Decision(until, "restore", back[-1].status, decision_no=decision_no))
    return gap
