"""National IDs held by more than one beneficiary: shown, never resolved silently."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# Another district's holder: the officer learns that one exists, and nothing of theirs.
HIDDEN_HOLDER: dict[str, Any] = {
    "id": None,
    "full_name": None,
    "commune_code": None,
    "district_code": None,
    "status": None,
    "other_district": True,
}


def duplicate_groups(holders: Iterable[Mapping[str, Any]], district: str) -> list[dict[str, Any]]:
    """Holders (ordered by national ID) grouped by national ID, as ``district`` may see them."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for holder in holders:
        shown = dict(holder) if holder["district_code"] == district else dict(HIDDEN_HOLDER)
        groups.setdefault(holder["national_id"], []).append(shown)
    return [{"national_id": k, "holders": v} for k, v in groups.items()]
