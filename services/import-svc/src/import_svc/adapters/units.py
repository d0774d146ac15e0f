"""The communes of a district, from the same ``vietnam-provinces`` package beneficiary-svc
loads its administrative units from (0.6.x: province, district, commune)."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files


@cache
def _districts() -> dict[str, dict[str, str]]:
    data = json.loads(
        (files("vietnam_provinces") / "data" / "nested-divisions.json").read_text("utf-8")
    )
    return {
        f"{district['code']:03d}": {f"{w['code']:05d}": w["name"] for w in district["wards"]}
        for province in data
        for district in province["districts"]
    }


def communes(district: str) -> dict[str, str] | None:
    """The district's communes (code → name); None for a district the list does not have."""
    return _districts().get(district)
