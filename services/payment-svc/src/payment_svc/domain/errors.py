"""Why payment-svc refuses: a stable code for programs, the Vietnamese message for officers."""

from __future__ import annotations

from datetime import date

from btxh_common.clock import month_text
from btxh_common.errors import DomainError, InvalidInput, NotFoundError, NotPermitted


class NoLevel(InvalidInput):
    code = "no_level"
    message_vi = "Chưa có mức chuẩn trợ giúp xã hội cho tháng này"


class PeriodExists(DomainError):
    code = "period_exists"
    message_vi = "Kỳ chi trả này đã được mở"


class PeriodNotFound(NotFoundError):
    code = "period_not_found"

    def __init__(self, month: date) -> None:
        super().__init__(f"Chưa mở kỳ chi trả tháng {month_text(month)}")


class PeriodLocked(DomainError):
    code = "period_locked"

    def __init__(self, month: date) -> None:
        super().__init__(f"Kỳ chi trả tháng {month_text(month)} đã khóa: không thay đổi được")


class PullNotPast(InvalidInput):
    code = "pull_not_past"
    message_vi = "Chỉ chuyển được tiền chưa nhận của tháng trước đó"


class PullFromSettled(DomainError):
    code = "pull_from_settled"

    def __init__(self, month: date) -> None:
        super().__init__(f"Danh sách tháng {month_text(month)} đã quyết toán: không chuyển được")


class ListNotFound(NotFoundError):
    code = "list_not_found"
    message_vi = "Không tìm thấy danh sách chi trả"


class ListSettled(DomainError):
    code = "list_settled"
    message_vi = "Danh sách đã quyết toán: không lập lại được"


class ListAtPaymentUnit(DomainError):
    code = "list_at_payment_unit"
    message_vi = "Đơn vị chi trả đã nhận danh sách: không lập phiên bản mới được"


class ListHasPayments(DomainError):
    code = "list_has_payments"
    message_vi = "Danh sách đã có người được chi trả: không lập phiên bản mới được"


class ListCarriedOver(DomainError):
    code = "list_carried_over"
    message_vi = "Tiền chưa trả của danh sách đã chuyển sang kỳ sau: không lập phiên bản mới được"


class ListNotDraft(DomainError):
    code = "list_not_draft"
    message_vi = "Chỉ xóa được danh sách chưa gửi (bản nháp)"


class ListAlreadySubmitted(DomainError):
    code = "list_already_submitted"
    message_vi = "Danh sách đã được gửi"


class ListNotPayable(DomainError):
    code = "list_not_payable"
    message_vi = "Danh sách ở trạng thái này không cập nhật trạng thái chi trả được"


class IntegratedDistrict(NotPermitted):
    code = "integrated_district"
    message_vi = (
        "Huyện chi trả qua đơn vị chi trả tích hợp: trạng thái do đơn vị chi trả báo về; "
        "cập nhật tay cần quyền giám sát"
    )


class NoStatusGiven(InvalidInput):
    code = "no_status"
    message_vi = "Chưa có trạng thái nào để cập nhật"


class LineNotInList(InvalidInput):
    code = "line_not_in_list"

    def __init__(self, which: object) -> None:
        super().__init__(f"Không có dòng chi trả {which} trong danh sách")


class LineNotFound(NotFoundError):
    code = "line_not_found"
    message_vi = "Không tìm thấy dòng chi trả"


class LineNotSplittable(DomainError):
    code = "line_not_splittable"
    message_vi = "Dòng này không tách được nữa"


class LinePaid(DomainError):
    code = "line_paid"
    message_vi = "Dòng đã chi trả: không tách được"


class LineCarriedOver(DomainError):
    code = "line_carried_over"
    message_vi = "Tiền của dòng này đã chuyển sang kỳ sau: không đổi được"


class SplitSumMismatch(InvalidInput):
    code = "split_sum_mismatch"

    def __init__(self, total: int) -> None:
        # The thousands separator replaces every comma of the text, the one after "phần"
        # too: the message officers see today, kept as it is.
        text = f"Cần ít nhất 2 phần, mỗi phần > 0 và tổng bằng {total:,} đồng"
        super().__init__(text.replace(",", "."))


class DeathPeriodInvalid(InvalidInput):
    code = "death_period_invalid"
    message_vi = "Khoảng thời gian không hợp lệ: từ tháng phải không sau đến tháng, tối đa 24 tháng"
