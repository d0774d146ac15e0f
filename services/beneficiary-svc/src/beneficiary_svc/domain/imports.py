"""What a confirmed import answers: the rows applied, and each refusal with its code and why."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from btxh_common.clock import month_text
from btxh_common.events import RejectedRow

# Why a row no longer matches the register at apply time (the re-check's codes).
REJECT_MESSAGES = {
    "not_found": "Không tìm thấy đối tượng trong cơ sở dữ liệu của huyện",
    "commune_mismatch": "Đối tượng không thuộc xã của lô dữ liệu",
    "beneficiary_removed": "Đối tượng đã bị xóa khỏi hệ thống",
    "national_id_changed": "Số CCCD/CMND trong tệp khác với số hiện có trong hệ thống",
    "national_id_duplicated": "Số CCCD/CMND đang trùng với đối tượng khác trong hệ thống",
    "duplicate_row": "Đối tượng xuất hiện nhiều lần trong lô dữ liệu",
}


def rejected_rows(rejects: Iterable[tuple[int, str]]) -> list[RejectedRow]:
    """``(row_no, code)`` pairs of the re-check as rows the officer can read."""
    return [
        RejectedRow(row_no=row_no, code=code, message_vi=REJECT_MESSAGES[code])
        for row_no, code in rejects
    ]


def applied_rows(rows: Iterable[Mapping[str, Any]], rejected: Iterable[RejectedRow]) -> list[int]:
    """The row numbers of ``rows`` that were not rejected, in the order of ``rows``."""
    out = {r.row_no for r in rejected}
    return [r["row_no"] for r in rows if r["row_no"] not in out]


def locked_refusal(locked_month: date) -> RejectedRow:
    """The whole batch is refused: the register is locked for ``locked_month``."""
    return RejectedRow(
        row_no=0,
        code="data_locked",
        message_vi=f"Dữ liệu tháng {month_text(locked_month)} đã được chốt; lô không được áp dụng",
    )


def transfer_refusal(error_code: str | None) -> RejectedRow:
    """The whole batch is refused: its rows do not match their manifest."""
    return RejectedRow(
        row_no=0,
        code=error_code or "transfer_rejected",
        message_vi="Dữ liệu truyền nhận không khớp (số dòng, tổng tiền hoặc mã kiểm tra)",
    )
