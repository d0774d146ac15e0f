"""Quản lý đối tượng in the console (Chromium, internet cut off): search with and without
diacritics, Thêm mới refused in place then accepted, a manual change with its effective
month in the record's history, a refused change said in Vietnamese."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from zoneinfo import ZoneInfo

import asyncpg
from playwright.async_api import Page, expect

from tests.browser.conftest import D, World, login, shot


def months() -> tuple[date, date]:
    this = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().replace(day=1)
    return this, date(this.year + this.month // 12, this.month % 12 + 1, 1)


def plain(text: str) -> str:
    """``text`` without its diacritics, as an officer may type it."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


async def someone(world: World) -> tuple[str, str]:
    db = await asyncpg.connect(world.stack.dsns["beneficiary-svc"])
    try:
        row = await db.fetchrow(
            "SELECT id, full_name FROM beneficiary WHERE district_code = $1"
            " AND full_name ~ '[ăâđêôơưáàảãạéèẻẽẹíìỉĩịóòỏõọúùủũụýỳỷỹỵ]' ORDER BY id LIMIT 1",
            D,
        )
    finally:
        await db.close()
    assert row is not None
    return str(row["id"]), str(row["full_name"])


async def search(page: Page, text: str) -> None:
    await page.get_by_label("Họ và tên (có dấu hoặc không dấu)").fill(text)
    await page.get_by_role("button", name="Tìm kiếm").click()


async def test_search_register_and_change(world: World, guarded) -> None:
    context, _guard = guarded
    this, following = months()
    page = await context.new_page()
    await login(page, world, "officer")
    menu = page.get_by_role("navigation", name="Menu chính")
    await menu.get_by_role("link", name="Tra cứu đối tượng").click()
    person, name = await someone(world)
    for typed in (name, plain(name)):
        await search(page, typed)
        await expect(page.locator(f"a[href$='/doi-tuong/{person}']")).to_be_visible()
    await shot(page, "20-search")

    await page.get_by_role("link", name="Thêm mới đối tượng").click()
    await page.get_by_label("Họ và tên *").fill("Vũ Thị Hạnh Mới")
    await page.get_by_label("Ngày sinh (DD/MM/YYYY)").fill("02/03/1940")
    await page.get_by_label("Mã đối tượng hưởng *").select_option("NCT_80")
    await page.get_by_label("Hưởng từ tháng (MM/YYYY) *").fill("13/2026")
    await page.get_by_label("Số quyết định *").fill("101/QĐ-UBND")
    await page.get_by_role("button", name="Thêm mới", exact=True).click()
    await expect(page.get_by_role("alert")).to_contain_text("không hợp lệ")
    await expect(page.get_by_role("alert")).not_to_contain_text("{")
    await expect(page.get_by_label("Họ và tên *")).to_have_value("Vũ Thị Hạnh Mới")  # kept
    await shot(page, "21-newcomer-refused")
    await page.get_by_label("Hưởng từ tháng (MM/YYYY) *").fill(f"{this:%m/%Y}")
    await page.get_by_role("button", name="Thêm mới", exact=True).click()
    await expect(page.locator(".flash.ok")).to_contain_text("Đã thêm mới đối tượng Vũ Thị Hạnh Mới")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Vũ Thị Hạnh Mới")

    await page.locator("#tam-dung summary").click()
    await page.locator("#tam-dung-month").fill("2026/13")
    await page.locator("#tam-dung-reason").fill("Kiểm tra lại hồ sơ")
    await page.locator("#tam-dung button").click()
    await expect(page.get_by_role("alert")).to_contain_text("không hợp lệ")

    await page.locator("#thoi-huong summary").click()
    await page.locator("#thoi-huong-month").fill(f"{following:%m/%Y}")
    await page.locator("#thoi-huong-dec").fill("102/QĐ-UBND")
    await page.locator("#thoi-huong-reason").fill("Chuyển đi nơi khác")
    await page.locator("#thoi-huong button").click()
    await expect(page.locator(".flash.ok")).to_contain_text("Đã ghi nhận: Thôi hưởng")
    history = page.locator("table").last
    await expect(history.locator("tr", has_text="Chuyển đi nơi khác")).to_contain_text(
        f"{following:%m/%Y}"
    )
    await shot(page, "22-record-history")

    await page.locator("#truy-thu + table + details summary").click()
    await page.locator("#rc-dec").fill("103/QĐ-UBND")
    await page.get_by_label("Ngày quyết định (DD/MM/YYYY)").fill(f"01/{this:%m/%Y}")
    await page.locator("#rc-reason").fill("Hưởng sai chế độ")
    await page.get_by_label("Tổng phải thu (đồng)").fill("1.500.000")
    await page.get_by_label("Thu mỗi kỳ (đồng)").fill("500.000")
    await page.get_by_role("button", name="Tạo khoản truy thu").click()
    await expect(page.locator(".flash.ok")).to_contain_text("Đã tạo khoản truy thu")
    row = page.locator("#recoveries tbody tr").first
    await expect(row).to_contain_text("103/QĐ-UBND")
    await expect(row).to_contain_text("1.500.000 đ")
    await expect(row).to_contain_text("Đang thu")
    await shot(page, "23-record-recovery")


async def test_the_keyboard_alone_signs_in_and_opens_a_page(world: World, guarded) -> None:
    """No mouse: the login form's field has the focus, Tab and Enter do the rest; the first
    Tab on a page reaches the skip link, which jumps past the menu to the page's own links."""
    context, _guard = guarded
    page = await context.new_page()
    await page.goto(world.url + "/dang-nhap")
    await page.keyboard.type("canbo.001")
    await page.keyboard.press("Tab")
    await page.keyboard.type("mat-khau-canbo")
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{world.url}/d/**")
    await page.keyboard.press("Tab")
    focused = page.locator(":focus")
    await expect(focused).to_have_text("Bỏ qua menu")
    await page.keyboard.press("Enter")  # to the main content
    for _ in range(12):
        await page.keyboard.press("Tab")
        if (await focused.inner_text()) == "Chi trả trợ cấp xã hội":
            break
    await expect(focused).to_have_text("Chi trả trợ cấp xã hội")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Chi trả trợ cấp xã hội")
