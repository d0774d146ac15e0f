"""National IDs held by more than one beneficiary: shown, never resolved silently — to the
officers who may see every holder.

Only holders in the caller's own units are shown or counted. A district officer can register
any ID; if a holder in another district were reported, even as "one exists elsewhere",
registering an ID and reading the duplicates would tell any district whether that person
receives an allowance anywhere (DOMAIN: districts are walls). So a district sees the IDs
shared within its district, and an ID shared across districts is shown to the province
officers whose units hold both (they read the districts listed and can register nothing,
so they cannot probe).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def duplicate_groups(
    holders: Iterable[Mapping[str, Any]], units: Iterable[str]
) -> list[dict[str, Any]]:
    """Holders (ordered by national ID) grouped by national ID, keeping only those in
    ``units``; an ID that fewer than two of them hold is no group."""
    mine = frozenset(units)
    groups: dict[str, list[dict[str, Any]]] = {}
    for holder in holders:
        if holder["district_code"] in mine:
            groups.setdefault(holder["national_id"], []).append(dict(holder))
    return [{"national_id": k, "holders": v} for k, v in groups.items() if len(v) > 1]
