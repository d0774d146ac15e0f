"""Reading a workbook without a database: a template with data read back by its defined
names, one retyped by hand read by its headers, files refused before they are opened, and
crafted sheets (a far cell, a lying dimension, a quadratic row tag) answered quickly."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable

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
    assert row.letters == {"national_id": "A", "arrears_amount": "B", "arrears_period": "C"}


def test_a_template_keeps_no_letters_of_its_own_the_rows_name_the_template_s() -> None:
    (row,) = read_sheet(template(), "arrears", Limits()).rows
    assert row.letters is None


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


def with_sheet(edit: Callable[[str], str]) -> bytes:
    """The template with data, its sheet XML changed by ``edit``."""
    source = zipfile.ZipFile(io.BytesIO(template()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = edit(data.decode()).encode()
            target.writestr(item.filename, data)
    return out.getvalue()


def far_cell(sheet: str) -> str:
    return sheet.replace(
        "</sheetData>", '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
    )


def test_cells_only_at_a1_and_xfd1048576_are_refused_before_any_grid_is_allocated() -> None:
    data = with_sheet(far_cell)
    assert len(data) < 20_000, "a few KB"
    with pytest.raises(FileRefused) as refused:
        read_sheet(data, "arrears", Limits())
    assert refused.value.code == "sheet_extent_too_large"
    assert "1048576" in refused.value.message_vi


def test_a_far_column_is_refused_naming_how_many_columns_are_allowed() -> None:
    data = with_sheet(lambda s: s.replace("</row>", '<c r="XFD2"><v>1</v></c></row>', 1))
    with pytest.raises(FileRefused) as refused:
        read_sheet(data, "arrears", Limits())
    assert refused.value.code == "sheet_extent_too_large"
    assert "XFD2" in refused.value.message_vi
    assert "tối đa 40 cột" in refused.value.message_vi


def test_a_sheet_declaring_the_whole_grid_is_read_by_the_cells_it_has() -> None:
    def lie(sheet: str) -> str:
        head, _, tail = sheet.partition("<dimension ref=")
        return head + '<dimension ref="A1:XFD1048576"/>' + tail.partition("/>")[2]

    (row,) = read_sheet(with_sheet(lie), "arrears", Limits()).rows
    assert row.values["national_id"] == "001085012345"


def test_hidden_rows_are_found_whatever_the_order_of_their_attributes() -> None:
    def hide(sheet: str) -> str:
        return sheet.replace('<row r="2"', '<row hidden="1" r="2"', 1)

    data = with_sheet(hide)
    assert (
        '<row hidden="1" r="2"'
        in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    )
    (row,) = read_sheet(data, "arrears", Limits()).rows
    assert row.hidden


def test_a_row_tag_crafted_against_the_patterns_is_read_in_linear_time() -> None:
    crafted = '<row r="3" ' + 'r="3" ' * 170_000 + 'spans="1:2"><c r="A3"><v>1</v></c></row>'
    data = with_sheet(lambda s: s.replace("</sheetData>", crafted + "</sheetData>"))
    started = time.perf_counter()
    sheet = read_sheet(data, "arrears", Limits())
    assert time.perf_counter() - started < 3, "1 MB of sheet XML read in seconds, not minutes"
    assert [r.row_no for r in sheet.rows] == [2, 3]
