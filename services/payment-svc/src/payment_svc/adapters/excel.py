"""The DVCT_01 and DVCT_02 workbooks officers download (Vietnamese headers, money formatted)."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

MONEY = "#,##0"


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
        "Số tiền truy thu",
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
        "recovery",
    ]
    for row in report["communes"]:
        sheet.append([row[k] for k in keys])
    sheet.append(["Tổng cộng", *[report["total"][k] for k in keys[1:]]])
    _format(sheet, len(headers), money_columns={3, 5, 6, 8, 9})
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
    headers = [
        "STT",
        "Mã xã",
        "Họ và tên",
        "Số CCCD/CMND",
        "Hình thức",
        "Số tiền",
        "Trạng thái",
        "Số tiền truy thu",
    ]
    sheet.append(headers)
    for i, line in enumerate(report["lines"], start=1):
        values = [
            i,
            line["commune_code"],
            line["full_name"],
            line["national_id"],
            line["payment_channel"],
            line["total"],
            line["status"],
            line["recovery"],
        ]
        sheet.append(values)
        # The row just appended, cell by cell: ``sheet[sheet.max_row]`` would scan every cell
        # of the sheet for each line (quadratic: minutes for a large district).
        row = i + 2
        for column, value in enumerate(values, start=1):
            if isinstance(value, str):
                sheet.cell(row, column).data_type = "s"  # names and IDs are text: no formulas
    sheet.append(["", "", "Tổng cộng", "", "", report["total"], "", report["recovery"]])
    _format(sheet, len(headers), money_columns={6, 8})
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
