"""The services' connections run with PostgreSQL's JIT off (``btxh_common.db``): with a national
month's tables the planner's estimates pass ``jit_above_cost`` and short keyed statements were
compiled on every call (national_month_3500k). Checked on real PostgreSQL by what EXPLAIN
ANALYZE reports, with the threshold lowered so that any statement would be compiled."""

from __future__ import annotations

import json

import asyncpg
from btxh_common.db import create_pool

QUERY = "SELECT sum(g) FROM generate_series(1, 10000) AS g"


async def _jit_used(conn: asyncpg.Connection) -> bool:
    async with conn.transaction():
        await conn.execute("SET LOCAL jit_above_cost = 0")
        plan = json.loads(await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {QUERY}"))
    return "JIT" in plan[0]


async def test_a_pools_connections_never_jit_compile(fresh_db: str) -> None:
    plain = await asyncpg.connect(fresh_db)
    try:
        available = await plain.fetchval("SELECT pg_jit_available()")
        # The control: on this server a plain connection compiles the statement when JIT can
        # be loaded at all, so the check below can fail.
        assert await _jit_used(plain) == available
    finally:
        await plain.close()
    pool = await create_pool(fresh_db, 2, 2)
    try:
        async with pool.acquire() as a, pool.acquire() as b:
            for conn in (a, b):
                assert await conn.fetchval("SHOW jit") == "off"
                assert not await _jit_used(conn)
    finally:
        await pool.close()
