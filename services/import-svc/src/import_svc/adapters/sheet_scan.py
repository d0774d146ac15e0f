"""What the values of a sheet do not show, found in its XML read part by part (issue 17).

Before the reader allocates its grid, the sheet's XML is decompressed in blocks of
``BLOCK`` bytes and cut where a row starts, so every tag a pattern looks at is whole in one
segment, and is scanned for: the extent of the grid (the rows and cells actually present —
not the declared dimension, which can lie — refused when beyond the limits), formula cells,
hidden rows and merged cells. Only counts and searches that allocate nothing run over it;
the whole XML is never held (135 MB for 100k rows of 25 columns). Every pattern stays
inside one tag (``[^<>]``), so a crafted sheet is read in linear time.
"""

from __future__ import annotations

import functools
import itertools
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO

from import_svc.domain.columns import FIRST_DATA_ROW

BLOCK = 4 * 1024 * 1024
SHEET = re.compile(r"^xl/worksheets/sheet(\d+)\.xml$")
_FORMULA = re.compile(rb'<c r="([A-Z]{1,3})(\d+)"[^<>]*>\s*<f[ >/]')
_HIDDEN_ROW = re.compile(rb'<row\s([^<>]*?\bhidden="(?:1|true)"[^<>]*)>')
_ROW_NO = re.compile(rb'(?:^|\s)r="(\d+)"')
_ROW_REF = re.compile(rb'<row\s[^<>]*?\br="(\d+)"')
_ANY_ROW = re.compile(rb"<row[\s>/]")
_CELL_WITHOUT_REF = re.compile(rb'<c(?:>|/>| (?!r="))')
_MERGED = re.compile(rb'<mergeCell ref="([A-Z]{1,3})(\d+):([A-Z]{1,3})(\d+)"')

Merged = dict[int, set[int]]  # column positions by row number
Marks = tuple[dict[int, set[int]], set[int], Merged]


class Refused(Exception):
    """The sheet is refused: ``code`` and the Vietnamese reason (``workbook`` says it)."""

    def __init__(self, code: str, message_vi: str) -> None:
        super().__init__(message_vi)
        self.code, self.message_vi = code, message_vi


def first_sheet(archive: zipfile.ZipFile) -> str:
    """The name of the first sheet's XML in the archive."""
    return sorted((int(m[1]), n) for n in archive.namelist() if (m := SHEET.match(n)))[0][1]


def scan_sheet(
    archive: zipfile.ZipFile,
    max_rows: int,
    max_columns: int,
    most: int,
    also: Callable[[bytes, bool], None] | None = None,
) -> Marks:
    """The first sheet scanned; its marks: formula and merged cells (column positions by row
    number) and hidden rows. Refused when it holds more than ``max_rows`` data rows, a cell
    beyond them or beyond ``max_columns``, or more than ``most`` bytes once unzipped. Each
    part scanned is also given to ``also``, with whether a cell of it does not say where it
    is."""
    scan = SheetScan(max_rows + FIRST_DATA_ROW - 1, max_columns)
    with archive.open(first_sheet(archive)) as stream:
        for segment in _segments(stream, most):
            refless = scan.feed(segment)
            if also is not None:
                also(segment, refless)
    return scan.finish()


def sheet_parts(archive: zipfile.ZipFile, most: int) -> Iterator[bytes]:
    """The first sheet's XML in parts that end where a row starts (``_segments``)."""
    with archive.open(first_sheet(archive)) as stream:
        yield from _segments(stream, most)


def merged_cells(archive: zipfile.ZipFile, most: int, last_row: int, last_column: int) -> Merged:
    """The first sheet's merged cells (column positions by row number), found before its rows
    are read: ``<mergeCells>`` comes after the rows in the XML, and rows are read while the
    scan goes on. A pass over the same parts as the scan (``sheet_parts``: cut where a row
    starts, so no tag is split) that only looks for the tag (most sheets have none)."""
    merges: list[tuple[int, int, int, int]] = []
    for part in sheet_parts(archive, most):
        if b"<mergeCell " in part:
            merges.extend(_merges(part))
    return _merged(merges, last_row, last_column)


def _merges(xml: bytes) -> Iterator[tuple[int, int, int, int]]:
    for m in _MERGED.finditer(xml):
        yield column_index(m[1].decode()), int(m[2]), column_index(m[3].decode()), int(m[4])


def _merged(merges: list[tuple[int, int, int, int]], last_row: int, last_column: int) -> Merged:
    merged: Merged = {}
    for c1, r1, c2, r2 in merges:
        for r in range(max(r1, FIRST_DATA_ROW), min(r2, last_row) + 1):
            merged.setdefault(r, set()).update(range(c1, min(c2, last_column - 1) + 1))
    return merged


def _segments(stream: IO[bytes], most: int) -> Iterator[bytes]:
    """The XML in parts that end where a row starts (a row longer than a block is kept
    whole); refused past ``most`` bytes."""
    carry, total = b"", 0
    while data := stream.read(BLOCK):
        total += len(data)
        if total > most:
            raise Refused("zip_bomb", "Trang tính giải nén vượt giới hạn; tệp không được đọc")
        buffer = carry + data
        cut = buffer.rfind(b"<row")
        if cut <= 0:
            carry = buffer
            continue
        yield buffer[:cut]
        carry = buffer[cut:]
    if carry:
        yield carry


@dataclass
class SheetScan:
    """A sheet's XML scanned part by part (``feed``); ``finish`` checks the limits and gives
    the marks."""

    last_row: int
    last_column: int
    rows: int = 0  # row tags (and ``<rowBreaks``: an upper bound)
    numbered: int = 0  # row tags that say their number
    highest: int = 0  # the highest row number said
    far: str | None = None  # the first reference beyond the limits
    widest: int = 0  # the most cells in a row, where some cell does not say where it is
    formulas: dict[int, set[int]] = field(default_factory=dict)
    hidden: set[int] = field(default_factory=set)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)

    def feed(self, xml: bytes) -> bool:
        """Scan one part; True when a cell of it does not say where it is."""
        self.rows += xml.count(b"<row")
        if self.rows > self.last_row:
            raise _too_many_rows(self.last_row - FIRST_DATA_ROW + 1)
        if self.far is None:
            for first, beyond in _beyond(self.last_row, self.last_column):
                if (start := first.search(xml)) and (far := beyond.search(xml, start.start())):
                    self.far = far[1].decode()
                    break
        for number in _ROW_REF.findall(xml):
            self.numbered += 1
            self.highest = max(self.highest, int(number))
        refless = _CELL_WITHOUT_REF.search(xml) is not None
        if refless:
            self.widest = max(self.widest, _widest_row(xml))
        self._marks(xml)
        return refless

    def _marks(self, xml: bytes) -> None:
        for m in _FORMULA.finditer(xml) if b"<f" in xml else ():  # most sheets have none
            self.formulas.setdefault(int(m[2]), set()).add(column_index(m[1].decode()))
        for m in _HIDDEN_ROW.finditer(xml) if b'hidden="' in xml else ():
            if (number := _ROW_NO.search(m[1])) is not None:
                self.hidden.add(int(number[1]))
        for m in _MERGED.finditer(xml) if b"<mergeCell " in xml else ():
            c1, c2 = column_index(m[1].decode()), column_index(m[3].decode())
            self.merges.append((c1, int(m[2]), c2, int(m[4])))

    def check(self) -> None:
        """Refused at once when a reference beyond the limits was seen in the parts scanned
        (rows read while the scan goes on are given only once their parts are checked)."""
        if self.far is not None:
            where = self.far if self.far[0].isalpha() else f"dòng {self.far}"
            raise _far(where, self.last_column)

    def finish(self) -> Marks:
        """The limits checked in the order a whole-sheet check says them; the marks."""
        self.check()
        present = self.highest + self.rows - self.numbered  # rows without ``r`` follow
        if present > self.last_row:
            raise _far(f"dòng {present:,}".replace(",", "."), self.last_column)
        if self.widest > self.last_column:
            raise _far(f"cột {column_letters(self.last_column + 1)}", self.last_column)
        return self.formulas, self.hidden, _merged(self.merges, present, self.last_column)


def _too_many_rows(most: int) -> Refused:
    return Refused(
        "too_many_rows",
        f"Tệp có hơn {most:,} dòng dữ liệu; hãy chia nhỏ theo xã".replace(",", "."),
    )


@functools.lru_cache(maxsize=8)
def _beyond(last_row: int, last_column: int) -> list[tuple[re.Pattern[bytes], re.Pattern[bytes]]]:
    """Row, then column references past ``last_row`` or ``last_column``: each a quick search
    for references as long as the limit (none in most sheets), and the exact one from there."""
    rows = _greater(str(last_row), "0123456789")
    letters = column_letters(last_column)
    columns = _greater(letters, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    digits = len(str(last_row)) - 1
    return [
        (
            re.compile(rb'r="[A-Z]{0,3}0*[1-9][0-9]{%d}' % digits),
            re.compile(rb'r="([A-Z]{0,3}0*(?:' + rows + rb'))"'),
        ),
        (
            re.compile(rb'r="[A-Z]{%d}' % len(letters)),
            re.compile(rb'r="((?:' + columns + rb")[0-9]+)\""),
        ),
    ]


def _greater(limit: str, alphabet: str) -> bytes:
    """A pattern for the strings over ``alphabet`` (no leading ``alphabet[0]`` for numbers)
    that stand for more than ``limit``: longer ones, or as long and greater."""
    first = alphabet[1:] if alphabet[0] == "0" else alphabet
    every = f"[{alphabet[0]}-{alphabet[-1]}]"
    options = [f"[{first[0]}-{first[-1]}]{every}{{{len(limit)},}}"]
    for i, ch in enumerate(limit):
        above = alphabet[alphabet.index(ch) + 1 :]
        if above:
            options.append(f"{limit[:i]}[{above[0]}-{above[-1]}]{every}{{{len(limit) - i - 1}}}")
    return "|".join(options).encode()


def _widest_row(xml: bytes) -> int:
    """The most cells in one row of the segment."""
    starts = [m.start() for m in _ANY_ROW.finditer(xml)] + [len(xml)]
    return max(
        (
            xml.count(b"<c ", a, b) + xml.count(b"<c>", a, b) + xml.count(b"<c/", a, b)
            for a, b in itertools.pairwise(starts)
        ),
        default=0,
    )


def _far(where: str, last_column: int) -> Refused:
    return Refused(
        "sheet_extent_too_large",
        f"Trang tính có ô ở {where}, ngoài vùng dữ liệu (tối đa {last_column} cột); "
        "hãy xóa các ô và cột thừa rồi tải lên lại",
    )


def column_index(letters: str) -> int:
    """A → 0, AA → 26."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def column_letters(index: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
