"""Refusals of settlement-svc: a stable code for programs, a Vietnamese message for officers."""

from __future__ import annotations

from btxh_common.errors import DomainError, InvalidInput, NotFoundError


class PaymentUnitNotSet(NotFoundError):
    message_vi = "Huyện chưa thiết lập kết nối với đơn vị chi trả"


class PackageNotFound(NotFoundError):
    code = "package_not_found"
    message_vi = "Không tìm thấy gói danh sách"


class PackageNotStuck(DomainError):
    """Only a package left in ``alert`` or ``recall_unanswered`` is tried again."""

    code = "package_not_stuck"

    def __init__(self, state: str) -> None:
        super().__init__(f"Gói đang ở trạng thái {state}: không cần gửi lại")


class PackageNotHeld(DomainError):
    """Only a version held past the time-out for a kept package's results is released by
    an officer (``results_overdue``)."""

    code = "package_not_held"

    def __init__(self, state: str) -> None:
        super().__init__(
            f"Gói đang ở trạng thái {state}: chỉ gói đang chờ kết quả chi trả của gói cũ "
            "quá hạn mới được cán bộ cho gửi đi"
        )


class SettlementNotFound(NotFoundError):
    code = "settlement_not_found"
    message_vi = "Không tìm thấy quyết toán"


class SettlementAlreadyClosed(DomainError):
    code = "settlement_closed"
    message_vi = "Quyết toán đã đóng"


class ExtensionDaysInvalid(InvalidInput):
    code = "extension_days_invalid"
    message_vi = "Mỗi lần gia hạn từ 1 đến 19 ngày"


class ExtensionTotalExceeded(InvalidInput):
    code = "extension_total_exceeded"

    def __init__(self, already: int) -> None:
        super().__init__(f"Đã gia hạn {already} ngày: tổng số ngày gia hạn phải dưới 20")


class ResultsIncomplete(DomainError):
    code = "results_incomplete"

    def __init__(self, pending: int) -> None:
        super().__init__(
            f"Còn {pending} người chưa có kết quả chi trả: chờ kết quả, "
            "hoặc xác nhận coi như chưa nhận"
        )


class SettlementBeforeCutoff(DomainError):
    """An open settlement waits for the post office until its cut-off (with extensions):
    closing it earlier would mark unpaid people the post office may still pay."""

    code = "settlement_before_cutoff"

    def __init__(self, due: str) -> None:
        super().__init__(
            f"Chưa đến hạn chốt quyết toán ({due}): chờ quyết toán của đơn vị chi trả "
            "hoặc đến sau hạn chốt"
        )
