"""Quản lý đối tượng → Thêm mới: registering a beneficiary by hand, with the month the
allowance starts (the same rules as a §10A "Tăng thêm" row, checked by beneficiary-svc)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from btxh_gateway import labels, web
from btxh_gateway.routes.register import iso_date
from btxh_gateway.services import ServiceError
from btxh_gateway.web import CurrentOfficer, District, Svc, Writer

router = APIRouter(prefix="/d/{district}/doi-tuong/them-moi")
OPTIONAL = ("national_id", "gender", "address", "phone", "bank_account", "bank_name")


@router.get("")
async def form(request: Request, officer: CurrentOfficer, district: District, svc: Svc) -> Response:
    if not officer.can_write:
        raise web.PageError(403, "Không có quyền thực hiện thao tác này", web.READ_ONLY)
    try:
        communes = await svc.get(officer, "beneficiary", f"/v1/districts/{district}/communes")
        categories = await svc.get(officer, "beneficiary", "/v1/categories")
    except ServiceError as exc:
        raise web.PageError(exc.status, exc.title, "; ".join(exc.items)) from exc
    return web.render(
        request, "newcomer.html", officer=officer, district=district, menu="search",
        communes=communes["items"], categories=categories["items"],
        values=request.session.pop("newcomer", {}),
    )  # fmt: skip


def _body(text: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "full_name": text.get("full_name", ""),
        "commune_code": text.get("commune_code", ""),
        "category": text.get("category", ""),
        "allowance_start_month": labels.month_input(text.get("allowance_start_month", "")),
        "decision_no": text.get("decision_no", ""),
        "payment_channel": text.get("payment_channel") or "cash",
    }
    if text.get("birth_date"):
        body["birth_date"] = iso_date(text["birth_date"])
    body.update({k: text[k] for k in OPTIONAL if text.get(k)})
    if text.get("children"):
        children = text["children"]
        body["children"] = int(children) if children.isdigit() else children
    return body


@router.post("")
async def register(request: Request, officer: Writer, district: District, svc: Svc) -> Response:
    text = await web.form_text(request)
    try:
        made = await svc.json(officer, "beneficiary", "POST", "/v1/beneficiaries", json=_body(text))
    except ServiceError as exc:
        web.flash_error(request, exc)
        request.session["newcomer"] = text  # the form comes back as the officer filled it
        return web.back(f"/d/{district}/doi-tuong/them-moi")
    web.flash(request, "ok", f"Đã thêm mới đối tượng {made['full_name']}")
    return web.back(f"/d/{district}/doi-tuong/{made['id']}")
