"""DVCT_01 and DVCT_02 (seed §10, seed 002 §D) shaped from the list's figures: DVCT_01's
total = paid + recovered + DVCT_02's total, to the đồng. ``recovery`` is what recoveries (truy
thu) deducted from the lines (their totals are already net of it); ``recovered`` is the money
of lines whose status is ``recovered``."""

from __future__ import annotations

from datetime import date
from typing import Any

from btxh_common.clock import month_text

Row = dict[str, Any]

NOTHING = {
    "people": 0,
    "to_pay": 0,
    "paid_lines": 0,
    "paid": 0,
    "recovered": 0,
    "unpaid_lines": 0,
    "unpaid": 0,
    "recovery": 0,
}


def dvct01(district: str, month: date, kind: str, rollup: list[Row]) -> Row:
    """Per commune and in total; ``rollup`` is one row per commune then the grand total."""
    communes = list(rollup)
    total = dict(communes.pop()) if communes else dict(NOTHING)
    total.pop("commune_code", None)
    return {
        "district": district,
        "period": month_text(month),
        "kind": kind,
        "communes": communes,
        "total": total,
    }


def dvct02(district: str, month: date, kind: str, lines: list[Row]) -> Row:
    """The people not paid and not recovered, what they are owed and what recoveries (truy
    thu) deducted from their lines."""
    return {
        "district": district,
        "period": month_text(month),
        "kind": kind,
        "lines": lines,
        "total": sum(line["total"] for line in lines),
        "recovery": sum(line["recovery"] for line in lines),
    }
