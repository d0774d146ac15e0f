"""Uploads received straight to disk: a multipart body is parsed as it streams in, each file
written to a directory of the upload's own, never held whole in memory.

Every limit is checked while the bytes come: the files of an upload (``max_files``), the
bytes of a file (``max_file_bytes``) and of the upload (``max_upload_bytes``), the size and
number of its form fields. At most ``slots`` uploads are received at once (the others wait,
their bodies unread), so the spool holds at most ``slots × max_upload_bytes``. A refused
upload's body is still read to its end (bounded by its Content-Length, itself bounded by
``max_upload_bytes``) and thrown away, so the client reads the answer instead of a reset.

The spool is a directory of this process's own under ``root`` (``proc-*``, holding a lock for
the process's life); one left by a process that died is removed by the next to start.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from btxh_common.errors import DomainError
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from import_svc.domain.batch import check_upload
from import_svc.domain.errors import (
    FileTooLarge,
    UploadMalformed,
    UploadNotMultipart,
    UploadTooLarge,
)

MIB = 1024 * 1024
MAX_FIELDS = 8  # kind, district and a few a browser may add
MAX_FIELD_BYTES = 1024
LOCK = ".lock"


@dataclass(frozen=True)
class Spooling:
    """Where uploads are spooled and what one may be."""

    root: Path
    slots: int = 2
    max_files: int = 20
    max_file_bytes: int = 20 * MIB
    max_upload_bytes: int = 200 * MIB


@dataclass
class Spooled:
    """One file of an upload, on disk."""

    name: str
    path: Path
    size: int = 0


@dataclass
class Received:
    fields: dict[str, str] = field(default_factory=dict)
    files: list[Spooled] = field(default_factory=list)


class Spooler:
    """This process's spool: its directory, and the slots uploads are received in."""

    def __init__(self, spooling: Spooling) -> None:
        self.spooling = spooling
        spooling.root.mkdir(parents=True, exist_ok=True)
        remove_abandoned(spooling.root)
        self.home = Path(tempfile.mkdtemp(prefix="proc-", dir=spooling.root))
        self._lock = (self.home / LOCK).open("w")
        fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._slots: asyncio.Semaphore | None = None

    @contextlib.asynccontextmanager
    async def receive(
        self, content_type: str | None, body: AsyncIterator[bytes]
    ) -> AsyncIterator[Received]:
        """The upload's fields and files, spooled in a directory removed when done."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.spooling.slots)
        async with self._slots:
            directory = Path(tempfile.mkdtemp(prefix="upload-", dir=self.home))
            try:
                yield await _receive(content_type, body, directory, self.spooling)
            finally:
                await asyncio.to_thread(shutil.rmtree, directory, True)


def remove_abandoned(root: Path) -> None:
    """The spools of processes that died (their lock is free) are removed."""
    for spool in root.glob("proc-*"):
        try:
            with (spool / LOCK).open("a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                shutil.rmtree(spool, ignore_errors=True)
        except (BlockingIOError, FileNotFoundError):
            continue  # alive, or not a spool yet


async def _receive(
    content_type: str | None, body: AsyncIterator[bytes], directory: Path, spooling: Spooling
) -> Received:
    kind, options = parse_options_header(content_type)
    if kind != b"multipart/form-data" or not options.get(b"boundary"):
        raise UploadNotMultipart()
    parts = _Parts(directory, spooling)
    parser = MultipartParser(options[b"boundary"], parts.callbacks())
    received = 0
    try:
        async for chunk in body:
            received += len(chunk)
            if received > spooling.max_upload_bytes:
                raise UploadTooLarge(spooling.max_upload_bytes)
            parser.write(chunk)
        parser.finalize()
        if not parts.ended:  # the body stopped before its closing boundary
            raise UploadMalformed()
    except (DomainError, FormParserError, ValueError) as refused:
        await _drain(body, spooling.max_upload_bytes)
        if isinstance(refused, DomainError):
            raise
        raise UploadMalformed() from refused
    finally:
        parts.close()  # a file part still open (refused, or the client went away)
    return parts.received


async def _drain(body: AsyncIterator[bytes], most: int) -> None:
    """The rest of a refused body read and thrown away, up to ``most`` bytes."""
    thrown = 0
    async for chunk in body:
        thrown += len(chunk)
        if thrown > most:
            return


class _Parts:
    """python-multipart's callbacks: a file part is written to its own file as it comes, a
    field kept (small); every limit checked as the bytes come."""

    def __init__(self, directory: Path, spooling: Spooling) -> None:
        self.directory = directory
        self.spooling = spooling
        self.received = Received()
        self.open: IO[bytes] | None = None
        self.headers: dict[bytes, bytes] = {}
        self.header = (b"", b"")
        self.field_name: str | None = None
        self.value = bytearray()
        self.ended = False

    def callbacks(self) -> Any:
        names = ("part_begin", "part_data", "part_end", "header_field", "header_value")
        found: dict[str, Callable[..., None]] = {f"on_{n}": getattr(self, n) for n in names}
        return {
            **found,
            "on_header_end": self.header_end,
            "on_headers_finished": self.begun,
            "on_end": self.end,
        }

    def end(self) -> None:
        self.ended = True

    def part_begin(self) -> None:
        self.headers = {}

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self.header = (self.header[0] + data[start:end], self.header[1])

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self.header = (self.header[0], self.header[1] + data[start:end])

    def header_end(self) -> None:
        self.headers[self.header[0].lower()] = self.header[1]
        self.header = (b"", b"")

    def begun(self) -> None:
        _, options = parse_options_header(self.headers.get(b"content-disposition"))
        if b"name" not in options:
            raise UploadMalformed()
        files = self.received.files
        if b"filename" in options:
            check_upload(len(files) + 1, self.spooling.max_files)
            name = options[b"filename"].decode("utf-8", "replace")[:200] or "tep.xlsx"
            files.append(Spooled(name, self.directory / f"{len(files):04d}.xlsx"))
            self.open = files[-1].path.open("wb")
        elif len(self.received.fields) >= MAX_FIELDS:
            raise UploadMalformed()
        else:
            self.field_name = options[b"name"].decode("utf-8", "replace")
            self.value = bytearray()

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if self.open is not None:
            spooled = self.received.files[-1]
            spooled.size += end - start
            if spooled.size > self.spooling.max_file_bytes:
                raise FileTooLarge(spooled.name, self.spooling.max_file_bytes)
            self.open.write(data[start:end])
        elif self.field_name is not None:
            if len(self.value) + end - start > MAX_FIELD_BYTES:
                raise UploadMalformed()
            self.value += data[start:end]

    def part_end(self) -> None:
        if self.open is not None:
            self.close()
        elif self.field_name is not None:
            self.received.fields[self.field_name] = self.value.decode("utf-8", "replace")
            self.field_name = None

    def close(self) -> None:
        if self.open is not None:
            self.open.close()
            self.open = None
