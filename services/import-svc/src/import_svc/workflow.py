"""The import workflow (seed 000 §10C steps 3–5, and the same for §10B and §10A).

Upload: each file is stored with a placeholder batch in ``parsing`` and answered at once.
A worker takes one upload's files (``FOR UPDATE SKIP LOCKED``), reads and validates all of
them together (duplicates are looked for across the upload), splits each file's rows into
one batch per commune and stages them with COPY — all in one transaction, so a crash parses
the upload again and a failed file changes nothing else. Re-validation and confirmation work
on the staged rows; ``ImportConfirmed`` carries the valid rows in checksummed chunks.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import asyncpg
from btxh_common.chunks import split
from btxh_common.envelope import Envelope
from btxh_common.events import (
    ImportApplied,
    ImportConfirmed,
    ImportConfirmedChunk,
    ImportValidated,
)
from btxh_common.logs import get_logger
from btxh_common.outbox import enqueue, enqueue_many
from btxh_common.problems import Conflict
from btxh_common.topics import IMPORT_EVENTS
from prometheus_client import Counter

from import_svc.columns import Kind
from import_svc.reading import FileRefused, Limits, RawRow, read_sheet
from import_svc.validation import Checked, Identity, confirmed_row, normalise_id, validate

log = get_logger(__name__)
PRODUCER = "import-svc"
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
ROWS_READ = Counter("btxh_import_rows_read_total", "Rows read from uploaded workbooks", ["kind"])
ROWS_VALIDATED = Counter("btxh_import_rows_validated_total", "Rows validated", ["kind", "status"])


def month_now() -> date:
    return datetime.now(HCM).date().replace(day=1)


# ---------------------------------------------------------------- read model of identities


async def on_beneficiary(conn: asyncpg.Connection, envelope: Envelope) -> None:
    b = envelope.payload["beneficiary"]
    await conn.execute(
        """INSERT INTO identity (beneficiary_id, district_code, commune_code, national_id,
               full_name, status, birth_date, gender, category, arrears_amount, arrears_period,
               version)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
           ON CONFLICT (beneficiary_id) DO UPDATE SET
               district_code = excluded.district_code, commune_code = excluded.commune_code,
               national_id = excluded.national_id, full_name = excluded.full_name,
               status = excluded.status, birth_date = excluded.birth_date,
               gender = excluded.gender, category = excluded.category,
               arrears_amount = excluded.arrears_amount,
               arrears_period = excluded.arrears_period, version = excluded.version
           WHERE identity.version < excluded.version""",
        UUID(b["id"]),
        b["district_code"],
        b["commune_code"],
        b.get("national_id"),
        b["full_name"],
        b["status"],
        date.fromisoformat(b["birth_date"]) if b.get("birth_date") else None,
        b.get("gender"),
        b.get("category"),
        b.get("arrears_amount") or 0,
        b.get("arrears_period"),
        b["version"],
    )


async def identities(
    conn: asyncpg.Connection, district: str, national_ids: list[str]
) -> dict[str, list[Identity]]:
    rows = await conn.fetch(
        """SELECT beneficiary_id::text, national_id, commune_code, full_name, status,
                  birth_date, gender
           FROM identity WHERE district_code = $1 AND national_id = ANY($2::text[])""",
        district,
        national_ids,
    )
    found: dict[str, list[Identity]] = defaultdict(list)
    for r in rows:
        found[r["national_id"]].append(Identity(**dict(r)))
    return found


# ---------------------------------------------------------------- upload and parsing


async def accept_upload(
    conn: asyncpg.Connection,
    district: str,
    kind: Kind,
    officer: str,
    files: list[tuple[str, bytes]],
) -> list[dict[str, Any]]:
    upload = uuid4()
    batches = []
    async with conn.transaction():
        for name, content in files:
            batch = uuid4()
            await conn.execute(
                """INSERT INTO import_batch (id, upload_id, district_code, kind, file_name,
                       status, created_by) VALUES ($1, $2, $3, $4, $5, 'parsing', $6)""",
                batch,
                upload,
                district,
                kind,
                name,
                officer,
            )
            await conn.execute(
                "INSERT INTO upload_file (batch_id, content) VALUES ($1, $2)", batch, content
            )
            await conn.execute(
                "INSERT INTO upload_progress (batch_id, phase) VALUES ($1, 'queued')", batch
            )
            batches.append(batch)
        await conn.execute("SELECT pg_notify('import_upload', $1)", str(upload))
    return [await summary(conn, b) for b in batches]


async def parse_next(pool: asyncpg.Pool, limits: Limits) -> bool:
    """Parse one waiting upload; False when there is none."""
    async with pool.acquire() as conn, conn.transaction():
        head = await conn.fetchrow(
            """SELECT upload_id FROM import_batch WHERE status = 'parsing'
               ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED"""
        )
        if head is None:
            return False
        files = await conn.fetch(
            """SELECT b.id, b.district_code, b.kind, b.file_name, b.created_by, f.content
               FROM import_batch b JOIN upload_file f ON f.batch_id = b.id
               WHERE b.upload_id = $1 AND b.status = 'parsing'
               ORDER BY b.created_at, b.file_name FOR UPDATE OF b SKIP LOCKED""",
            head["upload_id"],
        )
        await _parse_upload(conn, pool, list(files), limits)
    return True


async def _progress(pool: asyncpg.Pool, batch: UUID, phase: str, rows: int = 0) -> None:
    await pool.execute(
        """INSERT INTO upload_progress (batch_id, phase, rows_read) VALUES ($1, $2, $3)
           ON CONFLICT (batch_id) DO UPDATE SET phase = $2, rows_read = $3, at = now()""",
        batch,
        phase,
        rows,
    )


async def _parse_upload(
    conn: asyncpg.Connection, pool: asyncpg.Pool, files: list[asyncpg.Record], limits: Limits
) -> None:
    sheets: list[tuple[asyncpg.Record, list[RawRow], list[str]]] = []
    for f in files:
        await _progress(pool, f["id"], "reading")
        try:
            sheet = await asyncio.to_thread(read_sheet, f["content"], f["kind"], limits)
        except FileRefused as refused:
            log.info("import.file_refused", batch_id=str(f["id"]), code=refused.code)
            await conn.execute(
                """UPDATE import_batch SET status = 'failed', error = $2, updated_at = now()
                   WHERE id = $1""",
                f["id"],
                json.dumps({"code": refused.code, "message_vi": refused.message_vi}),
            )
            await conn.execute("DELETE FROM upload_file WHERE batch_id = $1", f["id"])
            await _progress(pool, f["id"], "failed")
            continue
        ROWS_READ.labels(f["kind"]).inc(len(sheet.rows))
        await _progress(pool, f["id"], "validating", len(sheet.rows))
        sheets.append((f, sheet.rows, sheet.ignored_headers))
    if not sheets:
        return
    district, kind = sheets[0][0]["district_code"], sheets[0][0]["kind"]
    staged: list[dict[str, Any]] = [
        {"row_no": r.row_no, "values": _jsonable(r.values), "flags": _flags(r), "file": i}
        for i, (_, rows, _) in enumerate(sheets)
        for r in rows
    ]
    checked = await _validate(conn, district, kind, staged)
    per_file: dict[int, list[Checked]] = defaultdict(list)
    for s, c in zip(staged, checked, strict=True):
        per_file[s["file"]].append(c)
    for i, (f, _, ignored) in enumerate(sheets):
        by_commune: dict[str | None, list[Checked]] = defaultdict(list)
        for c in per_file[i]:
            by_commune[c.commune_code].append(c)
        if not by_commune:
            by_commune[None] = []
        flags = {s["row_no"]: s["flags"] for s in staged if s["file"] == i}
        for n, (commune, rows) in enumerate(sorted(by_commune.items(), key=lambda kv: kv[0] or "")):
            batch = f["id"] if n == 0 else uuid4()
            if n == 0:
                await conn.execute(
                    """UPDATE import_batch SET commune_code = $2, status = 'awaiting_review',
                           ignored_headers = $3, updated_at = now() WHERE id = $1""",
                    batch,
                    commune,
                    ignored,
                )
            else:
                await conn.execute(
                    """INSERT INTO import_batch (id, upload_id, district_code, commune_code,
                           kind, file_name, status, created_by, ignored_headers)
                       SELECT $2, upload_id, district_code, $3, kind, file_name,
                              'awaiting_review', created_by, ignored_headers
                       FROM import_batch WHERE id = $1""",
                    f["id"],
                    batch,
                    commune,
                )
            await _stage_rows(conn, batch, rows, flags)
            await _publish_validated(conn, batch)
            await _progress(pool, batch, "done", len(rows))
        await conn.execute("DELETE FROM upload_file WHERE batch_id = $1", f["id"])
        log.info(
            "import.parsed", batch_id=str(f["id"]), rows=len(per_file[i]), communes=len(by_commune)
        )


def _flags(row: RawRow) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if row.issues:
        out["issues"] = row.issues
    if row.hidden:
        out["hidden"] = True
    if row.numeric_id:
        out["numeric_id"] = True
    return out


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date | datetime) else v for k, v in values.items()}


async def _validate(
    conn: asyncpg.Connection, district: str, kind: Kind, rows: list[dict[str, Any]]
) -> list[Checked]:
    ids = sorted({i for r in rows if (i := normalise_id(r["values"].get("national_id")))})
    known = await identities(conn, district, ids)
    checked = validate(kind, rows, known, month_now())
    for c in checked:
        ROWS_VALIDATED.labels(kind, c.status).inc()
    return checked


async def _stage_rows(
    conn: asyncpg.Connection, batch: UUID, rows: list[Checked], flags: dict[int, dict[str, Any]]
) -> None:
    await conn.execute("DELETE FROM import_row WHERE batch_id = $1", batch)
    await conn.copy_records_to_table(
        "import_row",
        records=[
            (
                batch,
                c.row_no,
                c.status,
                json.dumps(c.values, ensure_ascii=False),
                json.dumps(flags.get(c.row_no, {})),
                json.dumps(c.errors, ensure_ascii=False),
                json.dumps(c.warnings, ensure_ascii=False),
                json.dumps(c.duplicate_of, ensure_ascii=False),
                UUID(c.beneficiary_id) if c.beneficiary_id else None,
            )
            for c in rows
        ],
        columns=[
            "batch_id",
            "row_no",
            "status",
            "values",
            "flags",
            "errors",
            "warnings",
            "duplicate_of",
            "beneficiary_id",
        ],
    )
    await conn.execute(
        """UPDATE import_batch b SET total = s.total, valid = s.valid, invalid = s.invalid,
               duplicates = s.duplicates, warnings = s.warnings, skipped = s.skipped,
               updated_at = now()
           FROM (SELECT count(*) FILTER (WHERE status <> 'skipped') AS total,
                        count(*) FILTER (WHERE status = 'valid') AS valid,
                        count(*) FILTER (WHERE status = 'invalid') AS invalid,
                        count(*) FILTER (WHERE status = 'duplicate') AS duplicates,
                        count(*) FILTER (WHERE jsonb_array_length(warnings) > 0) AS warnings,
                        count(*) FILTER (WHERE status = 'skipped') AS skipped
                 FROM import_row WHERE batch_id = $1) s
           WHERE b.id = $1""",
        batch,
    )


async def _publish_validated(conn: asyncpg.Connection, batch: UUID) -> None:
    b = await conn.fetchrow("SELECT * FROM import_batch WHERE id = $1", batch)
    event = ImportValidated(
        batch_id=batch,
        kind=b["kind"],
        commune_code=b["commune_code"] or "",
        total=b["total"],
        valid=b["valid"],
        invalid=b["invalid"],
        duplicates=b["duplicates"],
        warnings=b["warnings"],
    )
    await enqueue(
        conn,
        IMPORT_EVENTS,
        Envelope.wrap(
            event, producer=PRODUCER, district_code=b["district_code"], correlation_id=str(batch)
        ),
    )


# ---------------------------------------------------------------- review


async def summary(conn: asyncpg.Connection, batch: UUID) -> dict[str, Any]:
    b = await conn.fetchrow(
        """SELECT b.*, p.phase, p.rows_read FROM import_batch b
           LEFT JOIN upload_progress p ON p.batch_id = b.id WHERE b.id = $1""",
        batch,
    )
    return {
        "id": str(b["id"]),
        "upload_id": str(b["upload_id"]) if b["upload_id"] else None,
        "district": b["district_code"],
        "kind": b["kind"],
        "file_name": b["file_name"],
        "commune": b["commune_code"],
        "status": b["status"],
        "total": b["total"],
        "valid": b["valid"],
        "invalid": b["invalid"],
        "duplicates": b["duplicates"],
        "warnings": b["warnings"],
        "skipped": b["skipped"],
        "error": json.loads(b["error"]) if b["error"] else None,
        "ignored_columns": list(b["ignored_headers"]),
        "progress": {"phase": b["phase"], "rows_read": b["rows_read"]} if b["phase"] else None,
        "created_by": b["created_by"],
        "created_at": b["created_at"].isoformat(),
        "confirmed_at": b["confirmed_at"].isoformat() if b["confirmed_at"] else None,
        "applied_at": b["applied_at"].isoformat() if b["applied_at"] else None,
    }


def row_view(r: asyncpg.Record) -> dict[str, Any]:
    return {
        "row_no": r["row_no"],
        "status": r["status"],
        "values": json.loads(r["values"]),
        "errors": json.loads(r["errors"]),
        "warnings": json.loads(r["warnings"]),
        "duplicate_of": json.loads(r["duplicate_of"]),
        "beneficiary_id": str(r["beneficiary_id"]) if r["beneficiary_id"] else None,
        "apply_result": json.loads(r["apply_result"]) if r["apply_result"] else None,
    }


async def edit_row(
    conn: asyncpg.Connection, batch: UUID, row_no: int, values: dict[str, Any]
) -> asyncpg.Record | None:
    """Save an officer's edit; flags of the edited cells go (the cell now holds a value)."""
    return await conn.fetchrow(
        """UPDATE import_row SET values = values || $3::jsonb,
               flags = jsonb_set(flags - 'hidden' - CASE WHEN $3::jsonb ? 'national_id'
                                  THEN 'numeric_id' ELSE '' END,
                                 '{issues}', coalesce(flags -> 'issues', '{}') - $4::text[])
           WHERE batch_id = $1 AND row_no = $2 RETURNING *""",
        batch,
        row_no,
        json.dumps(values, ensure_ascii=False),
        list(values),
    )


async def revalidate(conn: asyncpg.Connection, batch: UUID) -> None:
    """Validate the batch's rows again, with the other batches of its upload still in review."""
    b = await conn.fetchrow("SELECT * FROM import_batch WHERE id = $1 FOR UPDATE", batch)
    if b["status"] != "awaiting_review":
        raise Conflict(
            f"Lô đang ở trạng thái {b['status']}: không kiểm tra lại được", code="not_in_review"
        )
    siblings = await conn.fetch(
        """SELECT id FROM import_batch WHERE upload_id = $1 AND status = 'awaiting_review'
           ORDER BY id""",
        b["upload_id"],
    )
    rows = await conn.fetch(
        """SELECT batch_id, row_no, values, flags FROM import_row
           WHERE batch_id = ANY($1::uuid[]) ORDER BY batch_id, row_no""",
        [s["id"] for s in siblings],
    )
    staged = [
        {
            "row_no": r["row_no"],
            "values": json.loads(r["values"]),
            "flags": json.loads(r["flags"]),
            "batch": r["batch_id"],
        }
        for r in rows
    ]
    checked = await _validate(conn, b["district_code"], b["kind"], staged)
    mine = [c for s, c in zip(staged, checked, strict=True) if s["batch"] == batch]
    for c in mine:
        if c.commune_code != b["commune_code"] and not any(
            e["code"] == "commune_mismatch" for e in c.errors
        ):
            c.error("commune_code", "commune_mismatch", c.commune_code)
    flags = {s["row_no"]: s["flags"] for s in staged if s["batch"] == batch}
    await _stage_rows(conn, batch, mine, flags)
    await _publish_validated(conn, batch)


# ---------------------------------------------------------------- confirm and outcome


async def confirm(conn: asyncpg.Connection, batch: UUID, officer: str, skip_invalid: bool) -> None:
    b = await conn.fetchrow("SELECT * FROM import_batch WHERE id = $1 FOR UPDATE", batch)
    if b["status"] != "awaiting_review":
        raise Conflict(
            f"Lô đã ở trạng thái {b['status']}: không xác nhận lại được",
            code="already_confirmed" if b["status"] != "failed" else "batch_failed",
        )
    if b["commune_code"] is None:
        raise Conflict(
            "Lô chưa xác định được xã: sửa mã xã các dòng rồi tải lên lại", code="commune_unknown"
        )
    left = b["invalid"] + b["duplicates"]
    if left and not skip_invalid:
        raise Conflict(
            f"Còn {left} dòng lỗi hoặc trùng: sửa hết, hoặc xác nhận bỏ qua các dòng này",
            code="invalid_rows_left",
        )
    valid = await conn.fetch(
        """SELECT row_no, values, beneficiary_id::text FROM import_row
           WHERE batch_id = $1 AND status = 'valid' ORDER BY row_no""",
        batch,
    )
    if not valid:
        raise Conflict("Lô không có dòng hợp lệ nào để xác nhận", code="nothing_to_confirm")
    kind: Kind = b["kind"]
    rows = [
        confirmed_row(
            kind,
            {
                "row_no": r["row_no"],
                "values": json.loads(r["values"]),
                "beneficiary_id": r["beneficiary_id"],
            },
        )
        for r in valid
    ]
    chunks, manifest = split(
        rows, batch, amount_field="arrears_amount" if kind == "arrears" else None
    )
    district = b["district_code"]
    envelopes = [
        Envelope.wrap(
            ImportConfirmedChunk(chunk=c),
            producer=PRODUCER,
            district_code=district,
            correlation_id=str(batch),
        )
        for c in chunks
    ]
    envelopes.append(
        Envelope.wrap(
            ImportConfirmed(
                batch_id=batch,
                kind=kind,
                commune_code=b["commune_code"],
                confirmed_by=officer,
                manifest=manifest,
            ),
            producer=PRODUCER,
            district_code=district,
            correlation_id=str(batch),
        )
    )
    await enqueue_many(conn, IMPORT_EVENTS, envelopes)
    await conn.execute(
        """UPDATE import_batch SET status = 'confirmed', confirmed_by = $2, confirmed_at = now(),
               updated_at = now() WHERE id = $1""",
        batch,
        officer,
    )
    log.info("import.confirmed", batch_id=str(batch), rows=len(rows))


async def on_applied(conn: asyncpg.Connection, envelope: Envelope) -> None:
    applied = envelope.open(ImportApplied)
    if applied.refused is not None:
        await conn.execute(
            """UPDATE import_batch SET status = 'refused', error = $2, updated_at = now()
               WHERE id = $1 AND status = 'confirmed'""",
            applied.batch_id,
            applied.refused.model_dump_json(),
        )
        return
    if applied.rejected:
        await conn.executemany(
            "UPDATE import_row SET apply_result = $3 WHERE batch_id = $1 AND row_no = $2",
            [(applied.batch_id, r.row_no, r.model_dump_json()) for r in applied.rejected],
        )
    await conn.execute(
        """UPDATE import_batch SET status = $2, applied_at = now(), updated_at = now()
           WHERE id = $1 AND status = 'confirmed'""",
        applied.batch_id,
        "partially_applied" if applied.rejected else "applied",
    )
