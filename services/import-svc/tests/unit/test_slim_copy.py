"""The copy of an upload holding only the columns read (``adapters/slim.py``) gives the same
rows, columns and ignored headers as the file read whole, whatever the workbook does: shared
or inline strings, escaped text, formulas and merged cells in read and unread columns, columns
moved, a numeric header (the copy is given up, the file is read as it was)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from import_svc.adapters import sheet_scan, slim
from import_svc.adapters.slim import Slim
from import_svc.adapters.workbook import FileRefused, Limits, open_sheet, read_sheet

HEADERS = [
    "Ghi chú",
    "Số CCCD/CMND",
    "Họ và tên",
    "Số tiền truy lĩnh (đồng)",
    "Kỳ chi trả truy lĩnh (MM/YYYY)",
]


def book(headers: list[object], write_only: bool = False) -> openpyxl.Workbook:
    b = openpyxl.Workbook(write_only=write_only)
    sheet = b.create_sheet("DuLieu") if write_only else b.active
    sheet.append([*headers, "Cột <thêm> & khác"])
    sheet.append(["x <1> & y", "001085000001", "Nguyễn Văn An", 100_000, "12/2026", "=1+1"])
    sheet.append(["=2*3", "001085000002", "Lê Thị & Bình", "=5+5", "01/2027", "z"])
    sheet.append([None, None, None, None, None, "chỉ cột không đọc"])
    sheet.append(["n", 1085000004, "Trần Cúc", "120.000", "=A1", None])
    return b


@pytest.fixture
def copies(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each upload opened was read from its copy (True) or as it was (False)."""
    made: list[bool] = []
    close = Slim.close

    def spy(self: Slim) -> None:
        close(self)
        made.append(self.path is not None)

    monkeypatch.setattr(Slim, "close", spy)
    return made


def both(b: openpyxl.Workbook, tmp_path: Path, merge: str | None = None) -> None:
    if merge:
        b.active.merge_cells(merge)
    out = io.BytesIO()
    b.save(out)
    path = tmp_path / "upload.xlsx"
    path.write_bytes(out.getvalue())
    whole = read_sheet(out.getvalue(), "arrears", Limits())
    opened = open_sheet(path, "arrears", Limits())
    assert (opened.columns, opened.ignored) == (whole.columns, whole.ignored_headers)
    assert list(opened.rows) == whole.rows
    assert [p.name for p in tmp_path.iterdir()] == ["upload.xlsx"], "the copy is removed"


@pytest.mark.parametrize("write_only", [False, True], ids=["shared strings", "inline strings"])
def test_the_copy_reads_as_the_file(tmp_path: Path, write_only: bool, copies: list[bool]) -> None:
    both(book(HEADERS, write_only), tmp_path)
    assert copies == [True]


def test_merged_cells_in_a_read_column_are_still_found(tmp_path: Path, copies: list[bool]) -> None:
    both(book(HEADERS), tmp_path, merge="C3:D4")
    assert copies == [True]


def test_a_numeric_header_gives_the_copy_up(tmp_path: Path, copies: list[bool]) -> None:
    both(book([2026, *HEADERS[1:]]), tmp_path)
    assert copies == [False]


def test_moved_columns_are_read_where_they_are(tmp_path: Path, copies: list[bool]) -> None:
    both(book(list(reversed(HEADERS))), tmp_path)
    assert copies == [True]


def test_cells_out_of_column_order_give_the_copy_up(tmp_path: Path, copies: list[bool]) -> None:
    out = io.BytesIO()
    book(HEADERS, write_only=True).save(out)
    source = zipfile.ZipFile(out)
    sheet = source.read("xl/worksheets/sheet1.xml")
    row = re.search(rb'<row r="2".*?</row>', sheet, re.S)
    assert row is not None
    extra = re.search(rb'<c r="F2".*?</c>', row[0], re.S)
    assert extra is not None  # the unread column's cell, moved before every other cell
    moved = row[0].replace(extra[0], b"").replace(b'<c r="A2"', extra[0] + b'<c r="A2"', 1)
    shuffled = io.BytesIO()
    with zipfile.ZipFile(shuffled, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            is_sheet = info.filename == "xl/worksheets/sheet1.xml"
            target.writestr(info, data.replace(row[0], moved) if is_sheet else data)
    path = tmp_path / "upload.xlsx"
    path.write_bytes(shuffled.getvalue())
    whole = read_sheet(shuffled.getvalue(), "arrears", Limits())
    assert list(open_sheet(path, "arrears", Limits()).rows) == whole.rows
    assert whole.rows[0].values["national_id"] == "001085000001"
    assert copies == [False]


@pytest.mark.parametrize("write_only", [False, True], ids=["shared strings", "inline strings"])
def test_a_copy_read_in_many_slices_reads_as_the_file(
    tmp_path: Path, write_only: bool, copies: list[bool], small_parts: list[int | None]
) -> None:
    """Parts of 2 KB cut into slices of 1 byte or more: every part a slice, with empty rows,
    a hidden row, formulas and a merged cell across the cuts; the rows keep their numbers."""
    b = book(HEADERS, write_only)
    sheet = b.worksheets[-1]
    for i in range(400):
        if i % 37 == 0:
            sheet.append([])  # an empty row
        elif i % 53 == 0:
            sheet.append(["=1+1", f"0010850{i:05d}", "=3*3", "=A1", None])
        else:
            sheet.append([f"ghi {i}", f"0010850{i:05d}", f"Người {i}", 100_000 + i, "12/2026"])
    if not write_only:
        sheet.row_dimensions[200].hidden = True
    slices_read = small_parts
    both(b, tmp_path, merge=None if write_only else "C150:D260")
    assert copies == [True]
    assert len(slices_read) > 5
    assert slices_read[-1] is None, "the last slice ends with the sheet"
    assert all(slices_read[:-1]), "each slice before says its last row"


def test_a_later_slice_the_reader_cannot_read_refuses_the_file_as_the_whole_read_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The columns are known from the first slice; a damaged cell near the end is met while
    the rows are read, and refuses the file with the code and words of the whole read."""
    monkeypatch.setattr(sheet_scan, "BLOCK", 2048)
    monkeypatch.setattr(slim, "SLICE", 1)
    b = book(HEADERS, write_only=True)
    for i in range(300):
        b.worksheets[-1].append(["", f"0010850{i:05d}", f"Người {i}", 100_000 + i, "12/2026"])
    out = io.BytesIO()
    b.save(out)
    source, damaged = zipfile.ZipFile(out), io.BytesIO()
    with zipfile.ZipFile(damaged, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<v>100280</v>", b"<v>abc</v>")
            target.writestr(info, data)
    with pytest.raises(FileRefused) as whole:
        read_sheet(damaged.getvalue(), "arrears", Limits())
    path = tmp_path / "upload.xlsx"
    path.write_bytes(damaged.getvalue())
    opened = open_sheet(path, "arrears", Limits())
    assert [c.key for c in opened.columns][:1] == ["national_id"]
    with pytest.raises(FileRefused) as sliced:
        list(opened.rows)
    assert whole.value.code == "unreadable_workbook"
    assert sliced.value.code == whole.value.code
    assert sliced.value.message_vi == whole.value.message_vi
    assert [p.name for p in tmp_path.iterdir()] == ["upload.xlsx"], "the copy is removed"


def _long_sheet(rows: int = 400) -> bytes:
    b = book(HEADERS, write_only=True)
    for i in range(rows):
        b.worksheets[-1].append(["", f"0010850{i:05d}", f"Người {i}", 100_000 + i, "12/2026"])
    out = io.BytesIO()
    b.save(out)
    return out.getvalue()


def _edit_sheet(data: bytes, edit: Callable[[bytes], bytes]) -> bytes:
    source, edited = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(edited, "w") as target:
        for info in source.infolist():
            part = source.read(info)
            target.writestr(info, edit(part) if info.filename == SHEET_XML else part)
    return edited.getvalue()


SHEET_XML = "xl/worksheets/sheet1.xml"


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """Parts of 2 KB, every part a slice; the last row of each slice opened, in order."""
    monkeypatch.setattr(sheet_scan, "BLOCK", 2048)
    monkeypatch.setattr(slim, "SLICE", 1)
    opened: list[int | None] = []
    cut = Slim._book

    def spy(self: Slim, start: int, end: int, last: int | None) -> bytes:
        opened.append(last)
        return cut(self, start, end, last)

    monkeypatch.setattr(Slim, "_book", spy)
    return opened


def test_the_first_rows_are_read_before_the_sheet_is_scanned_to_its_end(
    tmp_path: Path, small_parts: list[int | None], monkeypatch: pytest.MonkeyPatch
) -> None:
    fed: list[int] = []
    feed = sheet_scan.SheetScan.feed

    def counting(self: sheet_scan.SheetScan, xml: bytes) -> bool:
        fed.append(len(xml))
        return feed(self, xml)

    monkeypatch.setattr(sheet_scan.SheetScan, "feed", counting)
    path = tmp_path / "upload.xlsx"
    path.write_bytes(_long_sheet())
    rows = open_sheet(path, "arrears", Limits()).rows
    first = next(rows)
    parts_at_first_row = len(fed)
    whole = read_sheet(_long_sheet(), "arrears", Limits()).rows
    assert [first, *rows] == whole
    assert len(whole) > 400
    assert parts_at_first_row < len(fed) / 4, (parts_at_first_row, len(fed))


def test_a_copy_given_up_midway_reads_the_rest_from_the_upload(
    tmp_path: Path, small_parts: list[int | None], copies: list[bool]
) -> None:
    """Row 350 does not say its number: the copy stops there, after slices of the rows before
    it were read; the rows are still those of the file read whole, once each."""
    data = _edit_sheet(_long_sheet(), lambda xml: xml.replace(b'<row r="350"', b"<row"))
    path = tmp_path / "upload.xlsx"
    path.write_bytes(data)
    rows = list(open_sheet(path, "arrears", Limits()).rows)
    assert rows == read_sheet(data, "arrears", Limits()).rows
    assert len(rows) > 400
    assert copies == [False]
    assert small_parts, "slices were read before the copy stopped"
    assert all(last is not None and last < 350 for last in small_parts)
    assert [p.name for p in tmp_path.iterdir()] == ["upload.xlsx"], "the copy is removed"


def test_a_cell_beyond_the_columns_refuses_the_file_before_its_slice_is_read(
    tmp_path: Path, small_parts: list[int | None]
) -> None:
    far = b'<c r="Z380" t="inlineStr"><is><t>x</t></is></c></row><row r="381"'
    data = _edit_sheet(_long_sheet(), lambda xml: xml.replace(b'</row><row r="381"', far))
    path = tmp_path / "upload.xlsx"
    path.write_bytes(data)
    limits = Limits(max_columns=10)
    with pytest.raises(FileRefused) as whole:
        read_sheet(data, "arrears", limits)
    rows = open_sheet(path, "arrears", limits).rows
    given: list[int] = []

    def read_all() -> None:
        given.extend(row.row_no for row in rows)

    with pytest.raises(FileRefused) as streamed:
        read_all()
    assert (streamed.value.code, streamed.value.message_vi) == (
        whole.value.code,
        whole.value.message_vi,
    )
    assert whole.value.code == "sheet_extent_too_large"
    assert given, "rows before the far cell were read as the scan went"
    assert max(given) < 380
    assert all(last is not None and last < 380 for last in small_parts)
    assert [p.name for p in tmp_path.iterdir()] == ["upload.xlsx"], "the copy is removed"
