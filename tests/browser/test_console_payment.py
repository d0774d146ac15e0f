"""Seed 002 §C–E in the console, in Chromium with the internet cut off: the district officer
opens a period, generates the monthly list (its total is what the independent model says the
register owes), submits it, sees the post-office simulator's results arrive, extends the
deadline, closes the settlement and downloads DVCT_01; the province officer then finds no
write action on the same pages and gets a clear Vietnamese refusal posting one anyway."""

from __future__ import annotations

import re
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import openpyxl
from btxh_common.topics import POSTOFFICE_INBOUND, POSTOFFICE_OUTBOUND
from btxh_gateway.labels import money
from btxh_tools.postoffice_sim import Behaviour, PostOffice, running
from btxh_tools.register_feed import register_owes
from playwright.async_api import BrowserContext, Page, expect

from tests.browser.conftest import D, World, login, shot


def next_month() -> date:
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    return date(today.year + today.month // 12, today.month % 12 + 1, 1)


async def owed_total(world: World, month: date) -> int:
    register = await asyncpg.connect(world.stack.dsns["beneficiary-svc"])
    try:
        return sum((await register_owes(register, D, month)).values())
    finally:
        await register.close()


async def reload_until(page: Page, locator: str, text: str, seconds: float = 90) -> None:
    """The officer presses F5 until the page shows ``text`` in ``locator``."""
    deadline = time.monotonic() + seconds
    while True:
        if text in (await page.locator(locator).inner_text()):
            return
        assert time.monotonic() < deadline, f"{locator} never showed {text!r}"
        await page.wait_for_timeout(1000)
        await page.reload()


async def open_and_generate(page: Page, world: World, month: date) -> None:
    menu = page.get_by_role("navigation", name="Menu chính")
    await menu.get_by_role("link", name="Chi trả trợ cấp xã hội").click()
    await page.get_by_label("Kỳ chi trả (MM/YYYY)").fill(f"{month:%m/%Y}")
    await page.get_by_role("button", name="Mở kỳ chi trả").click()
    await expect(page.locator(".flash.ok")).to_contain_text(f"Đã mở kỳ chi trả {month:%m/%Y}")
    await shot(page, "10-period")
    await page.get_by_role("button", name="Lập danh sách chi trả hàng tháng").click()
    await expect(page.locator("#list-status")).to_have_text("Bản nháp")
    expected = money(await owed_total(world, month))
    await expect(page.locator("#list-total")).to_have_text(expected)
    # the commune table's last row is the whole list's total
    await expect(page.locator("#by-commune tr").last).to_contain_text(expected)
    await shot(page, "11-list-lines")


async def submit_and_settle(page: Page) -> str:
    page.once("dialog", lambda dialog: dialog.accept())
    await page.get_by_role("button", name="Gửi danh sách chi trả qua ĐVCT").click()
    await expect(page.locator(".flash.ok")).to_contain_text("Đã gửi danh sách chi trả qua ĐVCT")
    menu = page.get_by_role("navigation", name="Menu chính")
    await menu.get_by_role("link", name="Quyết toán đơn vị chi trả").click()
    await reload_until(page, "#settlements", "Đã nhận quyết toán")
    await reload_until(page, "#packages", "ĐVCT đã nhận")
    await shot(page, "12-payment-unit")
    await page.locator("#settlements a").first.click()
    await expect(page.locator("#unpaid tbody tr").first).not_to_contain_text("Không có")
    return page.url


async def extend_and_close(page: Page) -> None:
    await page.get_by_label("Số ngày (tổng dưới 20 ngày)").fill("5")
    await page.get_by_label("Lý do").fill("Bưu điện xin thêm thời gian đối soát")
    await page.get_by_role("button", name="Gia hạn chốt kỳ").click()
    await expect(page.locator(".flash.ok")).to_contain_text("Đã gia hạn chốt kỳ thêm 5 ngày")
    await expect(page.locator("#extended-days")).to_have_text("5 ngày")
    await page.get_by_label("Số ngày (tổng dưới 20 ngày)").fill("15")  # 5 + 15 = 20: refused
    await page.get_by_label("Lý do").fill("Thêm nữa")
    await page.get_by_role("button", name="Gia hạn chốt kỳ").click()
    await expect(page.locator(".flash.error")).to_be_visible()
    await expect(page.locator(".flash.error")).not_to_contain_text("{")  # never raw JSON
    await shot(page, "13-settlement-extended")
    page.once("dialog", lambda dialog: dialog.accept())
    await page.get_by_role("button", name="Chốt quyết toán").click()
    await expect(page.locator(".flash.ok")).to_contain_text("Đã chốt quyết toán")
    await expect(page.locator("#settlement-state")).to_have_text("Đã chốt")
    await shot(page, "14-settlement-closed")


async def download_dvct01(page: Page, month: date, tmp: Path) -> None:
    menu = page.get_by_role("navigation", name="Menu chính")
    await menu.get_by_role("link", name=re.compile("Báo cáo ĐVCT")).click()
    await page.get_by_label("Kỳ (MM/YYYY)").fill(f"{month:%m/%Y}")
    await page.get_by_role("button", name="Xem").click()
    await shot(page, "15-reports")
    async with page.expect_download() as info:
        await page.get_by_role("link", name="Tải DVCT_01 (Excel)").click()
    download = await info.value
    assert download.suggested_filename == f"DVCT01_{D}_{month:%Y-%m}.xlsx"
    await download.save_as(tmp / "dvct01.xlsx")
    book = openpyxl.load_workbook(tmp / "dvct01.xlsx")
    assert book.worksheets[0].max_row > 1


async def lock_period(page: Page, period_url: str, month: date) -> None:
    """The officer locks the period; only a supervisor may unlock it."""
    await page.goto(period_url)
    await page.get_by_label("Ghi chú khi khóa").fill("Đã quyết toán xong")
    await page.get_by_role("button", name="Khóa kỳ").click()
    await expect(page.locator(".flash.ok")).to_contain_text(f"Đã khóa kỳ {month:%m/%Y}")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Đã khóa")
    await expect(page.get_by_role("button", name="Mở khóa kỳ")).to_have_count(0)


async def supervisor_sets_up(context: BrowserContext, world: World, period_url: str) -> str:
    """The supervisor unlocks the period, then Quản trị hệ thống → Thiết lập hệ thống (the
    officer may only read it)."""
    page = await context.new_page()
    await login(page, world, "supervisor")
    await page.goto(period_url)
    await page.get_by_label("Lý do mở khóa").fill("Điều chỉnh sau quyết toán")
    await page.get_by_role("button", name="Mở khóa kỳ").click()
    await expect(page.locator(".flash.ok")).to_contain_text("Đã mở khóa kỳ")
    await expect(page.get_by_role("heading", level=1)).not_to_contain_text("Đã khóa")
    menu = page.get_by_role("navigation", name="Menu chính")
    await menu.get_by_role("link", name="Thiết lập hệ thống").click()
    await page.get_by_label("Ngày chốt gửi danh sách chi trả").fill("20")
    await page.get_by_label("Ngày chốt gửi quyết toán").fill("last")
    await page.get_by_label("Số tháng quyết toán 1 lần").fill("3")
    await page.get_by_role("button", name="Lưu").click()
    await expect(page.locator(".flash.ok")).to_contain_text("Đã lưu thiết lập hệ thống")
    await page.reload()
    await expect(page.get_by_label("Số tháng quyết toán 1 lần")).to_have_value("3")
    await expect(page.get_by_label("Ngày chốt gửi quyết toán")).to_have_value("last")
    await shot(page, "18-settings")
    await page.get_by_label("Ngày chốt gửi danh sách chi trả").fill("31")  # refused: 1–28
    await page.get_by_role("button", name="Lưu").click()
    await expect(page.get_by_role("alert")).to_contain_text("Dữ liệu không hợp lệ")
    url = page.url
    await page.close()
    return url


WRITE_WORDS = re.compile(
    "Mở kỳ|Lập danh sách|Gửi danh sách|Gia hạn|Chốt quyết toán|Khóa kỳ|Tải tệp lên|Lưu"
)


async def province_reads_only(context: BrowserContext, world: World, pages: list[str]) -> None:
    page = await context.new_page()
    await login(page, world, "province")
    for url in pages:
        await page.goto(url)
        await expect(page.locator(".badge.ro")).to_have_text("Chỉ xem")
        writes = page.locator("main form[method=post]")
        await expect(writes).to_have_count(0)
        await expect(page.locator("main").get_by_role("button", name=WRITE_WORDS)).to_have_count(0)
    await shot(page, "16-province-read-only")
    # a write posted anyway (with a valid session and CSRF token): refused, in Vietnamese
    await page.evaluate(
        """([action]) => {
            const form = document.createElement("form");
            form.method = "post"; form.action = action;
            for (const [k, v] of [["csrf", document.querySelector("input[name=csrf]").value],
                                  ["days", "3"], ["reason", "thử"]]) {
                const input = document.createElement("input");
                input.name = k; input.value = v; form.appendChild(input);
            }
            document.body.appendChild(form); form.submit();
        }""",
        [pages[-1].removeprefix(world.url) + "/gia-han"],
    )
    await expect(page.get_by_role("alert")).to_contain_text("chỉ được xem dữ liệu")
    await shot(page, "17-province-refused")
    answer = await page.request.post(world.url + f"/d/{D}/chi-tra/mo-ky", form={"month": "01/2030"})
    assert answer.status == 403


async def test_a_period_from_list_to_closed_settlement(
    world: World, guarded, tmp_path: Path
) -> None:
    context, _guard = guarded
    month = next_month()
    post_office = PostOffice(
        world.stack.bootstrap,
        Behaviour(results_delay=0.5, pay_share=0.8),
        outbound=world.stack.topic(POSTOFFICE_OUTBOUND),
        inbound=world.stack.topic(POSTOFFICE_INBOUND),
        group="console-post-office",
    )
    page = await context.new_page()
    await login(page, world, "officer")
    async with running(post_office):
        await open_and_generate(page, world, month)
        lines_url = page.url
        settlement_url = await submit_and_settle(page)
    await extend_and_close(page)
    await download_dvct01(page, month, tmp_path)
    period_url = f"{world.url}/d/{D}/chi-tra/ky/{month:%Y-%m}"
    await lock_period(page, period_url, month)
    setup_url = await supervisor_sets_up(context, world, period_url)
    await province_reads_only(context, world, [setup_url, period_url, lines_url, settlement_url])
