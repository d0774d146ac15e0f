"""The lists' lines computed set-based (seed "Quản lý chi trả" §1–9): one INSERT … SELECT per
list, the rules of ``domain/amounts.py`` for every person at once. A month's allowance comes
from the period of the person's timeline in force in that month (``recipient_policy``); a
single parent's (DON_THAN) is per child (``domain.amounts.monthly_allowance``). A person who
moved (``recipient_move``) is on the list of the district they live in that month."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple
from uuid import UUID

import asyncpg

# The current lists are those not superseded or deleted (``domain.states.RETIRED``).
_CARRY_SOURCES = """
CREATE TEMP TABLE carry_source ON COMMIT DROP AS
SELECT l.id, l.beneficiary_id, l.total
FROM payment_line l JOIN payment_list p ON p.id = l.list_id
WHERE p.district_code = $1
  AND p.status NOT IN ('superseded', 'deleted') AND p.kind = 'monthly' AND p.month < $2
  AND l.status = 'unpaid' AND l.carried_into IS NULL
  AND ((l.pull_to_month IS NULL AND p.month = $3) OR l.pull_to_month = $2)
"""

_MONTHLY = """
WITH current_lists AS (
    SELECT id, month FROM payment_list
    WHERE district_code = $1 AND status NOT IN ('superseded', 'deleted')
      AND kind = 'monthly' AND month <> $2
), arrears_listed AS (
    SELECT l.beneficiary_id, l.arrears_period
    FROM payment_line l JOIN current_lists c ON c.id = l.list_id
    WHERE l.arrears > 0 AND l.parent_id IS NULL
    UNION  -- arrears a person who moved had on another district's list are paid too
    -- (LATERAL: from the district's moves to their people's lines, never the other way:
    -- the planner, seeing few lines with arrears, read every other district's lists, which
    -- made a national month's generation grow with the square of the districts)
    SELECT l.beneficiary_id, l.arrears_period
    FROM recipient_move m CROSS JOIN LATERAL (
        SELECT l.beneficiary_id, l.arrears_period
        FROM payment_line l JOIN payment_list o ON o.id = l.list_id
        WHERE l.beneficiary_id = m.beneficiary_id AND o.district_code <> $1
          AND o.kind = 'monthly' AND o.status NOT IN ('superseded', 'deleted')
          AND l.arrears > 0 AND l.parent_id IS NULL
        OFFSET 0  -- kept a subquery run per move, not merged into one join to reorder
    ) l
    WHERE m.to_district = $1
), carried AS (
    SELECT beneficiary_id, sum(total)::bigint AS amount FROM carry_source GROUP BY 1
), due AS (
    SELECT beneficiary_id, sum(cap)::bigint AS amount FROM recovery_due GROUP BY 1
), movers AS (
    -- where each person who ever moved into or out of the district lives in month $2: the
    -- latest move taken over by then, or before the first move where it came from
    SELECT DISTINCT ON (m.beneficiary_id) m.beneficiary_id,
           CASE WHEN m.from_month <= $2 THEN m.to_district ELSE m.from_district END AS district,
           CASE WHEN m.from_month <= $2 THEN m.to_commune ELSE m.from_commune END AS commune,
           m.from_commune AS left_from
    FROM recipient_move m
    WHERE m.beneficiary_id IN (SELECT beneficiary_id FROM recipient_move
                               WHERE from_district = $1 OR to_district = $1)
    ORDER BY m.beneficiary_id, m.from_month <= $2 DESC,
             CASE WHEN m.from_month <= $2 THEN m.from_month END DESC NULLS LAST, m.from_month
), here AS (
    -- who lives in the district in $2, and who moved away with its unpaid money to carry
    -- (their line carries only that money: the allowance is paid where they live)
    SELECT r.*, r.commune_code AS lives_in, true AS lives_here FROM recipient r
    WHERE r.district_code = $1
      AND NOT EXISTS (SELECT 1 FROM recipient_move v WHERE v.beneficiary_id = r.beneficiary_id)
    UNION ALL
    SELECT r.*, CASE WHEN v.district = $1 THEN v.commune ELSE v.left_from END, v.district = $1
    FROM movers v JOIN recipient r ON r.beneficiary_id = v.beneficiary_id
    WHERE v.district = $1 OR v.beneficiary_id IN (SELECT beneficiary_id FROM carry_source)
), people AS (
    SELECT r.beneficiary_id, r.national_id, r.full_name, r.lives_in AS commune_code,
        r.payment_channel,
        r.bank_account, r.arrears_period,
        coalesce(p.category, r.category) AS category,
        coalesce(p.coefficient, r.coefficient) AS coefficient,
        CASE WHEN r.lives_here AND p.status = 'active' AND p.coefficient IS NOT NULL
             THEN $3::bigint * p.coefficient
                  * CASE WHEN p.category = 'DON_THAN' THEN coalesce(p.children, 1) ELSE 1 END
                  / 10
             ELSE 0 END AS allowance,
        CASE WHEN r.lives_here AND r.arrears_amount > 0 AND r.arrears_period <= $2
             AND NOT EXISTS (
                SELECT 1 FROM arrears_listed a WHERE a.beneficiary_id = r.beneficiary_id
                  AND a.arrears_period = r.arrears_period)
             THEN r.arrears_amount ELSE 0 END AS arrears,
        coalesce(c.amount, 0) AS carried,
        coalesce(rd.amount, 0) AS outstanding
    FROM here r
    LEFT JOIN recipient_policy p ON p.beneficiary_id = r.beneficiary_id
         AND p.from_month <= $2 AND (p.to_month IS NULL OR p.to_month > $2)
    LEFT JOIN carried c ON c.beneficiary_id = r.beneficiary_id
    LEFT JOIN due rd ON rd.beneficiary_id = r.beneficiary_id
    WHERE r.status <> 'removed'
    -- OFFSET 0 keeps each person's amounts computed once: merged into the INSERT, their
    -- expressions (the arrears' with its subplan) were computed again wherever the INSERT
    -- uses them (the SELECT side alone at 1M lines: 2.1–2.3 s → 1.5–2.0 s)
    OFFSET 0
), lines AS (
    INSERT INTO payment_line (id, list_id, beneficiary_id, national_id, full_name,
        commune_code, payment_channel, bank_account, category, coefficient, allowance, arrears,
        arrears_period, carried_over, recovery, total)
    SELECT gen_random_uuid(), $4, beneficiary_id, national_id, full_name, commune_code,
           payment_channel, bank_account, category, coefficient, allowance, arrears,
           CASE WHEN arrears > 0 THEN arrears_period END, carried,
           least(outstanding, allowance + arrears + carried),
           allowance + arrears + carried - least(outstanding, allowance + arrears + carried)
    FROM people WHERE allowance + arrears + carried > 0
    RETURNING id, beneficiary_id, recovery, total
), deducted AS (
    -- each recovery's share of the line's recovery: the recoveries fill it in their order
    INSERT INTO recovery_deduction (recovery_id, line_id, list_id, amount)
    SELECT d.recovery_id, l.id, $4, least(d.cap, l.recovery - d.before)
    FROM lines l JOIN recovery_due d ON d.beneficiary_id = l.beneficiary_id
    WHERE l.recovery > d.before
)
-- the list's line count and total, from the lines as written: no second read
SELECT count(*) AS line_count, coalesce(sum(total), 0)::bigint AS amount FROM lines
"""


# Each recovery of the district still to deduct in month $2 (domain/recoveries.py): its cap
# = min(per_period, total − what the current lists of the other months took: a month made
# again after a later one never deducts twice), and ``before``,
# what the person's earlier-created recoveries may take first from the same line. A line's
# recovery is then min(gross, the sum of its person's caps), and each recovery's deduction
# (``recovery_deduction``) is written by the same statement that writes the lines.
_RECOVERY_DUE = """
CREATE TEMP TABLE recovery_due ON COMMIT DROP AS
WITH taken AS (
    SELECT d.recovery_id, sum(d.amount)::bigint AS amount
    FROM recovery r JOIN recovery_deduction d ON d.recovery_id = r.id
    JOIN payment_list p ON p.id = d.list_id
    WHERE r.district_code = $1 AND r.status IN ('open', 'closed') AND r.from_month <= $2
      AND p.kind = 'monthly' AND p.status NOT IN ('superseded', 'deleted') AND p.month <> $2
    GROUP BY 1
), capped AS (
    SELECT r.id, r.beneficiary_id, r.seq,
           least(r.per_period, r.total - coalesce(t.amount, 0)) AS cap
    FROM recovery r LEFT JOIN taken t ON t.recovery_id = r.id
    WHERE r.district_code = $1 AND r.status IN ('open', 'closed') AND r.from_month <= $2
)
SELECT id AS recovery_id, beneficiary_id, cap,
       coalesce(sum(cap) OVER (PARTITION BY beneficiary_id ORDER BY seq
                               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
FROM capped WHERE cap > 0
"""

# The funeral list of month $2 pays, once per person ever, whoever the district's register
# decided dead in $2: a death in $2 whose death decision (the timeline's ``deceased`` period,
# from the month after the death: the allowance stops after it) is in the register.
_FUNERAL = """
INSERT INTO payment_line (id, list_id, beneficiary_id, national_id, full_name, commune_code,
    payment_channel, bank_account, category, coefficient, funeral, total, note)
SELECT gen_random_uuid(), $3, r.beneficiary_id, r.national_id, r.full_name, r.commune_code,
       'cash', NULL, r.category, r.coefficient, 20 * lv.amount, 20 * lv.amount,
       'Người nhận mai táng phí: ' || coalesce(r.funeral_recipient, 'theo hồ sơ')
FROM recipient r
CROSS JOIN LATERAL (SELECT amount FROM standard_level
                    WHERE effective_from <= date_trunc('month', r.death_date)
                    ORDER BY effective_from DESC LIMIT 1) lv
WHERE r.district_code = $1 AND r.status <> 'removed'
  AND r.death_date >= $2 AND r.death_date < ($2::date + interval '1 month')
  AND EXISTS (SELECT 1 FROM recipient_policy d
              WHERE d.beneficiary_id = r.beneficiary_id AND d.status = 'deceased'
                AND d.from_month = ($2::date + interval '1 month')::date)
  AND NOT EXISTS (SELECT 1 FROM payment_line l JOIN payment_list p ON p.id = l.list_id
                  WHERE l.beneficiary_id = r.beneficiary_id AND p.kind = 'funeral'
                    AND p.status NOT IN ('superseded', 'deleted') AND p.month <> $2)
"""


class Written(NamedTuple):
    """What a monthly generation wrote: how many lines and their total."""

    line_count: int
    amount: int


async def fill_monthly(
    conn: asyncpg.Connection, list_id: UUID, district: str, month: date, level: int, carry: date
) -> Written:
    """The monthly lines; unpaid lines of ``carry`` (or pulled into ``month`` by hand) are
    carried into them and point at the line that carries them; the recoveries due take
    their share of each line's gross (``recovery_deduction``). Returned: the lines counted
    and summed by the statement that wrote them."""
    # Joining a district's timeline (1M periods at national scale) spills the hash to disk at
    # the default 4 MB, and the join's cost estimate makes PostgreSQL JIT-compile the query
    # for about a second, more than it saves (measured with ``monthly_list_1000k``).
    # With the default random_page_cost (4, a disk's) a district of 5,000 people hashed the
    # whole national timeline (350k periods at 70 districts, 3.5M at 700) instead of looking
    # its people up by key: a cost growing with the square of the districts. The timeline is
    # in memory; at 1.1 the planner looks a district's people up by key (one list at 350k:
    # 1.0–1.35 s → 0.67–0.77 s), and keeps hashing where the list is most of the timeline.
    await conn.execute("SET LOCAL work_mem = '128MB'")
    await conn.execute("SET LOCAL jit = off")
    await conn.execute("SET LOCAL random_page_cost = 1.1")
    await conn.execute(_CARRY_SOURCES, district, month, carry)
    await conn.execute(_RECOVERY_DUE, district, month)
    await conn.execute("ANALYZE recovery_due")  # a temp table has no statistics until then
    counted = await conn.fetchrow(_MONTHLY, district, month, level, list_id)
    await conn.execute(
        """UPDATE payment_line s SET carried_into = n.id
           FROM carry_source c, payment_line n
           WHERE s.id = c.id AND n.list_id = $1 AND n.beneficiary_id = c.beneficiary_id""",
        list_id,
    )
    return Written(counted["line_count"], counted["amount"])


async def fill_funeral(conn: asyncpg.Connection, list_id: UUID, district: str, month: date) -> None:
    """A funeral line for each death the register decided in ``month``, if the person is on
    no other current funeral list."""
    await conn.execute(_FUNERAL, district, month, list_id)
