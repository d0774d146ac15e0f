"""The officer console: server-rendered pages over the four services' public HTTP APIs."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
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
from btxh_gateway.services import ServiceError, Services
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
    _guard(app, settings.max_upload_bytes)
    return app


# Only this console's own files: no CDN, no inline script, no framing, forms post home.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",  # pages hold people's data
}
TOO_LARGE = "Dung lượng tải lên vượt quá {mib} MB; hãy chia thành nhiều lần tải lên"


def _guard(app: FastAPI, max_bytes: int) -> None:
    """Security headers on every answer; a POST body over ``max_bytes`` (by its declared
    length) refused before anything reads it."""

    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Response:
        length = request.headers.get("content-length", "")
        if request.method == "POST" and length.isdigit() and int(length) > max_bytes:
            detail = TOO_LARGE.format(mib=max_bytes // 2**20)
            answer: Response = web.bare_error(request, 413, "Tệp quá lớn", detail)
        else:
            answer = await call_next(request)
        if not request.url.path.startswith("/static/"):
            answer.headers.update(SECURITY_HEADERS)
        return answer


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

    async def on_service(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ServiceError)
        error = web.PageError(exc.status, exc.title, "; ".join(exc.items))
        return web.page_error(request, error)

    app.add_exception_handler(ServiceError, on_service)
    app.add_exception_handler(web.LoginRequired, on_login)
    app.add_exception_handler(web.PageError, on_page)
    app.add_exception_handler(HTTPException, on_http)
