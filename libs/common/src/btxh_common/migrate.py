"""Migration runner for plain ``.sql`` files: ordered, recorded, checksummed, one at a time.

Two processes starting together serialise on a PostgreSQL advisory lock, so each file runs
exactly once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from btxh_common.logs import get_logger

log = get_logger(__name__)

COMMON_MIGRATIONS = Path(__file__).parent / "migrations"
_LOCK_KEY = 0x6274786D  # "btxm"


class MigrationChanged(RuntimeError):
    """An already applied migration file was edited: never rewrite history, add a new file."""


@dataclass(frozen=True)
class Migration:
    source: str
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def discover(sources: dict[str, Path]) -> list[Migration]:
    return [
        Migration(source, path.name, path.read_text(encoding="utf-8"))
        for source, folder in sources.items()
        for path in sorted(folder.glob("*.sql"))
    ]


async def migrate(dsn: str, sources: dict[str, Path]) -> list[str]:
    """Apply pending migrations of each source in order; return the names applied."""
    migrations = discover(sources)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   source text NOT NULL, name text NOT NULL, checksum text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now(),
                   PRIMARY KEY (source, name))"""
        )
        done = {
            (r["source"], r["name"]): r["checksum"]
            for r in await conn.fetch("SELECT source, name, checksum FROM schema_migrations")
        }
        applied: list[str] = []
        for m in migrations:
            known = done.get((m.source, m.name))
            if known is not None:
                if known != m.checksum:
                    raise MigrationChanged(f"{m.source}/{m.name} changed after it was applied")
                continue
            async with conn.transaction():
                await conn.execute(m.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (source, name, checksum) VALUES ($1, $2, $3)",
                    m.source,
                    m.name,
                    m.checksum,
                )
            applied.append(f"{m.source}/{m.name}")
            log.info("migration.applied", source=m.source, name=m.name)
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
        await conn.close()


def main() -> None:
    """``python -m btxh_common.migrate <service package>``: the init step of a deployment
    (migrations also run, advisory-locked, when a service starts)."""
    import asyncio
    import importlib
    import os
    import sys

    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m btxh_common.migrate <service package, e.g. payment_svc>")
    package = importlib.import_module(sys.argv[1])
    assert package.__file__ is not None
    source = Path(package.__file__).parent / "migrations"
    name = sys.argv[1].replace("_", "-")
    applied = asyncio.run(
        migrate(os.environ["DATABASE_URL"], {"common": COMMON_MIGRATIONS, name: source})
    )
    print(f"{name}: {len(applied)} migrations applied")


if __name__ == "__main__":
    main()
