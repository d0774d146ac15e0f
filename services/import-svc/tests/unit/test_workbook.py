"""Reading a workbook without a database: a template with data read back by its defined
names, one retyped by hand read by its headers, and files refused before they are opened."""

from __future__ import annotations

import io

import openpyxl
import pytest
from import_svc.adapters.templates import write_workbook
from import_svc.adapters.workbook import FileRefused, Limits, read_sheet

PEOPLE = [
    {
        "beneficiary_id": "b-1",
        "national_id": "001085012345",
        "full_name": "Nguyễn Văn An",
        "commune_code": "00101",
        "change_type": "Điều chỉnh thông tin, CS",
    }
]


def template() -> bytes:
    out = io.BytesIO()
    write_workbook("arrears", PEOPLE, out)
    return out.getvalue()


def test_a_template_with_data_reads_back_with_its_ids_as_text() -> None:
    sheet = read_sheet(template(), "arrears", Limits())
    (row,) = sheet.rows
    assert row.row_no == 2
    assert row.values["national_id"] == "001085012345"
    assert (row.values["arrears_amount"], row.values["arrears_period"]) == (None, None)
    assert (row.issues, row.hidden, row.numeric_id) == ({}, False, False)


def test_a_workbook_retyped_by_hand_is_read_by_its_headers_and_says_what_it_ignored() -> None:
    book = openpyxl.Workbook()
    book.active.append(["SO CCCD/CMND", "So tien truy linh", "Ky chi tra truy linh", "Ghi chú"])
    book.active.append([1085012345, "1.000.000", "12/2026", "x"])
    out = io.BytesIO()
    book.save(out)
    sheet = read_sheet(out.getvalue(), "arrears", Limits())
    (row,) = sheet.rows
    assert row.values == {
        "national_id": 1085012345,
        "arrears_amount": "1.000.000",
        "arrears_period": "12/2026",
    }
    assert row.numeric_id, "a numeric ID cell may have lost its leading zeros"
    assert sheet.ignored_headers == ["Ghi chú"]


def test_a_workbook_missing_a_required_column_is_refused_naming_it() -> None:
    book = openpyxl.Workbook()
    book.active.append(["Số CCCD/CMND", "Tên"])
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(FileRefused) as refused:
        read_sheet(out.getvalue(), "arrears", Limits())
    assert refused.value.code == "headers_missing"
    assert "Số tiền truy lĩnh (đồng)" in refused.value.message_vi


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "encrypted_or_legacy"),
        ("Họ tên;Số tiền\n".encode(), "not_a_workbook"),
        (b"PK" + b"\0" * 2000, "not_a_workbook"),
    ],
)
def test_what_is_not_a_plain_xlsx_is_refused_before_it_is_opened(content: bytes, code: str) -> None:
    with pytest.raises(FileRefused) as refused:
        read_sheet(content, "arrears", Limits())
    assert refused.value.code == code


def test_a_file_over_the_size_limit_is_refused() -> None:
    with pytest.raises(FileRefused) as refused:
        read_sheet(b"x" * 2048, "arrears", Limits(max_bytes=1024))
    assert refused.value.code == "file_too_large"
