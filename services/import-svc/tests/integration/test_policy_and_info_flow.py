"""Seed 000 §10A and §10B end to end through import-svc, beneficiary-svc and the broker, each
file re-saved by LibreOffice: template with data → fill (one row broken) → convert with
``soffice --headless --convert-to xlsx`` → upload → review (the broken row named by its
column letter and header) → fix by PATCH → validate → confirm → the register changed.

What the register must hold afterwards comes from DOMAIN "Excel imports" (an adjustment sets
the new category, a stop the status ``stopped`` from its month, a death ``deceased`` with
its day, an increase a new active person; information rows set the fields given, names NFC
and trimmed), written out here, not read from the code under test."""

from __future__ import annotations

import asyncio
import io
import subprocess
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import openpyxl
import pytest_asyncio
from beneficiary_svc.demo import seed
from btxh_common.topics import BENEFICIARY_EVENTS
from btxh_tools.harness import Stack, start_stack

DISTRICT = "001"
NAMES = ["import-svc", "beneficiary-svc"]


def today() -> date:
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()


def month(offset: int = 0) -> str:
    index = today().year * 12 + today().month - 1 + offset
    return f"{index % 12 + 1:02d}/{index // 12}"


@pytest_asyncio.fixture(scope="module")
async def svc(pg_server: str, kafka_bootstrap: str, module_tmp: Path) -> AsyncIterator[Stack]:
    async with start_stack(pg_server, kafka_bootstrap, module_tmp, NAMES) as run:
        conn = await asyncpg.connect(run.dsns["beneficiary-svc"])
        try:
            seeded = await seed(conn, DISTRICT, 300, seed=7, topic=run.topic(BENEFICIARY_EVENTS))
        finally:
            await conn.close()
        imports = await asyncpg.connect(run.dsns["import-svc"])
        try:
            for _ in range(300):
                if await imports.fetchval("SELECT count(*) FROM identity") == seeded:
                    break
                await asyncio.sleep(0.2)
            else:
                raise AssertionError("import-svc never learned the register")
        finally:
            await imports.close()
        yield run


@pytest_asyncio.fixture
async def http(svc: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=svc.urls["import-svc"], headers=svc.token(DISTRICT), timeout=60
    ) as client:
        yield client


@pytest_asyncio.fixture
async def register(svc: Stack) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(svc.dsns["beneficiary-svc"])
    yield conn
    await conn.close()


async def settled(http: httpx.AsyncClient, upload_id: str, until: set[str]) -> list[dict[str, Any]]:
    for _ in range(900):
        answer = await http.get(
            "/v1/imports", params={"district": DISTRICT, "upload_id": upload_id}
        )
        batches = [b for b in answer.json()["batches"] if b["total"]]
        if batches and all(b["status"] in until for b in batches):
            return batches
        await asyncio.sleep(0.1)
    raise AssertionError(f"batches never reached {until}: {batches}")


def columns(book: openpyxl.Workbook) -> dict[str, int]:
    """Column index by the template's defined names (what a program finds them by)."""
    out = {}
    for key, name in book.defined_names.items():
        if key.startswith("btxh."):
            letter = name.attr_text.split("!$")[1].split("$")[0]
            out[key.removeprefix("btxh.")] = openpyxl.utils.column_index_from_string(letter)
    return out


async def commune_book(
    http: httpx.AsyncClient, register: asyncpg.Connection, kind: str
) -> tuple[str, openpyxl.Workbook]:
    commune = await register.fetchval(
        """SELECT commune_code FROM beneficiary WHERE district_code = $1 AND status = 'active'
           GROUP BY commune_code ORDER BY count(*) DESC LIMIT 1""",
        DISTRICT,
    )
    answer = await http.get(
        f"/v1/templates/{kind}", params={"district": DISTRICT, "commune": commune}
    )
    assert answer.status_code == 200, answer.text
    return commune, openpyxl.load_workbook(io.BytesIO(answer.content))


async def pick_rows(
    register: asyncpg.Connection, sheet: Any, col: dict[str, int], n: int
) -> list[tuple[int, asyncpg.Record]]:
    """``n`` rows of the template whose person is active and alone with their ID; every other
    data row is emptied (an officer keeps only the rows that change)."""
    ids = {r: str(sheet.cell(r, col["beneficiary_id"]).value) for r in range(2, sheet.max_row + 1)}
    fit = await register.fetch(
        """SELECT b.id::text, b.national_id, b.category, b.full_name FROM beneficiary b
           WHERE b.id = ANY($1::uuid[]) AND b.status = 'active' AND b.national_id IS NOT NULL
             AND (SELECT count(*) FROM beneficiary o WHERE o.national_id = b.national_id) = 1""",
        list(ids.values()),
    )
    by_id = {r["id"]: r for r in fit}
    chosen = [(row, by_id[pid]) for row, pid in ids.items() if pid in by_id][:n]
    assert len(chosen) == n, "the demo commune has enough active people"
    keep = {row for row, _ in chosen}
    for r in range(2, sheet.max_row + 1):
        if r not in keep:
            for c in range(1, sheet.max_column + 1):
                sheet.cell(r, c).value = None
    return chosen


def libreoffice(book: openpyxl.Workbook, tmp_path: Path, name: str) -> bytes:
    """The workbook as LibreOffice saves it again (``--convert-to xlsx``)."""
    (tmp_path / "in").mkdir(exist_ok=True)
    source = tmp_path / "in" / name
    book.save(source)
    done = subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(tmp_path / "out"),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    converted = tmp_path / "out" / name
    assert converted.exists(), done.stdout + done.stderr
    assert converted.read_bytes() != source.read_bytes()
    return converted.read_bytes()


async def through_review(
    http: httpx.AsyncClient,
    kind: str,
    name: str,
    content: bytes,
    broken: dict[int, tuple[str, str, str]],
    fixes: dict[int, dict[str, Any]],
) -> tuple[str, str]:
    """Upload, check the broken rows are named as expected, fix, validate, confirm, applied."""
    answer = await http.post(
        "/v1/imports",
        data={"kind": kind, "district": DISTRICT},
        files=[("files", (name, content, "application/octet-stream"))],
    )
    assert answer.status_code == 202, answer.text
    upload_id = answer.json()["batches"][0]["upload_id"]
    (batch,) = await settled(http, upload_id, {"awaiting_review", "failed"})
    assert batch["status"] == "awaiting_review", batch
    rows = (await http.get(f"/v1/imports/{batch['id']}/rows", params={"size": 100})).json()
    errors = {r["row_no"]: r["errors"] for r in rows["rows"] if r["errors"]}
    assert set(errors) == set(broken), errors
    for row_no, (code, letter, message) in broken.items():
        (error,) = errors[row_no]
        assert (error["code"], error["column"], error["message_vi"]) == (code, letter, message)
    for row_no, values in fixes.items():
        edited = await http.patch(
            f"/v1/imports/{batch['id']}/rows/{row_no}", json={"values": values}
        )
        assert edited.status_code == 200, edited.text
    summary = (await http.post(f"/v1/imports/{batch['id']}/validate")).json()
    left = (await http.get(f"/v1/imports/{batch['id']}/rows", params={"status": "invalid"})).json()
    assert (summary["invalid"], summary["duplicates"]) == (0, 0), left["rows"]
    confirmed = await http.post(f"/v1/imports/{batch['id']}/confirm", json={"skip_invalid": False})
    assert confirmed.status_code == 202, confirmed.text
    (done,) = await settled(http, upload_id, {"applied", "partially_applied", "refused"})
    rejected = await http.get(f"/v1/imports/{batch['id']}/rows", params={"size": 100})
    assert done["status"] == "applied", [r["apply_result"] for r in rejected.json()["rows"]]
    return upload_id, batch["id"]


REQUIRED = "ô đang trống: Trường bắt buộc chưa có giá trị"


async def test_a_10a_file_saved_by_libreoffice_goes_from_upload_to_the_register(
    svc: Stack, http: httpx.AsyncClient, register: asyncpg.Connection, tmp_path: Path
) -> None:
    commune, book = await commune_book(http, register, "policy")
    sheet, col = book["DuLieu"], columns(book)
    (adjust_row, adjusted), (stop_row, stopped), (death_row, dead) = await pick_rows(
        register, sheet, col, 3
    )
    new_category = "KT_DBN" if adjusted["category"] != "KT_DBN" else "KT_N"
    taken = await register.fetch(
        "SELECT national_id FROM beneficiary WHERE national_id LIKE '001150%'"
    )
    new_id = min(
        set(f"001150{n:06d}" for n in range(123_456, 123_456 + len(taken) + 1))
        - {r["national_id"] for r in taken}
    )
    new_row = sheet.max_row + 1

    def put(row: int, **values: Any) -> None:
        for key, value in values.items():
            sheet.cell(row, col[key]).value = value

    change = {"monthly_amount": "750.000", "effective_month": month(1)}
    put(
        adjust_row, change_type="Điều chỉnh", category=new_category, decision_no="QD-DC-1", **change
    )
    put(stop_row, change_type="Thôi hưởng", category=stopped["category"], **change)  # no decision
    put(
        death_row,
        change_type="Cắt chết",
        death_date=today().strftime("%d/%m/%Y"),
        decision_no="QD-CC-1",
    )
    put(
        new_row,
        national_id=new_id,
        full_name="  Lê  Thị Hoa ",
        commune_code=commune,
        change_type="Tăng thêm",
        birth_date="01/01/1950",
        gender="Nữ",
        village="Thôn Đông",  # no ethnicity
        category="NCT_NGHEO_60_80",
        decision_no="QD-TT-1",
        decision_date=today().strftime("%d/%m/%Y"),
        **change,
    )
    content = libreoffice(book, tmp_path, "bien_dong.xlsx")

    await through_review(
        http,
        "policy",
        "bien_dong.xlsx",
        content,
        broken={
            stop_row: ("required", "M", f"Dòng {stop_row}, cột M «Số quyết định», {REQUIRED}"),
            new_row: ("required", "H", f"Dòng {new_row}, cột H «Dân tộc», {REQUIRED}"),
        },
        fixes={stop_row: {"decision_no": "QD-TH-1"}, new_row: {"ethnicity": "Kinh"}},
    )

    got = {
        r["id"]: r
        for r in await register.fetch(
            """SELECT id::text, status, category, decision_no, death_date,
                      to_char(status_effective_month, 'MM/YYYY') AS status_month
               FROM beneficiary WHERE id = ANY($1::uuid[])""",
            [adjusted["id"], stopped["id"], dead["id"]],
        )
    }
    assert (got[adjusted["id"]]["category"], got[adjusted["id"]]["decision_no"]) == (
        new_category,
        "QD-DC-1",
    )
    assert (got[stopped["id"]]["status"], got[stopped["id"]]["status_month"]) == (
        "stopped",
        month(1),
    )
    assert (got[dead["id"]]["status"], got[dead["id"]]["death_date"]) == ("deceased", today())
    new = await register.fetchrow(
        """SELECT full_name, commune_code, category, status, birth_date, gender, ethnicity,
                  to_char(allowance_start_month, 'MM/YYYY') AS start
           FROM beneficiary WHERE national_id = $1""",
        new_id,
    )
    assert new is not None, "the increase registered a new person"
    assert dict(new) == {
        "full_name": "Lê Thị Hoa",
        "commune_code": commune,
        "category": "NCT_NGHEO_60_80",
        "status": "active",
        "birth_date": date(1950, 1, 1),
        "gender": "female",
        "ethnicity": "Kinh",
        "start": month(1),
    }


async def test_a_10b_file_saved_by_libreoffice_goes_from_upload_to_the_register(
    svc: Stack, http: httpx.AsyncClient, register: asyncpg.Connection, tmp_path: Path
) -> None:
    _, book = await commune_book(http, register, "info")
    sheet, col = book["DuLieu"], columns(book)
    (first, one), (second, two), (third, three) = await pick_rows(register, sheet, col, 3)
    sheet.cell(first, col["phone"]).value = "0912345678"
    sheet.cell(first, col["address"]).value = "Thôn Bắc"
    sheet.cell(second, col["full_name"]).value = "  Trần   Thị  Mai "
    sheet.cell(third, col["phone"]).value = "0" * 21  # longer than a phone number may be
    content = libreoffice(book, tmp_path, "thong_tin.xlsx")

    too_long = (
        f"Dòng {third}, cột I «Số điện thoại»: nội dung dài hơn 20 ký tự, giới hạn của cột; "
        "hãy rút gọn rồi kiểm tra lại"
    )
    await through_review(
        http,
        "info",
        "thong_tin.xlsx",
        content,
        broken={third: ("text_too_long", "I", too_long)},
        fixes={third: {"phone": "0987654321"}},
    )

    got = {
        r["id"]: (r["full_name"], r["phone"], r["address"])
        for r in await register.fetch(
            """SELECT id::text, full_name, phone, address FROM beneficiary
               WHERE id = ANY($1::uuid[])""",
            [one["id"], two["id"], three["id"]],
        )
    }
    assert got[one["id"]][1:] == ("0912345678", "Thôn Bắc")
    assert got[two["id"]][0] == "Trần Thị Mai"
    assert got[three["id"]][1] == "0987654321"


async def test_the_arrears_template_prefills_the_current_arrears_and_an_unchanged_one_sends_none(
    svc: Stack, http: httpx.AsyncClient, register: asyncpg.Connection, tmp_path: Path
) -> None:
    _, book = await commune_book(http, register, "arrears")
    sheet, col = book["DuLieu"], columns(book)
    chosen = await pick_rows(register, sheet, col, 2)
    for row, _ in chosen:
        sheet.cell(row, col["arrears_amount"]).value = 650_000
        sheet.cell(row, col["arrears_period"]).value = month(1)
    content = libreoffice(book, tmp_path, "truy_linh.xlsx")
    await through_review(http, "arrears", "truy_linh.xlsx", content, broken={}, fixes={})
    owed = {person["id"] for _, person in chosen}

    for _ in range(300):  # import-svc's read model follows the register's events
        _, again = await commune_book(http, register, "arrears")
        sheet, col = again["DuLieu"], columns(again)
        prefilled = {
            str(sheet.cell(r, col["beneficiary_id"]).value): (
                sheet.cell(r, col["arrears_amount"]).value,
                sheet.cell(r, col["arrears_period"]).value,
            )
            for r in range(2, sheet.max_row + 1)
        }
        if all(prefilled[p] == (650_000, month(1)) for p in owed):
            break
        await asyncio.sleep(0.2)
    assert {p: v for p, v in prefilled.items() if v != (None, None)} == {
        p: (650_000, month(1)) for p in owed
    }

    buffer = io.BytesIO()
    again.save(buffer)
    answer = await http.post(
        "/v1/imports",
        data={"kind": "arrears", "district": DISTRICT},
        files=[("files", ("unchanged.xlsx", buffer.getvalue(), "application/octet-stream"))],
    )
    assert answer.status_code == 202, answer.text
    (batch,) = answer.json()["batches"]
    for _ in range(600):
        view = (await http.get(f"/v1/imports/{batch['id']}")).json()
        if view["status"] != "parsing":
            break
        await asyncio.sleep(0.1)
    assert (view["status"], view["valid"], view["invalid"]) == ("awaiting_review", 0, 0), view
    refused = await http.post(f"/v1/imports/{batch['id']}/confirm", json={})
    assert (refused.status_code, refused.json()["code"]) == (409, "nothing_to_confirm")
