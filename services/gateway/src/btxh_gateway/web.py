"""What every page shares: the signed-in officer (idle timeout), the CSRF check on every POST,
the district wall, the read-only refusal, flash messages and rendering in Vietnamese."""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from btxh_gateway import labels
from btxh_gateway.accounts import Accounts, Officer
from btxh_gateway.services import ServiceError, Services

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
for _name, _filter in {
    "money": labels.money,
    "number": labels.number,
    "month": labels.month,
    "day": labels.day,
    "state": labels.state,
}.items():
    TEMPLATES.env.filters[_name] = _filter
TEMPLATES.env.globals.update(
    HEADERS_VI=labels.HEADERS_VI,
    KINDS=labels.KINDS,
    ACTIONS_VI=labels.ACTIONS_VI,
    cell=labels.cell,
    change=labels.change,
)


class PageError(Exception):
    """A page refused: rendered as a Vietnamese page with this status."""

    def __init__(self, status: int, title: str, detail: str = "") -> None:
        super().__init__(title)
        self.status, self.title, self.detail = status, title, detail


class LoginRequired(Exception):
    def __init__(self, expired: bool = False) -> None:
        super().__init__("login required")
        self.expired = expired


CSRF_REFUSED = "Biểu mẫu không hợp lệ hoặc đã hết hạn (thiếu mã chống giả mạo CSRF)"
READ_ONLY = "Tài khoản cấp tỉnh chỉ được xem dữ liệu, không được thay đổi"
SUPERVISOR_ONLY = "Chỉ lãnh đạo phòng (cấp huyện) được thực hiện thao tác này"


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


def current_officer(request: Request) -> Officer:
    """The signed-in officer; idle longer than the timeout, the session ends."""
    username = request.session.get("user")
    accounts: Accounts = request.app.state.accounts
    officer = accounts.get(username) if isinstance(username, str) else None
    if officer is None:
        raise LoginRequired()
    now, seen = time.time(), float(request.session.get("seen", 0))
    if now - seen > request.app.state.settings.idle_minutes * 60:
        request.session.clear()
        raise LoginRequired(expired=True)
    request.session["seen"] = now
    return officer


CurrentOfficer = Annotated[Officer, Depends(current_officer)]
Svc = Annotated[Services, Depends(services)]


def district_wall(district: str, officer: CurrentOfficer) -> str:
    """The district in the path is one of the officer's; otherwise as if it did not exist."""
    if district not in officer.units:
        raise PageError(404, "Không tìm thấy trang", "Quận/huyện này không thuộc phạm vi của bạn.")
    return district


District = Annotated[str, Depends(district_wall)]


async def check_csrf(request: Request) -> None:
    """Every POST carries the session's CSRF token (form field ``csrf`` or ``X-CSRF-Token``)."""
    form = await request.form()
    sent = form.get("csrf") or request.headers.get("x-csrf-token") or ""
    expected = request.session.get("csrf")
    if not isinstance(sent, str) or not expected or not secrets.compare_digest(sent, expected):
        raise PageError(403, "Yêu cầu bị từ chối", CSRF_REFUSED)


async def writer(request: Request, officer: CurrentOfficer, _: District) -> Officer:
    """A write: CSRF checked, and the officer's role may write."""
    await check_csrf(request)
    if not officer.can_write:
        raise PageError(403, "Không có quyền thực hiện thao tác này", READ_ONLY)
    return officer


Writer = Annotated[Officer, Depends(writer)]


def flash(request: Request, kind: str, title: str, items: list[str] | None = None) -> None:
    request.session["flash"] = {"kind": kind, "title": title, "items": items or []}


def flash_error(request: Request, error: ServiceError) -> None:
    flash(request, "error", error.title, error.items)


def back(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    officer = context.get("officer")
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "csrf": csrf_token(request),
            "flash": request.session.pop("flash", None),
            "can_write": bool(officer and officer.can_write),
            **context,
        },
        status_code=status_code,
    )


def page_error(request: Request, error: PageError) -> Response:
    username = request.session.get("user")
    officer = request.app.state.accounts.get(username) if isinstance(username, str) else None
    asked = request.path_params.get("district")
    district = None if officer is None else asked if asked in officer.units else officer.units[0]
    return render(
        request,
        "error.html",
        status_code=error.status,
        officer=officer,
        district=district,
        title=error.title,
        detail=error.detail,
    )


async def supervisor(officer: Writer) -> Officer:
    if not officer.is_supervisor:
        raise PageError(403, "Không có quyền thực hiện thao tác này", SUPERVISOR_ONLY)
    return officer


Supervisor = Annotated[Officer, Depends(supervisor)]


async def act(request: Request, url: str, ok: str, call: Awaitable[Any]) -> Response:
    """Do a write; its refusal is said in place on the page it came from, in Vietnamese."""
    try:
        await call
    except ServiceError as exc:
        flash_error(request, exc)
    else:
        flash(request, "ok", ok)
    return back(url)


async def form_text(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: str(v).strip() for k, v in form.items() if k != "csrf" and isinstance(v, str)}


def bare_error(request: Request, status: int, title: str, detail: str) -> HTMLResponse:
    """An error page before the session is read (no menu, no form)."""
    context = {"csrf": "", "flash": None, "can_write": False, "title": title, "detail": detail}
    return TEMPLATES.TemplateResponse(request, "error.html", context, status_code=status)
