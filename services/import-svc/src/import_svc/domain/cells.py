"""What a cell's text and a date written by an officer mean, whatever the workbook did to them."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from typing import Any


def clean_text(value: str) -> str:
    """NFC, non-breaking and other odd spaces made plain, runs collapsed, ends trimmed."""
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
