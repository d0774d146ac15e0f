"""Migration 0005 turns the register as it stood into its first decisions and the periods
they put in force (written here by hand), and the SQL snapshot carries them."""

import json
import shutil
from datetime import date
from pathlib import Path
from uuid import UUID

import asyncpg
import beneficiary_svc
from btxh_common.migrate import COMMON_MIGRATIONS, migrate

MIGRATIONS = Path(beneficiary_svc.__file__).parent / "migrations"
ROWS = """
INSERT INTO beneficiary (id, district_code, commune_code, full_name, name_folded, status,
    category, coefficient, allowance_start_month, status_effective_month, decision_no)
VALUES ($1, '001', '00001', 'Người', 'nguoi', $2, 'KT_DBN', 20, $3, $4, '1/QĐ')
"""
JAN, SEP, DEC = date(2025, 1, 1), date(2025, 9, 1), date(2025, 12, 1)


async def test_the_register_kept_before_the_timeline_becomes_its_first_decisions(
    fresh_db: str, tmp_path: Path
) -> None:
    for earlier in sorted(MIGRATIONS.glob("*.sql")):
        if earlier.name < "0005":
            shutil.copy(earlier, tmp_path)
    await migrate(fresh_db, {"common": COMMON_MIGRATIONS, "beneficiary-svc": tmp_path})
    people = {
        "active": ("active", JAN, JAN),
        "stopped": ("stopped", JAN, SEP),
        "dead": ("deceased", JAN, DEC),
        "removed": ("removed", JAN, None),
    }
    ids = {name: UUID(int=i + 1, version=4) for i, name in enumerate(people)}
    conn = await asyncpg.connect(fresh_db)
    try:
        await conn.execute(
            """INSERT INTO admin_unit VALUES ('01', 'province', 'T', NULL),
               ('001', 'district', 'H', '01'), ('00001', 'commune', 'X', '001')"""
        )
        await conn.executemany(ROWS, [(ids[name], *row) for name, row in people.items()])
        await migrate(fresh_db, {"common": COMMON_MIGRATIONS, "beneficiary-svc": MIGRATIONS})
        periods = await conn.fetch(
            """SELECT beneficiary_id, from_month, status, coefficient FROM policy_period
               ORDER BY beneficiary_id, from_month"""
        )
        decisions = await conn.fetchval("SELECT count(*) FROM policy_decision")
        snapshot = await conn.fetchval(
            "SELECT beneficiary_snapshot(b)::text FROM beneficiary b WHERE id = $1", ids["dead"]
        )
    finally:
        await conn.close()
    names = {v: k for k, v in ids.items()}
    assert [(names[r[0]], *r[1:]) for r in periods] == [
        ("active", JAN, "active", 20),
        ("stopped", JAN, "active", 20),
        ("stopped", SEP, "stopped", 20),
        ("dead", JAN, "active", 20),
        ("dead", DEC, "deceased", 20),
        ("removed", JAN, "active", 20),  # a removed person is left out by the register's status
    ]
    assert decisions == 6  # four starts, one stop, one death
    policy = {"category": "KT_DBN", "coefficient": 20, "children": None}  # children: 0006
    assert json.loads(snapshot)["timeline"] == [
        {"from_month": "2025-01", "status": "active", **policy},
        {"from_month": "2025-12", "status": "deceased", **policy},
    ]
