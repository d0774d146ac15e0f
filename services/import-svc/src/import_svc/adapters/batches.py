"""The SQL of batches: import_batch, the uploaded file until parsed, the parse's progress.

Progress is written outside the parsing transaction, so it shows while the parse runs.

Every change of a batch's status is an event of the domain's ``TRANSITIONS``: the update sets
the event's ``target`` and changes the batch only while its status is one of the event's
``sources`` (``status = ANY($3)``), both passed as parameters, so the table is the one place
that says which move is allowed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg

from import_svc.adapters import files as stored_files
from import_svc.domain.batch import (
    IN_REVIEW,
    INITIAL,
    Applied,
    Event,
    Progress,
    Status,
    sources,
    target,
)
from import_svc.domain.columns import Kind


def guard(event: Event) -> tuple[Status, list[Status]]:
    """``$2, $3`` of an update for ``event``: the status it sets, and those it may leave."""
    return target(event), sources(event)


def moved(done: str, batch: UUID, event: Event) -> None:
    """An update made under the batch's own lock (``FOR UPDATE``, its status checked) that
    changed nothing is a bug: refused loudly, the transaction rolled back."""
    if done != "UPDATE 1":
        raise RuntimeError(f"batch {batch}: {event} refused by its status")


VIEW = """SELECT b.*, p.phase, p.rows_read, p.rows_validated, p.rows_staged FROM import_batch b
          LEFT JOIN upload_progress p ON p.batch_id = b.id"""


async def add_upload(
    conn: asyncpg.Connection,
    upload: UUID,
    district: str,
    kind: Kind,
    officer: str,
    files: list[tuple[UUID, str, Path]],
) -> None:
    """One batch in ``parsing`` per spooled file ``(batch, name, path)``, each stored part by
    part (``files.store``); the worker is woken at commit."""
    for batch, name, path in files:
        await conn.execute(
            """INSERT INTO import_batch (id, upload_id, district_code, kind, file_name,
                   status, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)""",
            batch,
            upload,
            district,
            kind,
            name,
            INITIAL,
            officer,
        )
        await conn.execute("INSERT INTO upload_file (batch_id) VALUES ($1)", batch)
        await stored_files.store(conn, batch, path)
        await conn.execute(
            "INSERT INTO upload_progress (batch_id, phase) VALUES ($1, 'queued')", batch
        )
    await conn.execute("SELECT pg_notify('import_upload', $1)", str(upload))


async def lock_next_upload(conn: asyncpg.Connection) -> list[asyncpg.Record] | None:
    """The files of the upload to parse next, locked, without their content: uploads never
    tried first, then the oldest; None when there is none. ``'parsing'`` is ``INITIAL``,
    written out so that the partial index ``import_batch_parsing`` serves the query."""
    head = await conn.fetchrow(
        """SELECT b.upload_id FROM import_batch b JOIN upload_file f ON f.batch_id = b.id
           WHERE b.status = 'parsing'
           ORDER BY f.attempts, b.created_at LIMIT 1 FOR UPDATE OF b SKIP LOCKED"""
    )
    if head is None:
        return None
    return list(
        await conn.fetch(
            """SELECT b.id, b.district_code, b.kind, b.file_name, b.created_by, f.attempts
               FROM import_batch b JOIN upload_file f ON f.batch_id = b.id
               WHERE b.upload_id = $1 AND b.status = 'parsing'
               ORDER BY b.created_at, b.file_name FOR UPDATE OF b SKIP LOCKED""",
            head["upload_id"],
        )
    )


async def count_attempt(pool: asyncpg.Pool, batch: UUID) -> None:
    """One more attempt at reading the file, committed at once (outside the parse's
    transaction), so it counts even when the attempt takes the parse down with it."""
    await pool.execute("UPDATE upload_file SET attempts = attempts + 1 WHERE batch_id = $1", batch)


async def set_progress(pool: asyncpg.Pool, batch: UUID, progress: Progress) -> None:
    """Where the parse of the batch's file is, committed at once (seen while it runs)."""
    await pool.execute(
        """INSERT INTO upload_progress (batch_id, phase, rows_read, rows_validated, rows_staged)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (batch_id) DO UPDATE SET phase = $2, rows_read = $3,
               rows_validated = $4, rows_staged = $5, at = now()""",
        batch,
        progress.phase,
        progress.read,
        progress.validated,
        progress.staged,
    )


async def fail_file(conn: asyncpg.Connection, batch: UUID, code: str, message_vi: str) -> None:
    """A file that could not be read: the batch says why, the file goes."""
    done = await conn.execute(
        """UPDATE import_batch SET status = $2, error = $4, updated_at = now()
           WHERE id = $1 AND status = ANY($3::text[])""",
        batch,
        *guard("read_failed"),
        json.dumps({"code": code, "message_vi": message_vi}),
    )
    moved(done, batch, "read_failed")
    await drop_file(conn, batch)


async def drop_file(conn: asyncpg.Connection, batch: UUID) -> None:
    await conn.execute("DELETE FROM upload_file WHERE batch_id = $1", batch)


async def to_review(
    conn: asyncpg.Connection, batch: UUID, commune: str | None, ignored: list[str]
) -> None:
    """The file's own batch, now holding its first commune's rows."""
    done = await conn.execute(
        """UPDATE import_batch SET status = $2, commune_code = $4, ignored_headers = $5,
               updated_at = now() WHERE id = $1 AND status = ANY($3::text[])""",
        batch,
        *guard("parsed"),
        commune,
        ignored,
    )
    moved(done, batch, "parsed")


async def add_commune(
    conn: asyncpg.Connection, file_batch: UUID, batch: UUID, commune: str | None
) -> None:
    """One more batch of the same file, for another commune: parsed as the file's own."""
    await conn.execute(
        """INSERT INTO import_batch (id, upload_id, district_code, commune_code,
               kind, file_name, status, created_by, ignored_headers)
           SELECT $2, upload_id, district_code, $3, kind, file_name,
                  $4, created_by, ignored_headers
           FROM import_batch WHERE id = $1""",
        file_batch,
        batch,
        commune,
        target("parsed"),
    )


async def get(conn: asyncpg.Connection, batch: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM import_batch WHERE id = $1", batch)


async def lock(conn: asyncpg.Connection, batch: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM import_batch WHERE id = $1 FOR UPDATE", batch)


async def district_of(conn: asyncpg.Connection, batch: UUID) -> str | None:
    district: str | None = await conn.fetchval(
        "SELECT district_code FROM import_batch WHERE id = $1", batch
    )
    return district


async def lock_status(conn: asyncpg.Connection, batch: UUID) -> str | None:
    status: str | None = await conn.fetchval(
        "SELECT status FROM import_batch WHERE id = $1 FOR UPDATE", batch
    )
    return status


async def in_review(conn: asyncpg.Connection, upload: UUID | None) -> list[UUID]:
    """The batches of an upload still in review (validated together: duplicates span them)."""
    rows = await conn.fetch(
        "SELECT id FROM import_batch WHERE upload_id = $1 AND status = $2 ORDER BY id",
        upload,
        IN_REVIEW,
    )
    return [r["id"] for r in rows]


async def view(conn: asyncpg.Connection, batch: UUID) -> asyncpg.Record | None:
    """The batch with its parse's progress."""
    return await conn.fetchrow(VIEW + " WHERE b.id = $1", batch)


async def views(
    conn: asyncpg.Connection,
    district: str,
    status: str | None,
    upload: UUID | None,
    limit: int,
    before: list[Any] | None = None,
) -> list[asyncpg.Record]:
    """The district's batches, newest first, with their progress: ``limit`` of them, before
    the key (created_at, id) of the previous page's last."""
    after_at, after_id = before if before else (None, None)
    return list(
        await conn.fetch(
            VIEW
            + """ WHERE b.district_code = $1 AND ($2::text IS NULL OR b.status = $2)
                    AND ($3::uuid IS NULL OR b.upload_id = $3)
                    AND ($5::timestamptz IS NULL OR (b.created_at, b.id) < ($5, $6::uuid))
                  ORDER BY b.created_at DESC, b.id DESC LIMIT $4""",
            district,
            status,
            upload,
            limit,
            after_at,
            after_id,
        )
    )


async def views_of(conn: asyncpg.Connection, ids: list[UUID]) -> list[asyncpg.Record]:
    """These batches with their progress, in the order given, in one query."""
    return list(
        await conn.fetch(
            VIEW + " WHERE b.id = ANY($1::uuid[]) ORDER BY array_position($1::uuid[], b.id)",
            ids,
        )
    )


async def mark_confirmed(conn: asyncpg.Connection, batch: UUID, officer: str) -> None:
    """Under the lock the confirmation took (its status checked by ``ensure_confirmable``)."""
    done = await conn.execute(
        """UPDATE import_batch SET status = $2, confirmed_by = $4, confirmed_at = now(),
               updated_at = now() WHERE id = $1 AND status = ANY($3::text[])""",
        batch,
        *guard("confirm"),
        officer,
    )
    moved(done, batch, "confirm")


async def mark_refused(conn: asyncpg.Connection, batch: UUID, error: str) -> bool:
    """beneficiary-svc refused the batch as a whole; ``error`` is its reason as JSON. False
    (nothing changed) for a batch not waiting for that answer."""
    done = await conn.execute(
        """UPDATE import_batch SET status = $2, error = $4, updated_at = now()
           WHERE id = $1 AND status = ANY($3::text[])""",
        batch,
        *guard("refused"),
        error,
    )
    return bool(done == "UPDATE 1")


async def mark_applied(conn: asyncpg.Connection, batch: UUID, event: Applied) -> bool:
    """beneficiary-svc applied the batch (``partially_applied``: some rows rejected). False
    (nothing changed) for a batch not waiting for that answer."""
    done = await conn.execute(
        """UPDATE import_batch SET status = $2, applied_at = now(), updated_at = now()
           WHERE id = $1 AND status = ANY($3::text[])""",
        batch,
        *guard(event),
    )
    return bool(done == "UPDATE 1")
