"""A copy of the sheet holding only the columns an import reads, read slice by slice (issue 17).

The reader (python-calamine) allocates a grid of every cell of the sheet it opens, and has no
way to read rows as they come; a 25-column arrears file needs 7 of them. While ``sheet_scan``
goes through the sheet's XML part by part, each part is written, without the cells of the
other columns, to a file beside the upload (its XML as it is, not compressed); as soon as a
slice of about ``SLICE`` bytes of rows is whole, ``ready`` gives it back as a small workbook (the
sheet's head, whole rows, the other parts of the workbook as they are), opened by the reader
while the scan goes on: its grid is one slice's, whatever the rows of the file. The header row is
read here (its cells as text: shared, inline or formula strings) to know the columns; anything
this cannot read surely — a header cell that is not text, a cell that does not say its column,
a header row that is not row 1, a slice that would not start at a numbered row after the rows
before it — stops the copy, and the reader opens the file as it was uploaded (for the rows not
yet read, when it stops midway).
"""

from __future__ import annotations

import html
import io
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

from import_svc.adapters.sheet_scan import column_letters

_HEADER_ROW = re.compile(rb"<row\b([^<>]*)>(.*?)</row>", re.S)
_HEADER_CELL = re.compile(rb'<c r="([A-Z]{1,3})1"([^<>]*?)(?:/>|>(.*?)</c>)', re.S)
_ANY_CELL = re.compile(rb"<c[\s>/]")
_TYPE = re.compile(rb'\bt="(\w+)"')
_TEXT = re.compile(rb"<t\b[^<>]*>(.*?)</t>", re.S)
_VALUE = re.compile(rb"<v>(.*?)</v>", re.S)
_PHONETIC = re.compile(rb"<rPh\b.*?</rPh>", re.S)
_SHARED = re.compile(rb"<si>(.*?)</si>", re.S)
_DIMENSION = re.compile(rb"<dimension\b[^<>]*/>")
_ROW_START = re.compile(rb'<row\s[^<>]*?\br="(\d+)"')
_END = b"</sheetData>"
SLICE = 8 * 1024 * 1024  # bytes of the copy's rows per slice: the reader's grid is one slice's
FIRST_SLICE = 1024 * 1024  # the first slice smaller: its rows go out before much is scanned
_STRINGS = {"xl/sharedStrings.xml", "xl/sharedstrings.xml"}

Keep = Callable[[list[str | None]], set[int] | None]  # header → the column positions to keep


class Slim:
    """Fed the sheet's XML part by part (``feed``); once ``close`` says the copy is whole,
    ``path`` is its rows' XML; the workbooks to read are given by ``ready`` while it is fed and
    by ``rest`` after. Given up (``failed``), ``path`` is None: read the upload itself."""

    def __init__(
        self, archive: zipfile.ZipFile, sheet: str, directory: Path, keep: Keep, width: int
    ) -> None:
        self.archive, self.sheet, self.keep = archive, sheet, keep
        self.header: list[str | None] | None = None
        self.path: Path | None = None
        self.width = width
        self._cells: re.Pattern[bytes] | None = None  # cells dropped one by one
        self._drop: re.Pattern[bytes] | None = None  # the rest of a row, dropped at once
        self._read = re.compile(b"^$")
        self._file = tempfile.NamedTemporaryFile(  # noqa: SIM115 (removed by ``remove``)
            dir=directory, prefix="slim-", suffix=".xml"
        )
        self._head = b""  # the sheet's XML before its first row
        self._size = 0  # bytes of rows written
        self._cuts: list[tuple[int, int]] = []  # (offset, the row before it) where slices start
        self._last = 0  # the number of the last row written
        self._given = 0  # slices given so far
        self._ended = False  # the end of the rows was written
        # each slice's workbook holds the shared strings, read again by the reader for each:
        # slices at least as big as they are cost at most one more read of the rows
        strings = [i.file_size for i in archive.infolist() if i.filename in _STRINGS]
        self._slice = max([SLICE, *strings])
        self._first = min(self._slice, max([FIRST_SLICE, *strings]))
        self.failed = False

    def feed(self, xml: bytes, refless: bool) -> None:
        """One part of the sheet's XML; ``refless``: a cell of it does not say its column
        (it cannot be dropped: the copy is given up)."""
        if self.failed:
            return
        if refless:
            self.failed = True
        elif self.header is None:
            self.failed = not self._start(xml) or self.failed
        else:
            if not self._ended and self._size - (self._cuts[-1][0] if self._cuts else 0) >= (
                self._slice if self._cuts else self._first
            ):
                self._cut_here(xml)
            self._write(self._slim(xml))

    def close(self) -> None:
        """Finish the copy."""
        self._file.flush()
        if not self.failed:
            self.path = Path(self._file.name)

    def ready(self) -> Iterator[tuple[bytes, int]]:
        """The slices whole so far (a later part has started the next one) and not given yet,
        in order, each with the number of its last row; none once the copy is given up."""
        while not self.failed and self._given < len(self._cuts):
            start = self._cuts[self._given - 1][0] if self._given else 0
            end, last = self._cuts[self._given]
            self._given += 1
            yield self._book(start, end, last), last

    def rest(self) -> Iterator[tuple[bytes, None]]:
        """After ``close``: the last slice (none if the copy was given up)."""
        if self.path is None or self._given > len(self._cuts):
            return
        start = self._cuts[-1][0] if self._cuts else 0
        self._given += 1
        yield self._book(start, self._size, None), None

    def _book(self, start: int, end: int, last: int | None) -> bytes:
        """The copy's rows from ``start`` to ``end`` as a workbook of their own (read where they
        are: the copy is still being written after them)."""
        self._file.flush()
        rows = os.pread(self._file.fileno(), end - start, start)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as book:
            for info in self.archive.infolist():
                if info.filename != self.sheet:
                    book.writestr(info.filename, self.archive.read(info))
            tail = b"" if last is None else _END + b"</worksheet>"
            book.writestr(self.sheet, self._head + rows + tail)
        return out.getvalue()

    def remove(self) -> None:
        self._file.close()

    def _cut_here(self, xml: bytes) -> None:
        """A slice starts with this part: at a numbered row after the last row written."""
        first = _ROW_START.match(xml)
        if first is None or int(first[1]) <= self._last:
            self.failed = True
        else:
            self._cuts.append((self._size, self._last))

    def _write(self, xml: bytes) -> None:
        self._file.write(xml)
        self._size += len(xml)
        if self._ended:
            return
        if _END in xml:
            self._ended = True
            xml = xml[: xml.find(_END)]
        numbered = _ROW_START.findall(xml)
        if len(numbered) != xml.count(b"<row"):  # a row that does not say its number
            self.failed = True
        elif numbered:
            self._last = int(numbered[-1])

    def _start(self, xml: bytes) -> bool:
        """The header row read and the columns to drop known, from the first part."""
        header = self._header(xml)
        kept = None if header is None else self.keep(header)
        if header is None or kept is None:
            return False
        self.header = header
        last = max(kept)
        inside = [i for i in range(last) if i not in kept]
        after = list(range(last + 1, max(len(header), self.width)))
        self._cells = _cells(inside, rb"[^<>]*?(?:/>|>.*?</c>)") if inside else None
        # a row's cells come in column order: from its first cell after the last column read
        # to its end, in one match (a cell read found in it gives the copy up)
        self._drop = _cells(after, rb"[^<]*(?:<(?!/row>)[^<]*)*") if after else None
        self._read = _cells(sorted(kept), b"")
        self._head = _DIMENSION.sub(b"", xml[: xml.find(b"<row")])
        self._write(self._slim(xml[xml.find(b"<row") :]))
        return True

    def _slim(self, xml: bytes) -> bytes:
        if self._cells is not None:
            xml = self._cells.sub(b"", xml)
        if self._drop is not None:
            xml = self._drop.sub(self._cut, xml)
        return xml

    def _cut(self, tail: re.Match[bytes]) -> bytes:
        if self._read.search(tail[0]):  # cells out of column order: read the upload itself
            self.failed = True
        return b""

    def _header(self, xml: bytes) -> list[str | None] | None:
        row = _HEADER_ROW.search(xml)
        if row is None or not re.search(rb'\br="1"', row[1]):
            return None
        cells = row[2]
        found = list(_HEADER_CELL.finditer(cells))
        if len(found) != len(_ANY_CELL.findall(cells)):
            return None
        values: dict[int, str | None] = {}
        shared: list[int] = []
        for m in found:
            kind = (_TYPE.search(m[2]) or [b"", b"n"])[1]
            body = m[3] or b""
            position = _index(m[1].decode())
            if kind == b"s":
                shared.append(position)
                values[position] = (_VALUE.search(body) or [b"", b""])[1].decode()
            elif kind == b"inlineStr":
                values[position] = _text(body)
            elif kind == b"str":
                values[position] = _unescape((_VALUE.search(body) or [b"", b""])[1])
            elif not body.strip():
                values[position] = None
            else:
                return None  # a number, a date, a boolean or an error as a header: not here
        if shared and not self._shared(values, shared):
            return None
        width = max(values, default=-1) + 1
        return [values.get(i) for i in range(width)]

    def _shared(self, values: dict[int, str | None], positions: list[int]) -> bool:
        """The shared strings the header cells point at (read up to the last of them)."""
        try:
            wanted = {int(str(values[p])): p for p in positions}
            with self.archive.open("xl/sharedStrings.xml") as stream:
                strings = _first_strings(stream.read(8 << 20), max(wanted) + 1)
        except (KeyError, ValueError):
            return False
        if len(strings) <= max(wanted):
            return False
        for index, position in wanted.items():
            values[position] = strings[index]
        return True


def _cells(positions: list[int], rest: bytes) -> re.Pattern[bytes]:
    """Cells of the columns at ``positions`` (0 = A), each followed by ``rest``."""
    letters = b"|".join(column_letters(i + 1).encode() for i in positions)
    return re.compile(rb'<c r="(?:' + letters + rb')\d+"' + rest, re.S)


def _first_strings(xml: bytes, n: int) -> list[str]:
    out = []
    for m in _SHARED.finditer(xml):
        out.append(_text(m[1]))
        if len(out) == n:
            break
    return out


def _text(body: bytes) -> str:
    return "".join(_unescape(t) for t in _TEXT.findall(_PHONETIC.sub(b"", body)))


def _unescape(raw: bytes) -> str:
    return html.unescape(raw.decode())


def _index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1
