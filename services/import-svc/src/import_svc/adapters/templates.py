"""Writing templates WITH DATA (seed 000 §10C step 1): a commune's .xlsx, a district's .zip.

A district's .zip holds one workbook per commune, written one at a time to a temporary file
(streamed: a district of 100k people never sits in memory as workbooks).

The cells are written by rustpy-xlsxwriter (Rust; rows streamed from a generator), 6× faster
than xlsxwriter and 10× faster than openpyxl at 100k rows; what it cannot write, the defined
names the reader finds columns by and the change-type drop-down down to the sheet's last row
(rows an officer adds keep it), is added to its XML as the workbook is copied into ``target``
(rustpy-xlsxwriter 0.8 has no defined names, and its drop-down covers only the rows written
and lists its choices inline). That copy re-deflates as little as it can: the parts nothing is
added to are copied as stored; of the sheet, whose XML is the bulk, the writer's deflate
blocks are kept and only the blocks of its last 64 KiB are deflated again, by zlib-ng, with the
drop-down added (``deflate_splice``); only the small workbook part is inflated and deflated
whole. Without a loadable zlib the sheet is inflated and deflated whole, as it used to be.

Every text is an inline string cell, so nothing an officer or the register typed (``=``, ``+``,
``-``, ``@`` first) becomes a formula a spreadsheet program runs; text columns carry the text
format, so an ID typed into a new row keeps its leading zeros.
"""

from __future__ import annotations

import struct
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, BinaryIO
from xml.sax.saxutils import quoteattr

import rustpy_xlsxwriter
from zlib_ng import zlib_ng

from import_svc.adapters import deflate_splice, units
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


def _finish(kind: Kind, cells: BinaryIO, target: IO[bytes]) -> None:
    """Copy the workbook into ``target`` with the defined names and the drop-down added: the
    two parts that get them are inflated, patched and deflated again; every other part is
    copied as it is stored, compressed bytes and all (zipfile cannot: ``_RawZip`` can)."""
    patches: dict[str, Callable[[bytes], bytes]] = {
        "xl/workbook.xml": lambda xml: _after(xml, b"</sheets>", _names(kind)),
        "xl/worksheets/sheet1.xml": lambda xml: _after(xml, b"</sheetData>", _drop_down(kind)),
    }
    with zipfile.ZipFile(cells) as source:
        out = _RawZip(target)
        for info in source.infolist():
            patch = patches.get(info.filename)
            if patch is None:
                out.copy(info, cells)
            elif info.compress_type == zipfile.ZIP_DEFLATED and deflate_splice.available():
                # The sheet's blocks kept, only its end deflated again (the XML is the bulk)
                stream, crc, size = deflate_splice.splice(
                    out.stored(info, cells), _TAIL, patch, _LEVEL
                )
                out.write(info, stream, crc, size)
            else:
                with _inflating(source.open(info)) as part:
                    out.deflate(info, _patched(part, patch))
        out.close()


def _patched(part: IO[bytes], patch: Callable[[bytes], bytes]) -> Iterator[bytes]:
    """The part's bytes, ``patch`` applied to its last ``_TAIL`` bytes (where the additions
    go), read and given out a MiB at a time."""
    tail = b""
    while chunk := part.read(1024 * 1024):
        tail += chunk
        if len(tail) > _TAIL:
            yield tail[:-_TAIL]
            tail = tail[-_TAIL:]
    yield patch(tail)


_LOCAL = struct.Struct("<4s5H3L2H")  # a local file header (APPNOTE 4.3.7)
_CENTRAL = struct.Struct("<4s6H3L5H2L")  # a central directory file header (4.3.12)
_END = struct.Struct("<4s4H2LH")  # the end of central directory record (4.3.16)
_UTF8 = 0x800  # general purpose flag bit 11: the name is UTF-8


class _RawZip:
    """A zip written entry by entry into a seekable ``target``: an entry of another zip
    copied as stored (no inflating, no deflating), or bytes deflated here by zlib-ng. No
    zip64: a workbook part is far below 4 GiB (``MAX_ROWS`` rows of ~400 bytes)."""

    def __init__(self, target: IO[bytes]) -> None:
        self.target = target
        self.start = target.tell()
        self.central: list[bytes] = []

    @staticmethod
    def stored(info: zipfile.ZipInfo, source: BinaryIO) -> bytes:
        """The entry's bytes as stored in ``source`` (compressed)."""
        source.seek(info.header_offset + 26)
        name_len, extra_len = struct.unpack("<HH", source.read(4))
        source.seek(info.header_offset + 30 + name_len + extra_len)
        data = source.read(info.compress_size)
        if len(data) != info.compress_size:
            raise zipfile.BadZipFile(f"template writer: {info.filename} cut short")
        return data

    def copy(self, info: zipfile.ZipInfo, source: BinaryIO) -> None:
        offset = self._header(info, info.CRC, info.compress_size, info.file_size)
        self.target.write(self.stored(info, source))
        self._central(info, info.CRC, info.compress_size, info.file_size, offset)

    def write(self, info: zipfile.ZipInfo, stream: bytes, crc: int, size: int) -> None:
        """A deflate ``stream`` of ``size`` bytes whose CRC-32 is ``crc``."""
        deflated = zipfile.ZIP_DEFLATED
        offset = self._header(info, crc, len(stream), size, compress_type=deflated)
        self.target.write(stream)
        self._central(info, crc, len(stream), size, offset, compress_type=deflated)

    def deflate(self, info: zipfile.ZipInfo, chunks: Iterable[bytes]) -> None:
        offset = self._header(info, 0, 0, 0)  # written again once the sizes are known
        deflater = zlib_ng.compressobj(_LEVEL, zlib_ng.DEFLATED, -zlib_ng.MAX_WBITS)
        crc = size = packed = 0
        for chunk in chunks:
            crc, size = zlib_ng.crc32(chunk, crc), size + len(chunk)
            data = deflater.compress(chunk)
            packed += len(data)
            self.target.write(data)
        data = deflater.flush()
        self.target.write(data)
        packed += len(data)
        end = self.target.tell()
        self.target.seek(self.start + offset)
        self._header(info, crc, packed, size, compress_type=zipfile.ZIP_DEFLATED)
        self.target.seek(end)
        self._central(info, crc, packed, size, offset, compress_type=zipfile.ZIP_DEFLATED)

    def close(self) -> None:
        at = self.target.tell() - self.start
        directory = b"".join(self.central)
        self.target.write(directory)
        n = len(self.central)
        self.target.write(_END.pack(b"PK\x05\x06", 0, 0, n, n, len(directory), at, 0))

    def _header(
        self,
        info: zipfile.ZipInfo,
        crc: int,
        packed: int,
        size: int,
        compress_type: int | None = None,
    ) -> int:
        """The local header (no extra field, no data descriptor); returns its offset."""
        offset = self.target.tell() - self.start
        name = info.filename.encode()
        self.target.write(
            _LOCAL.pack(
                b"PK\x03\x04",
                20,
                _UTF8,
                info.compress_type if compress_type is None else compress_type,
                *_dos_time(info),
                crc,
                packed,
                size,
                len(name),
                0,
            )
            + name
        )
        return offset

    def _central(
        self,
        info: zipfile.ZipInfo,
        crc: int,
        packed: int,
        size: int,
        offset: int,
        compress_type: int | None = None,
    ) -> None:
        if max(packed, size, offset) >= 0xFFFFFFFF:
            raise ValueError("template writer: a workbook part over 4 GiB")
        name = info.filename.encode()
        self.central.append(
            _CENTRAL.pack(
                b"PK\x01\x02",
                20,
                20,
                _UTF8,
                info.compress_type if compress_type is None else compress_type,
                *_dos_time(info),
                crc,
                packed,
                size,
                len(name),
                0,
                0,
                0,
                0,
                info.external_attr,
                offset,
            )
            + name
        )


def _dos_time(info: zipfile.ZipInfo) -> tuple[int, int]:
    year, month, day, hour, minute, second = info.date_time
    return (hour << 11) | (minute << 5) | (second // 2), ((year - 1980) << 9) | (month << 5) | day


def _inflating(part: IO[bytes]) -> IO[bytes]:
    """A zip entry being read, inflated by zlib-ng instead of the system zlib. zipfile takes
    no decompressor of one's choosing: its reader's own is swapped before any read (a
    zipfile without that attribute keeps its zlib: slower, the same bytes)."""
    if hasattr(part, "_decompressor"):
        part._decompressor = zlib_ng.decompressobj(-zlib_ng.MAX_WBITS)
    return part


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
