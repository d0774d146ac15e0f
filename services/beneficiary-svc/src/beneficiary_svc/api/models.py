"""What beneficiary-svc's HTTP API reads and answers: request and response models."""

from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar
from uuid import UUID

import asyncpg
from btxh_common import bounds
from btxh_common.clock import month_text, month_text_or_none
from pydantic import BaseModel, ConfigDict, Field, model_validator

from beneficiary_svc.api.warning_view import PolicyWarningView, next_month_marks
from beneficiary_svc.domain.register import Beneficiary
from beneficiary_svc.domain.values import id_warnings

Month = Annotated[str, Field(pattern=r"^(19|2\d)\d{2}-(0[1-9]|1[0-2])$", examples=["2026-11"])]
Gender = Literal["male", "female", "other"]
Channel = Literal["cash", "bank", "ewallet"]
STRICT = ConfigDict(extra="forbid")
Children = Annotated[
    int | None,
    Field(
        ge=1,
        le=50,
        description="DON_THAN (single parent, paid per child): required, the number of "
        "children; absent (or 1) for every other category",
    ),
]
Status = Literal["active", "suspended", "under_review", "stopped", "deceased", "removed"]
Signer = Annotated[
    str | None,
    Field(
        default=None,
        min_length=1,
        max_length=bounds.NAME,
        description="who signed the decision (kept on the decision record)",
        examples=["Nguyễn Văn Bình"],
    ),
]


class BeneficiaryItem(BaseModel):
    id: UUID
    national_id: str | None
    full_name: str
    birth_date: date | None
    gender: str | None
    commune_code: str
    category: str | None
    coefficient: int | None = Field(description="tenths: 15 means 1.5")
    children: int | None = Field(default=None, description="DON_THAN: children paid for")
    status: str
    arrears_amount: int
    arrears_period: str | None
    recovery_amount: int


class BeneficiaryDetail(BeneficiaryItem):
    district_code: str
    ethnicity: str | None
    address: str | None
    phone: str | None
    allowance_start_month: str | None
    decision_no: str | None
    decision_date: date | None
    status_effective_month: str | None
    status_reason: str | None
    death_date: date | None
    funeral_recipient: str | None
    payment_channel: str
    bank_account: str | None
    bank_name: str | None
    version: int
    warnings: list[str] = Field(description="CCCD digits that disagree with birth year/gender")
    policy_warnings: list[PolicyWarningView] = Field(
        default_factory=list,
        description="cảnh báo chính sách: the age leaves the category's band next month",
    )
    register_position: int | None = Field(
        default=None,
        description="the district's register position this answer reflects (after a write:"
        " the one it left; pass it as as_of to payment-svc and import-svc to read the write)",
    )


class Page(BaseModel):
    items: list[BeneficiaryItem]
    total: int


class NewBeneficiary(BaseModel):
    model_config = STRICT
    national_id: str | None = Field(default=None, pattern=r"^(\d{9}|\d{12})$")
    full_name: bounds.Name
    birth_date: bounds.PastDate | None = None
    gender: Gender | None = None
    ethnicity: bounds.Code | None = None
    commune_code: str = Field(pattern=r"^\d{5}$")
    address: bounds.Address | None = None
    phone: bounds.Phone | None = None
    category: bounds.Code
    children: Children = None
    allowance_start_month: Month
    decision_no: bounds.DecisionNo
    decision_date: bounds.PastDate | None = None
    signer: Signer = None
    payment_channel: Channel = "cash"
    bank_account: bounds.BankAccount | None = None
    bank_name: bounds.BankName | None = None


class InfoUpdate(BaseModel):
    model_config = STRICT
    full_name: bounds.Name | None = None
    birth_date: bounds.PastDate | None = None
    gender: Gender | None = None
    ethnicity: bounds.Code | None = None
    address: bounds.Address | None = None
    phone: bounds.Phone | None = None
    national_id: str | None = Field(default=None, pattern=r"^(\d{9}|\d{12})$")
    payment_channel: Channel | None = None
    bank_account: bounds.BankAccount | None = None
    bank_name: bounds.BankName | None = None

    @model_validator(mode="after")
    def _required_fields_stay(self) -> "InfoUpdate":
        """Absent means unchanged; null clears, except what every beneficiary must have."""
        for name in ("full_name", "payment_channel"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name}: không được để trống")
        return self


class Decision(BaseModel):
    model_config = STRICT
    effective_month: Month
    decision_no: bounds.DecisionNo
    reason: bounds.Reason
    decision_date: bounds.PastDate | None = None
    signer: Signer = None


class PolicyChange(BaseModel):
    model_config = STRICT
    category: bounds.Code
    children: Children = None
    effective_month: Month
    decision_no: bounds.DecisionNo
    decision_date: bounds.PastDate | None = None
    signer: Signer = None


class Suspension(BaseModel):
    model_config = STRICT
    effective_month: Month
    reason: bounds.Reason
    under_review: bool = False


class Resumption(BaseModel):
    model_config = STRICT
    effective_month: Month
    reason: bounds.Reason


class Death(BaseModel):
    model_config = STRICT
    death_date: date  # the rules bound it (after birth, not in the future): invalid_value
    decision_no: bounds.DecisionNo
    funeral_recipient: bounds.Name | None = None
    decision_date: bounds.PastDate | None = None
    signer: Signer = None


class Reason(BaseModel):
    model_config = STRICT
    reason: bounds.Reason


class LockRequest(BaseModel):
    model_config = STRICT
    month: Month
    note: bounds.Reason


class DataLock(BaseModel):
    id: int
    district_code: str
    month: str
    note: str
    locked_by: str
    locked_at: datetime
    unlocked_by: str | None
    unlocked_at: datetime | None
    unlock_note: str | None


class Unlock(BaseModel):
    model_config = STRICT
    note: bounds.Reason


T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


class Items(BaseModel, Generic[T]):
    items: list[T]
    total: int


class CursorItems(Items[T], Generic[T]):
    """A page of a list paged by cursor: ``next_cursor`` reads the next, none: the last."""

    next_cursor: str | None = None


class DuplicateHolder(BaseModel):
    """One holder of a shared ID, in the caller's units (no other holder is ever mentioned)."""

    national_id: str | None = None
    id: UUID
    full_name: str
    commune_code: str
    district_code: str
    status: str


class DuplicateGroup(BaseModel):
    national_id: str
    holders: list[DuplicateHolder]


class MissingInfo(BaseModel):
    id: UUID
    full_name: str
    commune_code: str
    status: str
    missing: list[str]


class HistoryEntry(BaseModel):
    id: int
    at: datetime
    officer: str
    action: str
    reason: str | None
    source: str
    changed: list[str]
    effective_month: date | None = None
    before: dict[str, Any] | None
    after: dict[str, Any]


class Commune(BaseModel):
    code: str
    name: str


class Category(BaseModel):
    code: str
    name_vi: str
    coefficient: int = Field(description="tenths: 15 means 1.5")
    legal_basis: str
    effective_from: date
    effective_to: date | None
    note: str | None


class StandardLevel(BaseModel):
    effective_from: date
    amount: int
    legal_basis: str


def detail(b: Beneficiary, register_position: int | None = None) -> BeneficiaryDetail:
    data: dict[str, Any] = {
        "register_position": register_position,
        **b.__dict__,
        "arrears_period": month_text_or_none(b.arrears_period),
        "allowance_start_month": month_text_or_none(b.allowance_start_month),
        "status_effective_month": month_text_or_none(b.status_effective_month),
        "warnings": id_warnings(b.national_id, b.birth_date, b.gender),
        "policy_warnings": next_month_marks(b),
    }
    return BeneficiaryDetail(**data)


def item(b: Beneficiary) -> BeneficiaryItem:
    return BeneficiaryItem(**{**b.__dict__, "arrears_period": month_text_or_none(b.arrears_period)})


def lock_out(row: asyncpg.Record) -> DataLock:
    return DataLock(**{**dict(row), "month": month_text(row["month"])})


def listing(model: type[M], rows: Iterable[Any], total: int | None = None) -> Items[M]:
    """Rows (records or dicts) as ``model`` items; ``total`` when it is more than these."""
    items = [model.model_validate(dict(r)) for r in rows]
    return Items(items=items, total=len(items) if total is None else total)


class RegisterPosition(BaseModel):
    district_code: str
    position: int = Field(description="the district's latest change number (0: none yet)")
