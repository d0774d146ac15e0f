"""Quản lý dòng NS và chi trả → Chi trả trợ cấp xã hội (seed 002 §C): periods; the monthly
and the funeral list; lines by commune and by channel with totals; submit; statuses (everyone,
then exceptions by pasted IDs); split; pull a past month; lock / unlock."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from btxh_gateway import labels, web
from btxh_gateway.services import ServiceError
from btxh_gateway.web import CurrentOfficer, District, Supervisor, Svc, Writer

router = APIRouter(prefix="/d/{district}/chi-tra")
LINES_SHOWN = 200
KIND_VI = {"monthly": "Chi trả hàng tháng", "funeral": "Mai táng phí"}


@router.get("")
async def periods(
    request: Request, officer: CurrentOfficer, district: District, svc: Svc
) -> Response:
    found: dict[str, Any] = {"periods": []}
    error = None
    try:
        found = await svc.get(officer, "payment", f"/v1/districts/{district}/periods")
    except ServiceError as exc:
        error = exc
    return web.render(
        request, "periods.html", officer=officer, district=district, menu="pay",
        periods=found["periods"], error=error,
    )  # fmt: skip


@router.post("/mo-ky")
async def open_period(request: Request, officer: Writer, district: District, svc: Svc) -> Response:
    month = labels.month_input((await web.form_text(request)).get("month", ""))
    call = svc.json(
        officer, "payment", "POST", f"/v1/districts/{district}/periods", json={"month": month}
    )
    ok = f"Đã mở kỳ chi trả {labels.month(month)}"
    return await web.act(request, f"/d/{district}/chi-tra/ky/{month}", ok, call)


@router.get("/ky/{month}")
async def period(
    request: Request, officer: CurrentOfficer, district: District, svc: Svc, month: str
) -> Response:
    base = f"/v1/districts/{district}/periods"
    try:
        every = (await svc.get(officer, "payment", base))["periods"]
        lists = (await svc.get(officer, "payment", f"{base}/{month}/lists"))["lists"]
    except ServiceError as exc:
        raise web.PageError(exc.status, exc.title, "; ".join(exc.items)) from exc
    found = next((p for p in every if p["period"] == month), None)
    if found is None:
        raise web.PageError(404, "Không tìm thấy kỳ chi trả", f"Kỳ {labels.month(month)}")
    return web.render(
        request, "period.html", officer=officer, district=district, menu="pay", period=found,
        lists=lists, kinds=KIND_VI,
    )  # fmt: skip


@router.post("/ky/{month}/lap")
async def generate(
    request: Request, officer: Writer, district: District, svc: Svc, month: str
) -> Response:
    kind = (await web.form_text(request)).get("kind", "monthly")
    path = f"/v1/districts/{district}/periods/{month}/lists"
    try:
        made = await svc.json(officer, "payment", "POST", path, json={"kind": kind})
    except ServiceError as exc:
        web.flash_error(request, exc)
        return web.back(f"/d/{district}/chi-tra/ky/{month}")
    web.flash(request, "ok", f"Đã lập danh sách {KIND_VI.get(kind, kind).lower()}")
    return web.back(f"/d/{district}/chi-tra/ds/{made['id']}")


@router.post("/ky/{month}/khoa")
async def lock(
    request: Request, officer: Writer, district: District, svc: Svc, month: str
) -> Response:
    note = (await web.form_text(request)).get("note") or None
    path = f"/v1/districts/{district}/periods/{month}/lock"
    call = svc.json(officer, "payment", "POST", path, json={"note": note})
    ok = f"Đã khóa kỳ {labels.month(month)}"
    return await web.act(request, f"/d/{district}/chi-tra/ky/{month}", ok, call)


@router.post("/ky/{month}/mo-khoa")
async def unlock(
    request: Request, officer: Supervisor, district: District, svc: Svc, month: str
) -> Response:
    note = (await web.form_text(request)).get("note") or None
    path = f"/v1/districts/{district}/periods/{month}/unlock"
    call = svc.json(officer, "payment", "POST", path, json={"note": note})
    ok = f"Đã mở khóa kỳ {labels.month(month)}"
    return await web.act(request, f"/d/{district}/chi-tra/ky/{month}", ok, call)


@router.post("/ky/{month}/keo")
async def pull(
    request: Request, officer: Writer, district: District, svc: Svc, month: str
) -> Response:
    source = labels.month_input((await web.form_text(request)).get("from_month", ""))
    path = f"/v1/districts/{district}/periods/{month}/pull"
    call = svc.json(officer, "payment", "POST", path, json={"from_month": source})
    ok = f"Đã kéo số chưa chi trả của kỳ {labels.month(source)} sang kỳ {labels.month(month)}"
    return await web.act(request, f"/d/{district}/chi-tra/ky/{month}", ok, call)


@router.get("/ds/{list_id}")
async def lines(
    request: Request, officer: CurrentOfficer, district: District, svc: Svc, list_id: str,
    commune: str = "", status: str = "", page: int = 1,
) -> Response:  # fmt: skip
    try:
        summary = await svc.get(officer, "payment", f"/v1/lists/{list_id}")
        found = await svc.get(
            officer, "payment", f"/v1/lists/{list_id}/lines", commune=commune, status=status,
            page=max(page, 1), size=LINES_SHOWN,
        )  # fmt: skip
    except ServiceError as exc:
        raise web.PageError(exc.status, exc.title, "; ".join(exc.items)) from exc
    return web.render(
        request, "lines.html", officer=officer, district=district, menu="pay", summary=summary,
        lines=found["lines"], query={"commune": commune, "status": status}, page=max(page, 1),
        kinds=KIND_VI, shown=LINES_SHOWN,
    )  # fmt: skip


@router.post("/ds/{list_id}/gui")
async def submit(
    request: Request, officer: Writer, district: District, svc: Svc, list_id: str
) -> Response:
    call = svc.json(officer, "payment", "POST", f"/v1/lists/{list_id}/submit")
    ok = "Đã gửi danh sách chi trả qua ĐVCT"
    return await web.act(request, f"/d/{district}/chi-tra/ds/{list_id}", ok, call)


def _statuses(form: dict[str, str]) -> dict[str, Any]:
    """Everyone's status, then the exceptions: national IDs pasted one a line."""
    ids = [i.strip() for i in form.get("exception_ids", "").replace(",", "\n").splitlines()]
    paid_on = _iso(form.get("paid_on", ""))
    body: dict[str, Any] = {"reason": form.get("reason", ""), "paid_on": paid_on or None}
    if form.get("everyone"):
        body["everyone"] = form["everyone"]
    body["exceptions"] = [
        {"national_id": i, "status": form.get("exception_status", "unpaid")} for i in ids if i
    ]
    return body


def _iso(text: str) -> str:
    parts = text.split("/")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        return f"{parts[2]}-{parts[1].zfill(2)}-{parts[0].zfill(2)}"
    return text


@router.post("/ds/{list_id}/trang-thai")
async def statuses(
    request: Request, officer: Writer, district: District, svc: Svc, list_id: str
) -> Response:
    body = _statuses(await web.form_text(request))
    call = svc.json(officer, "payment", "POST", f"/v1/lists/{list_id}/statuses", json=body)
    ok = "Đã cập nhật trạng thái chi trả"
    return await web.act(request, f"/d/{district}/chi-tra/ds/{list_id}", ok, call)


@router.post("/dong/{line_id}/tach")
async def split(
    request: Request, officer: Writer, district: District, svc: Svc, line_id: str
) -> Response:
    form = await web.form_text(request)
    amounts = [a.replace(".", "").strip() for a in form.get("amounts", "").split(";")]
    parts = [{"amount": int(a)} for a in amounts if a.isdigit()]
    call = svc.json(officer, "payment", "POST", f"/v1/lines/{line_id}/split", json={"parts": parts})
    ok = f"Đã tách thành {len(parts)} lần chi trả"
    return await web.act(request, f"/d/{district}/chi-tra/ds/{form.get('list_id', '')}", ok, call)
