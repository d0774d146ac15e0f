"""Quản lý đối tượng → Truy thu: the district's recoveries, one person's on their record;
create (officer), cancel (supervisor)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from btxh_gateway import labels, web
from btxh_gateway.routes.register import iso_date
from btxh_gateway.services import ServiceError
from btxh_gateway.web import CurrentOfficer, District, Supervisor, Svc, Writer

router = APIRouter(prefix="/d/{district}/truy-thu")
STATUS_VI = {"open": "Đang thu", "closed": "Đã thu đủ", "cancelled": "Đã hủy"}


@router.get("")
async def listing(
    request: Request, officer: CurrentOfficer, district: District, svc: Svc, status: str = ""
) -> Response:
    found: list[dict[str, Any]] = []
    error = None
    try:
        path = f"/v1/districts/{district}/recoveries"
        found = (await svc.get(officer, "payment", path, status=status))["recoveries"]
    except ServiceError as exc:
        error = exc
    return web.render(
        request, "recoveries.html", officer=officer, district=district, menu="recoveries",
        recoveries=found, status=status, statuses=STATUS_VI, error=error,
    )  # fmt: skip


def _money(text: str) -> int | str:
    digits = text.replace(".", "").replace(" ", "").removesuffix("đ")
    return int(digits) if digits.isdigit() else text


@router.post("")
async def create(request: Request, officer: Writer, district: District, svc: Svc) -> Response:
    form = await web.form_text(request)
    body = {
        "beneficiary_id": form.get("beneficiary_id", ""),
        "decision_no": form.get("decision_no", ""),
        "decision_date": iso_date(form.get("decision_date", "")),
        "reason": form.get("reason", ""),
        "total": _money(form.get("total", "")),
        "per_period": _money(form.get("per_period", "")),
        "from_month": labels.month_input(form.get("from_month", "")) or None,
    }
    path = f"/v1/districts/{district}/recoveries"
    call = svc.json(officer, "payment", "POST", path, json=body)
    back = f"/d/{district}/doi-tuong/{body['beneficiary_id']}#truy-thu"
    return await web.act(request, back, "Đã tạo khoản truy thu", call)


@router.post("/{recovery_id}/huy")
async def cancel(
    request: Request, officer: Supervisor, district: District, svc: Svc, recovery_id: str
) -> Response:
    form = await web.form_text(request)
    path = f"/v1/districts/{district}/recoveries/{recovery_id}/cancel"
    call = svc.json(officer, "payment", "POST", path, json={"reason": form.get("reason", "")})
    return await web.act(request, f"/d/{district}/truy-thu", "Đã hủy khoản truy thu", call)
