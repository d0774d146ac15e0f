"""What the move routes read and answer (chuyển địa bàn)."""

from datetime import date, datetime
from typing import Literal
from uuid import UUID

import asyncpg
from btxh_common import bounds
from btxh_common.clock import month_text
from pydantic import BaseModel, Field

from beneficiary_svc.api.models import STRICT, BeneficiaryDetail, Month

MoveStatus = Literal["pending", "accepted", "refused", "cancelled"]


class CommuneMove(BaseModel):
    """A move within the district: the new commune from the effective month."""

    model_config = STRICT
    commune_code: str = Field(pattern=bounds.COMMUNE_PATTERN, examples=["00004"])
    effective_month: Month
    decision_no: bounds.DecisionNo
    reason: bounds.Reason


class MoveRequest(BaseModel):
    """A move to another district (or province): the receiving district accepts or refuses."""

    model_config = STRICT
    to_district_code: str = Field(pattern=bounds.DISTRICT_PATTERN, examples=["002"])
    effective_month: Month
    decision_no: bounds.DecisionNo
    reason: bounds.Reason


class MoveAcceptance(BaseModel):
    model_config = STRICT
    commune_code: str = Field(
        pattern=bounds.COMMUNE_PATTERN,
        description="the commune of the receiving district the person lives in",
    )


class MoveRefusal(BaseModel):
    model_config = STRICT
    reason: bounds.Reason


class Move(BaseModel):
    id: UUID
    beneficiary_id: UUID
    full_name: str
    from_district: str
    from_commune: str
    to_district: str
    to_commune: str | None = Field(description="set when accepted (or within the district)")
    effective_month: str = Field(description="the first month the receiving district pays")
    decision_no: str
    reason: str
    status: MoveStatus
    refusal_reason: str | None = Field(description="why it was refused (or withdrawn)")
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None


class PolicyDecisionEntry(BaseModel):
    effective_month: date
    action: str
    status: str | None
    category: str | None
    coefficient: int | None = Field(description="tenths: 15 means 1.5")
    children: int | None
    decision_no: str | None
    recorded_at: datetime


class MoveDetail(Move):
    """The move; for the receiving district while it is pending, also the person's record
    and policy decisions (what it decides on) — nothing else of the sending district's."""

    beneficiary: BeneficiaryDetail | None = None
    decisions: list[PolicyDecisionEntry] | None = None


def move_out(row: asyncpg.Record) -> Move:
    return Move(**{**dict(row), "effective_month": month_text(row["effective_month"])})
