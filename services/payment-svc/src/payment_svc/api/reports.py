"""A period's DVCT_01 and DVCT_02 reports, as JSON or as an Excel workbook.

A workbook of a large district takes seconds of CPU (openpyxl writes cell by cell): it is
built in a worker thread, so the event loop goes on answering probes, other requests and
the consumers meanwhile; at most ``CONCURRENT_BUILDS`` are built at once, so a burst of
downloads cannot hold many workbooks in the pod's memory together.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from btxh_common.clock import parse_month
from btxh_common.deps import Caller, Conn
from btxh_common.logs import get_logger
from fastapi import APIRouter
from fastapi.responses import Response

from payment_svc import views
from payment_svc.adapters import excel
from payment_svc.api.schemas import District, Dvct01, Dvct02, Kind, MonthPath

router = APIRouter(prefix="/v1", tags=["reports"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONCURRENT_BUILDS = 2
_builds = asyncio.Semaphore(CONCURRENT_BUILDS)
log = get_logger(__name__)


@router.get(
    "/districts/{district}/periods/{month}/reports/{name}",
    response_model=Dvct01 | Dvct02,
    responses={200: {"content": {"application/json": {}, XLSX: {}}}},
)
async def report(
    district: District,
    month: MonthPath,
    name: Literal["dvct01", "dvct02"],
    caller: Caller,
    conn: Conn,
    kind: Kind = "monthly",
    format: Literal["json", "xlsx"] = "json",
) -> Any:
    caller.require_unit(district)
    data = await views.report(conn, district, parse_month(month), name, kind)
    if format == "json":
        return data
    build = excel.dvct01_xlsx if name == "dvct01" else excel.dvct02_xlsx
    async with _builds:
        log.info("report.building", report=name, month=month)
        content = await asyncio.to_thread(build, data)
    filename = f"{name.upper()}_{district}_{month}.xlsx"
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
