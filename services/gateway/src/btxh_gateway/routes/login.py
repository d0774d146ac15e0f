"""Signing in and out, and the home page with the guide's menus."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from btxh_gateway import web
from btxh_gateway.web import CurrentOfficer, District

router = APIRouter()
WRONG = "Tên đăng nhập hoặc mật khẩu không đúng"
EXPIRED = "Phiên làm việc đã hết hạn do không thao tác; vui lòng đăng nhập lại"


def _safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") else "/"


@router.get("/dang-nhap")
async def login_page(request: Request, next: str = "/", expired: int = 0) -> Response:
    message = EXPIRED if expired else None
    return web.render(request, "login.html", next=_safe_next(next), message=message)


@router.post("/dang-nhap")
async def login(
    request: Request,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    await web.check_csrf(request)
    officer = request.app.state.accounts.check(username.strip(), password)
    if officer is None:
        return web.render(
            request, "login.html", status_code=401, next=_safe_next(next), message=WRONG
        )
    request.session.clear()  # a new session: no fixation
    request.session.update(user=officer.username, seen=time.time())
    web.csrf_token(request)
    return web.back(_safe_next(next))


@router.post("/dang-xuat")
async def logout(request: Request) -> Response:
    await web.check_csrf(request)
    request.session.clear()
    return web.back("/dang-nhap")


@router.get("/")
async def root(officer: CurrentOfficer) -> Response:
    return web.back(f"/d/{officer.units[0]}/")


@router.get("/d/{district}/")
async def home(request: Request, officer: CurrentOfficer, district: District) -> Response:
    return web.render(request, "home.html", officer=officer, district=district, menu="home")
