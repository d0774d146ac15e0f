"""An upload's multipart body is spooled to disk as it streams, every limit checked as the bytes
come; a refused body is still read to its end; the upload's directory goes when done."""

from __future__ import annotations

import fcntl
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from btxh_common.errors import DomainError
from import_svc.adapters.spool import Spooler, Spooling, remove_abandoned
from import_svc.domain.errors import (
    FileTooLarge,
    TooManyFiles,
    UploadMalformed,
    UploadNotMultipart,
    UploadTooLarge,
)

KIB = 1024


def multipart(files: list[tuple[str, bytes]], **fields: str) -> tuple[str, bytes]:
    """A body as httpx sends it, and its content type."""
    request = httpx.Request(
        "POST", "http://svc/v1/imports", data=fields, files=[("files", f) for f in files]
    )
    return request.headers["content-type"], request.read()


class Body:
    """The body in pieces of 1000 bytes, counting how much of it was read."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.read = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.data), 1000):
            self.read = min(start + 1000, len(self.data))
            yield self.data[start : start + 1000]


def spooler(tmp_path: Path, **limits: int) -> Spooler:
    return Spooler(Spooling(root=tmp_path / "spool", **limits))


async def test_each_file_is_written_to_the_uploads_directory_and_the_fields_kept(
    tmp_path: Path,
) -> None:
    spool = spooler(tmp_path)
    files = [("xa_a.xlsx", b"A" * 5000), ("Xã B.xlsx", b"B" * 3)]
    content_type, data = multipart(files, kind="arrears", district="001")
    async with spool.receive(content_type, Body(data).__aiter__()) as received:
        assert received.fields == {"kind": "arrears", "district": "001"}
        assert [(f.name, f.path.read_bytes(), f.size) for f in received.files] == [
            ("xa_a.xlsx", b"A" * 5000, 5000),
            ("Xã B.xlsx", b"B" * 3, 3),
        ]
        directory = received.files[0].path.parent
        assert directory.parent == spool.home
    assert not directory.exists()


@pytest.mark.parametrize(
    ("files", "limits", "refused"),
    [
        ([("a.xlsx", b"x" * 10 * KIB), ("b.xlsx", b"x" * (10 * KIB + 1))], {}, FileTooLarge),
        ([("a.xlsx", b"x")] * 4, {}, TooManyFiles),
        ([("a.xlsx", b"x" * 8 * KIB)] * 3, {"max_upload_bytes": 20 * KIB}, UploadTooLarge),
    ],
)
async def test_a_limit_crossed_refuses_the_upload_after_reading_its_body_to_the_end(
    tmp_path: Path, files: list[tuple[str, bytes]], limits: dict[str, int], refused: type
) -> None:
    spool = spooler(tmp_path, **{"max_files": 3, "max_file_bytes": 10 * KIB, **limits})
    content_type, data = multipart(files, kind="arrears", district="001")
    body = Body(data)
    with pytest.raises(refused) as answer:
        async with spool.receive(content_type, body.__aiter__()):
            pytest.fail("refused before the route runs")
    assert isinstance(answer.value, DomainError)
    assert body.read == len(data), "the body is read to its end: the client gets the answer"
    assert list(spool.home.iterdir()) == [spool.home / ".lock"], "nothing left in the spool"


async def test_a_file_over_its_limit_is_named_in_the_refusal(tmp_path: Path) -> None:
    spool = spooler(tmp_path, max_file_bytes=10 * KIB)
    content_type, data = multipart([("xa_lon.xlsx", b"x" * 20 * KIB)])
    with pytest.raises(FileTooLarge) as answer:
        async with spool.receive(content_type, Body(data).__aiter__()):
            pass
    assert answer.value.message_vi.startswith("Tệp «xa_lon.xlsx» lớn hơn giới hạn")


@pytest.mark.parametrize(
    ("content_type", "data", "refused"),
    [
        ("application/json", b"{}", UploadNotMultipart),
        ("multipart/form-data", b"--b\r\n", UploadNotMultipart),  # no boundary
        ("multipart/form-data; boundary=b", b"--b\r\nX: y\r\n\r\nz\r\n--b--\r\n", UploadMalformed),
        ("multipart/form-data; boundary=b", b"--b\r\nContent-Disposition: form-data; name=", None),
    ],
)
async def test_a_body_that_is_not_a_well_formed_multipart_form_is_refused(
    tmp_path: Path, content_type: str, data: bytes, refused: type | None
) -> None:
    with pytest.raises(refused or UploadMalformed):
        async with spooler(tmp_path).receive(content_type, Body(data).__aiter__()):
            pass


async def test_a_field_over_1_kib_is_refused(tmp_path: Path) -> None:
    content_type, data = multipart([("a.xlsx", b"x")], kind="k" * 2000)
    with pytest.raises(UploadMalformed):
        async with spooler(tmp_path).receive(content_type, Body(data).__aiter__()):
            pass


def test_a_spool_left_by_a_dead_process_is_removed_and_a_live_ones_kept(tmp_path: Path) -> None:
    root = tmp_path / "spool"
    dead, alive = root / "proc-dead", root / "proc-alive"
    for spool in (dead, alive):
        spool.mkdir(parents=True)
        (spool / "upload-1").mkdir()
        (spool / ".lock").touch()
    with (alive / ".lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as its process holds it
        remove_abandoned(root)
        assert sorted(p.name for p in root.iterdir()) == ["proc-alive"]
        assert (alive / "upload-1").exists()
