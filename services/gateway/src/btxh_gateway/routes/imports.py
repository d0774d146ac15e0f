"""Quản lý đối tượng → Cập nhật đối tượng từ excel (seed 000 §10A–C): the template WITH DATA,
several files in one upload with a progress bar, the communes with their status, a
commune's review grid (invalid rows first, wrong cells red), Lưu, Kiểm tra lại, Chuẩn hóa."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import UploadFile

from btxh_gateway import labels, web
from btxh_gateway.services import ServiceError
from btxh_gateway.web import CurrentOfficer, District, Svc, Writer

router = APIRouter(prefix="/d/{district}/cap-nhat-excel")
DONE = {"awaiting_review", "failed", "applied", "partially_applied", "refused"}


def _kind(kind: str) -> str:
    if kind not in labels.KINDS:
        raise web.PageError(404, "Không tìm thấy loại cập nhật", "Chọn 10A, 10B hoặc 10C.")
    return kind


@router.get("")
async def overview(
    request: Request, officer: CurrentOfficer, district: District, svc: Svc,
    kind: str = "arrears", upload: str = "",
) -> Response:  # fmt: skip
    kind, error = _kind(kind), None
    communes: list[dict[str, Any]] = []
    batches: list[dict[str, Any]] = []
    try:
        communes = (await svc.get(officer, "beneficiary", f"/v1/districts/{district}/communes"))[
            "items"
        ]
        found = await svc.get(officer, "import", "/v1/imports", district=district, limit=200)
        batches = [b for b in found["batches"] if b["kind"] == kind]
    except ServiceError as exc:
        error = exc
    return web.render(
        request, "excel.html", officer=officer, district=district, menu="excel", kind=kind,
        kinds=labels.KINDS_VI, communes=communes, batches=batches, upload=upload, error=error,
        names={c["code"]: c["name"] for c in communes},
    )  # fmt: skip


@router.get("/mau")
async def template(
    officer: CurrentOfficer, district: District, svc: Svc, kind: str = "arrears", commune: str = ""
) -> Response:
    """The template WITH DATA: one commune's workbook, or every commune's in a zip."""
    try:
        answer = await svc.call(
            officer, "import", "GET", f"/v1/templates/{_kind(kind)}",
            params={"district": district, **({"commune": commune} if commune else {})},
        )  # fmt: skip
    except ServiceError as exc:
        raise web.PageError(exc.status, exc.title, "; ".join(exc.items)) from exc
    headers = {"Content-Disposition": answer.headers.get("content-disposition", "attachment")}
    return Response(answer.content, media_type=answer.headers["content-type"], headers=headers)


@router.post("/tai-len")
async def upload(request: Request, officer: Writer, district: District, svc: Svc) -> Response:
    form = await request.form()
    kind = _kind(str(form.get("kind", "arrears")))
    files = [
        ("files", (f.filename or "tep.xlsx", await f.read(), "application/octet-stream"))
        for f in form.getlist("files")
        if isinstance(f, UploadFile) and f.filename
    ]
    back = f"/d/{district}/cap-nhat-excel?kind={kind}"
    if not files:
        web.flash(request, "error", "Chưa chọn tệp nào để tải lên")
        return web.back(back)
    try:
        answer = await svc.json(
            officer, "import", "POST", "/v1/imports",
            data={"kind": kind, "district": district}, files=files,
        )  # fmt: skip
    except ServiceError as exc:
        web.flash_error(request, exc)
        return web.back(back)
    upload_id = answer["batches"][0]["upload_id"]
    web.flash(request, "ok", f"Đã tải lên {len(files)} tệp; hệ thống đang đọc dữ liệu")
    return web.back(f"{back}&upload={upload_id}")


@router.get("/tien-do")
async def progress(officer: CurrentOfficer, district: District, svc: Svc, upload: str) -> Response:
    """The upload's progress for the bar: files read of files sent, rows read so far."""
    found = await svc.get(officer, "import", "/v1/imports", district=district, upload_id=upload)
    batches = found["batches"]
    done = sum(1 for b in batches if b["status"] in DONE or b["status"] == "confirmed")
    rows = sum((b["progress"] or {}).get("rows_read", 0) or b["total"] for b in batches)
    text = f"Đã đọc {done}/{len(batches)} tệp ({labels.number(rows)} dòng)"
    return JSONResponse(
        {"total": len(batches), "done": done, "text": text, "finished": done == len(batches)}
    )
