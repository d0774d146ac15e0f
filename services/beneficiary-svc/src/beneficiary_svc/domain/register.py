"""A beneficiary and the changes an officer may make to it (seed QLĐT §6–9).

Each change is a pure function: the current record in, the new record and the names of the
fields that changed out, or a ``DomainError`` saying why not.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import date
from typing import Any
from uuid import UUID

from btxh_common.clock import month_text, month_text_or_none, next_month, today
from btxh_common.errors import InvalidInput
from btxh_common.events import BeneficiarySnapshot, PolicyPeriod

from beneficiary_svc.domain.errors import (
    BeneficiaryDeceased,
    BeneficiaryRemoved,
    ChildrenNotApplicable,
    ChildrenRequired,
    EffectiveMonthInvalid,
    InvalidTransition,
    NoChange,
)
from beneficiary_svc.domain.values import normalise_name

INFO_FIELDS = (
    "full_name",
    "birth_date",
    "gender",
    "ethnicity",
    "address",
    "phone",
    "national_id",
    "payment_channel",
    "bank_account",
    "bank_name",
)
ACTIVE_LIKE = ("active", "suspended", "under_review")
PER_CHILD = "DON_THAN"  # the single-parent allowance is per child (DOMAIN's coefficient table)


def children_for(category: str, children: int | None) -> int | None:
    """The children a decision for ``category`` records: required (≥ 1) for a single parent
    (DON_THAN); absent (or 1, kept as absent) for every other category."""
    if category == PER_CHILD:
        if children is None or children < 1:
            raise ChildrenRequired(field="children", value=children)
        return children
    if children not in (None, 1):
        raise ChildrenNotApplicable(field="children", value=children)
    return None


@dataclass(frozen=True)
class Beneficiary:
    id: UUID
    district_code: str
    commune_code: str
    full_name: str
    status: str = "active"
    national_id: str | None = None
    birth_date: date | None = None
    gender: str | None = None
    ethnicity: str | None = None
    address: str | None = None
    phone: str | None = None
    category: str | None = None
    coefficient: int | None = None
    children: int | None = None  # DON_THAN: the children the allowance is paid for
    allowance_start_month: date | None = None
    decision_no: str | None = None
    decision_date: date | None = None
    status_effective_month: date | None = None
    status_reason: str | None = None
    death_date: date | None = None
    funeral_recipient: str | None = None
    arrears_amount: int = 0
    arrears_period: date | None = None
    recovery_amount: int = 0
    payment_channel: str = "cash"
    bank_account: str | None = None
    bank_name: str | None = None
    version: int = 1

    @classmethod
    def from_record(cls, record: Any) -> Beneficiary:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in dict(record).items() if k in names})

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, date | UUID):
                out[key] = str(value)
        return out

    def snapshot(self, timeline: list[PolicyPeriod]) -> BeneficiarySnapshot:
        """The published record with the decisions in force month by month."""
        return BeneficiarySnapshot(
            id=self.id,
            national_id=self.national_id,
            full_name=self.full_name,
            birth_date=self.birth_date,
            gender=self.gender,
            district_code=self.district_code,
            commune_code=self.commune_code,
            category=self.category,
            coefficient=self.coefficient,
            children=self.children,
            status=self.status,
            allowance_start_month=month_text_or_none(self.allowance_start_month),
            status_effective_month=month_text_or_none(self.status_effective_month),
            death_date=self.death_date,
            funeral_recipient=self.funeral_recipient,
            arrears_amount=self.arrears_amount,
            arrears_period=month_text_or_none(self.arrears_period),
            recovery_amount=self.recovery_amount,
            payment_channel=self.payment_channel,
            bank_account=self.bank_account,
            version=self.version,
            timeline=timeline,
        )


Change = tuple[Beneficiary, list[str]]


def _diff(old: Beneficiary, new: Beneficiary) -> Change:
    changed = [f.name for f in fields(old) if getattr(old, f.name) != getattr(new, f.name)]
    if not changed:
        raise NoChange()
    return replace(new, version=old.version + 1), changed


def _editable(b: Beneficiary) -> None:
    if b.status == "removed":
        raise BeneficiaryRemoved()


def _policy_editable(b: Beneficiary) -> None:
    _editable(b)
    if b.status == "deceased":
        raise BeneficiaryDeceased()


def _check_month(b: Beneficiary, month: date) -> None:
    if b.allowance_start_month and month < b.allowance_start_month:
        raise EffectiveMonthInvalid(
            "Tháng hiệu lực trước tháng bắt đầu hưởng",
            field="effective_month",
            value=month_text(month),
        )


def _check_status_month(b: Beneficiary, month: date) -> None:
    """A status decision takes effect from the last one's month on: the timeline keeps both,
    and one recorded for an earlier month would contradict the later one."""
    _check_month(b, month)
    if b.status_effective_month and month < b.status_effective_month:
        raise EffectiveMonthInvalid(
            "Tháng hiệu lực trước tháng của quyết định trạng thái trước "
            f"({month_text(b.status_effective_month)})",
            field="effective_month",
            value=month_text(month),
        )


def update_info(b: Beneficiary, values: dict[str, Any]) -> Change:
    _editable(b)
    unknown = set(values) - set(INFO_FIELDS)
    if unknown:
        raise InvalidInput(
            "Chỉ được cập nhật thông tin cơ bản, không phải chế độ", field=sorted(unknown)[0]
        )
    if "full_name" in values:
        values = {**values, "full_name": normalise_name(values["full_name"])}
    new = replace(b, **values)
    if new.payment_channel == "bank" and not (new.bank_account and new.bank_name):
        raise InvalidInput(
            "Chi trả qua tài khoản cần số tài khoản và ngân hàng", field="bank_account"
        )
    return _diff(b, new)


def stop(b: Beneficiary, month: date, decision_no: str, reason: str) -> Change:
    _policy_editable(b)
    if b.status not in ACTIVE_LIKE:
        raise InvalidTransition("Đối tượng không còn hưởng chế độ")
    _check_status_month(b, month)
    return _diff(
        b,
        replace(
            b,
            status="stopped",
            status_effective_month=month,
            status_reason=reason,
            decision_no=decision_no,
        ),
    )


def adjust(
    b: Beneficiary,
    category: str,
    coefficient: int,
    month: date,
    decision_no: str,
    decision_date: date | None,
    children: int | None = None,
) -> Change:
    _policy_editable(b)
    if b.status not in ACTIVE_LIKE:
        raise InvalidTransition("Chỉ điều chỉnh chế độ của đối tượng đang hưởng")
    _check_month(b, month)
    children = children_for(category, children)
    if (category, coefficient, children) == (b.category, b.coefficient, b.children):
        raise NoChange("Nhóm đối tượng, hệ số và số con không thay đổi")
    return _diff(
        b,
        replace(
            b,
            category=category,
            coefficient=coefficient,
            children=children,
            decision_no=decision_no,
            decision_date=decision_date,
        ),
    )


def suspend(b: Beneficiary, month: date, reason: str, under_review: bool) -> Change:
    _policy_editable(b)
    if b.status != "active":
        raise InvalidTransition("Chỉ tạm dừng đối tượng đang hưởng")
    _check_status_month(b, month)
    status = "under_review" if under_review else "suspended"
    return _diff(b, replace(b, status=status, status_effective_month=month, status_reason=reason))


def resume(b: Beneficiary, month: date, reason: str) -> Change:
    _policy_editable(b)
    if b.status not in ("suspended", "under_review"):
        raise InvalidTransition("Đối tượng không ở trạng thái tạm dừng")
    _check_status_month(b, month)
    return _diff(b, replace(b, status="active", status_effective_month=month, status_reason=reason))


def record_death(
    b: Beneficiary, death_date: date, decision_no: str, funeral_recipient: str | None
) -> Change:
    _policy_editable(b)
    if death_date > today():
        raise InvalidInput(
            "Ngày chết không được sau ngày hôm nay", field="death_date", value=str(death_date)
        )
    if b.birth_date and death_date < b.birth_date:
        raise InvalidInput("Ngày chết trước ngày sinh", field="death_date", value=str(death_date))
    stops_from = next_month(death_date.replace(day=1))
    return _diff(
        b,
        replace(
            b,
            status="deceased",
            death_date=death_date,
            status_effective_month=stops_from,
            decision_no=decision_no,
            funeral_recipient=funeral_recipient,
            status_reason="Cắt chết",
        ),
    )


def add_policy(
    b: Beneficiary,
    category: str,
    coefficient: int,
    month: date,
    decision_no: str,
    decision_date: date | None,
    children: int | None = None,
) -> Change:
    _policy_editable(b)
    if b.category is not None and b.status in ACTIVE_LIKE:
        raise InvalidTransition("Đối tượng đang có chế độ: dùng điều chỉnh chế độ")
    return _diff(
        b,
        replace(
            b,
            category=category,
            coefficient=coefficient,
            children=children_for(category, children),
            status="active",
            allowance_start_month=month,
            status_effective_month=month,
            decision_no=decision_no,
            decision_date=decision_date,
            status_reason=None,
        ),
    )


def delete_policy(b: Beneficiary, reason: str) -> Change:
    _policy_editable(b)
    if b.category is None:
        raise InvalidTransition("Đối tượng không có chế độ để xóa")
    return _diff(
        b,
        replace(
            b,
            category=None,
            coefficient=None,
            children=None,
            status="stopped",
            status_reason=reason,
        ),
    )


def remove(b: Beneficiary, reason: str) -> Change:
    _editable(b)
    return _diff(b, replace(b, status="removed", status_reason=reason))
