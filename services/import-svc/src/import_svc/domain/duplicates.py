"""The in-upload duplicate index: the national IDs of an upload's rows, IDs only.

An upload is validated chunk by chunk as it is read, so a row is checked before the rows after
it are known. The index counts the rows holding each ID so far; when a second row comes for an
ID whose one earlier row was already validated, that ID is ``late``: its earlier row is checked
again once the upload is read. The file being read is kept apart until it is kept (read whole)
or dropped (refused), so a refused file counts for nothing.

An upload within the default limits (100k rows) is counted in a dict; one whose limits were
raised may hold a million IDs: past 100k each is kept as an int (``_Counts``), 8 bytes once
merged, instead of a string in a dict (about 100 bytes).
"""

from __future__ import annotations

import heapq
from array import array
from bisect import bisect_left
from collections import Counter

_DIGITS = 12  # an ID of up to 12 digits (CCCD 12, CMND 9) is kept as an int
_SCALE: int = 1_000_000_000_000  # 10 ** _DIGITS


def _key(national_id: str) -> int | str:
    """The ID as an int when it is 1–12 ASCII digits (its length kept: leading zeros count),
    else as it is."""
    if len(national_id) <= _DIGITS and national_id.isascii() and national_id.isdigit():
        return int(national_id) + len(national_id) * _SCALE
    return national_id


def _id(key: int | str) -> str:
    """The ID ``key`` stands for."""
    if isinstance(key, str):
        return key
    digits, number = divmod(key, _SCALE)
    return f"{number:0{digits}d}"


class _Counts:
    """How many rows hold each ID: in a dict while there are at most ``SMALL`` IDs (an upload
    within the default limits); past that, compact: the int keys held once in a sorted array
    (``_sorted``, plus those met since its last merge in ``_recent``), any key held more than
    once and every key that is not an int in ``_more``."""

    SMALL = 100_000
    MERGE_AT = 65_536  # keys in ``_recent`` before a merge (or a quarter of ``_sorted``)

    def __init__(self) -> None:
        self._small: dict[str, int] | None = {}
        self._sorted = array("q")
        self._recent: set[int] = set()
        self._more: dict[int | str, int] = {}

    def __len__(self) -> int:
        if self._small is not None:
            return len(self._small)
        return len(self._sorted) + len(self._recent) + len(self._more)

    def get(self, national_id: str) -> int:
        if self._small is not None:
            return self._small.get(national_id, 0)
        key = _key(national_id)
        if (n := self._more.get(key)) is not None:
            return n
        if isinstance(key, str):
            return 0
        if key in self._recent:
            return 1
        i = bisect_left(self._sorted, key)
        return 1 if i < len(self._sorted) and self._sorted[i] == key else 0

    def add(self, national_id: str, n: int, before: int | None = None) -> None:
        """``n`` more rows hold ``national_id`` (``before``: its count, when known)."""
        if before is None:
            before = self.get(national_id)
        if self._small is not None:
            self._small[national_id] = before + n
            if len(self._small) > self.SMALL:
                self._compact()
            return
        key = _key(national_id)
        if before == 0 and n == 1 and isinstance(key, int):
            self._recent.add(key)
            if len(self._recent) > max(self.MERGE_AT, len(self._sorted) // 4):
                self._merge()
        else:
            self._more[key] = before + n  # read before the array and the set

    def items(self) -> list[tuple[str, int]]:
        if self._small is not None:
            return list(self._small.items())
        once = heapq.merge(self._sorted, sorted(self._recent))
        return [(_id(k), 1) for k in once if k not in self._more] + [
            (_id(k), n) for k, n in self._more.items()
        ]

    def _compact(self) -> None:
        small, self._small = self._small or {}, None
        for national_id, n in small.items():
            self.add(national_id, n, 0)
        self._merge()

    def _merge(self) -> None:
        self._sorted = array("q", heapq.merge(self._sorted, sorted(self._recent)))
        self._recent = set()


class UploadIds:
    def __init__(self) -> None:
        self._kept = _Counts()
        self._file = _Counts()
        self._late: set[str] = set()
        self._file_late: set[str] = set()
        self.complete = False  # every file read: counts stay as they are
        self._chunk: dict[str, int] = {}  # the counts of the last chunk's IDs, as added

    def __getitem__(self, national_id: str | None) -> int:
        if national_id is None:
            return 0
        if (n := self._chunk.get(national_id)) is not None:
            return n
        in_file = self._file.get(national_id)
        return in_file + self._kept.get(national_id) if len(self._kept) else in_file

    def add(self, ids: Counter[str | None]) -> None:
        """A chunk's IDs (with how many of its rows hold each), before it is validated."""
        self._chunk = {}
        if self.complete:
            return
        kept = len(self._kept) > 0
        for national_id, n in ids.items():
            if national_id is None:
                continue
            in_file = self._file.get(national_id)
            before = in_file + self._kept.get(national_id) if kept else in_file
            if before == 1:
                self._file_late.add(national_id)
            self._file.add(national_id, n, in_file)
            self._chunk[national_id] = before + n

    def keep(self) -> None:
        """The file was read whole: its IDs count for the rest of the upload."""
        self._chunk = {}
        if not len(self._kept):
            self._kept, self._file = self._file, self._kept
        else:
            for national_id, n in self._file.items():
                self._kept.add(national_id, n)
            self._file = _Counts()
        self._late |= self._file_late
        self._file_late = set()

    def drop(self) -> None:
        """The file was refused: its IDs never were."""
        self._chunk = {}
        self._file, self._file_late = _Counts(), set()

    def finish(self) -> list[str]:
        """Every file read: the IDs whose earlier rows are to be checked again, in order."""
        self.complete = True
        return sorted(self._late)
