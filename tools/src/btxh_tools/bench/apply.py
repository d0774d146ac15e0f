"""Confirm → applied: 100k verified arrears rows applied to the register, ``ImportApplied``
written, vs the floor (COPY the same rows into a temp table, one ``UPDATE … FROM``).

The system side is beneficiary-svc's own ``apply_rows`` (re-check of every row against the
register, the update, one history row and one ``BeneficiaryChanged`` per person, the
``ImportApplied`` answer), each round rolled back so every round starts from the same register.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
from btxh_common.migrate import COMMON_MIGRATIONS, migrate
from btxh_common.testing.infra import create_database, drop_database

from btxh_tools.bench.common import SEED, BenchContext, alternate, report

COMMUNE = "00001"


def _migrations() -> Path:
    import beneficiary_svc

    return Path(beneficiary_svc.__file__).parent / "migrations"


async def run(ctx: BenchContext) -> None:
    from beneficiary_svc.demo import seed
    from beneficiary_svc.imports import apply_rows

    n, rounds = ctx.rows, ctx.rounds
    name = f"bench_{uuid.uuid4().hex[:8]}"
    dsn = await create_database(ctx.server, name)
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(dsn, {"common": COMMON_MIGRATIONS, "beneficiary-svc": _migrations()})
        await seed(conn, "001", n + n // 10, seed=SEED, publish=False)
        await conn.execute("UPDATE beneficiary SET commune_code = $1", COMMUNE)
        await conn.execute("VACUUM ANALYZE beneficiary")
        people = await conn.fetch(
            """SELECT id, national_id FROM beneficiary b WHERE national_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM beneficiary o
                               WHERE o.national_id = b.national_id AND o.id <> b.id)
               ORDER BY id LIMIT $1""",
            n,
        )
        rows: list[dict[str, Any]] = [
            {
                "row_no": i + 2,
                "beneficiary_id": str(p["id"]),
                "national_id": p["national_id"],
                "arrears_amount": 100_000 + i,
                "arrears_period": "2026-12",
            }
            for i, p in enumerate(people)
        ]
        meta = {
            "batch_id": str(uuid.uuid4()),
            "kind": "arrears",
            "commune_code": COMMUNE,
            "confirmed_by": "bench",
            "district_code": "001",
            "event_id": str(uuid.uuid4()),
        }

        async def system() -> float:
            tx = conn.transaction()
            await tx.start()
            started = time.perf_counter()
            await apply_rows(conn, meta, rows)
            elapsed = time.perf_counter() - started
            await tx.rollback()
            return elapsed

        async def floor() -> float:
            tx = conn.transaction()
            await tx.start()
            started = time.perf_counter()
            await conn.execute(
                "CREATE TEMP TABLE f (id uuid PRIMARY KEY, amount bigint, period date)"
                " ON COMMIT DROP"
            )
            await conn.copy_records_to_table(
                "f",
                records=[(uuid.UUID(r["beneficiary_id"]), r["arrears_amount"], None) for r in rows],
            )
            await conn.execute(
                "UPDATE beneficiary b SET arrears_amount = f.amount,"
                " arrears_period = '2026-12-01' FROM f WHERE b.id = f.id"
            )
            elapsed = time.perf_counter() - started
            await tx.rollback()
            return elapsed

        report(f"import_apply_{n // 1000}k", *await alternate(rounds, system, floor))
    finally:
        await conn.close()
        await drop_database(ctx.server, name)
