"""asyncpg pool creation; one pool per process. JSON columns travel as text, parsed by callers."""

from __future__ import annotations

import asyncpg

# Every connection of a service runs with PostgreSQL's JIT off. The services' statements are
# short and keyed (one list, one package, one batch); with the tables of a national month the
# planner's cost estimates pass ``jit_above_cost`` and each such statement was compiled anew,
# 30–110 ms a call for statements that run in 1–5 ms (national_month_3500k: a results part's
# check of the other packages of the list 0.1 s at 350k → 196 s at 3.5M, the close's counts
# 5 → 126 s; pg_stat_statements). No statement here runs long enough to win it back.
SERVER_SETTINGS = {"jit": "off"}


async def create_pool(dsn: str, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, server_settings=SERVER_SETTINGS
    )
    assert pool is not None
    return pool
