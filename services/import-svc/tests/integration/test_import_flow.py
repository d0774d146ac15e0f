"""Seed 000 §10C end to end through import-svc, beneficiary-svc and the broker: template with
data → fill with openpyxl, breaking rows in each way the rules name → upload two files at
once → review (invalid first) → fix by PATCH → re-validate → confirm → applied."""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import AsyncIterator
from datetime import datetime
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


def month(offset: int = 0) -> str:
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    index = today.year * 12 + today.month - 1 + offset
    return f"{index % 12 + 1:02d}/{index // 12}"


@pytest_asyncio.fixture(scope="module")
async def svc(pg_server: str, kafka_bootstrap: str, module_tmp: Path) -> AsyncIterator[Stack]:
    async with start_stack(pg_server, kafka_bootstrap, module_tmp, NAMES) as run:
        conn = await asyncpg.connect(run.dsns["beneficiary-svc"])
        try:
            seeded = await seed(conn, DISTRICT, 400, seed=5, topic=run.topic(BENEFICIARY_EVENTS))
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
    for _ in range(600):
        answer = await http.get(
            "/v1/imports", params={"district": DISTRICT, "upload_id": upload_id}
        )
        batches = answer.json()["batches"]
        if batches and all(b["status"] in until for b in batches):
            return list(batches)
        await asyncio.sleep(0.1)
    raise AssertionError(f"batches never reached {until}: {batches}")


def workbook_of(archive: zipfile.ZipFile, name: str) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(archive.read(name)))


def columns(sheet: Any) -> dict[str, int]:
    """Column index by the template's defined names (what a program finds them by)."""
    book = sheet.parent
    out = {}
    for key, name in book.defined_names.items():
        if key.startswith("btxh."):
            letter = name.attr_text.split("!$")[1].split("$")[0]
            out[key.removeprefix("btxh.")] = openpyxl.utils.column_index_from_string(letter)
    return out


def save(book: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def upload(
    http: httpx.AsyncClient, files: list[tuple[str, bytes]], kind: str = "arrears"
) -> str:
    answer = await http.post(
        "/v1/imports",
        data={"kind": kind, "district": DISTRICT},
        files=[("files", (n, c, "application/octet-stream")) for n, c in files],
    )
    assert answer.status_code == 202, answer.text
    ids = {b["upload_id"] for b in answer.json()["batches"]}
    assert len(ids) == 1
    return ids.pop()


async def test_arrears_month_from_template_to_register(
    svc: Stack, http: httpx.AsyncClient, register: asyncpg.Connection
) -> None:
    answer = await http.get("/v1/templates/arrears", params={"district": DISTRICT})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    sizes = sorted(((i.file_size, i.filename) for i in archive.infolist()), reverse=True)
    shared = await register.fetchrow(
        """SELECT national_id, array_agg(id::text) AS ids, min(commune_code) AS commune
           FROM beneficiary WHERE district_code = $1 AND national_id IS NOT NULL
           GROUP BY national_id HAVING count(*) > 1 LIMIT 1""",
        DISTRICT,
    )
    assert shared is not None, "the demo district has an ID held by two people"
    # B is the workbook of the commune where two people share an ID (its rows stay one batch);
    # A the largest other one.
    second = next(n for _, n in sizes if n.startswith(f"{shared['commune']} - "))
    first = next(n for _, n in sizes if n != second)

    book_a, book_b = workbook_of(archive, first), workbook_of(archive, second)
    sheet_a, sheet_b = book_a["DuLieu"], book_b["DuLieu"]
    col = columns(sheet_a)
    assert sheet_a.cell(1, col["national_id"]).value == "Số CCCD/CMND"
    assert sheet_a.cell(2, col["national_id"]).number_format == "@"
    amount, period, change = col["arrears_amount"], col["arrears_period"], col["change_type"]

    def fill(sheet: Any, row: int, money: Any, when: Any) -> None:
        sheet.cell(row, amount).value = money
        sheet.cell(row, period).value = when

    good = month(1)
    # file A: rows 2..6 fine (amount in each accepted format), 7..13 broken one way each
    fill(sheet_a, 2, 1500000, good)
    fill(sheet_a, 3, "1.500.000", good)
    fill(sheet_a, 4, "1,250,000", month(0))
    fill(sheet_a, 5, "2 000 000", good.replace("/", "-"))
    fill(sheet_a, 6, 300000, datetime(int(good[3:]), int(good[:2]), 15))
    fill(sheet_a, 7, 100000, good)
    sheet_a.cell(7, col["national_id"]).value = int(sheet_a.cell(7, col["national_id"]).value)
    fill(sheet_a, 8, "một triệu", good)
    fill(sheet_a, 9, 100000, f"{month(-3)}-{month(-1)}")
    fill(sheet_a, 10, 100000, month(-2))
    fill(sheet_a, 11, 100000, good)
    sheet_a.cell(11, change).value = "Tăng thêm"
    fill(sheet_a, 12, "=1000*100", good)
    fill(sheet_a, 13, 100000, None)
    # file B: one row repeats an ID of file A; one row is the ID two people share
    fill(sheet_b, 2, 400000, good)
    fill(sheet_b, 3, 100000, good)
    sheet_b.cell(3, col["national_id"]).value = sheet_a.cell(2, col["national_id"]).value
    fill(sheet_b, 4, 100000, good)
    sheet_b.cell(4, col["national_id"]).value = shared["national_id"]
    sheet_b.cell(4, col["commune_code"]).value = shared["commune"]

    upload_id = await upload(http, [("xa_a.xlsx", save(book_a)), ("xa_b.xlsx", save(book_b))])
    batches = await settled(http, upload_id, {"awaiting_review", "failed"})
    assert all(b["status"] == "awaiting_review" for b in batches), batches
    for b in batches:  # each batch's parse went through every step for each of its rows
        one = (await http.get(f"/v1/imports/{b['id']}")).json()["progress"]
        n = b["total"] + b["skipped"]
        assert one == {"phase": "done", "rows_read": n, "rows_validated": n, "rows_staged": n}
    by_file = {b["file_name"]: b for b in batches if b["total"]}

    rows_a = (await http.get(f"/v1/imports/{by_file['xa_a.xlsx']['id']}/rows")).json()["rows"]
    statuses = [r["status"] for r in rows_a if r["status"] != "skipped"]
    assert statuses == sorted(statuses, key=["invalid", "duplicate", "valid"].index), (
        "invalid first"
    )
    codes = {r["row_no"]: {(e["field"], e["code"]) for e in r["errors"]} for r in rows_a}
    assert codes[7] == {("national_id", "national_id_numeric")}
    assert codes[8] == {("arrears_amount", "amount_invalid")}
    assert codes[9] == {("arrears_period", "period_range")}
    assert codes[10] == {("arrears_period", "period_past")}
    assert codes[11] == {("change_type", "change_type_invalid")}
    assert codes[12] == {("arrears_amount", "formula_not_allowed")}
    assert codes[13] == {("arrears_period", "period_required")}
    assert codes[2] == {("national_id", "duplicate_in_file")}
    assert all(not codes[n] for n in (3, 4, 5, 6))
    assert all(e["message_vi"] for r in rows_a for e in r["errors"])

    rows_b = (await http.get(f"/v1/imports/{by_file['xa_b.xlsx']['id']}/rows")).json()["rows"]
    by_row_b = {r["row_no"]: r for r in rows_b}
    assert {(e["code"]) for e in by_row_b[3]["errors"]} >= {"duplicate_in_file"}
    twin = next(r for r in rows_b if r["values"]["national_id"] == shared["national_id"])
    assert twin["status"] in ("duplicate", "invalid")
    assert sorted(d["beneficiary_id"] for d in twin["duplicate_of"]) == sorted(shared["ids"])

    # fix everything by PATCH, then validate again
    batch_a, batch_b = by_file["xa_a.xlsx"]["id"], by_file["xa_b.xlsx"]["id"]
    fixed_id = str(sheet_a.cell(7, col["national_id"]).value).zfill(12)
    edits = {
        7: {"national_id": fixed_id},
        8: {"arrears_amount": "1000000"},
        9: {"arrears_period": good},
        10: {"arrears_period": good},
        11: {"change_type": "Điều chỉnh thông tin, CS"},
        12: {"arrears_amount": "100000"},
        13: {"arrears_period": good},
    }
    for row_no, values in edits.items():
        edited = await http.patch(f"/v1/imports/{batch_a}/rows/{row_no}", json={"values": values})
        assert edited.status_code == 200, edited.text
    for row_no in (3, twin["row_no"]):  # the repeated ID and the shared ID: not this month
        await http.patch(
            f"/v1/imports/{batch_b}/rows/{row_no}",
            json={"values": {"arrears_amount": None, "arrears_period": None}},
        )
    for batch in (batch_a, batch_b):
        summary = (await http.post(f"/v1/imports/{batch}/validate")).json()
        left = (await http.get(f"/v1/imports/{batch}/rows", params={"status": "invalid"})).json()
        assert (summary["invalid"], summary["duplicates"]) == (0, 0), left["rows"][:3]

    fingerprint = """SELECT md5(string_agg(concat_ws('|', id, national_id, full_name, birth_date,
                         gender, commune_code, category, coefficient, status, recovery_amount),
                         ',' ORDER BY id)) FROM beneficiary WHERE district_code = $1"""
    before = await register.fetchval(fingerprint, DISTRICT)
    for batch in (batch_a, batch_b):
        confirmed = await http.post(f"/v1/imports/{batch}/confirm", json={"skip_invalid": False})
        assert confirmed.status_code == 202, confirmed.text
    again = await http.post(f"/v1/imports/{batch_a}/confirm", json={})
    assert again.status_code == 409
    assert again.json()["code"] == "already_confirmed"
    done = await settled(http, upload_id, {"applied", "partially_applied", "failed", "refused"})
    assert {b["status"] for b in done if b["total"]} == {"applied"}, done

    expected = {}
    for r in (await http.get(f"/v1/imports/{batch_a}/rows", params={"size": 1000})).json()["rows"]:
        if r["status"] == "valid":
            expected[r["beneficiary_id"]] = (
                r["values"]["arrears_amount"],
                r["values"]["arrears_period"],
            )
    got = await register.fetch(
        "SELECT id::text, arrears_amount, to_char(arrears_period, 'YYYY-MM') AS p "
        "FROM beneficiary WHERE id = ANY($1::uuid[])",
        list(expected),
    )
    assert {r["id"]: (r["arrears_amount"], r["p"]) for r in got} == expected
    assert len(expected) == 12  # rows 2..13 of file A
    assert await register.fetchval(fingerprint, DISTRICT) == before, (
        "only the arrears fields change"
    )


async def commune_template(
    http: httpx.AsyncClient, register: asyncpg.Connection
) -> tuple[str, bytes]:
    commune = await register.fetchval(
        """SELECT commune_code FROM beneficiary WHERE district_code = $1 AND status = 'active'
           GROUP BY commune_code ORDER BY count(*) DESC LIMIT 1""",
        DISTRICT,
    )
    answer = await http.get(
        "/v1/templates/arrears", params={"district": DISTRICT, "commune": commune}
    )
    assert answer.status_code == 200, answer.text
    return commune, answer.content


async def counts(svc: Stack) -> tuple[int, int, str]:
    conn = await asyncpg.connect(svc.dsns["import-svc"])
    try:
        rows = await conn.fetchval("SELECT count(*) FROM import_row")
        batches = await conn.fetchval("SELECT count(*) FROM import_batch WHERE status <> 'failed'")
    finally:
        await conn.close()
    register = await asyncpg.connect(svc.dsns["beneficiary-svc"])
    try:
        fingerprint = await register.fetchval(
            "SELECT md5(string_agg(concat_ws('|', id, arrears_amount, arrears_period, version), ','"
            " ORDER BY id)) FROM beneficiary"
        )
    finally:
        await register.close()
    return rows, batches, fingerprint


def big_sheet(template: bytes, rows: int) -> bytes:
    """The template with its sheet replaced by ``rows`` data rows (written by hand: fast)."""
    source = zipfile.ZipFile(io.BytesIO(template))
    body = "".join(
        f'<row r="{n}"><c r="B{n}" t="inlineStr"><is><t>001{n:09d}</t></is></c>'
        f'<c r="F{n}"><v>1000</v></c></row>'
        for n in range(2, rows + 2)
    )
    header = source.read("xl/worksheets/sheet1.xml").decode()
    head, _, _ = header.partition("<sheetData>")
    sheet = head + '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
    sheet += body + "</sheetData></worksheet>"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = (
                sheet.encode() if item.filename == "xl/worksheets/sheet1.xml" else source.read(item)
            )
            target.writestr(item.filename, data)
    return out.getvalue()


def zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        target.writestr("[Content_Types].xml", "<Types/>")
        target.writestr("xl/workbook.xml", "<workbook/>")
        target.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))
    return out.getvalue()


async def test_hostile_files_get_their_own_answer_and_change_nothing(
    svc: Stack, http: httpx.AsyncClient, register: asyncpg.Connection
) -> None:
    _, template = await commune_template(http, register)
    wrong_headers = openpyxl.Workbook()
    wrong_headers.active.append(["Tên", "Tiền"])
    wrong_headers.active.append(["Nguyễn Văn A", 1000])
    hostile = {
        "not_a_workbook": ("bao_cao.xlsx", "Họ tên;Số tiền\nNguyễn Văn A;1000\n".encode()),
        "encrypted_or_legacy": (
            "mat_khau.xlsx",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096,
        ),
        "zip_bomb": ("bom.xlsx", zip_bomb()),
        "too_many_rows": ("qua_lon.xlsx", big_sheet(template, 200_001)),
        "headers_missing": ("sai_mau.xlsx", save(wrong_headers)),
    }
    before = await counts(svc)
    upload_id = await upload(http, [file for file in hostile.values()])
    batches = await settled(http, upload_id, {"failed", "awaiting_review"})
    answers = {b["file_name"]: (b["status"], (b["error"] or {}).get("code")) for b in batches}
    assert answers == {name: ("failed", code) for code, (name, _) in hostile.items()}
    assert all(b["error"]["message_vi"] for b in batches)
    assert await counts(svc) == before, "a failed upload changed staged or stored data"
    ready = await http.get("/readyz")
    assert ready.status_code == 200, "the service survived every file"


async def test_cells_officers_get_wrong_are_answered_row_by_row(
    svc: Stack, http: httpx.AsyncClient, register: asyncpg.Connection
) -> None:
    import unicodedata

    _, template = await commune_template(http, register)
    book = openpyxl.load_workbook(io.BytesIO(template))
    sheet = book["DuLieu"]
    col = columns(sheet)
    good = month(1)
    for row in range(2, 8):
        sheet.cell(row, col["arrears_amount"]).value = 200_000
        sheet.cell(row, col["arrears_period"]).value = good
    sheet.merge_cells(
        start_row=2, start_column=col["arrears_amount"], end_row=3, end_column=col["arrears_amount"]
    )
    sheet.row_dimensions[4].hidden = True
    text_formula = sheet.cell(5, col["arrears_amount"])
    text_formula.value = '=HYPERLINK("http://x")'
    text_formula.data_type = "s"  # typed as text, not a formula: still refused
    nfd = sheet.cell(6, col["change_type"])
    nfd.value = unicodedata.normalize("NFD", "Điều chỉnh thông tin, CS") + "\u00a0 "
    sheet.cell(7, col["arrears_amount"]).value = " 1.000.000\u00a0"
    upload_id = await upload(http, [("xa.xlsx", save(book))])
    (batch,) = [
        b for b in await settled(http, upload_id, {"awaiting_review", "failed"}) if b["total"]
    ]
    rows = (await http.get(f"/v1/imports/{batch['id']}/rows")).json()["rows"]
    codes = {r["row_no"]: sorted(e["code"] for e in r["errors"]) for r in rows}
    assert "merged_cell" in codes[2] or "merged_cell" in codes[3]
    assert codes[4] == ["hidden_row"]
    assert codes[5] == ["formula_not_allowed"]
    assert codes[6] == [], "NFD text, spaces and NBSP are cleaned, not refused"
    assert codes[7] == []
    seventh = next(r for r in rows if r["row_no"] == 7)
    assert seventh["values"]["arrears_amount"] == 1_000_000


async def test_a_file_saved_by_libreoffice_goes_through_too(
    svc: Stack, http: httpx.AsyncClient, register: asyncpg.Connection, tmp_path: Path
) -> None:
    import subprocess

    _, template = await commune_template(http, register)
    book = openpyxl.load_workbook(io.BytesIO(template))
    sheet = book["DuLieu"]
    col = columns(sheet)
    for row in (2, 3):
        sheet.cell(row, col["arrears_amount"]).value = "750.000"
        sheet.cell(row, col["arrears_period"]).value = month(2)
    (tmp_path / "in").mkdir()
    book.save(tmp_path / "in" / "xa.xlsx")
    done = subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(tmp_path / "out"),
            str(tmp_path / "in" / "xa.xlsx"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    converted = tmp_path / "out" / "xa.xlsx"
    assert converted.exists(), done.stdout + done.stderr
    assert converted.read_bytes() != (tmp_path / "in" / "xa.xlsx").read_bytes()
    upload_id = await upload(http, [("xa_libreoffice.xlsx", converted.read_bytes())])
    (batch,) = [
        b for b in await settled(http, upload_id, {"awaiting_review", "failed"}) if b["total"]
    ]
    assert (batch["status"], batch["total"], batch["valid"]) == ("awaiting_review", 2, 2), batch
    confirmed = await http.post(f"/v1/imports/{batch['id']}/confirm", json={})
    assert confirmed.status_code == 202, confirmed.text
    (done_batch,) = [
        b
        for b in await settled(http, upload_id, {"applied", "partially_applied", "refused"})
        if b["total"]
    ]
    assert done_batch["status"] == "applied"
    ids = [
        r["beneficiary_id"]
        for r in (await http.get(f"/v1/imports/{batch['id']}/rows")).json()["rows"]
        if r["status"] == "valid"
    ]
    amounts = await register.fetch(
        "SELECT arrears_amount FROM beneficiary WHERE id = ANY($1::uuid[])", ids
    )
    assert [r["arrears_amount"] for r in amounts] == [750_000, 750_000]


async def test_an_edited_row_is_unvalidated_and_blocks_confirmation_until_validated(
    svc: Stack, http: httpx.AsyncClient, register: asyncpg.Connection
) -> None:
    _, template = await commune_template(http, register)
    book = openpyxl.load_workbook(io.BytesIO(template))
    sheet = book["DuLieu"]
    col = columns(sheet)
    for row in (2, 3):
        sheet.cell(row, col["arrears_amount"]).value = 400_000
        sheet.cell(row, col["arrears_period"]).value = month(1)
    upload_id = await upload(http, [("xa_sua.xlsx", save(book))])
    (batch,) = [b for b in await settled(http, upload_id, {"awaiting_review"}) if b["total"]]
    assert (batch["total"], batch["valid"]) == (2, 2), batch
    before = await counts(svc)

    # a valid row edited to an amount the rules refuse and a month already past
    edited = await http.patch(
        f"/v1/imports/{batch['id']}/rows/3",
        json={"values": {"arrears_amount": "một triệu", "arrears_period": month(-2)}},
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["status"] == "unvalidated"
    for skip in (False, True):
        refused = await http.post(f"/v1/imports/{batch['id']}/confirm", json={"skip_invalid": skip})
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "rows_not_validated"
    assert await counts(svc) == before, "nothing was sent to the register"

    summary = (await http.post(f"/v1/imports/{batch['id']}/validate")).json()
    assert (summary["valid"], summary["invalid"]) == (1, 1), summary
    row = (await http.get(f"/v1/imports/{batch['id']}/rows", params={"status": "invalid"})).json()
    (third,) = row["rows"]
    assert third["row_no"] == 3
    assert {e["code"] for e in third["errors"]} == {"amount_invalid", "period_past"}
    still = await http.post(f"/v1/imports/{batch['id']}/confirm", json={"skip_invalid": False})
    assert (still.status_code, still.json()["code"]) == (409, "invalid_rows_left")
