"""Where a recipient lives month by month (migration 0009): the register's accepted moves,
each from the month payment takes it over."""

from __future__ import annotations

from uuid import UUID

import asyncpg
from btxh_common.clock import parse_month
from btxh_common.events import DistrictMove

# The first month from the effective one with no current monthly list made yet, in the
# receiving district, or in the sending district with the person on it: such a month was
# decided (or paid) before the move reached payment, so it stays with the sending district.
_TAKEN_OVER_FROM = """
SELECT greatest($1::date, (max(p.month) + interval '1 month')::date)
FROM payment_list p
WHERE p.kind = 'monthly' AND p.status NOT IN ('superseded', 'deleted') AND p.month >= $1
  AND ((p.district_code = $2 AND $2 <> $3)
       OR (p.district_code = $3 AND EXISTS (
               SELECT 1 FROM payment_line l
               WHERE l.list_id = p.id AND l.beneficiary_id = $4)))
"""


async def record(conn: asyncpg.Connection, move: DistrictMove, beneficiary_id: UUID) -> None:
    """Keep the move once. The periods of both districts from its month are locked first, so
    a list being made for one of them is either seen here or sees the move."""
    month = parse_month(move.effective_month)
    await conn.execute(
        """SELECT 1 FROM payment_period
           WHERE district_code = ANY($1::text[]) AND month >= $2
           ORDER BY district_code, month FOR UPDATE""",
        sorted({move.from_district, move.to_district}),
        month,
    )
    taken_over = await conn.fetchval(
        _TAKEN_OVER_FROM, month, move.to_district, move.from_district, beneficiary_id
    )
    await conn.execute(
        """INSERT INTO recipient_move (move_id, beneficiary_id, from_district, from_commune,
               to_district, to_commune, effective_month, from_month)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (move_id) DO NOTHING""",
        move.move_id,
        beneficiary_id,
        move.from_district,
        move.from_commune,
        move.to_district,
        move.to_commune,
        month,
        taken_over or month,
    )
