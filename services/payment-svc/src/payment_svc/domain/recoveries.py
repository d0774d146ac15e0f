"""Recoveries (truy thu): money paid wrongly, deducted from the person's later monthly lines
(DOMAIN "Amounts", "Payment periods and lists", "Decisions take effect").

The rules, for one person (the list SQL in ``adapters/generation.py`` applies them to
everyone at once):

- a recovery has a decision (number, date), a reason, a ``total`` and a ``per_period``
  amount (0 < per_period ≤ total), and deducts from the monthly lists of ``from_month`` on;
- when month M's monthly list is generated (any version), each open recovery of a person on
  it takes d = min(per_period, outstanding, what the line's gross has left), the person's
  recoveries in the order they were created; the line's recovery is their sum and its total
  = gross − recovery ≥ 0. The rest carries on to the next month;
- outstanding = total − the deductions on the current (neither superseded nor deleted)
  monthly lists of the other months (before M, or after it when M is made again later): a
  new version of M recomputes M's deduction and never counts it twice;
- a recovery is ``closed`` once the deductions on the current lists reach its total, and
  ``open`` again if a replaced or deleted list takes the completing deduction away;
- ``cancelled`` (by a supervisor, with a reason) only while open: lists generated after it
  deduct nothing; deductions already on lists stay. A line's payment status never undoes a
  deduction (the money owed was offset).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from btxh_common.errors import DomainError, InvalidInput, NotFoundError

OPEN, CLOSED, CANCELLED = "open", "closed", "cancelled"
STATUSES = (OPEN, CLOSED, CANCELLED)


class RecoveryNotFound(NotFoundError):
    code = "recovery_not_found"
    message_vi = "Không tìm thấy quyết định truy thu"


class RecipientNotFound(NotFoundError):
    code = "beneficiary_not_found"
    message_vi = "Không tìm thấy đối tượng trong danh sách của huyện"


class PerPeriodOverTotal(InvalidInput):
    code = "per_period_over_total"
    message_vi = "Số tiền truy thu mỗi kỳ không được lớn hơn tổng số tiền truy thu"


class RecoveryNotOpen(DomainError):
    code = "recovery_not_open"

    def __init__(self, status: str) -> None:
        said = "đã thu hồi xong" if status == CLOSED else "đã bị hủy"
        super().__init__(f"Quyết định truy thu {said}: không hủy được")


def require_valid(total: int, per_period: int) -> None:
    if per_period > total:
        raise PerPeriodOverTotal(field="per_period", value=per_period)


def require_cancellable(status: str) -> None:
    if status != OPEN:
        raise RecoveryNotOpen(status)


@dataclass(frozen=True)
class Due:
    """An open recovery as month M's list sees it."""

    per_period: int
    total: int
    taken_before: int  # deducted on the current lists of the months before M
    from_month: date
    cancelled: bool = False


def cap(due: Due, month: date) -> int:
    """The most this recovery may take from month ``month``'s line."""
    if due.cancelled or due.from_month > month:
        return 0
    return max(min(due.per_period, due.total - due.taken_before), 0)


def deductions(gross: int, dues: Sequence[Due], month: date) -> list[int]:
    """What each recovery (in creation order) takes from a line of ``gross``; their sum is
    the line's recovery, never more than the gross."""
    left = gross
    taken = []
    for due in dues:
        d = min(cap(due, month), left)
        taken.append(d)
        left -= d
    return taken


def status_after(status: str, total: int, recovered: int) -> str:
    """The status once the current lists hold ``recovered`` of it (a cancel is final)."""
    if status == CANCELLED:
        return CANCELLED
    return CLOSED if recovered >= total else OPEN


def outstanding(status: str, total: int, recovered: int) -> int:
    """What is still to recover: nothing once cancelled (the rest is cancelled)."""
    return 0 if status == CANCELLED else max(total - recovered, 0)
