"""What the routes of the register's other functions (issue 20) read and answer."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from btxh_common import bounds
from pydantic import BaseModel, ConfigDict, Field

from beneficiary_svc.api.models import Month, Signer
from beneficiary_svc.api.warning_view import PolicyWarningView

STRICT = ConfigDict(extra="forbid")


class WarnedPerson(BaseModel):
    beneficiary_id: UUID
    full_name: str
    national_id: str | None
    birth_date: date
    commune_code: str
    status: str
    warning: PolicyWarningView


class WarningList(BaseModel):
    district_code: str
    month: str = Field(description="YYYY-MM: the month the warnings are for")
    items: list[WarnedPerson]
    total: int


class Restore(BaseModel):
    """Bring back a removed beneficiary (supervisor). Without ``pay_from`` the months from the
    removal to the restore are not paid; with it (and the decision that says so) they are
    paid from ``pay_from``."""

    model_config = STRICT
    reason: bounds.Reason
    decision_no: bounds.DecisionNo | None = None
    decision_date: bounds.PastDate | None = None
    signer: Signer = None
    pay_from: Month | None = None


class DecisionRecord(BaseModel):
    """A policy decision as kept: number, date, signer, effective month and the change."""

    id: int
    beneficiary_id: UUID
    district_code: str
    full_name: str
    national_id: str | None
    commune_code: str
    action: str
    effective_month: str = Field(description="YYYY-MM")
    status: str | None
    category: str | None
    coefficient: int | None = Field(description="tenths: 15 means 1.5")
    children: int | None
    decision_no: str | None
    decision_date: date | None
    signer: str | None
    recorded_by: str | None
    recorded_at: datetime
    change_vi: str = Field(description="the change, in the officer's words")


class DecisionPage(BaseModel):
    items: list[DecisionRecord]
    total: int
    next_cursor: str | None = None
