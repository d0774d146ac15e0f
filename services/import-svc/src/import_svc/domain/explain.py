"""What a finding tells the officer: the row, the column (its Excel letter and Vietnamese
header), the value and the rule, in one Vietnamese sentence.

The letter is the column's place in the uploaded file when reading found it elsewhere than
the template puts it (``letters``), else its place in the template.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from import_svc.domain.columns import COLUMNS, Kind

SHOWN_CHARS = 40  # how much of a long value a message repeats


def column_letters(index: int) -> str:
    """0 → A, 26 → AA."""
    letters, index = "", index + 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@cache
def template_letters(kind: Kind) -> dict[str, str]:
    return {c.key: column_letters(i) for i, c in enumerate(COLUMNS[kind])}


@cache
def headers(kind: Kind) -> dict[str, str]:
    return {c.key: c.header for c in COLUMNS[kind]}


def shown(value: object) -> object:
    """A value as a finding repeats it: a long text cut to its start."""
    if isinstance(value, str) and len(value) > SHOWN_CHARS:
        return value[:SHOWN_CHARS] + "…"
    return value


def where(kind: Kind, key: str, letters: Mapping[str, str] | None) -> dict[str, Any]:
    """The column a finding is about: ``column`` (letter) and ``header``; None for the row."""
    header = headers(kind).get(key)
    if header is None:
        return {"column": None, "header": None}
    letter = (letters or {}).get(key) or template_letters(kind)[key]
    return {"column": letter, "header": header}


def sentence(row_no: int, place: Mapping[str, Any], code: str, value: Any, rule: str) -> str:
    """``Dòng 5, cột C «Họ và tên», giá trị «…»: <rule>``."""
    if place["column"] is None:
        head = f"Dòng {row_no} (cả dòng)"
    else:
        head = f"Dòng {row_no}, cột {place['column']} «{place['header']}»"
    if value is not None and value != "":
        head += f", giá trị «{shown(value)}»"
    elif code == "required":
        head += ", ô đang trống"
    return f"{head}: {rule}"
