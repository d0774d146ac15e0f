"""The template writer (rustpy-xlsxwriter plus the XML it cannot write): what the reader and an
officer rely on is in the file, for a commune with people and for one with nobody."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import openpyxl
import pytest
from import_svc.adapters import deflate_splice
from import_svc.adapters.templates import _write_cells, write_workbook
from import_svc.domain.columns import CHANGE_CHOICES, COLUMNS, Kind, template_row
from zlib_ng import zlib_ng

PERSON = {
    "beneficiary_id": "2f1c1d7e-0000-4000-8000-000000000001",
    "national_id": "001085012345",
    "full_name": "+84 Trần Thị Bình",
    "commune_code": "00001",
    "birth_date": None,
    "gender": "female",
    "arrears_amount": 500_000,
    "arrears_period": "2026-10",
}


def _book(kind: Kind, people: list[dict[str, object]]) -> tuple[int, openpyxl.Workbook]:
    out = io.BytesIO()
    written = write_workbook(kind, people, out)
    return written, openpyxl.load_workbook(io.BytesIO(out.getvalue()))


@pytest.mark.parametrize("kind", ["arrears", "info", "policy"])
def test_a_commune_with_nobody_still_gets_headers_names_and_the_drop_down(kind: Kind) -> None:
    written, book = _book(kind, [])
    sheet = book["DuLieu"]
    assert written == 0
    assert [c.value for c in sheet[1]] == [c.header for c in COLUMNS[kind]]
    assert all(c.value is None for row in sheet.iter_rows(min_row=2) for c in row)
    assert {n for n in book.defined_names if n.startswith("btxh.")} == {
        f"btxh.{c.key}" for c in COLUMNS[kind]
    }
    (drop_down,) = sheet.data_validations.dataValidation
    assert drop_down.formula1 == f"DanhMuc!$A$1:$A${len(CHANGE_CHOICES[kind])}"
    choices = book["DanhMuc"]
    assert [choices.cell(r, 1).value for r in range(1, len(CHANGE_CHOICES[kind]) + 1)] == (
        CHANGE_CHOICES[kind]
    )


def test_ids_stay_text_a_plus_stays_text_and_arrears_are_numbers() -> None:
    written, book = _book("arrears", [template_row("arrears", PERSON)] * 3)
    sheet = book["DuLieu"]
    col = {c.key: i for i, c in enumerate(COLUMNS["arrears"], start=1)}
    assert written == 3
    assert sheet.max_row == 4
    national = sheet.cell(4, col["national_id"])
    assert (national.value, national.data_type, national.number_format) == (
        "001085012345",
        "s",
        "@",
    )
    assert sheet.cell(2, col["full_name"]).value == "+84 Trần Thị Bình"
    assert sheet.cell(3, col["arrears_amount"]).value == 500_000
    assert sheet.cell(3, col["arrears_period"]).value == "10/2026"
    assert sheet.freeze_panes == "A2"


def _sheet(out: io.BytesIO) -> tuple[zipfile.ZipInfo, bytes, bytes]:
    """The sheet's entry, its XML and its bytes as stored."""
    with zipfile.ZipFile(out) as book:
        info = book.getinfo("xl/worksheets/sheet1.xml")
        xml = book.read(info)  # zipfile checks the CRC-32 and the size
    out.seek(info.header_offset + 26)
    name, extra = struct.unpack("<HH", out.read(4))
    out.seek(info.header_offset + 30 + name + extra)
    return info, xml, out.read(info.compress_size)


def test_the_sheet_keeps_the_writers_blocks_and_reads_back_whole() -> None:
    """A sheet of many blocks: the stream begins with the writer's own deflated bytes (kept,
    not deflated again), a standard inflater reads the whole XML back, drop-down included,
    and every row is there."""
    rows = [template_row("arrears", PERSON | {"full_name": f"Người {n}"}) for n in range(3000)]
    cells = io.BytesIO()
    _write_cells(
        "arrears", ({c.header: r.get(c.key) for c in COLUMNS["arrears"]} for r in rows), cells
    )
    _, _, original = _sheet(cells)
    out = io.BytesIO()
    write_workbook("arrears", rows, out)
    info, xml, stored = _sheet(out)
    assert info.compress_type == zipfile.ZIP_DEFLATED
    assert zlib.decompress(stored, -15) == xml
    assert stored[: len(original) // 2] == original[: len(original) // 2]
    assert xml.endswith(b"</worksheet>")
    assert b'sqref="E2:E1048576"' in xml
    assert xml.count(b"<row ") == 3001


def test_without_a_loadable_zlib_the_sheet_is_deflated_whole_by_zlib_ng(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(deflate_splice, "available", lambda: False)
    out = io.BytesIO()
    write_workbook("arrears", [template_row("arrears", PERSON)] * 50, out)
    info, xml, stored = _sheet(out)
    assert info.compress_type == zipfile.ZIP_DEFLATED
    assert stored == zlib_ng.compress(xml, 2, -15)
    assert b'sqref="E2:E1048576"' in xml
