"""The officer console: server-rendered pages over the four services' public HTTP APIs."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware

from btxh_gateway import web
from btxh_gateway.accounts import Accounts
from btxh_gateway.routes import (
    imports,
    login,
    newcomer,
    payments,
    recoveries,
    register,
    review,
    settlement,
)
from btxh_gateway.services import Services
from btxh_gateway.settings import GatewaySettings
from btxh_gateway.tokens import load_signer

SESSION_COOKIE = "btxh_console"


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    accounts = Accounts.load(settings.accounts_file)
    signer = load_signer(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.services = Services(settings, signer)
        yield
        await app.state.services.close()

    app = FastAPI(title="BTXH console", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings, app.state.accounts = settings, accounts
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.session_secret or secrets.token_urlsafe(32),
        session_cookie=SESSION_COOKIE,
        # the server ends an idle session (and says so); the browser drops the cookie later
        max_age=settings.idle_minutes * 60 + 3600,
        same_site="strict",
        https_only=settings.secure_cookie,
    )
    static = Path(__file__).parent / "static"
    app.mount("/static", StaticFiles(directory=static), name="static")
    for module in (login, newcomer, register, recoveries, imports, review, payments, settlement):
        app.include_router(module.router)
    _handlers(app)
    return app


def _handlers(app: FastAPI) -> None:
    async def on_login(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, web.LoginRequired)
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        expired = "&expired=1" if exc.expired else ""
        return RedirectResponse(f"/dang-nhap?next={target}{expired}", status_code=303)

    async def on_page(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, web.PageError)
        return web.page_error(request, exc)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        title = "Không tìm thấy trang" if exc.status_code == 404 else "Yêu cầu không hợp lệ"
        return web.page_error(request, web.PageError(exc.status_code, title))

    app.add_exception_handler(web.LoginRequired, on_login)
    app.add_exception_handler(web.PageError, on_page)
    app.add_exception_handler(HTTPException, on_http)
