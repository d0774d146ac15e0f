"""Writing templates WITH DATA (seed 000 §10C step 1): a commune's .xlsx, a district's .zip.

A district's .zip holds one workbook per commune, written one at a time to a temporary file
(streamed: a district of 100k people never sits in memory as workbooks).

Cells are written as typed values; a text that starts with ``=``, ``+``, ``-`` or ``@`` is
forced to a text cell, so no spreadsheet program runs it.
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from import_svc.adapters import units
from import_svc.domain.columns import (
    CHANGE_CHOICES,
    CHOICES_TITLE,
    COLUMNS,
    FIRST_DATA_ROW,
    NAME_PREFIX,
    SHEET_TITLE,
    Kind,
    entry_name,
    template_row,
)

_HEAD_FONT = Font(bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
_WRAP = Alignment(wrap_text=True, vertical="center")
MAX_ROWS = 1_048_576


def _cell(ws: Worksheet, value: Any, text: bool) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever it starts with
    if text:
        cell.number_format = "@"
    return cell


def write_workbook(kind: Kind, people: Iterable[dict[str, Any]], target: IO[bytes]) -> int:
    """One workbook of ``people`` (dicts keyed by column key); returns the rows written."""
    columns = COLUMNS[kind]
    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET_TITLE)
    choices = book.create_sheet(CHOICES_TITLE)
    choices.sheet_state = "hidden"
    options = CHANGE_CHOICES[kind]
    for option in options:
        choices.append([_cell(choices, option, True)])
    for i, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = column.width
    sheet.freeze_panes = f"A{FIRST_DATA_ROW}"
    change_col = get_column_letter(
        next(i for i, c in enumerate(columns, 1) if c.key == "change_type")
    )
    drop_down = DataValidation(
        type="list",
        formula1=f"{CHOICES_TITLE}!$A$1:$A${len(options)}",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Loại biến động",
        error="Chọn một giá trị trong danh sách",
    )
    drop_down.add(f"{change_col}{FIRST_DATA_ROW}:{change_col}{MAX_ROWS}")
    sheet.data_validations.append(drop_down)
    header = []
    for column in columns:
        cell = _cell(sheet, column.header, False)
        cell.font, cell.fill, cell.alignment = _HEAD_FONT, _HEAD_FILL, _WRAP
        header.append(cell)
    sheet.append(header)
    written = 0
    for person in people:
        sheet.append([_cell(sheet, person.get(c.key), c.text) for c in columns])
        written += 1
    for i, column in enumerate(columns, start=1):
        letter = get_column_letter(i)
        book.defined_names[f"{NAME_PREFIX}{column.key}"] = DefinedName(
            f"{NAME_PREFIX}{column.key}", attr_text=f"{SHEET_TITLE}!${letter}$1"
        )
    book.save(target)
    return written


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
