"""The register's refusals: a stable code and a Vietnamese message, in the shared families."""

from __future__ import annotations

from btxh_common.errors import DomainError, InvalidInput, NotFoundError


class NationalIdInvalid(InvalidInput):
    code = "national_id_invalid"
    message_vi = "Số CCCD/CMND phải gồm đúng 9 hoặc 12 chữ số"


class UnknownCategory(InvalidInput):
    code = "unknown_category"
    message_vi = "Mã nhóm đối tượng không có trong danh mục"


class CommuneNotInDistrict(InvalidInput):
    code = "commune_not_in_district"
    message_vi = "Xã không thuộc đơn vị quản lý"


class EffectiveMonthInvalid(InvalidInput):
    code = "effective_month_invalid"
    message_vi = "Tháng hiệu lực không hợp lệ"


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


class DataLocked(DomainError):
    code = "data_locked"
    message_vi = "Dữ liệu của tháng đã được chốt: cần mở chốt trước khi thay đổi"


class LockNotFound(NotFoundError):
    code = "lock_not_found"
    message_vi = "Không tìm thấy lần chốt dữ liệu"


class ChildrenRequired(InvalidInput):
    code = "children_required"
    message_vi = "Đối tượng đơn thân nuôi con (DON_THAN) cần ghi số con được hưởng (từ 1)"


class ChildrenNotApplicable(InvalidInput):
    code = "children_not_applicable"
    message_vi = "Chỉ đối tượng đơn thân nuôi con (DON_THAN) được hưởng theo số con"


class NotRemoved(DomainError):
    code = "not_removed"
    message_vi = "Đối tượng không ở trạng thái đã xóa: không có gì để khôi phục"


class RemovalNotFound(DomainError):
    code = "removal_not_found"
    message_vi = "Không tìm thấy lần xóa đối tượng trong lịch sử để khôi phục"


class RestoreDecisionRequired(InvalidInput):
    code = "restore_decision_required"
    message_vi = (
        "Trả trợ cấp cho các tháng đã bị xóa cần có số quyết định (decision_no) cho phép việc đó"
    )


class PayFromInvalid(InvalidInput):
    code = "pay_from_invalid"
    message_vi = "Tháng bắt đầu trả lại không hợp lệ"


class DecisionNotFound(NotFoundError):
    code = "decision_not_found"
    message_vi = "Không tìm thấy quyết định"
