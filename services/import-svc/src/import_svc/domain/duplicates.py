"""The in-upload duplicate index: the national IDs of an upload's rows, IDs only.

An upload is validated chunk by chunk as it is read, so a row is checked before the rows after
it are known. The index counts the rows holding each ID so far; when a second row comes for an
ID whose one earlier row was already validated, that ID is ``late``: its earlier row is checked
again once the upload is read. The file being read is kept apart until it is kept (read whole)
or dropped (refused), so a refused file counts for nothing.
"""

from __future__ import annotations

from collections import Counter


class UploadIds:
    def __init__(self) -> None:
        self._kept: dict[str, int] = {}
        self._file: dict[str, int] = {}
        self._late: set[str] = set()
        self._file_late: set[str] = set()
        self.complete = False  # every file read: counts stay as they are

    def __getitem__(self, national_id: str | None) -> int:
        if national_id is None:
            return 0
        return self._kept.get(national_id, 0) + self._file.get(national_id, 0)

    def add(self, ids: Counter[str | None]) -> None:
        """A chunk's IDs (with how many of its rows hold each), before it is validated."""
        if self.complete:
            return
        for national_id, n in ids.items():
            if national_id is None:
                continue
            before = self[national_id]
            if before == 1:
                self._file_late.add(national_id)
            self._file[national_id] = self._file.get(national_id, 0) + n

    def keep(self) -> None:
        """The file was read whole: its IDs count for the rest of the upload."""
        if not self._kept:
            self._kept, self._file = self._file, {}
        for national_id, n in self._file.items():
            self._kept[national_id] = self._kept.get(national_id, 0) + n
        self._late |= self._file_late
        self._file, self._file_late = {}, set()

    def drop(self) -> None:
        """The file was refused: its IDs never were."""
        self._file, self._file_late = {}, set()

    def finish(self) -> list[str]:
        """Every file read: the IDs whose earlier rows are to be checked again, in order."""
        self.complete = True
        return sorted(self._late)
