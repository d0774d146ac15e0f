"""payment-svc's read model of the register: what payment needs of each beneficiary, and the
decisions in force month by month."""

from __future__ import annotations

import asyncpg
from btxh_common.clock import parse_month, parse_month_or_none
from btxh_common.events import BeneficiarySnapshot

_UPSERT = """
INSERT INTO recipient (beneficiary_id, district_code, commune_code, national_id,
    full_name, status, category, coefficient, allowance_start_month,
    status_effective_month, death_date, funeral_recipient, arrears_amount,
    arrears_period, recovery_amount, payment_channel, bank_account, version)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
ON CONFLICT (beneficiary_id) DO UPDATE SET
    district_code = excluded.district_code, commune_code = excluded.commune_code,
    national_id = excluded.national_id, full_name = excluded.full_name,
    status = excluded.status, category = excluded.category,
    coefficient = excluded.coefficient,
    allowance_start_month = excluded.allowance_start_month,
    status_effective_month = excluded.status_effective_month,
    death_date = excluded.death_date, funeral_recipient = excluded.funeral_recipient,
    arrears_amount = excluded.arrears_amount, arrears_period = excluded.arrears_period,
    recovery_amount = excluded.recovery_amount,
    payment_channel = excluded.payment_channel, bank_account = excluded.bank_account,
    version = excluded.version
WHERE recipient.version < excluded.version
RETURNING version
"""

_TIMELINE = """
INSERT INTO recipient_policy (beneficiary_id, from_month, to_month, status, category,
                              coefficient, children)
SELECT $1, m, lead(m) OVER (ORDER BY m), s, c, k, n
FROM unnest($2::date[], $3::text[], $4::text[], $5::int[], $6::int[]) AS t(m, s, c, k, n)
"""


async def save(conn: asyncpg.Connection, b: BeneficiarySnapshot) -> None:
    """Keep the snapshot and its timeline unless a newer version of the beneficiary is kept
    (a version-1 snapshot's timeline is read from its status fields)."""
    kept = await conn.fetchval(
        _UPSERT,
        b.id,
        b.district_code,
        b.commune_code,
        b.national_id,
        b.full_name,
        b.status,
        b.category,
        b.coefficient,
        parse_month_or_none(b.allowance_start_month),
        parse_month_or_none(b.status_effective_month),
        b.death_date,
        b.funeral_recipient,
        b.arrears_amount,
        parse_month_or_none(b.arrears_period),
        b.recovery_amount,
        b.payment_channel,
        b.bank_account,
        b.version,
    )
    if kept is None:
        return
    timeline = b.periods()
    await conn.execute("DELETE FROM recipient_policy WHERE beneficiary_id = $1", b.id)
    await conn.execute(
        _TIMELINE,
        b.id,
        [parse_month(p.from_month) for p in timeline],
        [p.status for p in timeline],
        [p.category for p in timeline],
        [p.coefficient for p in timeline],
        [p.children for p in timeline],
    )
