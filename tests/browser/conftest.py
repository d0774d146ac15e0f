"""The officer console in front of a real stack (four services, PostgreSQL, the broker), a
demo district seeded, and Debian's Chromium driven by Playwright with the internet cut off:
every request to anything but loopback is aborted and fails the test."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pytest
import pytest_asyncio
from beneficiary_svc.demo import seed
from btxh_common.auth import Role
from btxh_common.topics import BENEFICIARY_EVENTS
from btxh_tools.console import Account, console, write_accounts
from btxh_tools.harness import Stack, start_stack
from btxh_tools.polling import until
from playwright.async_api import Browser, BrowserContext, Page, Route, async_playwright, expect

D = "001"
PEOPLE = 300
CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(os.environ.get("BTXH_SCREENSHOTS", ".run/screenshots")).resolve()
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
# Two cores shared with the services, the broker and PostgreSQL: wait longer than the default.
expect.set_options(timeout=20_000)

ACCOUNTS = {
    "officer": Account(
        "canbo.001", "mat-khau-canbo", "Nguyễn Thị Lan", Role.DISTRICT_OFFICER, (D,)
    ),
    "supervisor": Account(
        "lanhdao.001", "mat-khau-lanhdao", "Trần Văn Hùng", Role.DISTRICT_SUPERVISOR, (D,)
    ),
    "province": Account("tinh.01", "mat-khau-tinh", "Lê Minh Phương", Role.PROVINCE_OFFICER, (D,)),
    "other": Account("canbo.002", "mat-khau-002", "Phạm Văn Nam", Role.DISTRICT_OFFICER, ("002",)),
}


class World:
    def __init__(self, stack: Stack, url: str) -> None:
        self.stack, self.url = stack, url


async def _count(dsn: str, table: str) -> int:
    db = await asyncpg.connect(dsn)
    try:
        return int(await db.fetchval(f"SELECT count(*) FROM {table}"))
    finally:
        await db.close()


async def _seeded(stack: Stack) -> None:
    conn = await asyncpg.connect(stack.dsns["beneficiary-svc"])
    try:
        await seed(conn, D, PEOPLE, seed=18, topic=stack.topic(BENEFICIARY_EVENTS))
    finally:
        await conn.close()
    for name, table in (("import-svc", "identity"), ("payment-svc", "recipient")):
        await until(
            f"{name} learned the register",
            lambda name=name, table=table: _at_least(stack.dsns[name], table, PEOPLE),
        )


async def _at_least(dsn: str, table: str, n: int) -> bool:
    return await _count(dsn, table) >= n


@pytest_asyncio.fixture(scope="package")
async def world(
    pg_server: str, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[World]:
    tmp = tmp_path_factory.mktemp("console")
    env = {"settlement-svc": {"SCAN_SECONDS": "0.5", "RESEND_BASE_SECONDS": "2"}}
    async with start_stack(pg_server, kafka_bootstrap, tmp, env=env) as stack:
        await _seeded(stack)
        accounts = write_accounts(tmp / "accounts.json", list(ACCOUNTS.values()))
        with console(stack, accounts, tmp / "gateway.log") as url:
            yield World(stack, url)


class Guard:
    """Aborts every request that leaves loopback, and remembers it."""

    def __init__(self) -> None:
        self.outside: list[str] = []

    async def route(self, route: Route) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in LOOPBACK:
            await route.continue_()
            return
        self.outside.append(route.request.url)
        await route.abort()


@pytest_asyncio.fixture(scope="package")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        found = await pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--lang=vi-VN"]
        )
        yield found
        await found.close()


@pytest_asyncio.fixture
async def guarded(browser: Browser) -> AsyncIterator[tuple[BrowserContext, Guard]]:
    context = await browser.new_context(
        viewport={"width": 1366, "height": 768}, locale="vi-VN", accept_downloads=True
    )
    context.set_default_timeout(30_000)
    guard = Guard()
    await context.route("**/*", guard.route)
    yield context, guard
    await context.close()
    assert guard.outside == [], f"requests left loopback: {guard.outside}"


async def login(page: Page, world: World, who: str) -> None:
    account = ACCOUNTS[who]
    await page.goto(world.url + "/dang-nhap")
    await page.get_by_label("Tên đăng nhập").fill(account.username)
    await page.get_by_label("Mật khẩu").fill(account.password)
    await page.get_by_role("button", name="Đăng nhập").click()
    await page.wait_for_url(f"{world.url}/d/**")


async def shot(page: Page, name: str) -> Path:
    """A screenshot of the page as it is, written on every run."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    target = SHOTS / f"{name}.png"
    await page.screenshot(path=str(target), full_page=False)
    return target


def text_of(value: Any) -> str:
    return "" if value is None else str(value)
