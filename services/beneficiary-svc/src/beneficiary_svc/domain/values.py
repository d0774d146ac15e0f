"""Values of the register: names, citizen IDs, effective months, and the checks on them."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from beneficiary_svc.domain.errors import EffectiveMonthInvalid, NationalIdInvalid

_ID = re.compile(r"^(\d{9}|\d{12})$")
_MONTH = re.compile(r"^((?:19|2\d)\d{2})-(0[1-9]|1[0-2])$")


def parse_month(text: str) -> date:
    """``YYYY-MM`` → the first day of that month; anything else is an invalid effective month."""
    match = _MONTH.match(text)
    if not match:
        raise EffectiveMonthInvalid("Tháng phải có dạng YYYY-MM", value=text)
    return date(int(match[1]), int(match[2]), 1)


def normalise_name(name: str) -> str:
    """Unicode NFC, inner runs of spaces (non-breaking too) collapsed, ends trimmed."""
    return " ".join(unicodedata.normalize("NFC", name).split())


def fold(text: str) -> str:
    """Lower case without diacritics: ``Nguyễn Văn Đức`` → ``nguyen van duc``."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.lower().split())


def check_national_id(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    value = value.strip()
    if not _ID.match(value):
        raise NationalIdInvalid(field="national_id", value=value)
    return value


def id_warnings(national_id: str | None, birth_date: date | None, gender: str | None) -> list[str]:
    """Where a 12-digit CCCD disagrees with the recorded birth year or gender (warn only)."""
    if national_id is None or len(national_id) != 12:
        return []
    warnings = []
    code = int(national_id[3])
    century = 1900 + 100 * (code // 2)
    if birth_date is not None and code <= 9:
        year = century + int(national_id[4:6])
        if year != birth_date.year:
            warnings.append("cccd_birth_year_mismatch")
    if gender in ("male", "female") and code <= 9 and ("male", "female")[code % 2] != gender:
        warnings.append("cccd_gender_mismatch")
    return warnings
