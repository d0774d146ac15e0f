"""The console's walls, over HTTP against the gateway and the real services: a district-001
officer's session cannot act for district 002 (nor an 002 officer's read a 001 record); a
form without its CSRF token, or with another session's, is refused with a Vietnamese page;
a province officer's write is refused; the session cookie is signed, HttpOnly, SameSite."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator

import asyncpg
import httpx
from btxh_common.auth import Role

from tests.browser.conftest import ACCOUNTS, D, World

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@contextlib.asynccontextmanager
async def signed_in(world: World, who: str) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """A client holding ``who``'s session cookie, and the session's CSRF token."""
    async with httpx.AsyncClient(base_url=world.url, timeout=60) as client:
        yield client, await _login(client, who)


async def _login(client: httpx.AsyncClient, who: str) -> str:
    page = await client.get("/dang-nhap")
    token = CSRF.search(page.text)
    assert token, page.text
    account = ACCOUNTS[who]
    answer = await client.post(
        "/dang-nhap",
        data={"csrf": token[1], "username": account.username, "password": account.password},
    )
    assert answer.status_code == 303, answer.text
    home = await client.get(answer.headers["location"], follow_redirects=True)
    assert home.status_code == 200
    found = CSRF.search(home.text)
    assert found
    return found[1]


async def periods_of(world: World, district: str) -> list[dict[str, str]]:
    async with httpx.AsyncClient(base_url=world.stack.urls["payment-svc"]) as pay:
        answer = await pay.get(
            f"/v1/districts/{district}/periods", headers=world.stack.token(district)
        )
    assert answer.status_code == 200, answer.text
    return list(answer.json()["periods"])


async def a_person_of(world: World, district: str) -> str:
    db = await asyncpg.connect(world.stack.dsns["beneficiary-svc"])
    try:
        return str(
            await db.fetchval(
                "SELECT id FROM beneficiary WHERE district_code = $1 LIMIT 1", district
            )
        )
    finally:
        await db.close()


async def test_an_officer_of_001_cannot_act_for_002(world: World) -> None:
    async with signed_in(world, "officer") as (client, csrf):
        page = await client.get("/d/002/doi-tuong")
        assert page.status_code == 404
        assert "không thuộc phạm vi của bạn" in page.text
        posted = await client.post("/d/002/chi-tra/mo-ky", data={"csrf": csrf, "month": "03/2031"})
        assert posted.status_code == 404
        assert "không thuộc phạm vi của bạn" in posted.text
        # the same form for the officer's own district goes through (the test can fail)
        own = await client.post(f"/d/{D}/chi-tra/mo-ky", data={"csrf": csrf, "month": "03/2031"})
        assert own.status_code == 303
    assert await periods_of(world, "002") == []
    assert "2031-03" in {p["period"] for p in await periods_of(world, D)}


async def test_an_officer_of_002_cannot_read_a_record_of_001(world: World) -> None:
    """Past the gateway's wall, the services' own: the token signed for the 002 officer
    carries 002 only, so beneficiary-svc answers as if the 001 record did not exist."""
    person = await a_person_of(world, D)
    async with signed_in(world, "other") as (client, _):
        page = await client.get(f"/d/002/doi-tuong/{person}")
    assert page.status_code == 404
    assert "Không tìm thấy" in page.text
    assert "{" not in page.text.split("<main", 1)[1].split("</main>")[0]  # no raw JSON


async def test_a_form_without_its_csrf_token_is_refused(world: World) -> None:
    async with (
        signed_in(world, "officer") as (client, csrf),
        signed_in(world, "supervisor") as (_, other_csrf),
    ):
        for data in ({"month": "04/2031"}, {"month": "04/2031", "csrf": other_csrf}):
            refused = await client.post(f"/d/{D}/chi-tra/mo-ky", data=data)
            assert refused.status_code == 403
            assert "mã chống giả mạo CSRF" in refused.text
            assert refused.headers["content-type"].startswith("text/html")
        # the login form too
        anonymous = httpx.AsyncClient(base_url=world.url)
        async with anonymous:
            login = await anonymous.post(
                "/dang-nhap", data={"username": "canbo.001", "password": "mat-khau-canbo"}
            )
        assert login.status_code == 403
        assert csrf != other_csrf
    assert "2031-04" not in {p["period"] for p in await periods_of(world, D)}


async def test_a_province_officer_posting_a_write_is_refused(world: World) -> None:
    assert ACCOUNTS["province"].role is Role.PROVINCE_OFFICER
    async with signed_in(world, "province") as (client, csrf):
        page = await client.get(f"/d/{D}/chi-tra")
        assert page.status_code == 200
        assert "Mở kỳ chi trả" not in page.text
        refused = await client.post(
            f"/d/{D}/chi-tra/mo-ky", data={"csrf": csrf, "month": "05/2031"}
        )
    assert refused.status_code == 403
    assert "Tài khoản cấp tỉnh chỉ được xem dữ liệu" in refused.text
    assert "2031-05" not in {p["period"] for p in await periods_of(world, D)}


async def test_the_session_cookie_is_signed_and_guarded(world: World) -> None:
    client = httpx.AsyncClient(base_url=world.url)
    async with client:
        page = await client.get("/dang-nhap")
        cookie = page.headers["set-cookie"].lower()
        assert "httponly" in cookie
        assert "samesite=strict" in cookie
        client.cookies.set("btxh_console", "eyJ1c2VyIjogImNhbmJvLjAwMSJ9.forged.sig")
        forged = await client.get(f"/d/{D}/doi-tuong")
    assert forged.status_code == 303
    assert forged.headers["location"].startswith("/dang-nhap")
