"""A checked row: its findings, the identities it was checked against, its status.

A finding names the field, a stable code, the Vietnamese message and the value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

MESSAGES = {
    "required": "Trường bắt buộc chưa có giá trị",
    "national_id_format": "Số CCCD/CMND phải gồm đúng 9 hoặc 12 chữ số",
    "national_id_numeric": (
        "Ô số CCCD/CMND đang ở dạng số nên đã mất các số 0 ở đầu; định dạng cột là Văn bản "
        "và nhập lại đủ số"
    ),
    "not_found": "Không tìm thấy đối tượng có số CCCD/CMND này trong huyện",
    "commune_mismatch": "Đối tượng không thuộc xã của lô dữ liệu",
    "duplicate_in_file": "Số CCCD/CMND xuất hiện nhiều lần trong các tệp tải lên",
    "held_by_several": "Số CCCD/CMND đang trùng giữa nhiều đối tượng trong hệ thống",
    "change_type_invalid": "Loại biến động không đúng với loại dữ liệu",
    "amount_invalid": "Số tiền phải là số nguyên không âm (ví dụ 1.500.000)",
    "amount_required": "Có kỳ chi trả thì phải có số tiền truy lĩnh",
    "period_invalid": "Kỳ chi trả phải có dạng MM/YYYY",
    "period_range": (
        "Chỉ nhập một tháng: đây là tháng chi trả khoản truy lĩnh, không phải khoảng thời gian "
        "được truy lĩnh"
    ),
    "period_past": "Kỳ chi trả đã qua: danh sách các tháng trước đã khóa",
    "period_too_far": "Kỳ chi trả chỉ được trong 12 tháng tới",
    "period_required": "Có số tiền truy lĩnh thì phải có kỳ chi trả",
    "formula_not_allowed": "Ô chứa công thức hoặc bắt đầu bằng =, +, @; hãy nhập giá trị",
    "merged_cell": "Ô bị gộp (merge); hãy bỏ gộp ô",
    "hidden_row": "Dòng đang bị ẩn trong tệp; hãy hiện dòng hoặc xóa nếu không dùng",
    "date_invalid": "Ngày phải có dạng DD/MM/YYYY",
    "gender_invalid": "Giới tính phải là Nam, Nữ hoặc Khác",
    "name_invalid": "Họ tên không hợp lệ",
    "text_too_long": "Nội dung quá dài so với số ký tự tối đa của cột",
    "id_must_be_new": "Số CCCD/CMND đã có trong hệ thống: không thể tăng mới",
    "ignored_column_changed": "Cột này không được cập nhật qua mẫu này; giá trị sửa bị bỏ qua",
    "cccd_birth_year_mismatch": "Năm sinh trong số CCCD khác năm sinh đã lưu",
    "cccd_gender_mismatch": "Giới tính trong số CCCD khác giới tính đã lưu",
    "children_invalid": "Số con phải là số nguyên từ 1 đến 50",
    "children_not_applicable": "Chỉ đối tượng đơn thân nuôi con (DON_THAN) ghi số con",
}


@dataclass(frozen=True)
class Identity:
    """A beneficiary as import-svc's read model of the register knows them."""

    beneficiary_id: str
    national_id: str
    commune_code: str
    full_name: str
    status: str
    birth_date: date | None = None
    gender: str | None = None


@dataclass
class Checked:
    row_no: int
    values: dict[str, Any]
    commune_code: str | None = None
    beneficiary_id: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    duplicate_of: list[dict[str, Any]] = field(default_factory=list)
    skipped: bool = False  # an untouched row of a template with data: nothing to apply

    @property
    def status(self) -> str:
        if self.skipped:
            return "skipped"
        if self.errors:
            return "invalid"
        if self.duplicate_of:
            return "duplicate"
        return "valid"

    def error(self, key: str, code: str, value: Any = None, message_vi: str | None = None) -> None:
        """One error per field: the first found is the one to fix."""
        if not any(e["field"] == key for e in self.errors):
            self.errors.append(finding(key, code, value, message_vi))

    def warn(self, key: str, code: str, value: Any = None) -> None:
        self.warnings.append(finding(key, code, value))


def finding(key: str, code: str, value: Any, message_vi: str | None = None) -> dict[str, Any]:
    shown = value if isinstance(value, str | int | None) else str(value)
    return {"field": key, "code": code, "message_vi": message_vi or MESSAGES[code], "value": shown}
