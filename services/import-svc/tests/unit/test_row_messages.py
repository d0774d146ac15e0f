"""Every row error code says, in Vietnamese only, the row, the column (Excel letter and
header), the value and the rule (issue 17). One case per code of ``ROW_RULES``: a code added
without a case here fails ``test_every_row_code_has_a_case``.

Expected texts are written out by hand from the template layouts of ``domain/columns.py``
(arrears A–G, information A–K, policy A–O) and the rules of DOMAIN "Excel imports".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from import_svc.domain.columns import Kind
from import_svc.domain.errors import ROW_RULES
from import_svc.domain.findings import Checked, Identity
from import_svc.domain.validation import validate

THIS_MONTH = date(2026, 11, 1)
KNOWN, OTHER, SHARED, NEW = "001085012345", "001085077777", "001085099999", "001090054321"
COMMUNES = {"00101": "Xã Đông", "00102": "Xã Tây"}


def person(pid: str, nid: str, name: str, commune: str) -> Identity:
    return Identity(pid, nid, commune, name, "active", date(1985, 3, 2), "male")


REGISTER = {
    KNOWN: [person("b-1", KNOWN, "Nguyễn Văn An", "00101")],
    OTHER: [person("b-2", OTHER, "Trần Văn Bình", "00102")],
    SHARED: [
        person("b-3", SHARED, "Lê Văn Cường", "00101"),
        person("b-4", SHARED, "Lê Văn Cương", "00102"),
    ],
    "001090012345": [person("b-5", "001090012345", "Phạm Văn Dũng", "00101")],
    "001185012345": [person("b-6", "001185012345", "Hoàng Văn Em", "00101")],
}
ARREARS = {
    "national_id": KNOWN,
    "commune_code": "00101",
    "change_type": "Điều chỉnh thông tin, CS",
    "arrears_amount": 1_000_000,
    "arrears_period": "12/2026",
}
INFO = {"national_id": KNOWN, "commune_code": "00101"}
NEW_PERSON = {
    "national_id": NEW,
    "commune_code": "00101",
    "change_type": "Tăng thêm",
    "full_name": "Lê Thị Hoa",
    "birth_date": "01/01/1990",
    "gender": "Nữ",
    "ethnicity": "Kinh",
    "village": "Thôn Đông",
    "category": "101",
    "monthly_amount": 500_000,
    "effective_month": "12/2026",
    "decision_no": "QD-15",
}
STOP = {
    "national_id": KNOWN,
    "commune_code": "00101",
    "change_type": "Thôi hưởng",
    "full_name": "Nguyễn Văn An",
    "category": "101",
    "monthly_amount": 500_000,
    "effective_month": "12/2026",
    "decision_no": "QD-16",
}


@dataclass(frozen=True)
class Case:
    kind: Kind
    values: dict[str, Any]
    column: str | None  # the Excel letter; None for a finding about the whole row
    header: str | None
    message: str
    flags: dict[str, Any] = field(default_factory=dict)
    warning: bool = False
    twice: bool = False  # the row appears twice in the upload


A_ = "Dòng 2, cột "
CASES: dict[str, Case] = {
    "children_invalid": Case(
        "policy",
        {**NEW_PERSON, "category": "DON_THAN", "children": "0"},
        "P",
        "Số con được hưởng (đơn thân nuôi con)",
        A_ + "P «Số con được hưởng (đơn thân nuôi con)», giá trị «0»: Số con phải là số "
        "nguyên từ 1 đến 50",
    ),
    "children_not_applicable": Case(
        "policy",
        {**NEW_PERSON, "children": "2"},
        "P",
        "Số con được hưởng (đơn thân nuôi con)",
        A_ + "P «Số con được hưởng (đơn thân nuôi con)», giá trị «2»: Chỉ đối tượng đơn "
        "thân nuôi con (DON_THAN) ghi số con",
    ),
    "required": Case(
        "arrears",
        {**ARREARS, "national_id": None},
        "B",
        "Số CCCD/CMND",
        A_ + "B «Số CCCD/CMND», ô đang trống: Trường bắt buộc chưa có giá trị",
    ),
    "national_id_format": Case(
        "arrears",
        {**ARREARS, "national_id": "12345"},
        "B",
        "Số CCCD/CMND",
        A_ + "B «Số CCCD/CMND», giá trị «12345»: Số CCCD/CMND phải gồm đúng 9 hoặc 12 chữ số",
    ),
    "national_id_numeric": Case(
        "arrears",
        {**ARREARS, "national_id": "1085012345"},
        "B",
        "Số CCCD/CMND",
        A_ + "B «Số CCCD/CMND», giá trị «1085012345»: Ô số CCCD/CMND đang ở dạng số nên đã "
        "mất các số 0 ở đầu; định dạng cột là Văn bản và nhập lại đủ số",
        flags={"numeric_id": True},
    ),
    "not_found": Case(
        "arrears",
        {**ARREARS, "national_id": NEW},
        "B",
        "Số CCCD/CMND",
        A_ + f"B «Số CCCD/CMND», giá trị «{NEW}»: Không tìm thấy đối tượng có số CCCD/CMND "
        "này trong huyện",
    ),
    "commune_mismatch": Case(
        "arrears",
        {**ARREARS, "national_id": OTHER},
        "D",
        "Mã xã",
        A_ + "D «Mã xã», giá trị «00101»: Số CCCD/CMND này là của Trần Văn Bình, Xã Tây "
        "(mã xã 00102), không thuộc Xã Đông (mã xã 00101) của dòng",
    ),
    "duplicate_in_file": Case(
        "arrears",
        ARREARS,
        "B",
        "Số CCCD/CMND",
        A_ + f"B «Số CCCD/CMND», giá trị «{KNOWN}»: Số CCCD/CMND xuất hiện nhiều lần trong "
        "các tệp tải lên",
        twice=True,
    ),
    "held_by_several": Case(
        "arrears",
        {**ARREARS, "national_id": SHARED},
        "B",
        "Số CCCD/CMND",
        A_ + f"B «Số CCCD/CMND», giá trị «{SHARED}»: Số CCCD/CMND đang trùng giữa nhiều đối "
        "tượng trong hệ thống",
        warning=True,
    ),
    "change_type_invalid": Case(
        "arrears",
        {**ARREARS, "change_type": "Tăng thêm"},
        "E",
        "Loại biến động",
        A_ + "E «Loại biến động», giá trị «Tăng thêm»: Loại biến động không đúng với loại dữ liệu",
    ),
    "amount_invalid": Case(
        "arrears",
        {**ARREARS, "arrears_amount": "một triệu"},
        "F",
        "Số tiền truy lĩnh (đồng)",
        A_ + "F «Số tiền truy lĩnh (đồng)», giá trị «một triệu»: Số tiền phải là số nguyên "
        "không âm (ví dụ 1.500.000)",
    ),
    "amount_required": Case(
        "arrears",
        {**ARREARS, "arrears_amount": None},
        "F",
        "Số tiền truy lĩnh (đồng)",
        A_ + "F «Số tiền truy lĩnh (đồng)»: Có kỳ chi trả thì phải có số tiền truy lĩnh",
    ),
    "period_invalid": Case(
        "arrears",
        {**ARREARS, "arrears_period": "13/2026"},
        "G",
        "Kỳ chi trả truy lĩnh (MM/YYYY)",
        A_ + "G «Kỳ chi trả truy lĩnh (MM/YYYY)», giá trị «13/2026»: Kỳ chi trả phải có dạng "
        "MM/YYYY",
    ),
    "period_range": Case(
        "arrears",
        {**ARREARS, "arrears_period": "01/2026 - 03/2026"},
        "G",
        "Kỳ chi trả truy lĩnh (MM/YYYY)",
        A_ + "G «Kỳ chi trả truy lĩnh (MM/YYYY)», giá trị «01/2026 - 03/2026»: Chỉ nhập một "
        "tháng: đây là tháng chi trả khoản truy lĩnh, không phải khoảng thời gian được truy "
        "lĩnh",
    ),
    "period_past": Case(
        "arrears",
        {**ARREARS, "arrears_period": "10/2026"},
        "G",
        "Kỳ chi trả truy lĩnh (MM/YYYY)",
        A_ + "G «Kỳ chi trả truy lĩnh (MM/YYYY)», giá trị «10/2026»: Kỳ chi trả đã qua: danh "
        "sách các tháng trước đã khóa",
    ),
    "period_too_far": Case(
        "arrears",
        {**ARREARS, "arrears_period": "12/2027"},
        "G",
        "Kỳ chi trả truy lĩnh (MM/YYYY)",
        A_ + "G «Kỳ chi trả truy lĩnh (MM/YYYY)», giá trị «12/2027»: Kỳ chi trả chỉ được "
        "trong 12 tháng tới",
    ),
    "period_required": Case(
        "arrears",
        {**ARREARS, "arrears_period": None},
        "G",
        "Kỳ chi trả truy lĩnh (MM/YYYY)",
        A_ + "G «Kỳ chi trả truy lĩnh (MM/YYYY)»: Có số tiền truy lĩnh thì phải có kỳ chi trả",
    ),
    "formula_not_allowed": Case(
        "arrears",
        {**ARREARS, "arrears_amount": "=1+1"},
        "F",
        "Số tiền truy lĩnh (đồng)",
        A_ + "F «Số tiền truy lĩnh (đồng)», giá trị «=1+1»: Ô chứa công thức hoặc bắt đầu "
        "bằng =, +, @; hãy nhập giá trị",
        flags={"issues": {"arrears_amount": "formula_not_allowed"}},
    ),
    "merged_cell": Case(
        "info",
        {**INFO, "address": "Thôn Đông"},
        "H",
        "Địa chỉ",
        A_ + "H «Địa chỉ», giá trị «Thôn Đông»: Ô bị gộp (merge); hãy bỏ gộp ô",
        flags={"issues": {"address": "merged_cell"}},
    ),
    "hidden_row": Case(
        "arrears",
        ARREARS,
        None,
        None,
        "Dòng 2 (cả dòng): Dòng đang bị ẩn trong tệp; hãy hiện dòng hoặc xóa nếu không dùng",
        flags={"hidden": True},
    ),
    "date_invalid": Case(
        "info",
        {**INFO, "birth_date": "31/02/1990"},
        "F",
        "Ngày sinh (DD/MM/YYYY)",
        A_ + "F «Ngày sinh (DD/MM/YYYY)», giá trị «31/02/1990»: Ngày phải có dạng DD/MM/YYYY",
    ),
    "gender_invalid": Case(
        "info",
        {**INFO, "gender": "X"},
        "G",
        "Giới tính (Nam/Nữ)",
        A_ + "G «Giới tính (Nam/Nữ)», giá trị «X»: Giới tính phải là Nam, Nữ hoặc Khác",
    ),
    "name_invalid": Case(
        "info",
        {**INFO, "full_name": 123},
        "C",
        "Họ và tên",
        A_ + "C «Họ và tên», giá trị «123»: Họ tên không hợp lệ",
    ),
    "text_too_long": Case(
        "info",
        {**INFO, "phone": "0" * 21},
        "I",
        "Số điện thoại",
        A_ + "I «Số điện thoại»: nội dung dài hơn 20 ký tự, giới hạn của cột; hãy rút gọn "
        "rồi kiểm tra lại",
    ),
    "id_must_be_new": Case(
        "policy",
        {**NEW_PERSON, "national_id": KNOWN},
        "B",
        "Số CCCD/CMND",
        A_ + f"B «Số CCCD/CMND», giá trị «{KNOWN}»: Số CCCD/CMND đã có trong hệ thống, là của "
        "Nguyễn Văn An, Xã Đông (mã xã 00101): không thể tăng mới; nếu là người này hãy dùng "
        "Điều chỉnh",
    ),
    "ignored_column_changed": Case(
        "arrears",
        {**ARREARS, "full_name": "Nguyễn Văn Ân"},
        "C",
        "Họ và tên",
        A_ + "C «Họ và tên», giá trị «Nguyễn Văn Ân»: Cột này không được cập nhật qua mẫu "
        "này; giá trị sửa bị bỏ qua",
        warning=True,
    ),
    "cccd_birth_year_mismatch": Case(
        "arrears",
        {**ARREARS, "national_id": "001090012345"},
        "B",
        "Số CCCD/CMND",
        A_ + "B «Số CCCD/CMND», giá trị «001090012345»: Năm sinh trong số CCCD khác năm sinh "
        "đã lưu",
        warning=True,
    ),
    "cccd_gender_mismatch": Case(
        "arrears",
        {**ARREARS, "national_id": "001185012345"},
        "B",
        "Số CCCD/CMND",
        A_ + "B «Số CCCD/CMND», giá trị «001185012345»: Giới tính trong số CCCD khác giới "
        "tính đã lưu",
        warning=True,
    ),
    "id_of_another": Case(
        "info",
        {**INFO, "beneficiary_id": "b-7"},
        "B",
        "Số CCCD/CMND",
        A_ + f"B «Số CCCD/CMND», giá trị «{KNOWN}»: Số CCCD/CMND này là của Nguyễn Văn An, "
        "Xã Đông (mã xã 00101), không phải của đối tượng có mã ở cột A; kiểm tra lại số "
        "CCCD/CMND của dòng",
    ),
    "month_invalid": Case(
        "policy",
        {**STOP, "effective_month": "tháng 12"},
        "L",
        "Hưởng/điều chỉnh từ tháng (MM/YYYY)",
        A_ + "L «Hưởng/điều chỉnh từ tháng (MM/YYYY)», giá trị «tháng 12»: Tháng phải có dạng "
        "MM/YYYY (ví dụ 12/2026)",
    ),
    "commune_not_in_district": Case(
        "policy",
        {**NEW_PERSON, "commune_code": "09625"},
        "D",
        "Mã xã",
        A_ + "D «Mã xã», giá trị «09625»: Mã xã không thuộc huyện của lần tải lên",
    ),
}
ENGLISH = ("Input", "should", "Field", "required", "value is", "error", "not found")


def run(case: Case) -> Checked:
    row = {"row_no": 2, "values": case.values, "flags": case.flags}
    rows = [row, {**row, "row_no": 3}] if case.twice else [row]
    return validate(case.kind, rows, REGISTER, THIS_MONTH, COMMUNES)[0]


def test_every_row_code_has_a_case() -> None:
    assert set(CASES) == set(ROW_RULES)


@pytest.mark.parametrize("code", sorted(CASES))
def test_each_row_code_names_row_column_value_and_rule_in_vietnamese(code: str) -> None:
    case = CASES[code]
    checked = run(case)
    found = checked.warnings if case.warning else checked.errors
    (finding,) = [f for f in found if f["code"] == code]
    assert (finding["column"], finding["header"]) == (case.column, case.header)
    assert finding["message_vi"] == case.message
    assert not any(word in finding["message_vi"] for word in ENGLISH)


def test_a_long_value_is_repeated_only_by_its_start() -> None:
    long_name = "Nguyễn " * 20
    checked = run(Case("arrears", {**ARREARS, "full_name": long_name}, "C", "", ""))
    (warning,) = checked.warnings
    assert warning["value"] == long_name[:40] + "…"
    assert f"giá trị «{long_name[:40]}…»" in warning["message_vi"]


def test_a_column_found_elsewhere_in_the_file_is_named_by_its_own_letter() -> None:
    moved = {"national_id": "A", "arrears_amount": "C", "arrears_period": "D"}
    checked = run(
        Case("arrears", {**ARREARS, "arrears_amount": "x"}, "C", "", "", flags={"columns": moved})
    )
    (error,) = checked.errors
    assert error["column"] == "C"
    assert error["message_vi"].startswith("Dòng 2, cột C «Số tiền truy lĩnh (đồng)»")


def test_without_the_district_list_a_commune_is_named_by_its_code() -> None:
    row = {"row_no": 9, "values": {**ARREARS, "national_id": OTHER}, "flags": {}}
    (checked,) = validate("arrears", [row], REGISTER, THIS_MONTH)
    assert checked.errors[0]["message_vi"] == (
        "Dòng 9, cột D «Mã xã», giá trị «00101»: Số CCCD/CMND này là của Trần Văn Bình, xã có "
        "mã 00102, không thuộc xã có mã 00101 của dòng"
    )
