"""The three templates (seed 000 §10A–C): their columns, Vietnamese headers and machine keys.

Row 1 holds the Vietnamese headers officers read; each column also carries a defined name
``btxh.<key>`` a program finds it by (LibreOffice and Excel keep them); data starts on row 2.
A workbook whose names were lost (re-typed by hand) is still read by its Vietnamese headers.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

Kind = Literal["arrears", "info", "policy"]
HEADER_ROW, FIRST_DATA_ROW = 1, 2
SHEET_TITLE = "DuLieu"
CHOICES_TITLE = "DanhMuc"
NAME_PREFIX = "btxh."

ARREARS_CHANGE = "Điều chỉnh thông tin, CS"
POLICY_CHANGES = {
    "Tăng thêm": "new",
    "Điều chỉnh": "adjust",
    "Thôi hưởng": "stop",
    "Cắt chết": "death",
}


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: int = 16
    text: bool = True  # written and read as text (IDs keep their leading zeros)
    editable: bool = True  # False: shown for reference; edits are ignored with a warning


_COMMON = (
    Column("beneficiary_id", "Mã đối tượng (không sửa)", 38, editable=False),
    Column("national_id", "Số CCCD/CMND", 16),
    Column("full_name", "Họ và tên", 28),
    Column("commune_code", "Mã xã", 9),
    Column("change_type", "Loại biến động", 26),
)

COLUMNS: dict[Kind, tuple[Column, ...]] = {
    "arrears": (
        *(
            c if c.key not in {"full_name"} else Column(c.key, c.header, 28, editable=False)
            for c in _COMMON
        ),
        Column("arrears_amount", "Số tiền truy lĩnh (đồng)", 20, text=False),
        Column("arrears_period", "Kỳ chi trả truy lĩnh (MM/YYYY)", 18),
    ),
    "info": (
        *_COMMON,
        Column("birth_date", "Ngày sinh (DD/MM/YYYY)", 16),
        Column("gender", "Giới tính (Nam/Nữ)", 12),
        Column("address", "Địa chỉ", 30),
        Column("phone", "Số điện thoại", 14),
        Column("bank_account", "Số tài khoản", 18),
        Column("bank_name", "Ngân hàng", 20),
    ),
    "policy": (
        *_COMMON,
        Column("birth_date", "Ngày sinh (DD/MM/YYYY)", 16),
        Column("gender", "Giới tính (Nam/Nữ)", 12),
        Column("ethnicity", "Dân tộc", 12),
        Column("village", "Thôn/Tổ dân phố", 20),
        Column("category", "Mã đối tượng hưởng", 16),
        Column("monthly_amount", "Mức trợ cấp hằng tháng (đồng)", 18, text=False),
        Column("effective_month", "Hưởng/điều chỉnh từ tháng (MM/YYYY)", 18),
        Column("decision_no", "Số quyết định", 16),
        Column("decision_date", "Ngày quyết định (DD/MM/YYYY)", 16),
        Column("death_date", "Ngày chết (DD/MM/YYYY)", 16),
        Column("children", "Số con được hưởng (đơn thân nuôi con)", 14, text=False),
    ),
}

CHANGE_CHOICES: dict[Kind, list[str]] = {
    "arrears": [ARREARS_CHANGE],
    "info": [ARREARS_CHANGE],
    "policy": list(POLICY_CHANGES),
}


def fold_header(text: str) -> str:
    """Headers compared without case, diacritics, spacing or the hint in brackets."""
    text = text.split("(")[0]
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.lower().split())


def by_key(kind: Kind) -> dict[str, Column]:
    return {c.key: c for c in COLUMNS[kind]}


def by_header(kind: Kind) -> dict[str, Column]:
    return {fold_header(c.header): c for c in COLUMNS[kind]}


GENDER_VI = {"male": "Nam", "female": "Nữ", "other": "Khác"}
IN_TEMPLATES = ("active", "suspended", "under_review")  # who a template with data lists


def template_row(kind: Kind, person: Mapping[str, Any]) -> dict[str, Any]:
    """A person of the register as a row of the template with data, keyed by column key."""
    row: dict[str, Any] = {
        "beneficiary_id": person["beneficiary_id"],
        "national_id": person["national_id"],
        "full_name": person["full_name"],
        "commune_code": person["commune_code"],
    }
    if kind == "arrears":
        row["change_type"] = ARREARS_CHANGE
        amount, period = person.get("arrears_amount"), person.get("arrears_period")
        if amount and period:  # the current arrears, YYYY-MM written MM/YYYY
            row["arrears_amount"], row["arrears_period"] = amount, f"{period[5:7]}/{period[:4]}"
    else:
        birth: date | None = person["birth_date"]
        row["birth_date"] = birth.strftime("%d/%m/%Y") if birth else None
        row["gender"] = GENDER_VI.get(person["gender"] or "")
    return row


_NOT_IN_WINDOWS_NAMES = str.maketrans({c: " " for c in '<>:"/\\|?*'} | {i: " " for i in range(32)})


def entry_name(code: str, name: str | None) -> str:
    """A commune's workbook in a district's .zip: ``<code> - <name>.xlsx``, NFC, without the
    characters Windows refuses in a file name, at most 100 characters before ``.xlsx``."""
    cleaned = " ".join(
        unicodedata.normalize("NFC", name or "").translate(_NOT_IN_WINDOWS_NAMES).split()
    )
    stem = f"{code} - {cleaned}" if cleaned else code
    return stem[:100].rstrip(" .") + ".xlsx"
