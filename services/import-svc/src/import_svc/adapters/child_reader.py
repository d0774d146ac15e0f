"""Reading a workbook in a child process that may die without taking import-svc with it.

The child is a fresh interpreter (``python -m import_svc.adapters.child_reader``) that caps its
own address space (``RLIMIT_AS``) and CPU time before it opens the file; the parent kills it
when the wall-clock limit passes. A refusal comes back as ``FileRefused``; a child that died
(out of memory, aborted inside python-calamine, killed for time) as ``ReadDied``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import pickle
import resource
import struct
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from import_svc.adapters.workbook import FileRefused, Limits, Sheet, open_sheet
from import_svc.domain.columns import Column, Kind
from import_svc.domain.rows import RawRow, Sent


@dataclass(frozen=True)
class Reading:
    """How uploads are read: the file limits, the child's memory and time, how many times a
    file is tried before it is failed, and where it is written for the child."""

    limits: Limits = field(default_factory=Limits)
    memory_bytes: int = 768 * 1024 * 1024
    seconds: float = 120.0
    attempts: int = 2
    spool: str | None = None
    upload_rows: int = 100_000  # the rows of all the files of one upload together
    chunk_rows: int = 5_000  # rows per message from the child: the part of a file in memory


class ReadDied(Exception):
    """The child reading a file died or was killed; ``reason`` says how."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_LENGTH = struct.Struct(">Q")


@dataclass
class Streamed:
    """A sheet being read by a child: its columns, its rows chunk by chunk (``chunks``), and
    once they are all read, the child's peak RSS (``pipe.peak_mb``)."""

    columns: list[Column]
    ignored_headers: list[str]
    chunks: AsyncIterator[list[Sent]]  # RawRow's fields, in order
    pipe: _Pipe


async def read_file(content: bytes, kind: Kind, reading: Reading) -> Sheet:
    """``content`` written to the spool directory, read there by a child process."""

    async def write(target: IO[bytes]) -> None:
        await asyncio.to_thread(_write, target, content)

    async with stream_stored(write, kind, reading) as streamed:
        return await _collect(streamed)


@contextlib.asynccontextmanager
async def stream_stored(
    fill: Callable[[IO[bytes]], Awaitable[None]], kind: Kind, reading: Reading
) -> AsyncIterator[Streamed]:
    """A file written by ``fill`` to the spool directory (part by part, as it is stored), then
    read there by a child process chunk by chunk; the file is removed after."""
    with tempfile.NamedTemporaryFile(dir=reading.spool, prefix="parse-") as spooled:
        await fill(spooled)
        async with stream_in_child(Path(spooled.name), kind, reading) as streamed:
            yield streamed


def _write(target: IO[bytes], content: bytes) -> None:
    target.write(content)
    target.flush()


async def read_in_child(path: Path, kind: Kind, reading: Reading) -> Sheet:
    """The file at ``path`` read by a child process within ``reading``'s limits, whole."""
    async with stream_in_child(path, kind, reading) as streamed:
        return await _collect(streamed)


async def _collect(streamed: Streamed) -> Sheet:
    rows = [RawRow(*r) async for chunk in streamed.chunks for r in chunk]
    return Sheet(columns=streamed.columns, rows=rows, ignored_headers=streamed.ignored_headers)


@contextlib.asynccontextmanager
async def stream_in_child(path: Path, kind: Kind, reading: Reading) -> AsyncIterator[Streamed]:
    """The file at ``path`` read by a child process within ``reading``'s limits: its columns
    at once (or ``FileRefused``), then its rows as the child reads them. The wall-clock limit
    counts the time spent waiting for the child; the child is killed when the caller stops
    early or fails."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "import_svc.adapters.child_reader",
        str(path),
        kind,
        json.dumps(asdict(reading.limits)),
        str(reading.memory_bytes),
        str(max(1, int(reading.seconds))),
        str(reading.chunk_rows),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        limit=_BUFFER,
    )
    pipe = _Pipe(process, reading.seconds)
    try:
        head = await pipe.message()
        if isinstance(head, FileRefused):
            raise head
        columns, ignored = head
        yield Streamed(columns, ignored, pipe.chunks(), pipe)
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()


_BUFFER = 16 * 1024 * 1024  # what the parent reads ahead of the child while it stages


class _Pipe:
    """Length-prefixed pickles from our own child, read within a time budget."""

    def __init__(self, process: asyncio.subprocess.Process, seconds: float) -> None:
        self.process, self.left = process, seconds
        self.peak_mb = 0.0  # the child's, said in its last message

    async def message(self) -> Any:
        length = _LENGTH.unpack(await self._read(_LENGTH.size))[0]
        return _load(await self._read(length))

    async def chunks(self) -> AsyncIterator[list[Sent]]:
        while isinstance(chunk := await self.message(), list):
            yield chunk
        if isinstance(chunk, FileRefused):
            raise chunk
        self.peak_mb = float(chunk)
        if await self.process.wait() != 0:
            raise ReadDied(f"exit {self.process.returncode}")

    async def _read(self, n: int) -> bytes:
        assert self.process.stdout is not None
        started = time.monotonic()
        try:
            data = await asyncio.wait_for(self.process.stdout.readexactly(n), max(self.left, 0))
        except TimeoutError:
            raise ReadDied("timeout") from None
        except asyncio.IncompleteReadError:
            await self.process.wait()
            raise ReadDied(f"exit {self.process.returncode}") from None
        self.left -= time.monotonic() - started
        return data


def _load(out: bytes) -> Any:
    """Our own child's answer, written by ``_main`` from objects of our own types; the cycle
    collector is paused meanwhile (many small objects, none of them in a cycle)."""
    gc.disable()
    try:
        return pickle.loads(out)  # noqa: S301
    finally:
        gc.enable()


def _send(answer: Any) -> None:
    data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
    sys.stdout.buffer.write(_LENGTH.pack(len(data)))
    sys.stdout.buffer.write(data)


def _main(argv: list[str]) -> None:
    """The columns (or the refusal), then the rows in chunks of ``chunk_rows`` (tuples: half
    the pickling), then the child's peak RSS in MB (or the refusal of a later slice)."""
    path, kind, limits, memory, seconds, chunk_rows = argv
    gc.disable()  # a short-lived process making many small objects, none of them in a cycle
    resource.setrlimit(resource.RLIMIT_AS, (int(memory), int(memory)))
    resource.setrlimit(resource.RLIMIT_CPU, (int(seconds), int(seconds) + 1))
    try:
        opened = open_sheet(Path(path), kind, Limits(**json.loads(limits)))  # type: ignore[arg-type]
    except FileRefused as refused:
        _send(refused)
        sys.stdout.buffer.flush()
        return
    _send((opened.columns, opened.ignored))
    chunk: list[Sent] = []
    try:
        for r in opened.sent:
            chunk.append(r)
            if len(chunk) == int(chunk_rows):
                _send(chunk)
                chunk = []
    except FileRefused as refused:  # a later slice of the sheet the reader could not read
        _send(refused)
        sys.stdout.buffer.flush()
        return
    if chunk:
        _send(chunk)
    _send(peak_rss_mb())
    sys.stdout.buffer.flush()


def peak_rss_mb() -> float:
    """This process's peak RSS since it started (``VmHWM``: not the parent's, which
    ``ru_maxrss`` carries over a fork and exec)."""
    with contextlib.suppress(OSError), open("/proc/self/status", "rb") as status:
        for line in status:
            if line.startswith(b"VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    _main(sys.argv[1:])
