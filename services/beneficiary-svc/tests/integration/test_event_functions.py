"""Migration 0013: the event id and headers the set-based apply builds per row keep their
values (a version-7 UUID carrying the time in ms; the headers Envelope writes) and the
headers function is inlined by the planner (no SQL-function call per row). Migration 0014:
the snapshot and the envelope put together as text are the JSON Python writes for the same
person, whatever the free text holds, and are inlined too."""

import json
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import asyncpg
import beneficiary_svc
from beneficiary_svc.demo import seed
from beneficiary_svc.domain.register import Beneficiary
from btxh_common.envelope import Envelope
from btxh_common.events import BeneficiarySnapshot, PolicyPeriod
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


# Free text a person's record may hold: quotes, backslashes, control characters, Vietnamese
# and characters outside the BMP, spaces around what looks like JSON.
HOSTILE = 'Nguyễn "Văn" \\ A\tB\nC\u0001 🙂 {"x" : 1}, \'Ỷ\''


async def test_the_snapshot_put_together_as_text_is_the_one_python_builds(fresh_db: str) -> None:
    await migrate(fresh_db, {"common": COMMON_MIGRATIONS, "beneficiary-svc": MIGRATIONS})
    conn = await asyncpg.connect(fresh_db)
    try:
        await seed(conn, "001", 40, seed=3, publish=False)
        ids = [r["id"] for r in await conn.fetch("SELECT id FROM beneficiary ORDER BY id")]
        await conn.execute(
            """UPDATE beneficiary SET full_name = $2, funeral_recipient = $2, bank_account = $3,
                   birth_date = NULL, death_date = '2026-01-31', arrears_amount = 123456789012,
                   arrears_period = '2026-12-01', children = 3
               WHERE id = $1""",
            ids[0],
            HOSTILE,
            'VN"01\\\t\u0002',
        )
        await conn.execute(
            """INSERT INTO policy_period (beneficiary_id, district_code, from_month, status,
                                          category, coefficient, children)
               SELECT id, district_code, '2030-02-01', 'suspended', NULL, NULL, 2
               FROM beneficiary WHERE id = $1""",
            ids[0],
        )
        rows = await conn.fetch(
            """SELECT b.*, beneficiary_snapshot_text(b, coalesce(
                   (SELECT '[' || string_agg(policy_period_text(p), ',' ORDER BY p.from_month)
                           || ']' FROM policy_period p WHERE p.beneficiary_id = b.id),
                   '[]')) AS snap
               FROM beneficiary b"""
        )
        periods = await conn.fetch(
            """SELECT beneficiary_id, to_char(from_month, 'YYYY-MM') AS from_month, status,
                      category, coefficient, children
               FROM policy_period ORDER BY beneficiary_id, from_month"""
        )
        plan = await conn.fetchval(
            """EXPLAIN (VERBOSE, FORMAT JSON)
               SELECT beneficiary_snapshot_text(b, '[]') FROM beneficiary b"""
        )
    finally:
        await conn.close()
    timelines: dict[UUID, list[PolicyPeriod]] = {}
    for p in periods:
        timelines.setdefault(p["beneficiary_id"], []).append(
            PolicyPeriod(**{k: v for k, v in dict(p).items() if k != "beneficiary_id"})
        )
    assert len(rows) == 40
    for row in rows:
        expected = Beneficiary.from_record(row).snapshot(timelines.get(row["id"], []))
        assert json.loads(row["snap"]) == expected.model_dump(mode="json")
        assert BeneficiarySnapshot.model_validate_json(row["snap"]) == expected
    hostile = next(r for r in rows if r["id"] == ids[0])
    assert json.loads(hostile["snap"])["full_name"] == HOSTILE
    assert [p["status"] for p in json.loads(hostile["snap"])["timeline"]][-1] == "suspended"
    assert "beneficiary_snapshot_text" not in plan
    assert "json_build_object" not in plan


async def test_the_envelope_put_together_as_text_reads_back_as_the_envelope(
    fresh_db: str,
) -> None:
    await migrate(fresh_db, {"common": COMMON_MIGRATIONS, "beneficiary-svc": MIGRATIONS})
    event_id = UUID("01a2179a-db8a-7b47-897f-12efccdaaeca")
    conn = await asyncpg.connect(fresh_db)
    try:
        bodies = [
            await conn.fetchval(
                "SELECT envelope_body_text($1, 'BeneficiaryChanged', 2, 'beneficiary-svc',"
                " '001', $2, $3, $4)",
                event_id,
                HOSTILE,
                trace,
                '{"a":[1,"x"]}',
            )
            for trace in (None, "trace-1")
        ]
    finally:
        await conn.close()
    for body, trace in zip(bodies, (None, "trace-1"), strict=True):
        envelope = Envelope.from_bytes(body)
        assert (envelope.event_id, envelope.event_type, envelope.schema_version) == (
            event_id,
            "BeneficiaryChanged",
            2,
        )
        assert (envelope.producer, envelope.district_code) == ("beneficiary-svc", "001")
        assert (envelope.correlation_id, envelope.causation_id) == (HOSTILE, None)
        assert envelope.trace_id == trace
        assert json.loads(body)["payload"] == {"a": [1, "x"]}
        assert abs((datetime.now(UTC) - envelope.occurred_at).total_seconds()) < 600
