"""Moving a beneficiary to another area (chuyển địa bàn, guide "Other functions"): within the
district the commune changes from an effective month; to another district the sending
district requests the move and the receiving district accepts it (with the commune) or
refuses it (with the reason). The rules here are pure: the record in, the moved record or a
refusal out."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import date

from btxh_common.clock import month_text
from btxh_common.errors import DomainError, InvalidInput, NotFoundError, NotPermitted

from beneficiary_svc.domain.errors import (
    BeneficiaryDeceased,
    BeneficiaryRemoved,
    EffectiveMonthInvalid,
    NoChange,
)
from beneficiary_svc.domain.register import Beneficiary, Change

PENDING, ACCEPTED, REFUSED, CANCELLED = "pending", "accepted", "refused", "cancelled"


class MovePending(DomainError):
    code = "move_pending"
    message_vi = "Đối tượng đang có yêu cầu chuyển địa bàn chờ huyện nhận tiếp nhận"


class MoveNotFound(NotFoundError):
    code = "move_not_found"
    message_vi = "Không tìm thấy yêu cầu chuyển địa bàn"


class MoveDecided(DomainError):
    code = "move_decided"
    message_vi = "Yêu cầu chuyển địa bàn đã được tiếp nhận, từ chối hoặc rút lại"


class MoveNotReceiver(NotPermitted):
    code = "move_not_receiver"
    message_vi = "Chỉ huyện nhận mới được tiếp nhận hoặc từ chối yêu cầu chuyển địa bàn"


class MoveNotSender(NotPermitted):
    code = "move_not_sender"
    message_vi = "Chỉ huyện chuyển đi mới được rút yêu cầu chuyển địa bàn"


class MoveSameDistrict(InvalidInput):
    code = "move_same_district"
    message_vi = "Huyện nhận trùng huyện đang quản lý: chuyển trong huyện là chuyển xã"


class DistrictUnknown(InvalidInput):
    code = "district_unknown"
    message_vi = "Mã huyện không có trong danh mục đơn vị hành chính"


def check_movable(b: Beneficiary, month: date, last_move: date | None) -> None:
    """A person may move from a month on or after their start, after their last move's month;
    not once dead or removed."""
    if b.status == "removed":
        raise BeneficiaryRemoved()
    if b.status == "deceased":
        raise BeneficiaryDeceased("Đối tượng đã được cắt chết: không thể chuyển địa bàn")
    if b.allowance_start_month and month < b.allowance_start_month:
        raise EffectiveMonthInvalid(
            "Tháng chuyển địa bàn trước tháng bắt đầu hưởng",
            field="effective_month",
            value=month_text(month),
        )
    if last_move is not None and month <= last_move:
        raise EffectiveMonthInvalid(
            f"Tháng chuyển địa bàn phải sau tháng của lần chuyển trước ({month_text(last_move)})",
            field="effective_month",
            value=month_text(month),
        )


def moved(b: Beneficiary, district: str, commune: str) -> Change:
    """The record living in ``commune`` of ``district``, and what changed."""
    new = replace(b, district_code=district, commune_code=commune)
    changed = [f.name for f in fields(b) if getattr(b, f.name) != getattr(new, f.name)]
    if not changed:
        raise NoChange("Xã mới trùng xã đang cư trú")
    return replace(new, version=b.version + 1), changed
