"""Payment statuses by hand in the console (seed 002 §C, CT 7–8): the officer splits a line of
a draft list into two payments and submits it; in an integrated district (the default) the
officer's statuses are refused in Vietnamese, and the supervisor sets everyone paid, then
the exceptions from pasted national IDs."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
from playwright.async_api import Page, expect

from tests.browser.conftest import World, login, shot


def in_two_months() -> date:
    this = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().replace(day=1)
    months = this.year * 12 + this.month - 1 + 2
    return date(months // 12, months % 12 + 1, 1)


async def held_once(world: World, ids: list[str]) -> list[str]:
    """The IDs only one person of the register holds (an exception names one line)."""
    db = await asyncpg.connect(world.stack.dsns["beneficiary-svc"])
    try:
        rows = await db.fetch(
            "SELECT national_id FROM beneficiary WHERE national_id = ANY($1::text[])"
            " GROUP BY 1 HAVING count(*) = 1",
            ids,
        )
    finally:
        await db.close()
    once = {r["national_id"] for r in rows}
    return [i for i in ids if i in once]


def amount(text: str) -> int:
    return int(text.replace(".", "").replace("đ", "").strip())


async def split_first_line(page: Page) -> None:
    row = page.locator("#lines tbody tr").first
    total = amount(await row.locator("td").nth(9).inner_text())
    first = total // 3
    await row.get_by_role("textbox").fill(f"{first:,}; {total - first:,}".replace(",", "."))
    await row.get_by_role("button", name="Tách").click()
    await expect(page.locator(".flash.ok")).to_contain_text("Đã tách thành 2 lần chi trả")


async def set_statuses(page: Page, ids: list[str], paid_on: date) -> None:
    await page.locator("summary", has_text="Cập nhật trạng thái chi trả").click()
    await page.get_by_label("Trạng thái cho tất cả").select_option("paid")
    await page.get_by_label("Ngày chi trả (DD/MM/YYYY)").fill(f"{paid_on:%d/%m/%Y}")
    await page.get_by_label("Ngoại lệ: số CCCD, mỗi dòng một số").fill("\n".join(ids))
    await page.get_by_label("Trạng thái của ngoại lệ").select_option("unpaid")
    await page.get_by_label("Lý do", exact=True).fill("Bảng kê chi trả của xã")
    await page.get_by_role("button", name="Cập nhật trạng thái").click()


async def test_split_submit_and_statuses_by_hand(world: World, guarded) -> None:
    context, _guard = guarded
    month = in_two_months()
    page = await context.new_page()
    await login(page, world, "officer")
    await page.goto(f"{world.url}/d/001/chi-tra")
    await page.get_by_label("Kỳ chi trả (MM/YYYY)").fill(f"{month:%m/%Y}")
    await page.get_by_role("button", name="Mở kỳ chi trả").click()
    await page.get_by_role("button", name="Lập danh sách chi trả hàng tháng").click()
    await expect(page.locator("#list-status")).to_have_text("Bản nháp")
    lines_url = page.url
    await split_first_line(page)
    await shot(page, "30-line-split")
    page.once("dialog", lambda dialog: dialog.accept())
    await page.get_by_role("button", name="Gửi danh sách chi trả qua ĐVCT").click()
    await expect(page.locator(".flash.ok")).to_contain_text("Đã gửi danh sách chi trả qua ĐVCT")

    ids = [
        (await page.locator("#lines tbody tr").nth(i).locator("td").nth(1).inner_text()).strip()
        for i in range(3, 10)
    ]
    ids = (await held_once(world, [i for i in ids if i]))[:2]
    assert len(ids) == 2
    yesterday = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date() - timedelta(days=1)
    await set_statuses(page, ids, yesterday)
    await expect(page.get_by_role("alert")).to_be_visible()  # integrated: the supervisor's
    await expect(page.get_by_role("alert")).not_to_contain_text("{")
    await shot(page, "31-statuses-refused")

    supervisor = await context.new_page()
    await login(supervisor, world, "supervisor")
    await supervisor.goto(lines_url)
    await set_statuses(supervisor, ids, yesterday)
    await expect(supervisor.locator(".flash.ok")).to_contain_text("Đã cập nhật trạng thái chi trả")
    await supervisor.get_by_label("Lọc theo trạng thái").select_option("unpaid")
    await supervisor.get_by_role("button", name="Lọc").click()
    unpaid = supervisor.locator("#lines tbody tr")
    await expect(unpaid).to_have_count(2)
    shown = {(await unpaid.nth(i).locator("td").nth(1).inner_text()).strip() for i in range(2)}
    assert shown == set(ids)
    await supervisor.get_by_label("Lọc theo trạng thái").select_option("paid")
    await supervisor.get_by_role("button", name="Lọc").click()
    await expect(supervisor.locator("#lines tbody tr").first).to_contain_text(
        f"Đã chi trả ({yesterday:%d/%m/%Y})"
    )
    await shot(supervisor, "32-statuses-by-hand")
