"""The mark a policy warning leaves on a record (``domain/policy_warnings.py``)."""

from __future__ import annotations

from btxh_common.clock import current_month, month_text, next_month
from pydantic import BaseModel, Field

from beneficiary_svc.domain.policy_warnings import PolicyWarning, warning_for
from beneficiary_svc.domain.register import Beneficiary


class PolicyWarningView(BaseModel):
    """A policy warning (*cảnh báo chính sách*): the person's age leaves their band."""

    category: str = Field(description="the category in force now")
    age: int = Field(description="the age that ends the band")
    reached_month: str = Field(description="YYYY-MM: the month of that birthday")
    change: str = Field(description="what to decide: adjust (another band) or stop")
    to_category: str | None = Field(description="the band to adjust to (adjust only)")
    overdue: bool = Field(description="the birthday was before the month asked about")
    message_vi: str


def warning_view(w: PolicyWarning) -> PolicyWarningView:
    return PolicyWarningView(**{**w.__dict__, "reached_month": month_text(w.reached_month)})


def next_month_marks(b: Beneficiary) -> list[PolicyWarningView]:
    """The record's policy warning for next month, if any (the mark on the record)."""
    w = warning_for(b.category, b.birth_date, b.status, next_month(current_month()))
    return [] if w is None else [warning_view(w)]
