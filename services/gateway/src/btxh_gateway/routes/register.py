"""Quản lý đối tượng → Tra cứu đối tượng: search, a record with its history, manual changes
each with its effective month; the duplicate-ID and missing-information lists."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from btxh_gateway import labels, web
from btxh_gateway.accounts import Officer
from btxh_gateway.services import ServiceError, Services
from btxh_gateway.web import CurrentOfficer, District, Svc, Writer

router = APIRouter(prefix="/d/{district}")
PAGE_SIZE = 50

# The guide's manual changes: the route of beneficiary-svc and the fields its form sends.
CHANGES: dict[str, tuple[str, str]] = {
    "thoi-huong": ("stop", "Thôi hưởng"),
    "dieu-chinh": ("adjust", "Điều chỉnh"),
    "tam-dung": ("suspend", "Tạm dừng / Đang xét duyệt"),
    "tiep-tuc": ("resume", "Tiếp tục hưởng"),
    "cat-chet": ("death", "Cắt chết"),
}


@router.get("/doi-tuong")
async def search(
    request: Request,
    officer: CurrentOfficer,
    district: District,
    svc: Svc,
    q: str = "",
    national_id: str = "",
    commune: str = "",
    page: int = 1,
) -> Response:
    found: dict[str, Any] = {"items": [], "total": 0}
    error = None
    try:
        found = await svc.get(
            officer,
            "beneficiary",
            "/v1/beneficiaries",
            district=district,
            q=q.strip(),
            national_id=national_id.strip(),
            commune=commune.strip(),
            page=max(page, 1),
            size=PAGE_SIZE,
        )
    except ServiceError as exc:
        error = exc
    return web.render(
        request,
        "search.html",
        officer=officer,
        district=district,
        menu="search",
        found=found,
        error=error,
        query={"q": q, "national_id": national_id, "commune": commune},
        page=max(page, 1),
        pages=max(1, -(-found["total"] // PAGE_SIZE)),
    )


@router.get("/doi-tuong/trung-cccd")
async def duplicates(
    request: Request, officer: CurrentOfficer, district: District, svc: Svc, cursor: str = ""
) -> Response:
    found, error = await _listing(
        svc, officer, "/v1/beneficiaries/duplicates", district=district, cursor=cursor
    )
    return web.render(
        request, "duplicates.html", officer=officer, district=district, menu="dup", found=found,
        error=error,
    )  # fmt: skip


@router.get("/doi-tuong/thieu-thong-tin")
async def missing(
    request: Request, officer: CurrentOfficer, district: District, svc: Svc, page: int = 1
) -> Response:
    found, error = await _listing(
        svc, officer, "/v1/beneficiaries/missing-info", district=district, page=max(page, 1)
    )
    return web.render(
        request, "missing.html", officer=officer, district=district, menu="missing", found=found,
        error=error, page=max(page, 1),
    )  # fmt: skip


async def _listing(
    svc: Services, officer: Officer, path: str, **params: Any
) -> tuple[dict[str, Any], ServiceError | None]:
    try:
        return await svc.get(officer, "beneficiary", path, **params), None
    except ServiceError as exc:
        return {"items": [], "total": 0}, exc


@router.get("/doi-tuong/{beneficiary_id}")
async def record(
    request: Request, officer: CurrentOfficer, district: District, svc: Svc, beneficiary_id: str
) -> Response:
    try:
        person = await svc.get(officer, "beneficiary", f"/v1/beneficiaries/{beneficiary_id}")
        history = await svc.get(
            officer, "beneficiary", f"/v1/beneficiaries/{beneficiary_id}/history"
        )
        recoveries = await svc.get(
            officer, "payment", f"/v1/districts/{district}/recoveries",
            beneficiary_id=beneficiary_id,
        )  # fmt: skip
    except ServiceError as exc:
        raise web.PageError(exc.status, exc.title, "; ".join(exc.items)) from exc
    return web.render(
        request,
        "record.html",
        officer=officer,
        district=district,
        menu="search",
        person=person,
        history=history["items"],
        changes=CHANGES,
        recoveries=recoveries["recoveries"],
    )


def _change_body(action: str, form: Any) -> dict[str, Any]:
    text = {k: str(v).strip() for k, v in form.items() if k != "csrf"}
    if action == "death":
        body: dict[str, Any] = {
            "death_date": iso_date(text.get("death_date", "")),
            "decision_no": text.get("decision_no", ""),
        }
        if text.get("funeral_recipient"):
            body["funeral_recipient"] = text["funeral_recipient"]
        return body
    body = {"effective_month": labels.month_input(text.get("effective_month", ""))}
    if action in ("stop", "adjust"):
        body["decision_no"] = text.get("decision_no", "")
    if action == "adjust":
        body["category"] = text.get("category", "")
    else:
        body["reason"] = text.get("reason", "")
    if action == "suspend":
        body["under_review"] = text.get("under_review") == "1"
    return body


def iso_date(text: str) -> str:
    """``DD/MM/YYYY`` as the APIs' ``YYYY-MM-DD``; anything else for the service to refuse."""
    parts = text.split("/")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        return f"{parts[2]}-{parts[1].zfill(2)}-{parts[0].zfill(2)}"
    return text


@router.post("/doi-tuong/{beneficiary_id}/{change}")
async def change(
    request: Request, officer: Writer, district: District, svc: Svc, beneficiary_id: str,
    change: str,
) -> Response:  # fmt: skip
    if change not in CHANGES:
        raise web.PageError(404, "Không tìm thấy thao tác")
    action, name = CHANGES[change]
    body = _change_body(action, await request.form())
    url = f"/d/{district}/doi-tuong/{beneficiary_id}"
    try:
        await svc.json(
            officer, "beneficiary", "POST", f"/v1/beneficiaries/{beneficiary_id}/{action}",
            json=body,
        )  # fmt: skip
    except ServiceError as exc:
        web.flash_error(request, exc)
        return web.back(url + f"#{change}")
    web.flash(request, "ok", f"Đã ghi nhận: {name}")
    return web.back(url)
