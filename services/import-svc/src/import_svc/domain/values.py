"""The values a row carries: IDs, communes, amounts, payment months, genders.

DOMAIN "Citizen IDs" and "Excel imports"; also what a 12-digit CCCD says about its holder.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from import_svc.domain.cells import clean_text
from import_svc.domain.findings import Identity

NATIONAL_ID = re.compile(r"^(\d{9}|\d{12})$")
_MONTH = re.compile(r"^(\d{1,2})[/-](\d{4})$")
_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})(?:-\d{2})?$")  # also what re-validation stores
_RANGE = re.compile(r"\d{1,2}[/-]\d{4}\s*(-|đến|–|,|;)\s*\d{1,2}[/-]\d{4}")
_AMOUNT = re.compile(r"^\d{1,3}([.,\s]\d{3})*$|^\d+$")
GENDERS = {"nam": "male", "nữ": "female", "nu": "female", "khác": "other", "khac": "other"}
GENDERS |= {g: g for g in ("male", "female", "other")}  # as a staged row stores it


def normalise_id(value: Any) -> str | None:
    if value is None:
        return None
    if value.__class__ is str and value.isascii() and value.isdigit():
        return value  # most IDs: already plain digits
    return clean_text(str(value)).replace(" ", "") or None


def normalise_commune(value: Any) -> str | None:
    if value is None:
        return None
    text = clean_text(str(value))
    return text.zfill(5) if text.isdigit() and len(text) <= 5 else text or None


def parse_amount(value: Any) -> int | None:
    """Integer VND from a numeric cell or text with ``.``/``,``/space thousands separators."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and value >= 0 else None
    if isinstance(value, str):
        text = clean_text(value)
        if _AMOUNT.match(text):
            return int(re.sub(r"[.,\s]", "", text))
    return None


def parse_period(value: Any) -> date | str:
    """The payment month, or the code of what is wrong with it."""
    if isinstance(value, date):
        return value.replace(day=1)
    text = clean_text(str(value))
    if _RANGE.search(text):
        return "period_range"
    if m := _MONTH.match(text):
        month, year = int(m[1]), int(m[2])
        if 1 <= month <= 12 and 1900 <= year <= 2199:
            return date(year, month, 1)
    if (m := _ISO_DAY.match(text)) and 1 <= int(m[2]) <= 12 and 1900 <= int(m[1]) <= 2199:
        return date(int(m[1]), int(m[2]), 1)
    return "period_invalid"


def id_warnings(national_id: str, who: Identity) -> list[str]:
    """Where a 12-digit CCCD disagrees with the recorded birth year or gender."""
    if len(national_id) != 12 or not national_id[3].isdigit():
        return []
    code = int(national_id[3])
    found = []
    if (
        who.birth_date is not None
        and 1900 + 100 * (code // 2) + int(national_id[4:6]) != who.birth_date.year
    ):
        found.append("cccd_birth_year_mismatch")
    if who.gender in ("male", "female") and ("male", "female")[code % 2] != who.gender:
        found.append("cccd_gender_mismatch")
    return found
