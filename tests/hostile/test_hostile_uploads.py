"""Issue 16's hostile-input corpus, generated here at test time (no binary blobs), against a
real import-svc process on PostgreSQL and the broker: a workbook with cells only at A1 and
XFD1048576, a sheet crafted against the old quadratic hidden-row pattern, a zip bomb, a sheet
of more than a million rows, a file that is not a workbook, and one within every limit whose
reading still runs out of memory (a poison pill). Each gets a clear answer, import-svc stays
ready throughout (``/readyz`` polled), and an ordinary upload sent right after is processed."""

from __future__ import annotations

import asyncio
import contextlib
import io
import zipfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_OID, uuid5

import asyncpg
import httpx
import openpyxl
import pytest_asyncio
from btxh_tools.harness import Stack, start_stack

DISTRICT = "001"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = ["Số CCCD/CMND", "Số tiền truy lĩnh (đồng)", "Kỳ chi trả truy lĩnh"]


@pytest_asyncio.fixture(scope="module")
async def svc(pg_server: str, kafka_bootstrap: str, module_tmp: Path) -> AsyncIterator[Stack]:
    env = {
        "import-svc": {
            # the poison pill: a grid within 200 000 rows that does not fit in 256 MiB
            "IMPORT_PARSE_MEMORY_BYTES": str(256 * 1024 * 1024),
            "IMPORT_MAX_ROWS": "200000",
            "IMPORT_PARSE_ATTEMPTS": "2",
            "IMPORT_MAX_UPLOAD_BYTES": str(32 * 1024 * 1024),
        }
    }
    async with start_stack(pg_server, kafka_bootstrap, module_tmp, ["import-svc"], env) as run:
        yield run


@pytest_asyncio.fixture
async def http(svc: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=svc.urls["import-svc"], headers=svc.token(DISTRICT), timeout=60
    ) as client:
        yield client


def ordinary() -> bytes:
    book = openpyxl.Workbook()
    book.active.append(HEADERS)
    book.active.append(["001085012345", "1.000.000", "12/2026"])
    book.active.append(["001085012346", 500000, "12/2026"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def with_sheet(edit: Callable[[str], str]) -> bytes:
    """The ordinary workbook, its sheet XML changed by ``edit``."""
    source = zipfile.ZipFile(io.BytesIO(ordinary()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = edit(data.decode()).encode()
            target.writestr(item.filename, data)
    return out.getvalue()


def far_cells() -> bytes:
    """Cells only at A1 and XFD1048576 (and the dimension says so too)."""
    book = openpyxl.Workbook()
    book.active["A1"] = HEADERS[0]
    book.active["XFD1048576"] = 1
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def quadratic() -> bytes:
    """One row tag of 1 MB whose attributes made the old hidden-row pattern quadratic."""
    cells = (
        '<c r="A4" t="inlineStr"><is><t>001085012347</t></is></c><c r="B4"><v>700000</v></c>'
        '<c r="C4" t="inlineStr"><is><t>12/2026</t></is></c>'
    )
    crafted = '<row r="4" ' + 'r="4" ' * 170_000 + ">" + cells + "</row>"
    return with_sheet(lambda s: s.replace("</sheetData>", crafted + "</sheetData>"))


def million_rows() -> bytes:
    body = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(2, 1_000_102))
    return with_sheet(lambda s: s.replace("</sheetData>", body + "</sheetData>"))


def zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        target.writestr("[Content_Types].xml", "<Types/>")
        target.writestr("xl/workbook.xml", "<workbook/>")
        target.writestr("xl/worksheets/sheet1.xml", b"\0" * (300 * 1024 * 1024))
    return out.getvalue()


def poison() -> bytes:
    """Two cells, A1 and AN200001: within the row and column limits, but the reader's dense
    grid (8M cells) does not fit in the reading child's memory limit of this stack."""
    book = openpyxl.Workbook()
    book.active["A1"] = HEADERS[0]
    book.active["AN200001"] = 1
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def upload(http: httpx.AsyncClient, files: list[tuple[str, bytes]]) -> str:
    answer = await http.post(
        "/v1/imports",
        data={"kind": "arrears", "district": DISTRICT},
        files=[("files", (n, c, "application/octet-stream")) for n, c in files],
    )
    assert answer.status_code == 202, answer.text
    (upload_id,) = {b["upload_id"] for b in answer.json()["batches"]}
    return str(upload_id)


async def settled(http: httpx.AsyncClient, upload_id: str, seconds: float) -> list[dict[str, Any]]:
    batches: list[dict[str, Any]] = []
    for _ in range(int(seconds * 10)):
        answer = await http.get(
            "/v1/imports", params={"district": DISTRICT, "upload_id": upload_id}
        )
        batches = answer.json()["batches"]
        if batches and all(b["status"] in ("awaiting_review", "failed") for b in batches):
            return batches
        await asyncio.sleep(0.1)
    raise AssertionError(f"upload {upload_id} never settled: {batches}")


class Readiness:
    """``/readyz`` polled every 100 ms on a connection of its own; every answer kept."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.answers: list[int | str] = []
        self.task: asyncio.Task[None] | None = None

    async def _ask(self, client: httpx.AsyncClient) -> None:
        try:
            self.answers.append((await client.get("/readyz")).status_code)
        except httpx.HTTPError as exc:
            self.answers.append(type(exc).__name__)

    async def _poll(self) -> None:
        async with httpx.AsyncClient(base_url=self.url, timeout=2) as client:
            while True:
                await self._ask(client)
                await asyncio.sleep(0.1)

    async def __aenter__(self) -> Readiness:
        self.task = asyncio.create_task(self._poll())
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self.task is not None
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        # One answer more once the work is done, however fast the work went.
        async with httpx.AsyncClient(base_url=self.url, timeout=2) as client:
            await self._ask(client)


async def test_every_hostile_file_gets_a_clear_answer_while_the_service_stays_ready(
    svc: Stack, http: httpx.AsyncClient
) -> None:
    hostile = {
        "sheet_extent_too_large": ("xa_o_xa.xlsx", far_cells()),
        "zip_bomb": ("bom.xlsx", zip_bomb()),
        "too_many_rows": ("trieu_dong.xlsx", million_rows()),
        "not_a_workbook": ("bao_cao.xlsx", "Họ tên;Số tiền\nNguyễn Văn A;1000\n".encode()),
        "parse_died": ("doc_chet.xlsx", poison()),
    }
    assert len(hostile["sheet_extent_too_large"][1]) < 20_000, "a few KB"
    async with Readiness(svc.urls["import-svc"]) as ready:
        ids = [await upload(http, [file]) for file in hostile.values()]
        crafted = await upload(http, [("xa_cai_bay.xlsx", quadratic())])
        answers = {}
        for upload_id in ids:
            (batch,) = await settled(http, upload_id, 120)
            answers[batch["file_name"]] = (batch["status"], batch["error"]["code"])
            assert batch["error"]["message_vi"], batch
        (read,) = await settled(http, crafted, 60)
        after = await upload(http, [("binh_thuong.xlsx", ordinary())])
        (normal,) = await settled(http, after, 60)
    assert answers == {name: ("failed", code) for code, (name, _) in hostile.items()}
    assert (read["status"], read["total"]) == ("awaiting_review", 3), read
    assert (normal["status"], normal["total"]) == ("awaiting_review", 2), normal
    assert len(ready.answers) >= 3, "polled while the files were read"
    assert set(ready.answers) == {200}, ready.answers


async def test_a_poison_pill_is_tried_a_bounded_number_of_times_and_says_why(
    svc: Stack, http: httpx.AsyncClient
) -> None:
    upload_id = await upload(http, [("doc_chet.xlsx", poison())])
    (batch,) = await settled(http, upload_id, 120)
    assert (batch["status"], batch["error"]["code"]) == ("failed", "parse_died")
    assert batch["error"]["message_vi"].startswith("Không đọc được tệp: việc đọc đã dừng 2 lần")


async def test_an_upload_over_the_size_limit_is_refused_before_it_is_read(
    svc: Stack, http: httpx.AsyncClient
) -> None:
    over = [
        ("files", (f"tep_{n}.xlsx", b"x" * (12 << 20), "application/octet-stream"))
        for n in range(3)
    ]
    answer = await http.post(
        "/v1/imports", data={"kind": "arrears", "district": DISTRICT}, files=over
    )
    assert answer.status_code == 413, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "upload_too_large"
    assert answer.json()["title"] == "Lần tải lên lớn hơn giới hạn 32 MB; hãy chia thành nhiều lần"

    async def unsized() -> AsyncIterator[bytes]:
        yield b"--b\r\n"

    answer = await http.post(
        "/v1/imports",
        content=unsized(),
        headers={"content-type": "multipart/form-data; boundary=b"},
    )
    assert (answer.status_code, answer.json()["code"]) == (422, "upload_length_missing")


INFO_HEADERS = ["Số CCCD/CMND", "Họ và tên", "Địa chỉ", "Ngân hàng"]
PEOPLE = {"001085099001": "Trần Văn Bình", "001085099002": "Lê Thị Cúc", "001085099003": "Phạm Đức"}


async def known_people(svc: Stack) -> None:
    """import-svc's read model of the register holds three people of commune 00101 (as their
    ``BeneficiaryRegistered`` events would have left it)."""
    conn = await asyncpg.connect(svc.dsns["import-svc"])
    try:
        await conn.executemany(
            """INSERT INTO identity (beneficiary_id, district_code, commune_code, national_id,
                   full_name, status, version) VALUES ($1, '001', '00101', $2, $3, 'active', 1)
               ON CONFLICT DO NOTHING""",
            [(uuid5(NAMESPACE_OID, n), n, name) for n, name in PEOPLE.items()],
        )
    finally:
        await conn.close()


def hostile_cells() -> bytes:
    """An information (10B) import: row 2 ordinary, row 3 with a 5 MB bank name, row 4 with
    an address of 100,000 characters."""
    ids = list(PEOPLE)
    book = openpyxl.Workbook()
    book.active.append(INFO_HEADERS)
    book.active.append([ids[0], PEOPLE[ids[0]], "Số 5 phố Đội Cấn", "Agribank"])
    book.active.append([ids[1], PEOPLE[ids[1]], "Thôn Đông", "N" * (5 * 1024 * 1024)])
    book.active.append([ids[2], PEOPLE[ids[2]], "Đ" * 100_000, "Vietcombank"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_a_5_mb_cell_and_a_100k_address_are_refused_per_row_and_the_batch_goes_on(
    svc: Stack, http: httpx.AsyncClient
) -> None:
    await known_people(svc)
    async with Readiness(svc.urls["import-svc"]) as ready:
        answer = await http.post(
            "/v1/imports",
            data={"kind": "info", "district": DISTRICT},
            files=[("files", ("thong_tin.xlsx", hostile_cells(), XLSX))],
        )
        assert answer.status_code == 202, answer.text
        (batch,) = await settled(http, answer.json()["batches"][0]["upload_id"], 120)
        assert (batch["status"], batch["total"], batch["valid"], batch["invalid"]) == (
            "awaiting_review",
            3,
            1,
            2,
        ), batch
        url = f"/v1/imports/{batch['id']}"
        invalid = await http.get(f"{url}/rows", params={"status": "invalid"})
        found = {r["row_no"]: r["errors"] for r in invalid.json()["rows"]}
        edited = await http.patch(f"{url}/rows/4", json={"values": {"address": "Thôn Tây"}})
        assert edited.status_code == 200, edited.text
        again = (await http.post(f"{url}/validate")).json()
        confirmed = await http.post(f"{url}/confirm", json={"skip_invalid": True})
    assert len(invalid.content) < 20_000, "neither text is sent back whole"
    assert found == {
        3: [
            {
                "field": "bank_name",
                "column": "D",  # where the file has it (the template has it in K)
                "header": "Ngân hàng",
                "code": "text_too_long",
                "value": None,
                "message_vi": (
                    "Dòng 3, cột D «Ngân hàng»: nội dung dài hơn 200 ký tự, giới hạn của cột; "
                    "hãy rút gọn rồi kiểm tra lại"
                ),
            }
        ],
        4: [
            {
                "field": "address",
                "column": "C",  # where the file has it (the template has it in H)
                "header": "Địa chỉ",
                "code": "text_too_long",
                "value": None,
                "message_vi": (
                    "Dòng 4, cột C «Địa chỉ»: nội dung dài hơn 300 ký tự, giới hạn của cột; "
                    "hãy rút gọn rồi kiểm tra lại"
                ),
            }
        ],
    }
    assert (again["valid"], again["invalid"]) == (2, 1), again
    assert confirmed.status_code == 202, confirmed.text
    assert confirmed.json()["status"] == "confirmed"
    assert len(ready.answers) >= 2, "polled when the file came and after it was confirmed"
    assert set(ready.answers) == {200}, ready.answers
