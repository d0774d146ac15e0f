"""An officer's change and an import's apply take their locks in one order: the district's
register position first, then the person. An import's apply holds the position while it
updates its people; a change that locked the person first and then waited for the position
deadlocked with it (PostgreSQL then aborts one of the two)."""

import asyncio
from pathlib import Path

import asyncpg
import beneficiary_svc
from beneficiary_svc.adapters import db, positions
from beneficiary_svc.demo import seed
from btxh_common.migrate import COMMON_MIGRATIONS, migrate

MIGRATIONS = Path(beneficiary_svc.__file__).parent / "migrations"
D = "001"


async def test_a_change_waits_for_the_position_before_it_locks_the_person(fresh_db: str) -> None:
    await migrate(fresh_db, {"common": COMMON_MIGRATIONS, "beneficiary-svc": MIGRATIONS})
    importing, officer, other = [await asyncpg.connect(fresh_db) for _ in range(3)]
    try:
        await seed(importing, D, 3, seed=3, publish=False)
        person = await importing.fetchval("SELECT id FROM beneficiary ORDER BY id LIMIT 1")
        apply = importing.transaction()
        await apply.start()
        await positions.advance(importing, D, 0)  # the import's apply holds the position
        async with officer.transaction():
            change = asyncio.create_task(db.get(officer, person, for_update=True))
            await asyncio.sleep(0.5)
            assert not change.done(), "the change must wait for the district's position"
            async with other.transaction():  # and must not hold the person meanwhile
                free = "SELECT id FROM beneficiary WHERE id = $1 FOR UPDATE NOWAIT"
                assert await other.fetchval(free, person) == person
            # the import updates the person without waiting for the officer, and commits
            update = "UPDATE beneficiary SET arrears_amount = 1 WHERE id = $1"
            await asyncio.wait_for(importing.execute(update, person), timeout=10)
            await apply.commit()
            got = await asyncio.wait_for(change, timeout=10)
            assert got is not None
            assert got.id == person
            assert got.arrears_amount == 1  # it sees the import's change
    finally:
        for conn in (importing, officer, other):
            await conn.close()
