"""Reports for a period (seed §10, seed 002 §D): DVCT_01 (per commune and total: people and
money to pay, paid, recovered, unpaid) and DVCT_02 (people not paid and not recovered), as
JSON and as Excel. Every figure is a sum of the list's lines (split lines by their parts):
DVCT_01 total = paid + recovered + DVCT_02, to the đồng."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import asyncpg
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

CURRENT = "status NOT IN ('superseded', 'deleted')"
MONEY = "#,##0"

_DVCT01 = """
SELECT l.commune_code,
       count(DISTINCT l.beneficiary_id) AS people,
       coalesce(sum(l.total), 0)::bigint AS to_pay,
       count(*) FILTER (WHERE l.status = 'paid') AS paid_lines,
       coalesce(sum(l.total) FILTER (WHERE l.status = 'paid'), 0)::bigint AS paid,
       coalesce(sum(l.total) FILTER (WHERE l.status = 'recovered'), 0)::bigint AS recovered,
       count(*) FILTER (WHERE l.status NOT IN ('paid', 'recovered')) AS unpaid_lines,
       coalesce(sum(l.total) FILTER (WHERE l.status NOT IN ('paid', 'recovered')), 0)::bigint
           AS unpaid
FROM payment_line l JOIN payment_list p ON p.id = l.list_id
WHERE p.district_code = $1 AND p.month = $2 AND p.kind = $3
  AND p.status NOT IN ('superseded', 'deleted')
  AND l.status <> 'split'
GROUP BY ROLLUP (l.commune_code) ORDER BY l.commune_code NULLS LAST
"""

_DVCT02 = """
SELECT l.id AS line_id, l.commune_code, l.full_name, l.national_id, l.payment_channel,
       l.total, l.status
FROM payment_line l JOIN payment_list p ON p.id = l.list_id
WHERE p.district_code = $1 AND p.month = $2 AND p.kind = $3
  AND p.status NOT IN ('superseded', 'deleted')
  AND l.status NOT IN ('split', 'paid', 'recovered')
ORDER BY l.commune_code, l.full_name, l.id
"""


async def dvct01(conn: asyncpg.Connection, district: str, month: date, kind: str) -> dict[str, Any]:
    rows = [dict(r) for r in await conn.fetch(_DVCT01, district, month, kind)]
    total = (
        rows.pop()
        if rows
        else {
            "commune_code": None,
            "people": 0,
            "to_pay": 0,
            "paid_lines": 0,
            "paid": 0,
            "recovered": 0,
            "unpaid_lines": 0,
            "unpaid": 0,
        }
    )
    total.pop("commune_code")
    return {
        "district": district,
        "period": f"{month:%Y-%m}",
        "kind": kind,
        "communes": rows,
        "total": total,
    }


async def dvct02(conn: asyncpg.Connection, district: str, month: date, kind: str) -> dict[str, Any]:
    rows = [
        {**dict(r), "line_id": str(r["line_id"])}
        for r in await conn.fetch(_DVCT02, district, month, kind)
    ]
    return {
        "district": district,
        "period": f"{month:%Y-%m}",
        "kind": kind,
        "lines": rows,
        "total": sum(r["total"] for r in rows),
    }


def _text(value: Any) -> Any:
    return value


def dvct01_xlsx(report: dict[str, Any]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "DVCT_01"
    sheet.append(
        [f"BÁO CÁO TỔNG HỢP CHI TRẢ (DVCT_01) — huyện {report['district']}, kỳ {report['period']}"]
    )
    sheet["A1"].font = Font(bold=True, size=13)
    headers = [
        "Mã xã",
        "Số người",
        "Số tiền phải trả",
        "Số dòng đã trả",
        "Số tiền đã trả",
        "Số tiền thu hồi",
        "Số dòng chưa trả",
        "Số tiền chưa trả",
    ]
    sheet.append(headers)
    keys = [
        "commune_code",
        "people",
        "to_pay",
        "paid_lines",
        "paid",
        "recovered",
        "unpaid_lines",
        "unpaid",
    ]
    for row in report["communes"]:
        sheet.append([row[k] for k in keys])
    sheet.append(["Tổng cộng", *[report["total"][k] for k in keys[1:]]])
    _format(sheet, len(headers), money_columns={3, 5, 6, 8})
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    return _save(book)


def dvct02_xlsx(report: dict[str, Any]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "DVCT_02"
    sheet.append(
        [
            f"DANH SÁCH ĐỐI TƯỢNG CHƯA NHẬN TIỀN (DVCT_02) — huyện {report['district']}, "
            f"kỳ {report['period']}"
        ]
    )
    sheet["A1"].font = Font(bold=True, size=13)
    headers = ["STT", "Mã xã", "Họ và tên", "Số CCCD/CMND", "Hình thức", "Số tiền", "Trạng thái"]
    sheet.append(headers)
    for i, line in enumerate(report["lines"], start=1):
        sheet.append(
            [
                i,
                line["commune_code"],
                line["full_name"],
                line["national_id"],
                line["payment_channel"],
                line["total"],
                line["status"],
            ]
        )
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # names and IDs are text: never formulas
    sheet.append(["", "", "Tổng cộng", "", "", report["total"], ""])
    _format(sheet, len(headers), money_columns={6})
    return _save(book)


def _format(sheet: Any, width: int, money_columns: set[int]) -> None:
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for row in sheet.iter_rows(min_row=3):
        for cell in row:
            if cell.column in money_columns:
                cell.number_format = MONEY
    for column in range(1, width + 1):
        sheet.column_dimensions[sheet.cell(2, column).column_letter].width = 18
    sheet.freeze_panes = "A3"


def _save(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
