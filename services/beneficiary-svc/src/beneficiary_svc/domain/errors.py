"""Typed domain errors: a stable code for programs, a Vietnamese message for officers."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "domain_error"
    status = 409
    message_vi = "Thao tác không hợp lệ"

    def __init__(
        self, message_vi: str | None = None, *, field: str | None = None, value: Any = None
    ) -> None:
        self.message_vi = message_vi or self.message_vi
        self.field = field
        self.value = value
        super().__init__(self.message_vi)


class InvalidValue(DomainError):
    code = "invalid_value"
    status = 422
    message_vi = "Giá trị không hợp lệ"


class NationalIdInvalid(InvalidValue):
    code = "national_id_invalid"
    message_vi = "Số CCCD/CMND phải gồm đúng 9 hoặc 12 chữ số"


class UnknownCategory(InvalidValue):
    code = "unknown_category"
    message_vi = "Mã nhóm đối tượng không có trong danh mục"


class CommuneNotInDistrict(InvalidValue):
    code = "commune_not_in_district"
    message_vi = "Xã không thuộc đơn vị quản lý"


class BeneficiaryDeceased(DomainError):
    code = "beneficiary_deceased"
    message_vi = "Đối tượng đã được cắt chết: không thể thay đổi chế độ"


class BeneficiaryRemoved(DomainError):
    code = "beneficiary_removed"
    message_vi = "Đối tượng đã bị xóa khỏi hệ thống"


class InvalidTransition(DomainError):
    code = "invalid_transition"
    message_vi = "Trạng thái hiện tại không cho phép thao tác này"


class NoChange(DomainError):
    code = "no_change"
    message_vi = "Không có thay đổi so với dữ liệu hiện tại"


class EffectiveMonthInvalid(InvalidValue):
    code = "effective_month_invalid"
    message_vi = "Tháng hiệu lực không hợp lệ"


class DataLocked(DomainError):
    code = "data_locked"
    message_vi = "Dữ liệu của tháng đã được chốt: cần mở chốt trước khi thay đổi"


class LockNotFound(DomainError):
    code = "lock_not_found"
    status = 404
    message_vi = "Không tìm thấy lần chốt dữ liệu"
