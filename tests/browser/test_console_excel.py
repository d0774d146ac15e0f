"""Seed 000 §10C in the console, in Chromium with the internet cut off: the district officer
downloads a commune's arrears template WITH DATA, fills it with five kinds of mistakes,
re-saves it with LibreOffice as officers do, uploads it with a second commune's file, sees
the wrong rows first in light pink with the wrong cells red (the message on hover and on
focus), fixes them in the grid, Lưu, Kiểm tra lại, Chuẩn hóa → OK, and finds the new arrears
on the person's record."""

from __future__ import annotations

import subprocess
import zipfile
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import openpyxl
from btxh_tools.polling import until
from playwright.async_api import Page, expect

from tests.browser.conftest import D, World, login, shot

PINK = "rgb(255, 228, 236)"  # the grid's light pink (hồng nhạt) of an invalid row
RED = "rgb(229, 57, 53)"


def this_month() -> date:
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().replace(day=1)


def resave_with_libreoffice(source: Path, out: Path) -> Path:
    out.mkdir(exist_ok=True)
    done = subprocess.run(
        [
            "soffice", "--headless", f"-env:UserInstallation=file://{out}/lo",
            "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(source),
        ],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return out / source.name


def columns(book: openpyxl.Workbook) -> dict[str, int]:
    return {
        k.removeprefix("btxh."): openpyxl.utils.column_index_from_string(
            v.attr_text.split("!$")[1].split("$")[0]
        )
        for k, v in book.defined_names.items()
    }


async def busiest_communes(world: World) -> list[str]:
    db = await asyncpg.connect(world.stack.dsns["beneficiary-svc"])
    try:
        found = await db.fetch(
            "SELECT commune_code FROM beneficiary WHERE district_code = $1 AND status = 'active'"
            " AND national_id IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 2",
            D,
        )
    finally:
        await db.close()
    return [r["commune_code"] for r in found]


async def download_template(page: Page, commune: str, target: Path) -> Path:
    await page.get_by_label("Phường/xã").select_option(commune)
    async with page.expect_download() as info:
        await page.get_by_role("button", name="Tải mẫu excel CÓ DỮ LIỆU").click()
    download = await info.value
    await download.save_as(target)
    return target


def national_ids(path: Path) -> dict[int, str]:
    book = openpyxl.load_workbook(path)
    sheet, col = book["DuLieu"], columns(book)
    return {r: str(sheet.cell(r, col["national_id"]).value) for r in range(2, 9)}


async def register_twin(world: World, national_id: str, commune: str) -> str:
    """Another beneficiary registered with ``national_id`` (a second holder: a duplicate)."""
    async with httpx.AsyncClient(
        base_url=world.stack.urls["beneficiary-svc"], headers=world.stack.token(D)
    ) as ben:
        made = await ben.post(
            "/v1/beneficiaries",
            json={
                "national_id": national_id,
                "full_name": "Đỗ Thị Song Sinh",
                "commune_code": commune,
                "category": "NCT_80",
                "allowance_start_month": f"{this_month():%Y-%m}",
                "decision_no": "12/QĐ-UBND",
            },
        )
    assert made.status_code == 201, made.text
    db = await asyncpg.connect(world.stack.dsns["import-svc"])
    try:
        await until(
            "import-svc knows both holders",
            lambda: _two(db.fetchval("SELECT count(*) FROM identity WHERE national_id = $1",
                                     national_id)),
        )  # fmt: skip
    finally:
        await db.close()
    return str(made.json()["id"])


async def _two(count) -> bool:  # type: ignore[no-untyped-def]
    return await count == 2


def break_workbook(path: Path, month: str) -> dict[int, dict[str, str]]:
    """Rows 2–3 right; rows 4–8 each with one kind of mistake. Returns what each of rows 4–8
    should read once fixed (the officer's corrections)."""
    book = openpyxl.load_workbook(path)
    sheet, col = book["DuLieu"], columns(book)
    ids = national_ids(path)
    for r, amount in ((2, "1.200.000"), (3, "800.000")):
        sheet.cell(r, col["arrears_amount"]).value = amount
        sheet.cell(r, col["arrears_period"]).value = month
    sheet.cell(4, col["arrears_amount"]).value = "chín trăm nghìn"  # amount_invalid
    sheet.cell(4, col["arrears_period"]).value = month
    sheet.cell(5, col["arrears_amount"]).value = "450.000"
    sheet.cell(5, col["arrears_period"]).value = "13/" + month[3:]  # period_invalid
    sheet.cell(6, col["arrears_amount"]).value = "2.000.000"  # period_required
    sheet.cell(7, col["arrears_period"]).value = month  # amount_required
    sheet.cell(8, col["national_id"]).value = ids[8][:5]  # national_id_format
    sheet.cell(8, col["arrears_amount"]).value = "300.000"
    sheet.cell(8, col["arrears_period"]).value = month
    book.save(path)
    return {
        4: {"arrears_amount": "900.000"},
        5: {"arrears_period": month},
        6: {"arrears_period": month},
        7: {"arrears_amount": "650.000"},
        8: {"national_id": ids[8]},
    }


async def upload_files(page: Page, world: World, files: list[Path]) -> None:
    await page.get_by_label("Chọn một hoặc nhiều tệp (.xlsx)").set_input_files(files)
    await page.get_by_role("button", name="Tải tệp lên").click()
    await expect(page.locator("#upload-progress")).to_be_visible()
    await shot(page, "03-upload-progress")
    # the bar polls until every file is read, then the page reloads without it
    await expect(page.locator("#upload-progress")).to_have_count(0, timeout=60_000)


async def see_mistakes(page: Page) -> None:
    rows = page.locator("tbody tr")
    for i in range(5):  # invalid rows first
        await expect(rows.nth(i)).to_have_class("invalid")
        background = (
            await rows.nth(i)
            .locator("td")
            .first.evaluate("e => getComputedStyle(e).backgroundColor")
        )
        assert background == PINK
    bad = page.locator("td.bad")
    await expect(bad).to_have_count(5)
    for i in range(5):
        color = await bad.nth(i).evaluate("e => getComputedStyle(e).backgroundColor")
        assert color == RED
    amount_cell = page.locator("tr[data-row='4'] td.bad")
    assert "Số tiền" in (await amount_cell.get_attribute("title") or "")
    field = amount_cell.locator("input.cell")
    await field.focus()
    await expect(page.locator("#cell-message")).to_contain_text("Số tiền")
    await expect(page.locator("tr[data-row='8'] td.bad")).to_have_attribute(
        "title", __import__("re").compile("CCCD")
    )


async def fix_in_grid(page: Page, fixes: dict[int, dict[str, str]]) -> None:
    for row, values in fixes.items():
        for key, value in values.items():
            await page.locator(f"input[name='cell:{row}:{key}']").fill(value)
    await page.get_by_role("button", name="Lưu", exact=True).click()
    await expect(page.locator(".flash.ok")).to_contain_text("Đã lưu 5 dòng")
    await page.get_by_role("button", name="Kiểm tra lại").click()
    await expect(page.locator(".flash.ok")).to_contain_text("0 không hợp lệ")
    await expect(page.locator("#n-invalid")).to_have_text("0")
    await expect(page.locator("#n-valid")).to_have_text("6")
    await expect(page.locator("#n-dup")).to_have_text("1")
    await expect(page.locator("td.bad")).to_have_count(0)


async def test_10c_end_to_end(world: World, guarded, tmp_path: Path) -> None:
    context, _guard = guarded
    page = await context.new_page()
    month = f"{this_month():%m/%Y}"
    await login(page, world, "officer")
    await shot(page, "01-home")
    menu = page.get_by_role("navigation", name="Menu chính")
    await menu.get_by_role("link", name="Cập nhật đối tượng từ excel").click()
    await page.get_by_role("link", name="10C. Thông tin truy lĩnh").click()
    first, second = await busiest_communes(world)
    book = await download_template(page, first, tmp_path / f"{first}.xlsx")
    fixes = break_workbook(book, month)
    twin = await register_twin(world, national_ids(book)[2], second)
    saved = resave_with_libreoffice(book, tmp_path / "lo")
    untouched = await download_template(page, second, tmp_path / f"{second}.xlsx")
    every = await download_template(page, "", tmp_path / "all.zip")  # Tất cả phường/xã
    with zipfile.ZipFile(every) as archive:
        names = archive.namelist()
    assert any(n.startswith(f"{first} - ") for n in names), names
    assert len(names) >= 2
    await shot(page, "02-excel-10c")
    await upload_files(page, world, [saved, untouched])
    listing = page.locator("#batches")
    await expect(listing.get_by_role("row", name=first)).to_contain_text("Chờ chuẩn hóa")
    await expect(listing.get_by_role("row", name=first)).to_contain_text("5")
    await expect(listing.get_by_role("row", name=second)).to_be_visible()
    await shot(page, "04-communes")

    await listing.get_by_role("link", name=first).click()
    await expect(page.locator("#n-invalid")).to_have_text("5")
    await see_mistakes(page)
    await shot(page, "05-review-grid")
    await expect(page.locator("tbody tr").nth(5)).to_have_class("duplicate")  # after invalid
    async with context.expect_page() as opened:
        await page.locator("tr[data-row='2'] a.eye").click()
    other = await opened.value
    assert other.url.endswith(f"/doi-tuong/{twin}")
    await expect(other.get_by_role("heading", level=1)).to_have_text("Đỗ Thị Song Sinh")
    await other.close()
    await fix_in_grid(page, fixes)
    await shot(page, "06-checked-again")

    await page.get_by_role("link", name="Chuẩn hóa", exact=True).click()
    await shot(page, "07-standardise-confirm")
    await page.get_by_label("Bỏ qua 1 dòng không hợp lệ hoặc trùng", exact=False).check()
    await page.get_by_role("button", name="OK", exact=True).click()
    await expect(page.locator("#outcome")).to_contain_text("Đã chuẩn hóa", timeout=60_000)
    await shot(page, "08-standardised")

    person = page.locator("tbody tr", has_text="900.000 đ").get_by_role("link")
    await person.click()
    await expect(page.locator("#arrears")).to_have_text(f"900.000 đ (kỳ {month})")
    await shot(page, "09-record-arrears")
