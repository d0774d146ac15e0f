"""What the routes take and answer: request and response bodies, path and query types."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from btxh_common import bounds
from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from payment_svc.domain.states import ManualStatus

MONTH = r"^(19|2\d)\d{2}-(0[1-9]|1[0-2])$"
MonthPath = Annotated[str, Path(pattern=MONTH, examples=["2026-12"])]
Month = Annotated[str, Field(pattern=MONTH, examples=["2026-12"])]
District = Annotated[str, Path(pattern=r"^\d{3}$")]
Kind = Literal["monthly", "funeral"]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OpenPeriod(Body):
    month: Month


class Generate(Body):
    kind: Kind = "monthly"
    as_of: int | None = Field(
        default=None,
        ge=0,
        le=2**62,
        description="the register position of the caller's last write (beneficiary-svc): "
        "wait for the read model to reach it, or 409 read_model_behind",
    )


class LockBody(Body):
    note: str | None = Field(default=None, max_length=500)


class Pull(Body):
    from_month: Month


class StatusException(Body):
    line_id: UUID | None = None
    national_id: str | None = Field(default=None, pattern=r"^(\d{9}|\d{12})$")
    status: ManualStatus
    paid_on: bounds.PastDate | None = None


class Statuses(Body):
    """Everyone gets ``everyone`` (if given), then the exceptions theirs (by line or ID)."""

    everyone: ManualStatus | None = None
    paid_on: bounds.PastDate | None = None
    exceptions: list[StatusException] = Field(default_factory=list, max_length=100_000)
    reason: str = Field(min_length=1, max_length=500)


class Part(Body):
    amount: int = Field(gt=0, le=10**12)
    note: str | None = Field(default=None, max_length=200)


class SplitBody(Body):
    parts: list[Part] = Field(min_length=2, max_length=24)


class PaymentMode(Body):
    integrated: bool


class PeriodView(BaseModel):
    district: str
    period: str
    status: str
    level: int | None
    locked_by: str | None
    lock_note: str | None


class Periods(BaseModel):
    periods: list[PeriodView]


class CommuneTotals(BaseModel):
    commune_code: str
    lines: int
    total: int
    allowance: int
    arrears: int
    carried_over: int
    recovery: int
    funeral: int


class ChannelTotals(BaseModel):
    payment_channel: str
    lines: int
    total: int


class ListView(BaseModel):
    id: UUID
    district: str
    period: str
    kind: str
    version: int
    status: str
    rejected_reason: str | None = Field(
        default=None, description="why the post office rejected the list (status rejected)"
    )
    level: int
    lines: int
    total: int
    communes: list[CommuneTotals]
    channels: list[ChannelTotals]
    register_position: int | None = Field(
        default=None, description="the register position the list was built from"
    )
    register_changed: bool = Field(
        default=False,
        description="the register has changed since (as far as payment-svc has heard)",
    )
    notice_vi: str | None = None


class ReadPosition(BaseModel):
    district_code: str
    position: int = Field(description="the highest register position applied (0: none)")


class Lists(BaseModel):
    lists: list[ListView]


class Pulled(BaseModel):
    lines: int


class PaymentModeView(BaseModel):
    district: str
    integrated: bool


class LineView(BaseModel):
    id: UUID
    list_id: UUID
    beneficiary_id: UUID
    national_id: str | None
    full_name: str
    commune_code: str
    payment_channel: str
    bank_account: str | None
    category: str | None
    coefficient: int | None
    allowance: int
    arrears: int
    arrears_period: date | None
    carried_over: int
    recovery: int
    funeral: int
    total: int
    status: str
    paid_on: date | None
    parent_id: UUID | None
    note: str | None
    carried_into: UUID | None
    pull_to_month: date | None


class LinesPage(BaseModel):
    page: int
    size: int
    lines: list[LineView]


class Changed(BaseModel):
    changed: int


class AuditEntry(BaseModel):
    id: int
    line_id: UUID
    old: str
    new: str
    paid_on: date | None
    by_whom: str
    source: str
    reason: str | None
    at: datetime


class Audit(BaseModel):
    audit: list[AuditEntry]


class Parts(BaseModel):
    parts: list[UUID]


class Dvct01Totals(BaseModel):
    people: int
    to_pay: int
    paid_lines: int
    paid: int
    recovered: int
    unpaid_lines: int
    unpaid: int
    recovery: int = Field(description="deducted by recoveries (truy thu)")


class Dvct01Commune(BaseModel):
    commune_code: str
    people: int
    to_pay: int
    paid_lines: int
    paid: int
    recovered: int
    unpaid_lines: int
    unpaid: int
    recovery: int = Field(description="deducted by recoveries (truy thu)")


class Dvct01(BaseModel):
    district: str
    period: str
    kind: str
    communes: list[Dvct01Commune]
    total: Dvct01Totals


class Dvct02Line(BaseModel):
    line_id: UUID
    commune_code: str
    full_name: str
    national_id: str | None
    payment_channel: str
    total: int
    status: str
    recovery: int = Field(description="deducted by recoveries (truy thu)")


class Dvct02(BaseModel):
    district: str
    period: str
    kind: str
    lines: list[Dvct02Line]
    total: int
    recovery: int = Field(description="deducted by recoveries (truy thu)")
