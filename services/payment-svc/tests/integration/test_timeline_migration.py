"""Migration 0004 gives every recipient already kept the timeline its status fields meant to
the list SQL before it (periods written here by hand)."""

import shutil
from datetime import date
from pathlib import Path
from uuid import UUID

import asyncpg
import payment_svc
from btxh_common.migrate import COMMON_MIGRATIONS, migrate

MIGRATIONS = Path(payment_svc.__file__).parent / "migrations"
ROWS = """
INSERT INTO recipient (beneficiary_id, district_code, commune_code, full_name, status,
    category, coefficient, allowance_start_month, status_effective_month, death_date, version)
VALUES ($1, '001', '00001', 'Người', $2, 'NCT_80', 10, $3, $4, $5, 1)
"""
JAN, JUL, SEP = date(2024, 1, 1), date(2024, 7, 1), date(2024, 9, 1)


async def test_the_read_model_kept_before_the_timeline_gets_one_from_its_status_fields(
    fresh_db: str, tmp_path: Path
) -> None:
    for earlier in sorted(MIGRATIONS.glob("*.sql")):
        if earlier.name < "0004":
            shutil.copy(earlier, tmp_path)
    await migrate(fresh_db, {"common": COMMON_MIGRATIONS, "payment-svc": tmp_path})
    people = {
        "active": ("active", JAN, None, None),
        "stopped": ("stopped", JAN, JUL, None),
        "dead": ("deceased", JAN, None, date(2024, 8, 15)),
        "suspended_since_start": ("suspended", JAN, None, None),
        "never_started": ("active", None, None, None),
    }
    ids = {name: UUID(int=i + 1, version=4) for i, name in enumerate(people)}
    conn = await asyncpg.connect(fresh_db)
    try:
        await conn.executemany(ROWS, [(ids[name], *row) for name, row in people.items()])
        await migrate(fresh_db, {"common": COMMON_MIGRATIONS, "payment-svc": MIGRATIONS})
        rows = await conn.fetch(
            """SELECT beneficiary_id, from_month, to_month, status, coefficient
               FROM recipient_policy ORDER BY beneficiary_id, from_month"""
        )
    finally:
        await conn.close()
    names = {v: k for k, v in ids.items()}
    assert [(names[r[0]], *r[1:]) for r in rows] == [
        ("active", JAN, None, "active", 10),
        ("stopped", JAN, JUL, "active", 10),
        ("stopped", JUL, None, "stopped", 10),
        ("dead", JAN, SEP, "active", 10),  # paid through the month of death
        ("dead", SEP, None, "deceased", 10),
        ("suspended_since_start", JAN, None, "suspended", 10),
    ]
