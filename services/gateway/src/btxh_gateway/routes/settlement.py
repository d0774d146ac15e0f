"""Chức năng khác → Quyết toán đơn vị chi trả (seed 002 §D–E), Quản trị hệ thống → Thiết lập
hệ thống (§B), Báo cáo thống kê → DVCT_01 / DVCT_02."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from btxh_gateway import labels, web
from btxh_gateway.services import ServiceError
from btxh_gateway.web import CurrentOfficer, District, Supervisor, Svc, Writer

router = APIRouter(prefix="/d/{district}")
UNPAID_SHOWN = 500
NOT_SET = {
    "list_cutoff_day": "",
    "settlement_cutoff_day": "",
    "months_per_settlement": 1,
    "integrated": False,
}


@router.get("/quyet-toan")
async def overview(
    request: Request, officer: CurrentOfficer, district: District, svc: Svc
) -> Response:
    settlements: list[dict[str, Any]] = []
    packages: list[dict[str, Any]] = []
    error = None
    try:
        base = f"/v1/districts/{district}"
        settlements = (await svc.get(officer, "settlement", f"{base}/settlements"))["settlements"]
        packages = (await svc.get(officer, "settlement", f"{base}/packages"))["packages"]
    except ServiceError as exc:
        error = exc
    return web.render(
        request, "settlements.html", officer=officer, district=district, menu="settle",
        settlements=settlements, packages=packages, error=error,
    )  # fmt: skip


@router.get("/quyet-toan/{settlement_id}")
async def settlement(
    request: Request, officer: CurrentOfficer, district: District, svc: Svc, settlement_id: str
) -> Response:
    try:
        found = await svc.get(officer, "settlement", f"/v1/settlements/{settlement_id}")
        unpaid = await svc.get(
            officer, "payment", f"/v1/lists/{found['list_id']}/lines", status="unpaid",
            size=UNPAID_SHOWN,
        )  # fmt: skip
    except ServiceError as exc:
        raise web.PageError(exc.status, exc.title, "; ".join(exc.items)) from exc
    return web.render(
        request, "settlement.html", officer=officer, district=district, menu="settle",
        s=found, unpaid=unpaid["lines"],
    )  # fmt: skip


@router.post("/quyet-toan/{settlement_id}/gia-han")
async def extend(
    request: Request, officer: Writer, district: District, svc: Svc, settlement_id: str
) -> Response:
    form = await web.form_text(request)
    days = form.get("days", "")
    body = {"days": int(days) if days.isdigit() else days, "reason": form.get("reason", "")}
    path = f"/v1/settlements/{settlement_id}/extensions"
    call = svc.json(officer, "settlement", "POST", path, json=body)
    ok = f"Đã gia hạn chốt kỳ thêm {days} ngày"
    return await web.act(request, f"/d/{district}/quyet-toan/{settlement_id}", ok, call)


@router.post("/quyet-toan/{settlement_id}/chot")
async def close(
    request: Request, officer: Writer, district: District, svc: Svc, settlement_id: str
) -> Response:
    rest_unpaid = (await web.form_text(request)).get("rest_unpaid") == "1"
    path = f"/v1/settlements/{settlement_id}/close"
    call = svc.json(officer, "settlement", "POST", path, json={"rest_unpaid": rest_unpaid})
    return await web.act(
        request, f"/d/{district}/quyet-toan/{settlement_id}", "Đã chốt quyết toán", call
    )


@router.get("/thiet-lap")
async def setup(
    request: Request, officer: CurrentOfficer, district: District, svc: Svc
) -> Response:
    found, error = None, None
    try:
        found = await svc.get(
            officer, "settlement", f"/v1/districts/{district}/payment-unit-settings"
        )
    except ServiceError as exc:
        error = exc
        if exc.status == 404:  # not set yet: an empty form the supervisor fills
            found = dict(NOT_SET)
    return web.render(
        request, "setup.html", officer=officer, district=district, menu="setup", s=found,
        error=error,
    )  # fmt: skip


def _day(text: str) -> int | str:
    return int(text) if text.isdigit() else text


@router.post("/thiet-lap")
async def save_setup(
    request: Request, officer: Supervisor, district: District, svc: Svc
) -> Response:
    form = await web.form_text(request)
    months = form.get("months_per_settlement", "")
    body = {
        "list_cutoff_day": _day(form.get("list_cutoff_day", "")),
        "settlement_cutoff_day": _day(form.get("settlement_cutoff_day", "")),
        "months_per_settlement": int(months) if months.isdigit() else months,
        "integrated": form.get("integrated") == "1",
    }
    path = f"/v1/districts/{district}/payment-unit-settings"
    call = svc.json(officer, "settlement", "PUT", path, json=body)
    return await web.act(request, f"/d/{district}/thiet-lap", "Đã lưu thiết lập hệ thống", call)


@router.get("/bao-cao")
async def reports(
    request: Request, officer: CurrentOfficer, district: District, svc: Svc, month: str = "",
    kind: str = "monthly",
) -> Response:  # fmt: skip
    month = labels.month_input(month)
    found: dict[str, Any] = {}
    error = None
    if month:
        try:
            for name in ("dvct01", "dvct02"):
                path = f"/v1/districts/{district}/periods/{month}/reports/{name}"
                found[name] = await svc.get(officer, "payment", path, kind=kind)
        except ServiceError as exc:
            error = exc
    return web.render(
        request, "reports.html", officer=officer, district=district, menu="reports",
        month=month, kind=kind, found=found, error=error,
    )  # fmt: skip


@router.get("/bao-cao/{name}.xlsx")
async def report_file(
    officer: CurrentOfficer, district: District, svc: Svc, name: str, month: str,
    kind: str = "monthly",
) -> Response:  # fmt: skip
    if name not in ("dvct01", "dvct02"):
        raise web.PageError(404, "Không tìm thấy báo cáo")
    path = f"/v1/districts/{district}/periods/{labels.month_input(month)}/reports/{name}"
    try:
        answer = await svc.call(
            officer, "payment", "GET", path, params={"kind": kind, "format": "xlsx"}
        )
    except ServiceError as exc:
        raise web.PageError(exc.status, exc.title, "; ".join(exc.items)) from exc
    headers = {"Content-Disposition": answer.headers.get("content-disposition", "attachment")}
    return Response(answer.content, media_type=answer.headers["content-type"], headers=headers)
