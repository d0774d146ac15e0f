"""The SQL of the death list: the district's people recorded dead in a period, each beside
their line on the current funeral-allowance (MTP) list, if any."""

from __future__ import annotations

from datetime import date

import asyncpg

_DEATHS = """
SELECT r.beneficiary_id, r.full_name, r.national_id, r.commune_code, r.category,
       r.death_date, r.funeral_recipient,
       EXISTS (SELECT 1 FROM recipient_policy d WHERE d.beneficiary_id = r.beneficiary_id
                 AND d.status = 'deceased') AS death_decided,
       20 * (SELECT amount FROM standard_level
             WHERE effective_from <= date_trunc('month', r.death_date)
             ORDER BY effective_from DESC LIMIT 1) AS funeral_due,
       f.list_id, f.month AS funeral_month, f.list_status, f.funeral AS funeral_amount,
       f.line_status
FROM recipient r
LEFT JOIN LATERAL (
    SELECT p.id AS list_id, p.month, p.status AS list_status, l.funeral, l.status AS line_status
    FROM payment_line l JOIN payment_list p ON p.id = l.list_id
    WHERE l.beneficiary_id = r.beneficiary_id AND p.kind = 'funeral'
      AND p.status NOT IN ('superseded', 'deleted')
    ORDER BY p.month DESC LIMIT 1) f ON true
WHERE r.district_code = $1 AND r.status = 'deceased' AND r.death_date IS NOT NULL
  AND r.death_date >= $2 AND r.death_date < $3
ORDER BY r.death_date, r.beneficiary_id
"""


async def deaths(
    conn: asyncpg.Connection, district: str, start: date, end: date
) -> list[asyncpg.Record]:
    """The district's deaths on days ``start`` ≤ day < ``end``, earliest first."""
    rows: list[asyncpg.Record] = await conn.fetch(_DEATHS, district, start, end)
    return rows
