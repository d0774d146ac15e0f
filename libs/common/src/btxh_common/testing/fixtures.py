"""pytest fixtures over the infrastructure ladder; enabled by the root ``conftest.py``."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
import pytest_asyncio

from btxh_common.db import create_pool
from btxh_common.migrate import COMMON_MIGRATIONS, migrate
from btxh_common.testing.infra import create_database, drop_database, kafka_broker, postgres_server


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    with kafka_broker() as bootstrap:
        yield bootstrap


@pytest_asyncio.fixture
async def fresh_db(pg_server: str) -> AsyncIterator[str]:
    """A new, empty database for one test; dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    dsn = await create_database(pg_server, name)
    try:
        yield dsn
    finally:
        await drop_database(pg_server, name)


@pytest_asyncio.fixture
async def common_db(fresh_db: str) -> AsyncIterator[asyncpg.Pool]:
    """A fresh database with the shared tables (outbox, inbox, chunks) and a pool on it."""
    await migrate(fresh_db, {"common": COMMON_MIGRATIONS})
    pool = await create_pool(fresh_db, 1, 5)
    try:
        yield pool
    finally:
        await pool.close()


def unique_topic(prefix: str = "t") -> str:
    return f"{prefix}.{uuid.uuid4().hex[:10]}"
