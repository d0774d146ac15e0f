"""The SQL of staged rows (import_row): staging by COPY, review pages, edits, outcomes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import asyncpg
from btxh_common.events import RejectedRow

from import_svc.domain.findings import Checked

COLUMNS = [
    "batch_id",
    "row_no",
    "status",
    "values",
    "flags",
    "errors",
    "warnings",
    "duplicate_of",
    "beneficiary_id",
]


_JSON = json.JSONEncoder(ensure_ascii=False).encode


def record(batch: UUID, c: Checked, flags: dict[str, Any]) -> tuple[Any, ...]:
    """A checked row as ``import_row`` stores it (``COLUMNS``; most rows have no findings:
    their empty lists are written as they are)."""
    return (
        batch,
        c.row_no,
        c.status,
        _JSON(c.values),
        _JSON(flags) if flags else "{}",
        _JSON(c.errors) if c.errors else "[]",
        _JSON(c.warnings) if c.warnings else "[]",
        _JSON(c.duplicate_of) if c.duplicate_of else "[]",
        c.beneficiary_id,  # text: asyncpg's uuid codec takes it as it is
    )


async def append(conn: asyncpg.Connection, records: list[tuple[Any, ...]]) -> None:
    """Rows (``record``) added to staging with COPY."""
    await conn.copy_records_to_table("import_row", records=records, columns=COLUMNS)


async def stage(
    conn: asyncpg.Connection, batch: UUID, rows: list[Checked], flags: dict[int, dict[str, Any]]
) -> None:
    """Replace the batch's rows with ``rows`` (COPY); ``count`` then counts them."""
    await conn.execute("DELETE FROM import_row WHERE batch_id = $1", batch)
    await append(conn, [record(batch, c, flags.get(c.row_no, {})) for c in rows])


async def replace(conn: asyncpg.Connection, records: list[tuple[Any, ...]]) -> None:
    """These rows (``record``) instead of the ones staged with their batch and row number."""
    await conn.execute(
        """DELETE FROM import_row r USING unnest($1::uuid[], $2::int[]) AS k(batch_id, row_no)
           WHERE r.batch_id = k.batch_id AND r.row_no = k.row_no""",
        [r[0] for r in records],
        [r[1] for r in records],
    )
    await append(conn, records)


async def count(conn: asyncpg.Connection, batch: UUID) -> None:
    """The batch's staged rows counted on the batch."""
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


async def staged(conn: asyncpg.Connection, batches: list[UUID]) -> list[dict[str, Any]]:
    """The rows of ``batches`` as validation takes them (``batch`` says whose)."""
    rows = await conn.fetch(
        """SELECT batch_id, row_no, values, flags FROM import_row
           WHERE batch_id = ANY($1::uuid[]) ORDER BY batch_id, row_no""",
        batches,
    )
    return [_found(r) for r in rows]


async def holding(
    conn: asyncpg.Connection, batches: list[UUID], national_ids: list[str]
) -> list[dict[str, Any]]:
    """The rows of ``batches`` (not skipped) holding one of ``national_ids``, as ``staged``."""
    rows = await conn.fetch(
        """SELECT batch_id, row_no, values, flags FROM import_row
           WHERE batch_id = ANY($1::uuid[]) AND status <> 'skipped'
             AND values ->> 'national_id' = ANY($2::text[])
           ORDER BY batch_id, row_no""",
        batches,
        national_ids,
    )
    return [_found(r) for r in rows]


def _found(r: asyncpg.Record) -> dict[str, Any]:
    return {
        "row_no": r["row_no"],
        "values": json.loads(r["values"]),
        "flags": json.loads(r["flags"]),
        "batch": r["batch_id"],
    }


async def page(
    conn: asyncpg.Connection, batch: UUID, offset: int, size: int, status: str | None
) -> list[dict[str, Any]]:
    """A page of the batch's rows for review: invalid first, then duplicates, then valid."""
    rows = await conn.fetch(
        """SELECT * FROM import_row WHERE batch_id = $1
             AND ($4::text IS NULL OR status = $4)
           ORDER BY CASE status WHEN 'invalid' THEN 0 WHEN 'duplicate' THEN 1
                                WHEN 'valid' THEN 2 ELSE 3 END, row_no
           OFFSET $2 LIMIT $3""",
        batch,
        offset,
        size,
        status,
    )
    return [_review(r) for r in rows]


async def edit(
    conn: asyncpg.Connection, batch: UUID, row_no: int, values: dict[str, Any]
) -> dict[str, Any] | None:
    """Save an officer's edit: the row is ``unvalidated`` until the batch is validated again;
    flags of the edited cells go (the cell now holds a value)."""
    saved = await conn.fetchrow(
        """UPDATE import_row SET values = values || $3::jsonb, status = 'unvalidated',
               errors = '[]', warnings = '[]', duplicate_of = '[]',
               flags = jsonb_set(flags - 'hidden' - CASE WHEN $3::jsonb ? 'national_id'
                                  THEN 'numeric_id' ELSE '' END,
                                 '{issues}', coalesce(flags -> 'issues', '{}') - $4::text[])
           WHERE batch_id = $1 AND row_no = $2 RETURNING *""",
        batch,
        row_no,
        json.dumps(values, ensure_ascii=False),
        list(values),
    )
    return None if saved is None else _review(saved)


async def unvalidated(conn: asyncpg.Connection, batch: UUID) -> int:
    """How many rows were edited since the batch was last validated."""
    left: int = await conn.fetchval(
        "SELECT count(*) FROM import_row WHERE batch_id = $1 AND status = 'unvalidated'", batch
    )
    return left


async def valid(conn: asyncpg.Connection, batch: UUID) -> list[dict[str, Any]]:
    """The rows to confirm, in row order."""
    rows = await conn.fetch(
        """SELECT row_no, values, beneficiary_id::text FROM import_row
           WHERE batch_id = $1 AND status = 'valid' ORDER BY row_no""",
        batch,
    )
    return [
        {
            "row_no": r["row_no"],
            "values": json.loads(r["values"]),
            "beneficiary_id": r["beneficiary_id"],
        }
        for r in rows
    ]


async def record_rejected(
    conn: asyncpg.Connection, batch: UUID, rejected: Sequence[RejectedRow]
) -> None:
    """Why beneficiary-svc did not apply these rows, on each row."""
    await conn.executemany(
        "UPDATE import_row SET apply_result = $3 WHERE batch_id = $1 AND row_no = $2",
        [(batch, r.row_no, r.model_dump_json()) for r in rejected],
    )


def _review(r: asyncpg.Record) -> dict[str, Any]:
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
