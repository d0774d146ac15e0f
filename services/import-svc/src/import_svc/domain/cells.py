"""What a cell's text and a date written by an officer mean, whatever the workbook did to them."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from typing import Any


def clean_text(value: str) -> str:
    """NFC, non-breaking and other odd spaces made plain, runs collapsed, ends trimmed."""
    if value.isascii():  # IDs, amounts, months, codes: NFC and U+00A0 change nothing
        if value.isprintable() and "  " not in value and value[:1] != " " and value[-1:] != " ":
            return value  # no whitespace but single inner spaces: nothing to change
        return " ".join(value.split())
    return " ".join(unicodedata.normalize("NFC", value).replace("\u00a0", " ").split())


def as_date(value: Any) -> date | None:
    """A date cell, or text ``DD/MM/YYYY`` / ``YYYY-MM-DD``; None when it is neither."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y"):
            try:
                return datetime.strptime(value, pattern).date()
            except ValueError:
                continue
    return None
