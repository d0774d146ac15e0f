"""Applying confirmed imports (seed QLĐT §10A–C): all valid rows of a batch in one transaction.

Rows arrive as a chunked transfer (``ImportConfirmed`` + ``ImportConfirmed.chunk``). When the
transfer is whole and verified, every row is re-checked against the register as it is now (the
ID may have changed since validation), the rest are applied set-based (COPY into a temporary
table, one ``UPDATE … FROM``), history and ``BeneficiaryChanged`` events are written, and one
``ImportApplied`` says which rows were applied and which were rejected and why.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg
from btxh_common import chunkstore
from btxh_common.envelope import Envelope, current_trace
from btxh_common.events import (
    BeneficiaryChanged,
    ImportApplied,
    ImportConfirmed,
    ImportConfirmedChunk,
    RejectedRow,
)
from btxh_common.logs import get_logger
from btxh_common.outbox import enqueue
from btxh_common.topics import BENEFICIARY_EVENTS

from beneficiary_svc.adapters import db
from beneficiary_svc.domain.values import current_month, fold, month_text, parse_month
from beneficiary_svc.handlers import PRODUCER
from beneficiary_svc.policy_import import apply_policy_rows

log = get_logger(__name__)

REJECT_MESSAGES = {
    "not_found": "Không tìm thấy đối tượng trong cơ sở dữ liệu của huyện",
    "commune_mismatch": "Đối tượng không thuộc xã của lô dữ liệu",
    "beneficiary_removed": "Đối tượng đã bị xóa khỏi hệ thống",
    "national_id_changed": "Số CCCD/CMND trong tệp khác với số hiện có trong hệ thống",
    "national_id_duplicated": "Số CCCD/CMND đang trùng với đối tượng khác trong hệ thống",
    "duplicate_row": "Đối tượng xuất hiện nhiều lần trong lô dữ liệu",
}

# Checks every row against the register as it is at apply time; the first failing rule wins.
_RECHECK = """
UPDATE import_rows t SET reject = c.code FROM (
    SELECT t.row_no, CASE
        WHEN b.id IS NULL OR b.district_code <> $1 THEN 'not_found'
        WHEN b.commune_code <> $2 THEN 'commune_mismatch'
        WHEN b.status = 'removed' THEN 'beneficiary_removed'
        WHEN b.national_id IS DISTINCT FROM t.national_id THEN 'national_id_changed'
        WHEN EXISTS (SELECT 1 FROM beneficiary o WHERE o.national_id = t.national_id
                     AND o.id <> b.id AND o.status <> 'removed') THEN 'national_id_duplicated'
        WHEN count(*) OVER (PARTITION BY t.beneficiary_id) > 1 THEN 'duplicate_row'
    END AS code
    FROM import_rows t LEFT JOIN beneficiary b ON b.id = t.beneficiary_id
) c WHERE c.row_no = t.row_no AND c.code IS NOT NULL
"""

# Every applied row also gets its history row and its BeneficiaryChanged outbox row, built in
# the same statement (migration 0003): $1 officer, $2 source, $3 topic, $4 producer,
# $5 event type, $6 schema version, $7 trace id.
_EVENTS = """, events AS (
    SELECT uuid_v7() AS event_id, upd.* FROM upd
)
INSERT INTO outbox (event_id, topic, key, event_type, headers, body)
SELECT event_id, $3, district_code, $5, envelope_headers(event_id, $5, $6),
       envelope_body(event_id, $5, $6, $4, district_code, id::text, $7,
                     jsonb_build_object('beneficiary', snap, 'changed', to_jsonb(changed),
                                        'source', $2))
FROM events
"""

_ARREARS_UPDATE = """
WITH upd AS (
    UPDATE beneficiary b
    SET arrears_amount = t.arrears_amount, arrears_period = t.arrears_period,
        version = b.version + 1, updated_at = now()
    FROM import_rows t
    JOIN beneficiary o ON o.id = t.beneficiary_id
    WHERE t.reject IS NULL AND b.id = t.beneficiary_id
      AND (o.arrears_amount, o.arrears_period) IS DISTINCT FROM (t.arrears_amount, t.arrears_period)
    RETURNING b.id, b.district_code, beneficiary_snapshot(b) AS snap,
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
    """
WITH upd AS (
    UPDATE beneficiary b SET {sets}, name_folded = COALESCE(t.name_folded, b.name_folded),
           version = b.version + 1, updated_at = now()
    FROM import_rows t JOIN beneficiary o ON o.id = t.beneficiary_id
    WHERE t.reject IS NULL AND b.id = t.beneficiary_id
    RETURNING b.id, b.district_code, beneficiary_snapshot(b) AS snap, t.fields AS changed,
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
        )
    )
    + _EVENTS
)


async def on_chunk(conn: asyncpg.Connection, envelope: Envelope) -> None:
    chunk = envelope.open(ImportConfirmedChunk).chunk
    await chunkstore.store_chunk(conn, chunk)
    await _complete(conn, chunk.transfer_id)


async def on_confirmed(conn: asyncpg.Connection, envelope: Envelope) -> None:
    confirmed = envelope.open(ImportConfirmed)
    meta = {
        "batch_id": str(confirmed.batch_id),
        "kind": confirmed.kind,
        "commune_code": confirmed.commune_code,
        "confirmed_by": confirmed.confirmed_by,
        "district_code": envelope.district_code,
        "event_id": str(envelope.event_id),
    }
    await chunkstore.store_manifest(conn, envelope.event_type, confirmed.manifest, meta)
    await _complete(conn, confirmed.manifest.transfer_id)


async def _complete(conn: asyncpg.Connection, transfer_id: UUID) -> None:
    result = await chunkstore.complete(conn, transfer_id)
    if result.status == "rejected":
        meta = result.meta
        await _publish_applied(
            conn,
            meta,
            [],
            [],
            RejectedRow(
                row_no=0,
                code=result.error_code or "transfer_rejected",
                message_vi="Dữ liệu truyền nhận không khớp (số dòng, tổng tiền hoặc mã kiểm tra)",
            ),
        )
    if result.status != "complete":
        return
    await apply_rows(conn, result.meta, result.rows)


async def apply_rows(
    conn: asyncpg.Connection, meta: dict[str, Any], rows: list[dict[str, Any]]
) -> None:
    district, batch = meta["district_code"], meta["batch_id"]
    log.info("import.apply_started", batch_id=batch, kind=meta["kind"], rows=len(rows))
    lock = await db.active_lock(conn, district, current_month())
    if lock is not None:
        refused = RejectedRow(
            row_no=0,
            code="data_locked",
            message_vi=(
                f"Dữ liệu tháng {month_text(lock['month'])} đã được chốt; lô không được áp dụng"
            ),
        )
        await _publish_applied(conn, meta, [], [], refused)
        return
    appliers: dict[str, Callable[..., Awaitable[tuple[list[int], list[RejectedRow]]]]] = {
        "arrears": _apply_arrears,
        "info": _apply_info,
        "policy": apply_policy_rows,
    }
    applied, rejected = await appliers[meta["kind"]](conn, meta, rows)
    await _publish_applied(conn, meta, applied, rejected, None)
    log.info("import.applied", batch_id=batch, applied=len(applied), rejected=len(rejected))


async def _stage(
    conn: asyncpg.Connection,
    meta: dict[str, Any],
    columns: str,
    names: list[str],
    records: list[tuple[Any, ...]],
) -> list[RejectedRow]:
    await conn.execute(f"""CREATE TEMP TABLE import_rows (row_no int PRIMARY KEY,
        beneficiary_id uuid, national_id text, {columns}, reject text) ON COMMIT DROP""")
    await conn.copy_records_to_table(
        "import_rows", records=records, columns=["row_no", "beneficiary_id", "national_id", *names]
    )
    await conn.execute(_RECHECK, meta["district_code"], meta["commune_code"])
    rows = await conn.fetch(
        "SELECT row_no, reject FROM import_rows WHERE reject IS NOT NULL ORDER BY row_no"
    )
    return [
        RejectedRow(row_no=r["row_no"], code=r["reject"], message_vi=REJECT_MESSAGES[r["reject"]])
        for r in rows
    ]


async def _apply_arrears(
    conn: asyncpg.Connection, meta: dict[str, Any], rows: list[dict[str, Any]]
) -> tuple[list[int], list[RejectedRow]]:
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
    rejected = await _stage(
        conn,
        meta,
        "arrears_amount bigint, arrears_period date",
        ["arrears_amount", "arrears_period"],
        records,
    )
    await _apply_with_events(conn, _APPLY_ARREARS, meta)
    return _applied(rows, rejected), rejected


async def _apply_info(
    conn: asyncpg.Connection, meta: dict[str, Any], rows: list[dict[str, Any]]
) -> tuple[list[int], list[RejectedRow]]:
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
    rejected = await _stage(
        conn,
        meta,
        "fields text[], full_name text, name_folded text, birth_date date, gender text, "
        "address text, phone text, bank_account text, bank_name text",
        ["fields", "full_name", "name_folded", "birth_date", *INFO_COLUMNS[2:]],
        records,
    )
    await _apply_with_events(conn, _APPLY_INFO, meta)
    return _applied(rows, rejected), rejected


def _applied(rows: list[dict[str, Any]], rejected: list[RejectedRow]) -> list[int]:
    out = {r.row_no for r in rejected}
    return [r["row_no"] for r in rows if r["row_no"] not in out]


async def _apply_with_events(
    conn: asyncpg.Connection, statement: str, meta: dict[str, Any]
) -> None:
    await conn.execute(
        statement,
        meta["confirmed_by"],
        f"import:{meta['batch_id']}",
        BENEFICIARY_EVENTS,
        PRODUCER,
        BeneficiaryChanged.event_type,
        BeneficiaryChanged.schema_version,
        current_trace.get(),
    )


async def _publish_applied(
    conn: asyncpg.Connection,
    meta: dict[str, Any],
    applied: list[int],
    rejected: list[RejectedRow],
    refused: RejectedRow | None,
) -> None:
    event = ImportApplied(
        batch_id=UUID(meta["batch_id"]), applied=applied, rejected=rejected, refused=refused
    )
    await enqueue(
        conn,
        BENEFICIARY_EVENTS,
        Envelope.wrap(
            event,
            producer=PRODUCER,
            district_code=meta["district_code"],
            correlation_id=meta["batch_id"],
        ),
    )
