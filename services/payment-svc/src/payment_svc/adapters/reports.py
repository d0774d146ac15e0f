"""The figures of the DVCT reports: sums over the period's current list, split lines counted
by their parts."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg

# ``recovery``: what recoveries (truy thu) deducted from the lines, read from the lines as
# generated (a split line's parts carry none of it, so the split line itself counts).
_DVCT01 = """
SELECT l.commune_code,
       count(DISTINCT l.beneficiary_id) AS people,
       coalesce(sum(l.total) FILTER (WHERE l.status <> 'split'), 0)::bigint AS to_pay,
       count(*) FILTER (WHERE l.status = 'paid') AS paid_lines,
       coalesce(sum(l.total) FILTER (WHERE l.status = 'paid'), 0)::bigint AS paid,
       coalesce(sum(l.total) FILTER (WHERE l.status = 'recovered'), 0)::bigint AS recovered,
       count(*) FILTER (WHERE l.status NOT IN ('paid', 'recovered', 'split')) AS unpaid_lines,
       coalesce(sum(l.total) FILTER (WHERE l.status NOT IN ('paid', 'recovered', 'split')), 0)
           ::bigint AS unpaid,
       coalesce(sum(l.recovery) FILTER (WHERE l.parent_id IS NULL), 0)::bigint AS recovery
FROM payment_line l JOIN payment_list p ON p.id = l.list_id
WHERE p.district_code = $1 AND p.month = $2 AND p.kind = $3
  AND p.status NOT IN ('superseded', 'deleted')
GROUP BY ROLLUP (l.commune_code) ORDER BY l.commune_code NULLS LAST
"""

_DVCT02 = """
SELECT l.id AS line_id, l.commune_code, l.full_name, l.national_id, l.payment_channel,
       l.total, l.status, l.recovery
FROM payment_line l JOIN payment_list p ON p.id = l.list_id
WHERE p.district_code = $1 AND p.month = $2 AND p.kind = $3
  AND p.status NOT IN ('superseded', 'deleted')
  AND l.status NOT IN ('split', 'paid', 'recovered')
ORDER BY l.commune_code, l.full_name, l.id
"""


async def dvct01_rows(
    conn: asyncpg.Connection, district: str, month: date, kind: str
) -> list[dict[str, Any]]:
    """One row per commune, then the grand total (``commune_code`` NULL)."""
    return [dict(r) for r in await conn.fetch(_DVCT01, district, month, kind)]


async def dvct02_rows(
    conn: asyncpg.Connection, district: str, month: date, kind: str
) -> list[dict[str, Any]]:
    """The lines not paid and not recovered."""
    return [
        {**dict(r), "line_id": str(r["line_id"])}
        for r in await conn.fetch(_DVCT02, district, month, kind)
    ]
