"""Vietnamese words for the services' machine states and the formats officers write."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

VN = ZoneInfo("Asia/Ho_Chi_Minh")

STATES_VI = {
    # import batches (seed 000 §10C step 3)
    "parsing": "Đang đọc tệp",
    "awaiting_review": "Chờ chuẩn hóa",
    "failed": "Tệp bị từ chối",
    "confirmed": "Đang chuẩn hóa",
    "applied": "Đã chuẩn hóa",
    "partially_applied": "Chuẩn hóa một phần",
    "refused": "Bị từ chối",
    # import rows
    "invalid": "Không hợp lệ",
    "duplicate": "Trùng",
    "valid": "Hợp lệ",
    "skipped": "Bỏ qua",
    "unvalidated": "Chưa kiểm tra",
    # register
    "active": "Đang hưởng",
    "stopped": "Thôi hưởng",
    "suspended": "Tạm dừng",
    "under_review": "Đang xét duyệt",
    "dead": "Đã chết",
    "removed": "Đã xóa",
    # periods and lists
    "open": "Đang mở",
    "locked": "Đã khóa",
    "closed": "Đã chốt",
    "draft": "Bản nháp",
    "submitted": "Đã gửi",
    "sent": "Đã chuyển ĐVCT",
    "acknowledged": "ĐVCT đã nhận",
    "results_received": "Đã có kết quả chi trả",
    "settled": "Đã quyết toán",
    "rejected": "ĐVCT từ chối",
    "superseded": "Đã thay thế",
    "deleted": "Đã xóa",
    # lines and packages
    "pending": "Chờ chi trả",
    "paid": "Đã chi trả",
    "unpaid": "Chưa chi trả",
    "unpaid_stopped": "Chưa chi trả (đã thôi hưởng)",
    "returned": "Trả lại",
    "recovered": "Đã thu hồi",
    "split": "Đã tách",
    "waiting_recall": "Chờ thu hồi gói cũ",
    "recall_requested": "Đang yêu cầu thu hồi",
    "recalled": "Đã thu hồi gói",
    "recall_unanswered": "Thu hồi không được trả lời",
    "alert": "Cần xử lý",
    "manual": "Xử lý thủ công",
    "received": "Đã nhận quyết toán",
    # channels
    "cash": "Tiền mặt",
    "bank": "Tài khoản ngân hàng",
    "ewallet": "Ví điện tử",
}

HEADERS_VI = {
    "beneficiary_id": "Mã đối tượng",
    "national_id": "Số CCCD/CMND",
    "full_name": "Họ và tên",
    "commune_code": "Mã xã",
    "change_type": "Loại biến động",
    "arrears_amount": "Số tiền truy lĩnh (đồng)",
    "arrears_period": "Kỳ truy lĩnh (MM/YYYY)",
    "birth_date": "Ngày sinh",
    "gender": "Giới tính",
    "address": "Địa chỉ",
    "phone": "Số điện thoại",
    "bank_account": "Số tài khoản",
    "bank_name": "Ngân hàng",
    "ethnicity": "Dân tộc",
    "village": "Thôn/Tổ dân phố",
    "category": "Mã đối tượng hưởng",
    "monthly_amount": "Mức trợ cấp (đồng)",
    "effective_month": "Từ tháng (MM/YYYY)",
    "decision_no": "Số quyết định",
    "decision_date": "Ngày quyết định",
    "death_date": "Ngày chết",
    "children": "Số con",
}
HEADERS_VI.update(
    status="Trạng thái",
    status_effective_month="Trạng thái từ tháng",
    status_reason="Lý do",
    allowance_start_month="Hưởng từ tháng",
    payment_channel="Hình thức chi trả",
    coefficient="Hệ số",
    funeral_recipient="Người nhận mai táng phí",
)
ACTIONS_VI = {
    "register": "Thêm mới",
    "update_info": "Sửa thông tin",
    "stop": "Thôi hưởng",
    "adjust": "Điều chỉnh",
    "suspend": "Tạm dừng",
    "resume": "Tiếp tục hưởng",
    "death": "Cắt chết",
    "add_policy": "Thêm chính sách",
    "delete_policy": "Xóa chính sách",
    "remove": "Xóa khỏi hệ thống",
    "import_arrears": "Cập nhật truy lĩnh từ excel (10C)",
    "import_info": "Cập nhật thông tin từ excel (10B)",
    "import_new": "Tăng thêm từ excel (10A)",
    "import_adjust": "Điều chỉnh từ excel (10A)",
    "import_stop": "Thôi hưởng từ excel (10A)",
    "import_death": "Cắt chết từ excel (10A)",
}
READ_ONLY_COLUMNS = {"beneficiary_id", "full_name"}
KINDS = {"policy": "10A", "info": "10B", "arrears": "10C"}
KINDS_VI = {
    "policy": "10A. Tăng, giảm, điều chỉnh chính sách",
    "info": "10B. Thông tin đối tượng",
    "arrears": "10C. Thông tin truy lĩnh",
}


def state(value: Any) -> str:
    return STATES_VI.get(str(value), str(value))


def money(value: Any) -> str:
    """``1.500.000 đ``; nothing for nothing."""
    if value is None or value == "":
        return ""
    try:
        return f"{int(value):,}".replace(",", ".") + " đ"
    except (TypeError, ValueError):
        return str(value)  # as the officer typed it (a cell not yet valid)


def number(value: Any) -> str:
    return "" if value is None else f"{int(value):,}".replace(",", ".")


def month(value: Any) -> str:
    """``2026-11`` (or a date) as ``11/2026``."""
    if value is None or value == "":
        return ""
    if isinstance(value, date):
        return f"{value:%m/%Y}"
    text = str(value)
    return f"{text[5:7]}/{text[:4]}" if len(text) >= 7 and text[4] == "-" else text


def day(value: Any) -> str:
    """``2026-11-05`` (or a date/time) as ``05/11/2026``; a time in Vietnam's zone."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return str(value)
    if isinstance(value, datetime):
        shown = value.astimezone(VN) if value.tzinfo else value
        return f"{shown:%d/%m/%Y %H:%M}"
    return f"{value:%d/%m/%Y}"


MONTH_COLUMNS = {"arrears_period", "effective_month"}


def cell(value: Any, key: str) -> str:
    """A staged cell as the officer typed it in Excel: amounts with dots, months MM/YYYY."""
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return number(value)
    text = str(value)
    if key in MONTH_COLUMNS and len(text) == 7 and text[4] == "-":
        return month(text)
    return text


def change(key: str, value: Any) -> str:
    """One value of a history entry, in the officer's words and formats."""
    if value is None or value == "":
        return "(trống)"
    if key == "status" or key == "payment_channel":
        return state(value)
    text = str(value)
    if key.endswith("_month") and len(text) >= 7:
        return month(text[:7])
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        return day(text)
    if key.endswith("amount") and isinstance(value, int):
        return money(value)
    return text


def month_input(text: str) -> str:
    """An officer's ``MM/YYYY`` (or ``YYYY-MM`` from a month picker) as the APIs' ``YYYY-MM``;
    anything else is passed on for the service to refuse in Vietnamese."""
    text = text.strip()
    if len(text) == 7 and text[2] == "/":
        return f"{text[3:]}-{text[:2]}"
    return text
