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
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from import_svc.adapters.workbook import FileRefused, Limits, Sheet, read_sheet
from import_svc.domain.columns import Kind
from import_svc.domain.rows import RawRow


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


class ReadDied(Exception):
    """The child reading a file died or was killed; ``reason`` says how."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def read_file(content: bytes, kind: Kind, reading: Reading) -> Sheet:
    """``content`` written to the spool directory, read there by a child process."""

    async def write(target: IO[bytes]) -> None:
        await asyncio.to_thread(_write, target, content)

    return await read_stored(write, kind, reading)


async def read_stored(
    fill: Callable[[IO[bytes]], Awaitable[None]], kind: Kind, reading: Reading
) -> Sheet:
    """A file written by ``fill`` to the spool directory (part by part, as it is stored), then
    read there by a child process; the file is removed after."""
    with tempfile.NamedTemporaryFile(dir=reading.spool, prefix="parse-") as spooled:
        await fill(spooled)
        return await read_in_child(Path(spooled.name), kind, reading)


def _write(target: IO[bytes], content: bytes) -> None:
    target.write(content)
    target.flush()


async def read_in_child(path: Path, kind: Kind, reading: Reading) -> Sheet:
    """The file at ``path`` read by a child process within ``reading``'s limits."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "import_svc.adapters.child_reader",
        str(path),
        kind,
        json.dumps(asdict(reading.limits)),
        str(reading.memory_bytes),
        str(max(1, int(reading.seconds))),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        out, _ = await asyncio.wait_for(process.communicate(), timeout=reading.seconds)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        raise ReadDied("timeout") from None
    except BaseException:  # cancelled with the service: the child goes too
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        raise
    if process.returncode != 0 or not out:
        raise ReadDied(f"exit {process.returncode}")
    answer = _load(out)
    if isinstance(answer, FileRefused):
        raise answer
    columns, rows, ignored = answer
    return Sheet(columns=columns, rows=[RawRow(*r) for r in rows], ignored_headers=ignored)


def _load(out: bytes) -> Any:
    """Our own child's answer, written by ``_main`` from objects of our own types; the cycle
    collector is paused meanwhile (100k rows of small objects, none of them in a cycle)."""
    gc.disable()
    try:
        return pickle.loads(out)  # noqa: S301
    finally:
        gc.enable()


def _main(argv: list[str]) -> None:
    path, kind, limits, memory, seconds = argv
    gc.disable()  # a short-lived process making many small objects, none of them in a cycle
    resource.setrlimit(resource.RLIMIT_AS, (int(memory), int(memory)))
    resource.setrlimit(resource.RLIMIT_CPU, (int(seconds), int(seconds) + 1))
    data = Path(path).read_bytes()
    answer: tuple[Any, ...] | FileRefused
    try:
        sheet = read_sheet(data, kind, Limits(**json.loads(limits)))  # type: ignore[arg-type]
        rows = [(r.row_no, r.values, r.issues, r.numeric_id, r.hidden) for r in sheet.rows]
        answer = (sheet.columns, rows, sheet.ignored_headers)  # tuples: half the pickling
    except FileRefused as refused:
        answer = refused
    sys.stdout.buffer.write(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    _main(sys.argv[1:])
