"""Reading an uploaded workbook safely, and fast.

What is not a plain .xlsx is refused before it is opened; then what values alone do not show
(formulas, hidden rows, merged cells) and the grid's extent are found in the sheet's XML, read
part by part (``sheet_scan``), and the first sheet's rows are read with python-calamine — from
a copy holding only the columns read (``slim``) when the upload is a stored file.

Nothing here evaluates a formula or trusts a size the file declares: the zip directory is
checked (total and per-member ratio) and the sheet XML is read with a hard cap.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import python_calamine

from import_svc.adapters.sheet_scan import (
    SHEET,
    Marks,
    Refused,
    SheetScan,
    column_index,
    first_sheet,
    merged_cells,
    scan_sheet,
    sheet_parts,
)
from import_svc.adapters.slim import Slim
from import_svc.domain.cells import clean_text
from import_svc.domain.columns import (
    FIRST_DATA_ROW,
    NAME_PREFIX,
    Column,
    Kind,
    by_header,
    by_key,
    fold_header,
)
from import_svc.domain.explain import column_letters, template_letters
from import_svc.domain.rows import RawRow, Sent

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted .xlsx and legacy .xls
_DEFINED = re.compile(
    rb'<definedName\s[^<>]*?\bname="'
    + re.escape(NAME_PREFIX.encode())
    + rb'([a-z_]+)"[^<>]*>([^<]*)<'
)


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 50 * 1024 * 1024
    max_rows: int = 100_000
    max_uncompressed: int = 200 * 1024 * 1024
    max_ratio: int = 200  # uncompressed/compressed, per member above 1 MB
    max_columns: int = 40  # with max_rows, bounds the grid the reader allocates (8M cells)


class FileRefused(Exception):
    """A file that cannot be read as an import, with a stable code and a Vietnamese reason."""

    def __init__(self, code: str, message_vi: str) -> None:
        super().__init__(message_vi)
        self.code = code
        self.message_vi = message_vi

    def __reduce__(self) -> tuple[type[FileRefused], tuple[str, str]]:
        return (FileRefused, (self.code, self.message_vi))


@dataclass
class Sheet:
    columns: list[Column]
    rows: list[RawRow]
    ignored_headers: list[str]


def check_container(source: bytes | Path, limits: Limits) -> zipfile.ZipFile:
    """Refuse what is not a plain, reasonably sized .xlsx; the answer names the problem."""
    size = source.stat().st_size if isinstance(source, Path) else len(source)
    if size > limits.max_bytes:
        raise FileRefused(
            "file_too_large",
            f"Tệp lớn hơn giới hạn {limits.max_bytes // (1024 * 1024)} MB; hãy chia nhỏ theo xã",
        )
    if _magic(source) == OLE_MAGIC:
        raise FileRefused(
            "encrypted_or_legacy",
            "Tệp được đặt mật khẩu hoặc là định dạng .xls cũ; hãy bỏ mật khẩu và lưu thành .xlsx",
        )
    try:
        archive = zipfile.ZipFile(source if isinstance(source, Path) else io.BytesIO(source))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise FileRefused(
            "not_a_workbook", "Tệp không phải bảng tính Excel (.xlsx); hãy dùng mẫu đã tải về"
        ) from exc
    names = {m.filename for m in members}
    if "xl/workbook.xml" not in names or not any(SHEET.match(n) for n in names):
        raise FileRefused(
            "not_a_workbook", "Tệp không phải bảng tính Excel (.xlsx); hãy dùng mẫu đã tải về"
        )
    total = sum(m.file_size for m in members)
    bomb = any(
        m.file_size > 1024 * 1024 and m.file_size > limits.max_ratio * max(m.compress_size, 1)
        for m in members
    )
    if total > limits.max_uncompressed or bomb:
        raise FileRefused(
            "zip_bomb",
            "Tệp nén có dung lượng giải nén bất thường (nghi tệp độc hại); tệp không được đọc",
        )
    return archive


def _magic(source: bytes | Path) -> bytes:
    if isinstance(source, Path):
        with source.open("rb") as stream:
            return stream.read(8)
    return source[:8]


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        if not value:  # most cells of a sheet are empty
            return None
        text = clean_text(value)
        return text or None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, datetime):
        return value.date() if value.time() == datetime.min.time() else value
    return value


def read_sheet(data: bytes, kind: Kind, limits: Limits) -> Sheet:
    """The whole first sheet at once (tests and small files; uploads are read by
    ``open_sheet`` chunk by chunk)."""
    opened = open_sheet(data, kind, limits)
    return Sheet(columns=opened.columns, rows=list(opened.rows), ignored_headers=opened.ignored)


@dataclass
class Opened:
    """A sheet whose columns are known and whose rows are read one by one (``sent``: as
    tuples of ``RawRow``'s fields; ``rows``: as ``RawRow``)."""

    columns: list[Column]
    ignored: list[str]
    sent: Iterator[Sent]

    @property
    def rows(self) -> Iterator[RawRow]:
        return (RawRow(*r) for r in self.sent)


def open_sheet(source: bytes | Path, kind: Kind, limits: Limits) -> Opened:
    """Check the file, find what values alone do not show (``sheet_scan``: the sheet's XML
    read part by part, never whole), then open its first sheet; the rows are made one at a
    time as ``rows`` is iterated (never a second copy of the sheet in Python objects). A
    stored upload's rows are read while its XML is scanned (``_streamed``)."""
    archive = check_container(source, limits)
    defined = _defined_columns(archive)
    slim = _slim(source, archive, kind, defined, limits.max_columns)
    try:
        if slim is not None:
            assert isinstance(source, Path)
            grid, marks = _streamed(source, archive, slim, limits)
        else:
            marks = scan_sheet(
                archive, limits.max_rows, limits.max_columns, limits.max_uncompressed
            )
            grid = _grid(_open(source))
        header = next(grid, None)  # for a stored upload: its first slice read
    except Refused as refused:
        if slim is not None:
            slim.remove()
        raise FileRefused(refused.code, refused.message_vi) from None
    except BaseException:
        if slim is not None:
            slim.remove()
        raise
    if header is None:
        raise FileRefused("headers_missing", "Trang tính trống: không có dòng tiêu đề")
    columns, ignored = _map_columns(header, kind, defined)
    return Opened([c for _, c in columns], ignored, _rows(grid, kind, columns, marks))


def _slim(
    source: bytes | Path, archive: zipfile.ZipFile, kind: Kind, defined: dict[str, int], width: int
) -> Slim | None:
    """A copy of a stored upload with only the columns read (``slim``), beside it."""
    if not isinstance(source, Path):
        return None

    def keep(header: list[str | None]) -> set[int] | None:
        try:
            return {position for position, _ in _map_columns(header, kind, defined)[0]}
        except FileRefused:
            return None  # the reader says why, from the file itself

    return Slim(archive, first_sheet(archive), source.parent, keep, width)


def _open(source: bytes | Path) -> python_calamine.CalamineSheet:
    try:
        if isinstance(source, Path):
            book = python_calamine.CalamineWorkbook.from_path(source)
        else:
            book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(source))
        return book.get_sheet_by_index(0)
    except python_calamine.PasswordError as exc:
        raise FileRefused("encrypted_or_legacy", "Tệp được đặt mật khẩu; hãy bỏ mật khẩu") from exc
    except Exception as exc:  # calamine raises several types for damaged content
        raise FileRefused(
            "unreadable_workbook", f"Không đọc được bảng tính (tệp hỏng): {str(exc)[:120]}"
        ) from exc


def _streamed(
    source: Path, archive: zipfile.ZipFile, slim: Slim, limits: Limits
) -> tuple[Iterator[list[Any]], Marks]:
    """A stored upload's rows from row 1 and column A, read while its XML is scanned: each
    slice of the copy (``Slim.ready``) is opened once the scan has passed it and its parts are
    within the limits, so the first rows go out before the last part is scanned. The merged
    cells, written after the rows, are found first (``merged_cells``); formulas and hidden rows
    are marked by the scan before a slice holding them is read. A copy given up midway (a row
    that does not say its number, cells out of order) ends the scan, checks it whole, and reads
    the rest of the rows from the upload itself."""
    scan = SheetScan(limits.max_rows + FIRST_DATA_ROW - 1, limits.max_columns)
    merged = merged_cells(archive, limits.max_uncompressed, scan.last_row, scan.last_column)
    return _stream_rows(source, archive, slim, scan, limits), (scan.formulas, scan.hidden, merged)


def _stream_rows(
    source: Path, archive: zipfile.ZipFile, slim: Slim, scan: SheetScan, limits: Limits
) -> Iterator[list[Any]]:
    at = 0  # the index of the next row given
    try:
        for part in sheet_parts(archive, limits.max_uncompressed):
            slim.feed(part, scan.feed(part))
            for book, last in slim.ready():
                scan.check()
                yield from _slice_rows(book, at, last, slim.header)
                at = max(at, last)
        scan.finish()
        slim.close()
        for book, _ in slim.rest():
            yield from _slice_rows(book, at, None, slim.header)
            return
        rows = _grid(_open(source))  # the copy given up: the rest from the upload itself
        for _ in range(at):
            next(rows, None)
        yield from rows
    except Refused as refused:
        raise FileRefused(refused.code, refused.message_vi) from None
    finally:
        slim.remove()


def _slice_rows(
    book: bytes, at: int, last: int | None, header: list[str | None] | None
) -> Iterator[list[Any]]:
    """One slice's rows from row index ``at`` (the rows left empty before and after its cells
    given as empty) up to ``last``; row 1 is the header as read from the XML (the copy keeps
    only the columns read)."""
    sheet = _open(book)
    del book
    if sheet.start is not None:
        first_row, first_column = sheet.start
        for _ in range(at, first_row):
            yield []
        at = max(at, first_row)
        pad = [None] * first_column
        for cells in sheet.to_python(skip_empty_area=True):  # from ``start`` on
            yield list(header or []) if at == 0 else (pad + cells if first_column else cells)
            at += 1
    for _ in range(at, last or 0):  # rows left empty at the slice's end
        yield []


def _grid(sheet: python_calamine.CalamineSheet) -> Iterator[list[Any]]:
    """The sheet's rows from row 1 and column A (the reader starts at the first cell with
    data; empty rows and columns before it are given back as empty)."""
    first_row, first_column = sheet.start or (0, 0)
    for _ in range(first_row):
        yield []
    pad = [None] * first_column
    for cells in sheet.iter_rows():
        yield pad + cells if first_column else cells


def _rows(
    grid: Iterator[list[Any]],
    kind: Kind,
    columns: list[tuple[int, Column]],
    marks: tuple[dict[int, set[int]], set[int], dict[int, set[int]]],
) -> Iterator[Sent]:
    """The rows with a value or an issue, as ``RawRow``'s fields (a tuple: no object per row
    for the reading child to take apart again)."""
    formulas, hidden, merged = marks
    plan = [(position, column.key, column.key == "national_id") for position, column in columns]
    letters = {column.key: column_letters(position) for position, column in columns}
    moved = letters if letters != {k: template_letters(kind)[k] for k in letters} else None
    for row_no, cells in enumerate(grid, start=FIRST_DATA_ROW):
        width = len(cells)
        raw: dict[str, Any] = {}
        issues: dict[str, str] = {}
        numeric_id = False
        empty = True
        in_formula = formulas.get(row_no, ()) if formulas else ()
        in_merged = merged.get(row_no, ()) if merged else ()
        for position, key, is_id in plan:
            value = cells[position] if position < width else None
            if value.__class__ is str:  # most cells: ``_cell``'s text, without the call
                cell = (clean_text(value) or None) if value else None
            else:
                if is_id and isinstance(value, int | float):
                    numeric_id = True
                cell = _cell(value)
            raw[key] = cell
            if cell is not None:
                empty = False
            if position in in_formula or (cell.__class__ is str and cell[:1] in ("=", "+", "@")):
                issues[key] = "formula_not_allowed"
            elif position in in_merged:
                issues[key] = "merged_cell"
        if not issues and empty:
            continue
        yield (row_no, raw, issues, numeric_id, row_no in hidden, moved)


def _defined_columns(archive: zipfile.ZipFile) -> dict[str, int]:
    """Column positions by the template's defined names ``btxh.<key>``, when still there."""
    with archive.open("xl/workbook.xml") as stream:
        xml = stream.read(4 * 1024 * 1024)
    found = {}
    for m in _DEFINED.finditer(xml):
        letters = re.search(rb"\$?([A-Z]{1,3})\$?\d*$", m[2].split(b"!")[-1])
        if letters:
            found[m[1].decode()] = column_index(letters[1].decode())
    return found


def _map_columns(
    header: list[Any], kind: Kind, defined: dict[str, int]
) -> tuple[list[tuple[int, Column]], list[str]]:
    keys, headers = by_key(kind), by_header(kind)
    mapped = [(i, keys[k]) for k, i in defined.items() if k in keys]
    if not mapped:
        for i, title in enumerate(header):
            if isinstance(title, str) and (column := headers.get(fold_header(title))):
                mapped.append((i, column))
    found = {c.key for _, c in mapped}
    required = [c for c in keys.values() if c.key in _REQUIRED[kind]]
    missing = [c.header for c in required if c.key not in found]
    if missing:
        raise FileRefused(
            "headers_missing",
            "Thiếu cột: "
            + "; ".join(missing)
            + ". Hãy dùng đúng mẫu "
            + {"arrears": "truy lĩnh", "info": "thông tin", "policy": "biến động chính sách"}[kind],
        )
    used = {p for p, _ in mapped}
    ignored = [str(h) for i, h in enumerate(header) if h not in (None, "") and i not in used]
    return mapped, ignored


_REQUIRED: dict[Kind, set[str]] = {
    "arrears": {"national_id", "arrears_amount", "arrears_period"},
    "info": {"national_id"},
    "policy": {"national_id", "change_type"},
}
