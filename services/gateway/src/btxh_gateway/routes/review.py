"""A commune's review grid (seed 000 §10C steps 4–5): invalid rows first in light pink, the
wrong cell red with its message, the eye on a duplicate ID; Lưu, Kiểm tra lại, Chuẩn hóa."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from btxh_gateway import labels, web
from btxh_gateway.services import ServiceError, Services
from btxh_gateway.web import CurrentOfficer, District, Svc, Writer

router = APIRouter(prefix="/d/{district}/cap-nhat-excel/lo/{batch}")
ROWS_SHOWN = 500
APPLIED = {"applied", "partially_applied", "refused", "failed"}


async def _batch(svc: Services, officer: Any, batch: str) -> dict[str, Any]:
    try:
        found: dict[str, Any] = await svc.get(officer, "import", f"/v1/imports/{batch}")
    except ServiceError as exc:
        raise web.PageError(exc.status, exc.title, "; ".join(exc.items)) from exc
    return found


def _columns(kind: str, rows: list[dict[str, Any]]) -> list[tuple[str, bool]]:
    """(key, editable) in the template's order (the first row's keys)."""
    keys: list[str] = []
    for row in rows:
        keys += [k for k in row["values"] if k not in keys]
    order = [*list(labels.HEADERS_VI)[1:], "beneficiary_id"]  # the reference id last
    keys.sort(key=lambda k: order.index(k) if k in order else len(order))
    read_only = {"beneficiary_id"} | (labels.READ_ONLY_COLUMNS if kind == "arrears" else set())
    return [(k, k not in read_only) for k in keys]


def _cells(row: dict[str, Any]) -> dict[str, str]:
    """Each wrong field's message (several joined); a row-level error under ``_row``."""
    found: dict[str, list[str]] = defaultdict(list)
    for error in row["errors"]:
        found[error["field"] if error["field"] in row["values"] else "_row"].append(
            error["message_vi"]
        )
    return {k: "; ".join(v) for k, v in found.items()}


@router.get("")
async def grid(
    request: Request, officer: CurrentOfficer, district: District, svc: Svc, batch: str,
    page: int = 1,
) -> Response:  # fmt: skip
    found = await _batch(svc, officer, batch)
    page = min(max(page, 1), 100_000)
    path = f"/v1/imports/{batch}/rows"
    rows = (await svc.get(officer, "import", path, size=ROWS_SHOWN, page=page))["rows"]
    for row in rows:
        row["cells"] = _cells(row)
    return web.render(
        request, "review.html", officer=officer, district=district, menu="excel", batch=found,
        rows=rows, columns=_columns(found["kind"], rows), editable=found["status"] ==
        "awaiting_review" and officer.can_write, page=page,
        pages=max(1, -(-found["total"] // ROWS_SHOWN)),
    )  # fmt: skip


def _edits(form: Any) -> dict[int, dict[str, Any]]:
    """The cells the officer changed: ``cell:<row>:<key>`` differing from ``was:<row>:<key>``."""
    edits: dict[int, dict[str, Any]] = defaultdict(dict)
    for name, value in form.items():
        if not name.startswith("cell:"):
            continue
        _, row, key = name.split(":", 2)
        if str(value) != str(form.get(f"was:{row}:{key}", "")):
            edits[int(row)][key] = str(value).strip() or None
    return edits


@router.post("/luu")
async def save(
    request: Request, officer: Writer, district: District, svc: Svc, batch: str
) -> Response:
    edits = _edits(await request.form())
    url = f"/d/{district}/cap-nhat-excel/lo/{batch}"
    try:
        for row_no, values in sorted(edits.items()):
            await svc.json(
                officer, "import", "PATCH", f"/v1/imports/{batch}/rows/{row_no}",
                json={"values": values},
            )  # fmt: skip
    except ServiceError as exc:
        web.flash_error(request, exc)
        return web.back(url)
    web.flash(request, "ok", f"Đã lưu {len(edits)} dòng; bấm “Kiểm tra lại” để kiểm tra")
    return web.back(url)


@router.post("/kiem-tra-lai")
async def check_again(
    request: Request, officer: Writer, district: District, svc: Svc, batch: str
) -> Response:
    try:
        b = await svc.json(officer, "import", "POST", f"/v1/imports/{batch}/validate")
    except ServiceError as exc:
        web.flash_error(request, exc)
    else:
        web.flash(
            request, "ok",
            f"Đã kiểm tra lại: {b['valid']} hợp lệ, {b['invalid']} không hợp lệ, "
            f"{b['duplicates']} trùng",
        )  # fmt: skip
    return web.back(f"/d/{district}/cap-nhat-excel/lo/{batch}")


@router.get("/chuan-hoa")
async def confirm_page(
    request: Request, officer: CurrentOfficer, district: District, svc: Svc, batch: str
) -> Response:
    found = await _batch(svc, officer, batch)
    return web.render(
        request, "standardise.html", officer=officer, district=district, menu="excel",
        batch=found,
    )  # fmt: skip


@router.post("/chuan-hoa")
async def standardise(
    request: Request, officer: Writer, district: District, svc: Svc, batch: str
) -> Response:
    url = f"/d/{district}/cap-nhat-excel/lo/{batch}"
    skip = (await request.form()).get("skip_invalid") == "1"
    try:
        await svc.json(
            officer, "import", "POST", f"/v1/imports/{batch}/confirm", json={"skip_invalid": skip}
        )
    except ServiceError as exc:
        web.flash_error(request, exc)
        return web.back(url)
    return web.back(url + "/ket-qua")


@router.get("/ket-qua")
async def result(
    request: Request, officer: CurrentOfficer, district: District, svc: Svc, batch: str
) -> Response:
    found = await _batch(svc, officer, batch)
    rows: list[dict[str, Any]] = []
    if found["status"] in APPLIED:
        rows = (await svc.get(officer, "import", f"/v1/imports/{batch}/rows", size=ROWS_SHOWN))[
            "rows"
        ]
    return web.render(
        request, "result.html", officer=officer, district=district, menu="excel", batch=found,
        done=found["status"] in APPLIED, rows=[r for r in rows if r["status"] == "valid"],
        problems=[r for r in rows if r.get("apply_result")],
    )  # fmt: skip


@router.get("/tien-do")
async def apply_progress(
    officer: CurrentOfficer, district: District, svc: Svc, batch: str
) -> Response:
    found = await _batch(svc, officer, batch)
    finished = found["status"] in APPLIED
    text = labels.state(found["status"])
    total = found["valid"] or 1
    return JSONResponse(
        {"total": total, "done": total if finished else 0, "text": text, "finished": finished}
    )
