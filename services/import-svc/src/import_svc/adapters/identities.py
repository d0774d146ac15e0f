"""import-svc's read model of the register: who holds which national ID, in which commune."""

from __future__ import annotations

from collections import defaultdict

import asyncpg
from btxh_common.events import BeneficiarySnapshot

from import_svc.domain.columns import IN_TEMPLATES
from import_svc.domain.findings import Identity


async def save(conn: asyncpg.Connection, b: BeneficiarySnapshot) -> None:
    """Keep the newest version of a beneficiary; an older one arriving late changes nothing."""
    await conn.execute(
        """INSERT INTO identity (beneficiary_id, district_code, commune_code, national_id,
               full_name, status, birth_date, gender, category, arrears_amount, arrears_period,
               version)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
           ON CONFLICT (beneficiary_id) DO UPDATE SET
               district_code = excluded.district_code, commune_code = excluded.commune_code,
               national_id = excluded.national_id, full_name = excluded.full_name,
               status = excluded.status, birth_date = excluded.birth_date,
               gender = excluded.gender, category = excluded.category,
               arrears_amount = excluded.arrears_amount,
               arrears_period = excluded.arrears_period, version = excluded.version
           WHERE identity.version < excluded.version""",
        b.id,
        b.district_code,
        b.commune_code,
        b.national_id,
        b.full_name,
        b.status,
        b.birth_date,
        b.gender,
        b.category,
        b.arrears_amount or 0,
        b.arrears_period,
        b.version,
    )


async def holders(
    conn: asyncpg.Connection | asyncpg.Pool, district: str, national_ids: list[str]
) -> dict[str, list[Identity]]:
    """Everyone in the district holding one of ``national_ids``, by ID (on the caller's
    connection, or on one of the pool's: the read model is not written by the caller)."""
    rows = await conn.fetch(
        """SELECT beneficiary_id::text, national_id, commune_code, full_name, status,
                  birth_date, gender, arrears_amount, arrears_period
           FROM identity WHERE district_code = $1 AND national_id = ANY($2::text[])""",
        district,
        national_ids,
    )
    found: dict[str, list[Identity]] = defaultdict(list)
    for r in rows:  # the columns in Identity's order
        found[r[1]].append(Identity(*r))
    return found


async def template_people(
    conn: asyncpg.Connection, district: str, commune: str | None
) -> list[asyncpg.Record]:
    """Who a template with data lists: the district's (or one commune's) current people."""
    return list(
        await conn.fetch(
            """SELECT beneficiary_id::text, national_id, full_name, commune_code,
                      birth_date, gender, arrears_amount, arrears_period
               FROM identity WHERE district_code = $1 AND status = ANY($3::text[])
                 AND ($2::text IS NULL OR commune_code = $2)
               ORDER BY commune_code, full_name, beneficiary_id""",
            district,
            commune,
            list(IN_TEMPLATES),
        )
    )
