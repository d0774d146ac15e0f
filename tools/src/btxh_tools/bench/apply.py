"""Confirm → applied: 100k verified arrears rows applied to the register, ``ImportApplied``
written, vs the floor (COPY the same rows into a temp table, one ``UPDATE … FROM``).

The system side is beneficiary-svc's own handler for a whole ``ImportConfirmed`` transfer
(re-check of every row against the register, the update, one history row and one
``BeneficiaryChanged`` per person, the ``ImportApplied`` answer), each round rolled back so
every round starts from the same register.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from btxh_common.chunks import split
from btxh_common.chunkstore import Transfer
from btxh_common.events import ImportConfirmed
from btxh_common.inbox import EventContext
from btxh_common.migrate import COMMON_MIGRATIONS, migrate
from btxh_common.testing.infra import create_database, drop_database

from btxh_tools.bench.common import SEED, BenchContext, alternate, report

COMMUNE = "00001"
Rows = list[dict[str, Any]]


def _migrations() -> Path:
    import beneficiary_svc

    return Path(beneficiary_svc.__file__).parent / "migrations"


async def run(ctx: BenchContext) -> None:
    from beneficiary_svc.handlers.imports import on_confirmed

    n = ctx.rows
    name = f"bench_{uuid.uuid4().hex[:8]}"
    dsn = await create_database(ctx.server, name)
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(dsn, {"common": COMMON_MIGRATIONS, "beneficiary-svc": _migrations()})
        rows = await _register(conn, n)
        transfer = _confirmed(rows)

        async def system() -> float:
            return await _rolled_back(conn, lambda: on_confirmed(conn, transfer))

        async def floor() -> float:
            return await _rolled_back(conn, lambda: _copy_and_update(conn, rows))

        report(f"import_apply_{n // 1000}k", *await alternate(ctx.rounds, system, floor))
    finally:
        await conn.close()
        await drop_database(ctx.server, name)


async def _register(conn: asyncpg.Connection, n: int) -> Rows:
    """A district of ``n`` + 10 % people in one commune; arrears rows for ``n`` of them whose
    national ID nobody else holds."""
    from beneficiary_svc.demo import seed

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
    return [
        {
            "row_no": i + 2,
            "beneficiary_id": str(p["id"]),
            "national_id": p["national_id"],
            "arrears_amount": 100_000 + i,
            "arrears_period": "2026-12",
        }
        for i, p in enumerate(people)
    ]


def _confirmed(rows: Rows) -> Transfer[ImportConfirmed]:
    """The rows as beneficiary-svc receives them: a whole, verified ``ImportConfirmed``."""
    batch = uuid.uuid4()
    _, manifest = split(rows, batch, amount_field="arrears_amount")
    event = ImportConfirmed(
        batch_id=batch,
        kind="arrears",
        commune_code=COMMUNE,
        confirmed_by="bench",
        manifest=manifest,
    )
    context = EventContext(
        event_id=uuid.uuid4(),
        event_type=ImportConfirmed.event_type,
        district_code="001",
        producer="import-svc",
        occurred_at=datetime.now(UTC),
    )
    return Transfer(event, context, rows)


async def _copy_and_update(conn: asyncpg.Connection, rows: Rows) -> None:
    await conn.execute(
        "CREATE TEMP TABLE f (id uuid PRIMARY KEY, amount bigint, period date) ON COMMIT DROP"
    )
    await conn.copy_records_to_table(
        "f",
        records=[(uuid.UUID(r["beneficiary_id"]), r["arrears_amount"], None) for r in rows],
    )
    await conn.execute(
        "UPDATE beneficiary b SET arrears_amount = f.amount,"
        " arrears_period = '2026-12-01' FROM f WHERE b.id = f.id"
    )


async def _rolled_back(conn: asyncpg.Connection, step: Callable[[], Awaitable[None]]) -> float:
    """Seconds ``step`` takes inside a transaction that is then rolled back."""
    tx = conn.transaction()
    await tx.start()
    started = time.perf_counter()
    await step()
    elapsed = time.perf_counter() - started
    await tx.rollback()
    return elapsed
