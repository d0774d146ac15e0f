"""Issue 16's "50 files × 50 MB" against a real import-svc process with limits sized for its
pod: files of 50 MB are generated on disk here and streamed (never read whole by the client
either). Each request gets a clear answer — 413 for an upload over its declared limit or a
file over its own, 422 for too many files, 202 for the rest — and the service's memory does
not follow the bytes: its peak RSS (``VmHWM``) grows by less than one file while 2.5 GB go
through it, because uploads are spooled to disk and stored in 256 KiB parts. At most
``IMPORT_UPLOAD_SLOTS`` uploads are spooled at once, ``/readyz`` answers 200 throughout, and
an ordinary upload sent right after is processed."""

from __future__ import annotations

import asyncio
import contextlib
import io
import time
import zipfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
import pytest_asyncio
from btxh_tools.harness import Stack, start_stack

from .test_hostile_uploads import DISTRICT, Readiness, ordinary, settled

MIB = 1024 * 1024
FILE_BYTES = 50 * MIB
LIMITS = {
    "IMPORT_MAX_FILES": 4,
    "IMPORT_MAX_FILE_BYTES": 64 * MIB,
    "IMPORT_MAX_UPLOAD_BYTES": 256 * MIB,
    "IMPORT_UPLOAD_SLOTS": 2,
}


@pytest_asyncio.fixture(scope="module")
async def svc(pg_server: str, kafka_bootstrap: str, module_tmp: Path) -> AsyncIterator[Stack]:
    env = {k: str(v) for k, v in LIMITS.items()}
    env["IMPORT_SPOOL_DIR"] = str(module_tmp / "spool")
    async with start_stack(
        pg_server, kafka_bootstrap, module_tmp, ["import-svc"], {"import-svc": env}
    ) as run:
        yield run


def padded(size: int) -> bytes:
    """The ordinary workbook (two data rows) grown to ``size`` bytes by a stored member that
    the reader never opens: a valid .xlsx that weighs what a photo-laden one does."""
    out = io.BytesIO(ordinary())
    with zipfile.ZipFile(out, "a", zipfile.ZIP_STORED) as book:
        book.writestr("xl/media/padding.bin", b"\0" * (size - out.getbuffer().nbytes - 200))
    return out.getvalue()


def generate(directory: Path, count: int, size: int, name: str = "xa") -> list[Path]:
    directory.mkdir(exist_ok=True)
    content = padded(size)
    paths = [directory / f"{name}_{n:02d}.xlsx" for n in range(count)]
    for p in paths:
        p.write_bytes(content)
    return paths


@contextlib.contextmanager
def opened(paths: list[Path]) -> Iterator[list[tuple[str, tuple[str, IO[bytes], str]]]]:
    """The files as httpx streams them from disk, in parts, with their length known."""
    with contextlib.ExitStack() as stack:
        yield [
            ("files", (p.name, stack.enter_context(p.open("rb")), "application/octet-stream"))
            for p in paths
        ]


async def send(http: httpx.AsyncClient, paths: list[Path]) -> httpx.Response:
    with opened(paths) as files:
        return await http.post(
            "/v1/imports", data={"kind": "arrears", "district": DISTRICT}, files=files
        )


def peak_rss(pid: int) -> int:
    """The process's high-water mark of resident memory, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


class SpoolWatch:
    """The most uploads seen being spooled at once, and files being read at once (the spool
    looked at every 20 ms: it can only undercount)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.most = 0
        self.reading = 0
        self.task: asyncio.Task[None] | None = None

    async def _watch(self) -> None:
        while True:
            self.most = max(self.most, len(list(self.root.glob("proc-*/upload-*"))))
            self.reading = max(self.reading, len(list(self.root.glob("proc-*/parse-*"))))
            await asyncio.sleep(0.02)

    async def __aenter__(self) -> SpoolWatch:
        self.task = asyncio.create_task(self._watch())
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self.task is not None
        self.task.cancel()


def refusal(answer: httpx.Response) -> tuple[int, str]:
    assert answer.headers["content-type"] == "application/problem+json", answer.text[:300]
    return answer.status_code, answer.json()["code"]


@pytest.mark.timeout(1200)
async def test_50_files_of_50_mb_get_clear_answers_in_bounded_memory(
    svc: Stack, module_tmp: Path
) -> None:
    fifty = generate(module_tmp / "big", 50, FILE_BYTES)
    (too_big,) = generate(module_tmp / "bigger", 1, 70 * MIB, "qua_lon")
    assert all(FILE_BYTES - 4096 < p.stat().st_size <= FILE_BYTES for p in fifty)
    pid = svc.processes["import-svc"].pid
    before = peak_rss(pid)
    spool = module_tmp / "spool"
    async with (
        httpx.AsyncClient(
            base_url=svc.urls["import-svc"], headers=svc.token(DISTRICT), timeout=600
        ) as http,
        Readiness(svc.urls["import-svc"]) as ready,
        SpoolWatch(spool) as spooling,
    ):
        started = time.monotonic()
        whole = await send(http, fifty)
        five = await send(http, fifty[:5])
        oversized = await send(http, [fifty[0], too_big])
        groups = [fifty[n : n + 4] for n in range(0, 50, 4)]
        answers = await asyncio.gather(*(send(http, g) for g in groups))
        print(f"answered in {time.monotonic() - started:.0f} s")
        uploads = [a.json()["batches"][0]["upload_id"] for a in answers if a.status_code == 202]
        batches: list[dict[str, Any]] = []
        for upload_id in uploads:
            batches += await settled(http, upload_id, 300)
        print(f"parsed after {time.monotonic() - started:.0f} s")
        after = await http.post(
            "/v1/imports",
            data={"kind": "arrears", "district": DISTRICT},
            files=[("files", ("binh_thuong.xlsx", ordinary(), "application/octet-stream"))],
        )
        (normal,) = await settled(http, after.json()["batches"][0]["upload_id"], 60)
    grown = peak_rss(pid) - before
    print(f"import-svc peak RSS {before / MIB:.0f} MiB before, grew {grown / MIB:.1f} MiB")

    assert refusal(whole) == (413, "upload_too_large")
    assert refusal(five) == (422, "too_many_files")
    assert refusal(oversized) == (413, "file_too_large")
    assert "«qua_lon_00.xlsx»" in oversized.json()["title"], "names the file over its limit"
    assert [a.status_code for a in answers] == [202] * 13, [a.text[:200] for a in answers]
    assert sum(len(a.json()["batches"]) for a in answers) == 50
    assert len(batches) == 50
    assert {(b["status"], b["total"]) for b in batches} == {("awaiting_review", 2)}
    assert (normal["status"], normal["total"]) == ("awaiting_review", 2), normal
    # Not one file (50 MB) was ever held in the service's memory: spooled to disk, stored
    # and read back in parts of 256 KiB. Holding one file whole would grow it by 50 MB.
    assert grown < FILE_BYTES, f"peak RSS grew by {grown / MIB:.1f} MiB"
    assert 1 <= spooling.most <= LIMITS["IMPORT_UPLOAD_SLOTS"], spooling.most
    assert spooling.reading == 1, "one file read at a time"
    assert not list(spool.glob("proc-*/[!.]*")), "every spooled and parsed file removed"
    assert len(ready.answers) >= 3, "polled while the files came"
    assert set(ready.answers) == {200}, ready.answers
