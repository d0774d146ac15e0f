"""Applying confirmed imports: one transaction, re-checked rows, crash-safe, exactly once.

The test plays import-svc: it publishes ``ImportConfirmed`` chunks and manifest on the real
broker, to a real beneficiary-svc process, and reads the outcome from that service's database.
"""

import asyncio
import json
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest_asyncio
from aiokafka import AIOKafkaProducer
from beneficiary_svc.demo import seed
from beneficiary_svc.domain.register import Beneficiary
from btxh_common.chunks import split
from btxh_common.envelope import Envelope, current_trace
from btxh_common.events import (
    BeneficiaryChanged,
    ImportConfirmed,
    ImportConfirmedChunk,
    PolicyPeriod,
)
from btxh_common.outbox import make_producer
from btxh_common.topics import IMPORT_EVENTS
from btxh_tools.harness import Stack, start_stack

NAME = "beneficiary-svc"
COMMUNE = "00001"


@pytest_asyncio.fixture(scope="module")
async def svc(pg_server: str, kafka_bootstrap: str, module_tmp: Path) -> AsyncIterator[Stack]:
    async with start_stack(pg_server, kafka_bootstrap, module_tmp, [NAME]) as run:
        conn = await asyncpg.connect(run.dsns[NAME])
        try:
            await seed(conn, "001", 110_000, seed=7, publish=False)
            await conn.execute("UPDATE beneficiary SET commune_code = $1", COMMUNE)
        finally:
            await conn.close()
        yield run


@pytest_asyncio.fixture
async def db(svc: Stack) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(svc.dsns[NAME])
    yield conn
    await conn.close()


@pytest_asyncio.fixture(scope="module")
async def producer(svc: Stack) -> AsyncIterator[AIOKafkaProducer]:
    p = make_producer(svc.bootstrap)
    await p.start()
    yield p
    await p.stop()


async def candidates(db: asyncpg.Connection, n: int, offset: int = 0) -> list[asyncpg.Record]:
    """People whose ID is present and held by no one else, in a stable order."""
    return list(
        await db.fetch(
            """SELECT id, national_id FROM beneficiary b WHERE national_id IS NOT NULL
           AND status = 'active' AND NOT EXISTS (SELECT 1 FROM beneficiary o
               WHERE o.national_id = b.national_id AND o.id <> b.id)
           ORDER BY id OFFSET $1 LIMIT $2""",
            offset,
            n,
        )
    )


def arrears_rows(people: list[asyncpg.Record], amount: int, period: str) -> list[dict[str, Any]]:
    return [
        {
            "row_no": i + 2,
            "beneficiary_id": str(p["id"]),
            "national_id": p["national_id"],
            "arrears_amount": amount,
            "arrears_period": period,
        }
        for i, p in enumerate(people)
    ]


async def confirm(
    svc: Stack,
    producer: AIOKafkaProducer,
    rows: list[dict[str, Any]],
    kind: str = "arrears",
    *,
    shuffle: bool = False,
    tamper: bool = False,
) -> UUID:
    """Publish rows the way import-svc does: chunks, then the manifest (or shuffled)."""
    batch = uuid4()
    current_trace.set(f"trace-{batch}")  # what import-svc's request would carry on
    amount_field = "arrears_amount" if kind == "arrears" else None
    chunks, manifest = split(rows, batch, amount_field=amount_field)
    if tamper:
        chunks[0] = chunks[0].model_copy(update={"rows": chunks[0].rows[1:]})
    envelopes = [
        Envelope.wrap(
            ImportConfirmedChunk(chunk=c),
            producer="import-svc",
            district_code="001",
            correlation_id=str(batch),
        )
        for c in chunks
    ]
    envelopes.append(
        Envelope.wrap(
            ImportConfirmed(
                batch_id=batch,
                kind=kind,
                commune_code=COMMUNE,  # type: ignore[arg-type]
                confirmed_by="officer-7",
                manifest=manifest,
            ),
            producer="import-svc",
            district_code="001",
            correlation_id=str(batch),
        )
    )
    if shuffle:
        random.Random(3).shuffle(envelopes)
        envelopes += envelopes[:2]  # and a couple delivered twice
    futures = [
        await producer.send(
            svc.topic(IMPORT_EVENTS), e.to_bytes(), key=e.key(), headers=e.headers()
        )
        for e in envelopes
    ]
    await asyncio.gather(*futures)
    return batch


async def applied_event(
    db: asyncpg.Connection, batch: UUID, timeout: float = 180
) -> dict[str, Any]:
    for _ in range(int(timeout * 5)):
        body = await db.fetchval(
            """SELECT body FROM outbox WHERE event_type = 'ImportApplied'
               AND convert_from(body, 'UTF8') LIKE '%' || $1 || '%'""",
            str(batch),
        )
        if body is not None:
            return dict(json.loads(body)["payload"])
        await asyncio.sleep(0.2)
    raise AssertionError("no ImportApplied")


async def test_a_crash_during_apply_leaves_none_or_all_and_redelivery_applies_exactly_once(
    svc: Stack, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    people = await candidates(db, 100_000)
    assert len(people) == 100_000
    ids = [p["id"] for p in people]
    fingerprint = """SELECT md5(string_agg(concat_ws('|', id, national_id, full_name, birth_date,
                         gender, commune_code, category, coefficient, status, recovery_amount,
                         payment_channel, bank_account), ',' ORDER BY id))
                     FROM beneficiary WHERE id = ANY($1::uuid[])"""
    before = await db.fetchval(fingerprint, ids)
    batch = await confirm(svc, producer, arrears_rows(people, 1_234_000, "2026-12"))

    for _ in range(3000):
        if f'"batch_id": "{batch}"' in svc.log(NAME) and "import.apply_started" in svc.log(NAME):
            break
        await asyncio.sleep(0.01)
    svc.kill(NAME)
    done = await db.fetchval(
        "SELECT count(*) FROM beneficiary WHERE id = ANY($1::uuid[]) AND arrears_amount = 1234000",
        ids,
    )
    assert done in (0, 100_000), f"a crash left {done} rows applied: not atomic"

    svc.start(NAME)
    svc.wait_ready(NAME)
    result = await applied_event(db, batch)
    assert len(result["applied"]) == 100_000
    assert result["rejected"] == []
    assert (
        await db.fetchval(
            "SELECT count(*) FROM beneficiary WHERE id = ANY($1::uuid[])"
            " AND arrears_amount = 1234000 AND arrears_period = '2026-12-01' AND version = 2",
            ids,
        )
        == 100_000
    )
    source = f"import:{batch}"
    assert (
        await db.fetchval("SELECT count(*) FROM beneficiary_history WHERE source = $1", source)
        == 100_000
    )
    assert (
        await db.fetchval(
            """SELECT count(*) FROM outbox WHERE event_type = 'BeneficiaryChanged'
           AND convert_from(body, 'UTF8') LIKE '%' || $1 || '%'""",
            source,
        )
        == 100_000
    )
    assert (
        await db.fetchval(
            "SELECT count(*) FROM outbox WHERE event_type = 'ImportApplied'"
            " AND convert_from(body, 'UTF8') LIKE '%' || $1 || '%'",
            str(batch),
        )
        == 1
    )
    assert await db.fetchval(fingerprint, ids) == before, "only the two arrears fields change"
    assert await db.fetchval("SELECT count(*) FROM transfer_chunk") == 0


async def the_event_built_in_sql_is_the_one_python_builds(
    db: asyncpg.Connection, beneficiary_id: UUID, source: str
) -> None:
    """Set-based imports write BeneficiaryChanged in SQL: it must be what Envelope writes."""
    row = await db.fetchrow(
        """SELECT event_id, key, event_type, headers, body FROM outbox
           WHERE event_type = 'BeneficiaryChanged' AND convert_from(body, 'UTF8') LIKE $1""",
        f"%{beneficiary_id}%{source}%",
    ) or await db.fetchrow(
        """SELECT event_id, key, event_type, headers, body FROM outbox
           WHERE event_type = 'BeneficiaryChanged' AND convert_from(body, 'UTF8') LIKE $1""",
        f"%{source}%{beneficiary_id}%",
    )
    assert row is not None
    envelope = Envelope.from_bytes(row["body"])
    assert envelope.event_id == row["event_id"]
    assert envelope.event_id.version == 7
    assert (envelope.producer, envelope.district_code, row["key"]) == (
        "beneficiary-svc",
        "001",
        "001",
    )
    assert envelope.correlation_id == str(beneficiary_id)
    assert envelope.trace_id == f"trace-{source.removeprefix('import:')}"
    assert json.loads(row["headers"]) == {k: v.decode() for k, v in envelope.headers()}
    assert abs((datetime.now(UTC) - envelope.occurred_at).total_seconds()) < 600
    event = envelope.open(BeneficiaryChanged)
    assert (event.changed, event.source) == (["arrears_amount", "arrears_period"], source)
    stored = await db.fetchrow("SELECT * FROM beneficiary WHERE id = $1", beneficiary_id)
    periods = await db.fetch(
        """SELECT to_char(from_month, 'YYYY-MM') AS from_month, status, category, coefficient
           FROM policy_period WHERE beneficiary_id = $1 ORDER BY from_month""",
        beneficiary_id,
    )
    assert periods, "the register keeps the person's timeline"
    timeline = [PolicyPeriod(**dict(p)) for p in periods]
    assert event.beneficiary == Beneficiary.from_record(stored).snapshot(timeline)


async def test_rows_that_no_longer_match_are_rejected_with_why_and_the_rest_apply(
    svc: Stack, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    people = await candidates(db, 5, offset=100_000)
    rows = arrears_rows(people, 700_000, "2027-01")
    await db.execute(
        "UPDATE beneficiary SET national_id = '099999999999' WHERE id = $1", people[1]["id"]
    )  # corrected by hand after validation
    await db.execute(
        "UPDATE beneficiary SET commune_code = '00004' WHERE id = $1", people[2]["id"]
    )  # moved to another commune
    rows.append({**rows[0], "row_no": 99})  # the same person twice
    rows.append(
        {
            "row_no": 100,
            "beneficiary_id": str(uuid4()),
            "national_id": "001234567890",
            "arrears_amount": 1,
            "arrears_period": "2027-01",
        }
    )
    batch = await confirm(svc, producer, rows, shuffle=True)
    result = await applied_event(db, batch)
    rejected = {r["row_no"]: r["code"] for r in result["rejected"]}
    assert rejected == {
        2: "duplicate_row",
        99: "duplicate_row",
        3: "national_id_changed",
        4: "commune_mismatch",
        100: "not_found",
    }
    assert all(r["message_vi"] for r in result["rejected"])
    assert sorted(result["applied"]) == [5, 6]
    applied = await db.fetch(
        "SELECT arrears_amount FROM beneficiary WHERE id = ANY($1::uuid[])",
        [people[3]["id"], people[4]["id"]],
    )
    assert [r["arrears_amount"] for r in applied] == [700_000, 700_000]
    await the_event_built_in_sql_is_the_one_python_builds(db, people[3]["id"], f"import:{batch}")
    history = await db.fetchrow(
        "SELECT changed, before, after FROM beneficiary_history WHERE source = $1 LIMIT 1",
        f"import:{batch}",
    )
    assert history["changed"] == ["arrears_amount", "arrears_period"]
    assert json.loads(history["after"]) == {"arrears_amount": 700_000, "arrears_period": "2027-01"}


async def test_a_locked_register_refuses_the_whole_batch(
    svc: Stack, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    people = await candidates(db, 3, offset=100_010)
    lock = await db.fetchval(
        """INSERT INTO data_lock (district_code, month, note, locked_by)
           VALUES ('001', date_trunc('month', now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date,
                   'Chốt', 'x') RETURNING id"""
    )
    try:
        batch = await confirm(svc, producer, arrears_rows(people, 10_000, "2027-01"))
        result = await applied_event(db, batch)
    finally:
        await db.execute(
            "UPDATE data_lock SET unlocked_at = now(), unlocked_by = 'x' WHERE id = $1", lock
        )
    assert result["applied"] == []
    assert result["refused"]["code"] == "data_locked"
    assert (
        await db.fetchval(
            "SELECT count(*) FROM beneficiary WHERE id = ANY($1::uuid[])"
            " AND arrears_amount = 10000",
            [p["id"] for p in people],
        )
        == 0
    )


async def test_a_transfer_that_fails_its_checksum_applies_nothing(
    svc: Stack, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    people = await candidates(db, 1500, offset=100_020)
    batch = await confirm(svc, producer, arrears_rows(people, 20_000, "2027-01"), tamper=True)
    result = await applied_event(db, batch)
    assert result["refused"]["code"] == "manifest_mismatch"
    assert await db.fetchval("SELECT count(*) FROM beneficiary WHERE arrears_amount = 20000") == 0


async def test_information_and_policy_imports_change_only_what_they_name(
    svc: Stack, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    people = await candidates(db, 4, offset=101_600)
    info = [
        {
            "row_no": 2,
            "beneficiary_id": str(people[0]["id"]),
            "national_id": people[0]["national_id"],
            "full_name": "Ngô Thị Ánh",
            "phone": "0987654321",
        }
    ]
    batch = await confirm(svc, producer, info, kind="info")
    assert (await applied_event(db, batch))["applied"] == [2]
    row = await db.fetchrow(
        "SELECT full_name, name_folded, phone, category FROM beneficiary WHERE id = $1",
        people[0]["id"],
    )
    assert (row["full_name"], row["name_folded"], row["phone"]) == (
        "Ngô Thị Ánh",
        "ngo thi anh",
        "0987654321",
    )
    changed = await db.fetchval(
        "SELECT changed FROM beneficiary_history WHERE source = $1", f"import:{batch}"
    )
    assert changed == ["full_name", "phone"]

    policy = [
        {
            "row_no": 2,
            "beneficiary_id": str(people[1]["id"]),
            "national_id": people[1]["national_id"],
            "change_type": "stop",
            "effective_month": "2026-12",
            "decision_no": "5/QĐ",
        },
        {
            "row_no": 3,
            "beneficiary_id": str(people[2]["id"]),
            "national_id": people[2]["national_id"],
            "change_type": "death",
            "death_date": "2026-10-03",
            "decision_no": "6/QĐ",
        },
        {
            "row_no": 4,
            "beneficiary_id": str(people[3]["id"]),
            "national_id": people[3]["national_id"],
            "change_type": "adjust",
            "category": "NCT_CD",
            "effective_month": "2026-12",
            "decision_no": "7/QĐ",
        },
        {
            "row_no": 5,
            "beneficiary_id": None,
            "national_id": "001045999999",
            "change_type": "new",
            "full_name": "Mới Văn Tăng",
            "birth_date": "1945-01-01",
            "gender": "male",
            "category": "NCT_80",
            "effective_month": "2026-12",
            "decision_no": "8/QĐ",
        },
        {
            "row_no": 6,
            "beneficiary_id": str(people[2]["id"]),
            "national_id": people[2]["national_id"],
            "change_type": "adjust",
            "category": "NCT_CD",
            "effective_month": "2026-12",
            "decision_no": "9/QĐ",
        },
    ]
    batch = await confirm(svc, producer, policy, kind="policy")
    result = await applied_event(db, batch)
    assert result["applied"] == [2, 3, 4, 5]
    assert [(r["row_no"], r["code"]) for r in result["rejected"]] == [(6, "beneficiary_deceased")]
    statuses = await db.fetch(
        "SELECT id, status, coefficient FROM beneficiary WHERE id = ANY($1::uuid[])",
        [p["id"] for p in people[1:]],
    )
    by_id = {r["id"]: (r["status"], r["coefficient"]) for r in statuses}
    assert by_id[people[1]["id"]][0] == "stopped"
    assert by_id[people[2]["id"]][0] == "deceased"
    assert by_id[people[3]["id"]][1] == 30
    assert (
        await db.fetchval(
            "SELECT count(*) FROM beneficiary WHERE national_id = "
            "'001045999999' AND status = 'active'"
        )
        == 1
    )


async def test_every_event_the_register_wrote_is_numbered_in_outbox_order(
    svc: Stack, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    """Read your writes (issue 19): every change the imports of this module made (set-based
    in SQL, row by row in Python) takes the district's next register position, in the order
    the events are published: 1, 2, 3 … with no gap and no repeat; an ImportApplied that
    applied rows takes the next one after its changes, one that applied nothing (refused,
    every row rejected) repeats the current one; the register-position is the last."""
    people = await candidates(db, 3, offset=101_700)
    batch = await confirm(svc, producer, arrears_rows(people, 300_000, "2027-02"))
    result = await applied_event(db, batch)
    assert sorted(result["applied"]) == [2, 3, 4]
    rows = await db.fetch(
        """SELECT event_type, convert_from(body, 'UTF8')::jsonb -> 'payload' AS payload
           FROM outbox WHERE key = '001' ORDER BY id"""
    )
    events = [json.loads(r["payload"]) | {"type": r["event_type"]} for r in rows]
    assert any(e["type"] == "ImportApplied" and not e["applied"] for e in events)
    expected, last = [], 0
    for e in events:  # the numbering by hand from the rule above
        last += 0 if e["type"] == "ImportApplied" and not e["applied"] else 1
        expected.append(last or None)
    assert [e.get("position") for e in events] == expected
    assert events[-1]["type"] == "ImportApplied"
    assert events[-1]["position"] == last
    assert [e["type"] for e in events[-4:-1]] == ["BeneficiaryChanged"] * 3
    assert (
        await db.fetchval("SELECT position FROM register_position WHERE district_code = '001'")
        == last
    )
