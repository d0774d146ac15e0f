"""The set-based apply of arrears and information imports: rows COPYed into a temporary
table, re-checked against the register in one statement, applied with one ``UPDATE … FROM``
that also writes each person's history row and ``BeneficiaryChanged`` outbox row."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import asyncpg
from btxh_common.chunks import Row
from btxh_common.events import BeneficiaryChanged

from beneficiary_svc.adapters import positions
from beneficiary_svc.domain.values import fold, parse_month

# Checks every row against the register as it is at apply time; the first failing rule wins.
# Set-based: the holders of each staged national ID are counted in one grouped pass (a person
# whose ID another living person also holds), not probed row by row.
_RECHECK = """
UPDATE import_rows t SET reject = c.code FROM (
    SELECT t.row_no, CASE
        WHEN b.id IS NULL OR b.district_code <> $1 THEN 'not_found'
        WHEN b.commune_code <> $2 THEN 'commune_mismatch'
        WHEN b.status = 'removed' THEN 'beneficiary_removed'
        WHEN b.national_id IS DISTINCT FROM t.national_id THEN 'national_id_changed'
        WHEN h.holders > 1 THEN 'national_id_duplicated'
        WHEN count(*) OVER (PARTITION BY t.beneficiary_id) > 1 THEN 'duplicate_row'
    END AS code
    FROM import_rows t LEFT JOIN beneficiary b ON b.id = t.beneficiary_id
    LEFT JOIN (SELECT national_id, count(*) AS holders FROM beneficiary
               WHERE national_id IN (SELECT national_id FROM import_rows)
                 AND status <> 'removed'
               GROUP BY national_id) h ON h.national_id = t.national_id
) c WHERE c.row_no = t.row_no AND c.code IS NOT NULL
"""

# The timelines of the people about to change, in one grouped pass (migration 0012), as JSON
# text (migration 0014).
_TIMELINES = """
WITH tl AS (
    SELECT p.beneficiary_id,
           '[' || string_agg(policy_period_text(p), ',' ORDER BY p.from_month) || ']' AS timeline
    FROM policy_period p JOIN import_rows t ON t.beneficiary_id = p.beneficiary_id
    WHERE t.reject IS NULL
    GROUP BY p.beneficiary_id
), """
_SNAPSHOT = "beneficiary_snapshot_text(b, coalesce(tl.timeline, '[]')) AS snap"

# Every applied row also gets its history row and its BeneficiaryChanged outbox row, built in
# the same statement (migration 0003): $1 officer, $2 source, $3 topic, $4 producer,
# $5 event type, $6 schema version, $7 trace id, $8 the district's register position before
# them (each event takes the next number; migration 0008); the body is json text (migration
# 0012), put together as text (migration 0014). The rows go into the outbox in the order they
# are numbered (no ORDER BY: sorting 100k wide rows would cost more than the apply's events).
# Callers only ever hold the position before the batch or the one of its ImportApplied,
# enqueued after these, so no one waits for a number inside the batch.
_EVENTS = """, events AS (
    SELECT uuid_v7() AS event_id, row_number() OVER () AS n, upd.* FROM upd
)
INSERT INTO outbox (event_id, topic, key, event_type, headers, body)
SELECT event_id, $3, district_code, $5, envelope_headers(event_id, $5, $6),
       envelope_body_text(event_id, $5, $6, $4, district_code, id::text, $7,
                          concat('{"beneficiary":', snap, ',"changed":', to_json(changed),
                                 ',"source":', json_text($2), ',"position":', $8::bigint + n,
                                 '}'))
FROM events
"""

_ARREARS_UPDATE = (
    _TIMELINES  # noqa: S608 - fixed text, no input
    + """upd AS (
    UPDATE beneficiary b
    SET arrears_amount = t.arrears_amount, arrears_period = t.arrears_period,
        version = b.version + 1, updated_at = now()
    FROM import_rows t
    JOIN beneficiary o ON o.id = t.beneficiary_id
    LEFT JOIN tl ON tl.beneficiary_id = t.beneficiary_id
    WHERE t.reject IS NULL AND b.id = t.beneficiary_id
      AND (o.arrears_amount, o.arrears_period) IS DISTINCT FROM (t.arrears_amount, t.arrears_period)
    RETURNING b.id, b.district_code,
              beneficiary_snapshot_text(b, coalesce(tl.timeline, '[]')) AS snap,
              ARRAY['arrears_amount', 'arrears_period'] AS changed,
              b.arrears_amount, b.arrears_period,
              o.arrears_amount AS old_amount, o.arrears_period AS old_period
), hist AS (
    INSERT INTO beneficiary_history (beneficiary_id, district_code, officer, action, source,
                                     changed, before, after)
    SELECT id, district_code, $1, 'import_arrears', $2, changed,
           jsonb_build_object('arrears_amount', old_amount,
                              'arrears_period', to_char(old_period, 'YYYY-MM')),
           jsonb_build_object('arrears_amount', arrears_amount,
                              'arrears_period', to_char(arrears_period, 'YYYY-MM'))
    FROM upd
)"""
)
_APPLY_ARREARS = _ARREARS_UPDATE + _EVENTS

INFO_COLUMNS = (
    "full_name",
    "birth_date",
    "gender",
    "address",
    "phone",
    "bank_account",
    "bank_name",
)

_APPLY_INFO = (
    _TIMELINES
    + """upd AS (
    UPDATE beneficiary b SET {sets}, name_folded = COALESCE(t.name_folded, b.name_folded),
           version = b.version + 1, updated_at = now()
    FROM import_rows t JOIN beneficiary o ON o.id = t.beneficiary_id
    LEFT JOIN tl ON tl.beneficiary_id = t.beneficiary_id
    WHERE t.reject IS NULL AND b.id = t.beneficiary_id
    RETURNING b.id, b.district_code, {snapshot}, t.fields AS changed,
              to_jsonb(b) AS new, to_jsonb(o) AS old
), hist AS (
    INSERT INTO beneficiary_history (beneficiary_id, district_code, officer, action, source,
                                     changed, before, after)
    SELECT id, district_code, $1, 'import_info', $2, changed,
           (SELECT jsonb_object_agg(f, old -> f) FROM unnest(changed) f),
           (SELECT jsonb_object_agg(f, new -> f) FROM unnest(changed) f)
    FROM upd
)""".format(  # noqa: S608 - fixed column names, no input
        sets=", ".join(
            f"{c} = CASE WHEN '{c}' = ANY(t.fields) THEN t.{c} ELSE b.{c} END" for c in INFO_COLUMNS
        ),
        snapshot=_SNAPSHOT,
    )
    + _EVENTS
)


async def stage_arrears(
    conn: asyncpg.Connection, district: str, commune: str, rows: list[Row]
) -> list[tuple[int, str]]:
    """Stage arrears rows and re-check them; the ``(row_no, code)`` of those rejected."""
    records = [
        (
            r["row_no"],
            UUID(r["beneficiary_id"]),
            r["national_id"],
            r["arrears_amount"],
            parse_month(r["arrears_period"]) if r.get("arrears_period") else None,
        )
        for r in rows
    ]
    return await _stage(
        conn,
        district,
        commune,
        "arrears_amount bigint, arrears_period date",
        ["arrears_amount", "arrears_period"],
        records,
    )


async def stage_info(
    conn: asyncpg.Connection, district: str, commune: str, rows: list[Row]
) -> list[tuple[int, str]]:
    """Stage information rows (each with the fields it names) and re-check them."""
    records = []
    for r in rows:
        fields = [c for c in INFO_COLUMNS if c in r]
        name = r.get("full_name")
        birth = date.fromisoformat(r["birth_date"]) if r.get("birth_date") else None
        records.append(
            (
                r["row_no"],
                UUID(r["beneficiary_id"]),
                r["national_id"],
                fields,
                name,
                fold(name) if name else None,
                birth,
                *(r.get(c) for c in INFO_COLUMNS[2:]),
            )
        )
    return await _stage(
        conn,
        district,
        commune,
        "fields text[], full_name text, name_folded text, birth_date date, gender text, "
        "address text, phone text, bank_account text, bank_name text",
        ["fields", "full_name", "name_folded", "birth_date", *INFO_COLUMNS[2:]],
        records,
    )


async def _stage(
    conn: asyncpg.Connection,
    district: str,
    commune: str,
    columns: str,
    names: list[str],
    records: list[tuple[Any, ...]],
) -> list[tuple[int, str]]:
    await conn.execute(f"""CREATE TEMP TABLE import_rows (row_no int PRIMARY KEY,
        beneficiary_id uuid, national_id text, {columns}, reject text) ON COMMIT DROP""")
    await conn.copy_records_to_table(
        "import_rows", records=records, columns=["row_no", "beneficiary_id", "national_id", *names]
    )
    # The planner must know the batch's size (hash joins, not 100k index probes); a batch
    # this size gains nothing from JIT compilation, which costs ~0.2 s a statement.
    await conn.execute("ANALYZE import_rows; SET LOCAL jit = off; SET LOCAL work_mem = '256MB'")
    await conn.execute(_RECHECK, district, commune)
    rows = await conn.fetch(
        "SELECT row_no, reject FROM import_rows WHERE reject IS NOT NULL ORDER BY row_no"
    )
    return [(r["row_no"], r["reject"]) for r in rows]


async def apply_arrears(
    conn: asyncpg.Connection,
    *,
    district: str,
    officer: str,
    source: str,
    topic: str,
    producer: str,
    trace: str | None,
) -> None:
    """Apply the staged rows that passed the re-check, with history and events."""
    await _apply(conn, _APPLY_ARREARS, district, officer, source, topic, producer, trace)


async def apply_info(
    conn: asyncpg.Connection,
    *,
    district: str,
    officer: str,
    source: str,
    topic: str,
    producer: str,
    trace: str | None,
) -> None:
    """Apply the staged rows that passed the re-check, with history and events."""
    await _apply(conn, _APPLY_INFO, district, officer, source, topic, producer, trace)


async def _apply(
    conn: asyncpg.Connection,
    statement: str,
    district: str,
    officer: str,
    source: str,
    topic: str,
    producer: str,
    trace: str | None,
) -> None:
    """One statement for every row; the events it writes take the district's next register
    positions (the district's row stays locked from here to commit)."""
    before = await positions.advance(conn, district, 0)
    status = await conn.execute(
        statement,
        officer,
        source,
        topic,
        producer,
        BeneficiaryChanged.event_type,
        BeneficiaryChanged.schema_version,
        trace,
        before,
    )
    await positions.advance(conn, district, int(status.split()[-1]))
