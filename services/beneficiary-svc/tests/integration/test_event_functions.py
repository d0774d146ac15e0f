"""Migration 0013: the event id and headers the set-based apply builds per row keep their
values (a version-7 UUID carrying the time in ms; the headers Envelope writes) and the
headers function is inlined by the planner (no SQL-function call per row)."""

import json
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import asyncpg
import beneficiary_svc
from btxh_common.migrate import COMMON_MIGRATIONS, migrate

MIGRATIONS = Path(beneficiary_svc.__file__).parent / "migrations"


async def test_event_ids_are_version_7_uuids_of_the_current_millisecond(fresh_db: str) -> None:
    await migrate(fresh_db, {"common": COMMON_MIGRATIONS, "beneficiary-svc": MIGRATIONS})
    conn = await asyncpg.connect(fresh_db)
    try:
        before = datetime.now(UTC)
        ids = [r[0] for r in await conn.fetch("SELECT uuid_v7() FROM generate_series(1, 1000)")]
        after = datetime.now(UTC)
    finally:
        await conn.close()
    assert len(set(ids)) == 1000
    for event_id in ids:
        assert isinstance(event_id, UUID)
        assert event_id.version == 7
        assert event_id.variant == "specified in RFC 4122"
        millis = event_id.int >> 80  # the first 48 bits
        assert int(before.timestamp() * 1000) - 1 <= millis <= int(after.timestamp() * 1000) + 1


async def test_envelope_headers_are_inlined_and_carry_the_envelope_headers(fresh_db: str) -> None:
    await migrate(fresh_db, {"common": COMMON_MIGRATIONS, "beneficiary-svc": MIGRATIONS})
    event_id = UUID("01a2179a-db8a-7b47-897f-12efccdaaeca")
    conn = await asyncpg.connect(fresh_db)
    try:
        headers = await conn.fetchval(
            "SELECT envelope_headers($1, 'BeneficiaryChanged', 2)::text", event_id
        )
        plan = await conn.fetchval(
            """EXPLAIN (VERBOSE, FORMAT JSON)
               SELECT envelope_headers(e, 'BeneficiaryChanged', 2)
               FROM (SELECT gen_random_uuid() AS e FROM generate_series(1, 3)) s"""
        )
    finally:
        await conn.close()
    assert json.loads(headers) == {
        "event_type": "BeneficiaryChanged",
        "schema_version": "2",
        "event_id": "01a2179a-db8a-7b47-897f-12efccdaaeca",
        "content-type": "application/json",
    }
    assert "envelope_headers" not in plan
    assert "jsonb_build_object" in plan
