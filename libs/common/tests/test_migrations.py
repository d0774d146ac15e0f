import asyncio
import sys
import textwrap
from pathlib import Path

import asyncpg
import pytest
from btxh_common.migrate import MigrationChanged, migrate

RUNNER = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from btxh_common.migrate import migrate
    print(asyncio.run(migrate(sys.argv[1], {"svc": Path(sys.argv[2])})))
    """
)


def write_migrations(folder: Path) -> None:
    folder.mkdir()
    # Not idempotent on purpose: a second run would fail on CREATE TABLE.
    (folder / "0001_slow.sql").write_text(
        "SELECT pg_sleep(0.5); CREATE TABLE counter (n int); INSERT INTO counter VALUES (1);"
    )
    (folder / "0002_more.sql").write_text("INSERT INTO counter VALUES (2);")


async def test_two_processes_starting_together_apply_each_migration_once(
    fresh_db: str, tmp_path: Path
) -> None:
    folder = tmp_path / "migrations"
    write_migrations(folder)
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            RUNNER,
            fresh_db,
            str(folder),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    outputs = [await p.communicate() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    applied = sorted(out.decode().strip().splitlines()[-1] for out, _ in outputs)
    assert applied == ["['svc/0001_slow.sql', 'svc/0002_more.sql']", "[]"]
    conn = await asyncpg.connect(fresh_db)
    try:
        assert [r["n"] for r in await conn.fetch("SELECT n FROM counter ORDER BY n")] == [1, 2]
        assert await conn.fetchval("SELECT count(*) FROM schema_migrations") == 2
    finally:
        await conn.close()


async def test_an_edited_migration_is_refused(fresh_db: str, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    write_migrations(folder)
    await migrate(fresh_db, {"svc": folder})
    (folder / "0002_more.sql").write_text("INSERT INTO counter VALUES (3);")
    with pytest.raises(MigrationChanged, match=r"0002_more\.sql"):
        await migrate(fresh_db, {"svc": folder})
