"""asyncpg pool creation; one pool per process. JSON columns travel as text, parsed by callers."""

from __future__ import annotations

import asyncpg


async def create_pool(dsn: str, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size)
    assert pool is not None
    return pool
