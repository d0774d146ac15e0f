"""Writing templates WITH DATA (seed 000 §10C step 1): a commune's .xlsx, a district's .zip.

A district's .zip holds one workbook per commune, written one at a time to a temporary file
(streamed: a district of 100k people never sits in memory as workbooks).

The cells are written by rustpy-xlsxwriter (Rust; rows streamed from a generator), 6× faster
than xlsxwriter and 10× faster than openpyxl at 100k rows; what it cannot write, the defined
names the reader finds columns by and the change-type drop-down down to the sheet's last row
(rows an officer adds keep it), is added to its XML as the workbook is copied into ``target``
(rustpy-xlsxwriter 0.8 has no defined names, and its drop-down covers only the rows written
and lists its choices inline). The copy inflates and deflates with zlib-ng (a standard deflate
stream, made 1.5× faster than by the system zlib's level 1, and smaller): that pass is what the
template costs over the bare writer.

Every text is an inline string cell, so nothing an officer or the register typed (``=``, ``+``,
``-``, ``@`` first) becomes a formula a spreadsheet program runs; text columns carry the text
format, so an ID typed into a new row keeps its leading zeros.
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, BinaryIO
from xml.sax.saxutils import quoteattr

import rustpy_xlsxwriter
from zlib_ng import zlib_ng

from import_svc.adapters import units
from import_svc.domain.columns import (
    CHANGE_CHOICES,
    CHOICES_TITLE,
    COLUMNS,
    FIRST_DATA_ROW,
    NAME_PREFIX,
    SHEET_TITLE,
    Column,
    Kind,
    entry_name,
    template_row,
)

MAX_ROWS = 1_048_576
_TAIL = 64 * 1024  # the end of a sheet's XML, where the drop-down goes, is read into memory
_LEVEL = 2  # zlib-ng's level 2: 100k people in 6.2 MB, against 6.8 MB at zlib's level 1


def write_workbook(kind: Kind, people: Iterable[dict[str, Any]], target: IO[bytes]) -> int:
    """One workbook of ``people`` (dicts keyed by column key); returns the rows written."""
    columns = COLUMNS[kind]
    counted = [0]

    def records() -> Iterator[dict[str, Any]]:
        for person in people:
            counted[0] += 1
            yield {c.header: person.get(c.key) for c in columns}
        if not counted[0]:  # a header needs one row to name it; this one stays empty
            yield dict.fromkeys(c.header for c in columns)

    with tempfile.TemporaryFile() as cells:
        _write_cells(kind, records(), cells)
        cells.seek(0)
        _finish(kind, cells, target)
    return counted[0]


def _write_cells(kind: Kind, records: Iterator[dict[str, Any]], cells: BinaryIO) -> None:
    """The data sheet (header styled, text columns, frozen header) and the hidden sheet that
    lists the change types (one a row, from A1: the first is its "header")."""
    columns = COLUMNS[kind]
    first, *rest = CHANGE_CHOICES[kind]
    text = rustpy_xlsxwriter.Format().set_num_format("@")
    head = rustpy_xlsxwriter.Format().set_bold().set_background_color("#DDEBF7")
    rustpy_xlsxwriter.write_worksheets(
        [(SHEET_TITLE, records), (CHOICES_TITLE, [{first: o} for o in rest] or [{first: None}])],
        cells,
        freeze_panes={SHEET_TITLE: {"row": FIRST_DATA_ROW - 1, "col": 0}},
        column_widths={SHEET_TITLE: [c.width for c in columns]},
        column_formats={SHEET_TITLE: {c.header: text for c in columns if c.text}},
        header_format={SHEET_TITLE: head.set_text_wrap().set_align("vcenter")},
        sheet_view={CHOICES_TITLE: {"hidden": True}},
    )


def _finish(kind: Kind, cells: IO[bytes], target: IO[bytes]) -> None:
    """Copy the workbook into ``target`` with the defined names and the drop-down added."""
    patches: dict[str, Callable[[bytes], bytes]] = {
        "xl/workbook.xml": lambda xml: _after(xml, b"</sheets>", _names(kind)),
        "xl/worksheets/sheet1.xml": lambda xml: _after(xml, b"</sheetData>", _drop_down(kind)),
    }
    with (
        zipfile.ZipFile(cells) as source,
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out,
    ):
        for info in source.infolist():
            patch = patches.get(info.filename, _unchanged)
            with (
                _inflating(source.open(info)) as part,
                _deflating(out.open(info.filename, "w")) as entry,
            ):
                tail = b""
                while chunk := part.read(1024 * 1024):
                    tail += chunk
                    if len(tail) > _TAIL:
                        entry.write(tail[:-_TAIL])
                        tail = tail[-_TAIL:]
                entry.write(patch(tail))


def _deflating(entry: IO[bytes]) -> IO[bytes]:
    """A zip entry being written, deflated by zlib-ng instead of the system zlib. zipfile takes
    no compressor of one's choosing: its writer's own is swapped before anything is written (a
    zipfile without that attribute keeps its zlib: slower, the same file)."""
    if hasattr(entry, "_compressor"):
        entry._compressor = zlib_ng.compressobj(_LEVEL, zlib_ng.DEFLATED, -zlib_ng.MAX_WBITS)
    return entry


def _inflating(part: IO[bytes]) -> IO[bytes]:
    """A zip entry being read, inflated by zlib-ng (swapped the same way, before any read)."""
    if hasattr(part, "_decompressor"):
        part._decompressor = zlib_ng.decompressobj(-zlib_ng.MAX_WBITS)
    return part


def _unchanged(xml: bytes) -> bytes:
    return xml


def _after(xml: bytes, marker: bytes, addition: bytes) -> bytes:
    """``addition`` right after ``marker`` (where the schema puts it); a writer that moved the
    marker out of reach fails here, not in an officer's spreadsheet program."""
    at = xml.find(marker)
    if at < 0:
        raise RuntimeError(f"template writer: {marker!r} not found")
    at += len(marker)
    return xml[:at] + addition + xml[at:]


def _names(kind: Kind) -> bytes:
    """``btxh.<key>`` naming each column's header cell."""
    names = "".join(
        f'<definedName name="{NAME_PREFIX}{c.key}">{SHEET_TITLE}!${_letter(i)}$1</definedName>'
        for i, c in enumerate(COLUMNS[kind])
    )
    return f"<definedNames>{names}</definedNames>".encode()


def _drop_down(kind: Kind) -> bytes:
    """The change-type list (the hidden sheet's rows) on its column, from the first data row
    to the sheet's last."""
    columns: Sequence[Column] = COLUMNS[kind]
    letter = _letter(next(i for i, c in enumerate(columns) if c.key == "change_type"))
    source = f"{CHOICES_TITLE}!$A$1:$A${len(CHANGE_CHOICES[kind])}"
    return (
        '<dataValidations count="1"><dataValidation type="list" allowBlank="1" '
        f'showInputMessage="1" showErrorMessage="1" errorTitle={quoteattr("Loại biến động")} '
        f"error={quoteattr('Chọn một giá trị trong danh sách')} "
        f'sqref="{letter}{FIRST_DATA_ROW}:{letter}{MAX_ROWS}"><formula1>{source}</formula1>'
        "</dataValidation></dataValidations>"
    ).encode()


def _letter(index: int) -> str:
    """Column letter of a 0-based index."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def write_template(
    kind: Kind,
    people: Sequence[Mapping[str, Any]],
    district: str,
    commune: str | None,
    directory: Path,
) -> Path:
    """The template WITH DATA of ``people`` in ``directory``: one commune's .xlsx, or the
    district's .zip of one workbook per commune."""
    by_commune: dict[str, list[dict[str, Any]]] = {}
    for person in people:
        by_commune.setdefault(person["commune_code"], []).append(template_row(kind, person))
    if commune is not None:
        target = directory / f"{kind}_{district}_{commune}.xlsx"
        with target.open("wb") as out:
            write_workbook(kind, by_commune.get(commune, []), out)
        return target
    target = directory / f"{kind}_{district}.zip"
    names = units.communes(district) or {}
    write_zip(
        kind, ((code, names.get(code), ps) for code, ps in sorted(by_commune.items())), target
    )
    return target


def write_zip(
    kind: Kind, communes: Iterator[tuple[str, str | None, list[dict[str, Any]]]], target: Path
) -> int:
    """One workbook per commune (``code, name, people``) into ``target``, each entry named
    ``<code> - <name>.xlsx`` (UTF-8, flagged so in the zip); returns total rows."""
    total = 0
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
        for code, name, people in communes:
            with tempfile.TemporaryFile() as part:
                total += write_workbook(kind, people, part)
                part.seek(0)
                with archive.open(entry_name(code, name), "w") as entry:
                    while chunk := part.read(1024 * 1024):
                        entry.write(chunk)
    return total
