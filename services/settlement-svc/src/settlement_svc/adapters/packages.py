"""SQL of packages: one row per list version sent (or kept by hand), and its lines as sent."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import fields
from datetime import timedelta
from typing import Any
from uuid import UUID

import asyncpg
from btxh_common import jsonfast
from btxh_common.chunks import Row

from settlement_svc.domain.packages import (
    AWAITING_ANSWER,
    REPLACEABLE,
    Package,
    PackageState,
)

_FIELDS = [f.name for f in fields(Package)]


def _package(row: asyncpg.Record | None) -> Package | None:
    if row is None:
        return None
    values: dict[str, Any] = {name: row[name] for name in _FIELDS}
    return Package(**{**values, "state": PackageState(row["state"])})


async def lock_latest_replaceable(
    conn: asyncpg.Connection, district: str, period: str, kind: str
) -> Package | None:
    """The version a new one of this district, period and kind replaces, locked."""
    row = await conn.fetchrow(
        """SELECT * FROM package WHERE district_code = $1 AND period = $2 AND kind = $3
             AND state = ANY($4::text[])
           ORDER BY version DESC LIMIT 1 FOR UPDATE""",
        district,
        period,
        kind,
        list(REPLACEABLE),
    )
    return _package(row)


async def insert(
    conn: asyncpg.Connection, package: Package, replaces: UUID | None, rows: list[Row]
) -> None:
    await conn.execute(
        """INSERT INTO package (id, version, list_id, district_code, period, kind, line_count,
               total_amount, sha256, state, replaces)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)""",
        package.id,
        package.version,
        package.list_id,
        package.district_code,
        package.period,
        package.kind,
        package.line_count,
        package.total_amount,
        package.sha256,
        package.state,
        replaces,
    )
    # line_id as the row's text (a UUID checked by the row contract): asyncpg writes the
    # text as a uuid, with no UUID object made for each line
    await conn.copy_records_to_table(
        "package_line",
        records=[
            (package.id, r["line_id"], i, jsonfast.dumps_text(r), r["amount"])
            for i, r in enumerate(rows)
        ],
        columns=["package_id", "line_id", "seq", "body", "amount"],
    )


async def lines(conn: asyncpg.Connection, package_id: UUID) -> list[Row]:
    """The package's lines as they were sent, in order."""
    records = await conn.fetch(
        "SELECT body FROM package_line WHERE package_id = $1 ORDER BY seq", package_id
    )
    return [jsonfast.loads(r["body"]) for r in records]


async def get(conn: asyncpg.Connection, package_id: UUID) -> Package:
    package = _package(await conn.fetchrow("SELECT * FROM package WHERE id = $1", package_id))
    assert package is not None, package_id
    return package


async def lock(conn: asyncpg.Connection, package_id: UUID) -> Package:
    row = await conn.fetchrow("SELECT * FROM package WHERE id = $1 FOR UPDATE", package_id)
    package = _package(row)
    assert package is not None, package_id
    return package


async def lock_if_known(conn: asyncpg.Connection, package_id: UUID) -> Package | None:
    row = await conn.fetchrow("SELECT * FROM package WHERE id = $1 FOR UPDATE", package_id)
    return _package(row)


async def was_acknowledged(conn: asyncpg.Connection, package_id: UUID) -> bool:
    """Whether the post office's acceptance of the package ever reached us."""
    found: bool = await conn.fetchval(
        "SELECT acknowledged_at IS NOT NULL FROM package WHERE id = $1", package_id
    )
    return found


async def district_of(conn: asyncpg.Connection, package_id: UUID) -> str | None:
    district: str | None = await conn.fetchval(
        "SELECT district_code FROM package WHERE id = $1", package_id
    )
    return district


async def of_district(
    conn: asyncpg.Connection, district: str, limit: int, before: list[Any] | None = None
) -> list[asyncpg.Record]:
    """The district's packages newest first: ``limit`` of them, before the key ``before``
    (created_at, id) of the previous page's last."""
    after_at, after_id = before if before else (None, None)
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT id, version, list_id, period, kind, line_count, total_amount, state,
                  attempts, last_error, replaces, sent_at, acknowledged_at, rejected_reason,
                  rejected_detail, rejected_at, released_by, release_reason, released_at,
                  created_at
           FROM package WHERE district_code = $1
             AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4::uuid))
           ORDER BY created_at DESC, id DESC LIMIT $2""",
        district,
        limit,
        after_at,
        after_id,
    )
    return rows


async def waiting_for_recall_of(conn: asyncpg.Connection, package_id: UUID) -> Package | None:
    """The version waiting until this package is back from the post office, locked, if any
    (``replaces``: the package at the post office a new version takes the place of)."""
    row = await conn.fetchrow(
        "SELECT * FROM package WHERE replaces = $1 AND state = $2 FOR UPDATE",
        package_id,
        PackageState.WAITING_RECALL,
    )
    return _package(row)


async def replaces(conn: asyncpg.Connection, package_id: UUID) -> UUID | None:
    found: UUID | None = await conn.fetchval(
        "SELECT replaces FROM package WHERE id = $1", package_id
    )
    return found


async def due(conn: asyncpg.Connection, limit: int = 100) -> list[UUID]:
    """Packages (and recalls) whose answer is overdue, the longest overdue first."""
    rows = await conn.fetch(
        """SELECT id FROM package
           WHERE state = ANY($1::text[]) AND next_attempt_at <= now()
           ORDER BY next_attempt_at LIMIT $2""",
        list(AWAITING_ANSWER),
        limit,
    )
    return [r["id"] for r in rows]


async def lock_if_due(conn: asyncpg.Connection, package_id: UUID) -> Package | None:
    """The package locked if it is still overdue; None if it is not, or another process
    holds it."""
    row = await conn.fetchrow(
        """SELECT * FROM package WHERE id = $1 AND next_attempt_at <= now()
           FOR UPDATE SKIP LOCKED""",
        package_id,
    )
    return _package(row)


async def move(conn: asyncpg.Connection, package_id: UUID, state: PackageState) -> None:
    """Into ``state``: still waiting for an answer only in a state that waits for one; the
    moment of the acceptance kept."""
    await conn.execute(
        """UPDATE package SET state = $2,
               next_attempt_at = CASE WHEN $2 = ANY($3::text[]) THEN next_attempt_at END,
               acknowledged_at = CASE WHEN $2 = $4 THEN now() ELSE acknowledged_at END,
               last_error = CASE WHEN $2 = $4 THEN NULL ELSE last_error END
           WHERE id = $1""",
        package_id,
        state,
        list(AWAITING_ANSWER),
        PackageState.ACKNOWLEDGED,
    )


async def reset_attempts(conn: asyncpg.Connection, package_id: UUID) -> None:
    await conn.execute("UPDATE package SET attempts = 0 WHERE id = $1", package_id)


async def mark_sent(
    conn: asyncpg.Connection, package_id: UUID, attempts: int, wait: timedelta
) -> None:
    await conn.execute(
        """UPDATE package SET state = $4, attempts = $2, next_attempt_at = now() + $3,
               sent_at = coalesce(sent_at, now()) WHERE id = $1""",
        package_id,
        attempts,
        wait,
        PackageState.SENT,
    )


async def schedule(
    conn: asyncpg.Connection, package_id: UUID, attempts: int, wait: timedelta
) -> None:
    await conn.execute(
        "UPDATE package SET attempts = $2, next_attempt_at = now() + $3 WHERE id = $1",
        package_id,
        attempts,
        wait,
    )


async def note_error(conn: asyncpg.Connection, package_id: UUID, error: str) -> None:
    await conn.execute("UPDATE package SET last_error = $2 WHERE id = $1", package_id, error)


async def note_rejection(
    conn: asyncpg.Connection, package_id: UUID, reason: str, detail: str | None
) -> None:
    """The post office's reason for rejecting the package, for the officer."""
    await conn.execute(
        """UPDATE package SET rejected_reason = $2, rejected_detail = $3, rejected_at = now(),
               last_error = $2 || coalesce(': ' || $3, '') WHERE id = $1""",
        package_id,
        reason,
        detail,
    )


async def paid_people(
    conn: asyncpg.Connection, package: Package, held: Collection[PackageState]
) -> dict[str, Any]:
    """The people paid in the packages of ``package``'s list (district, period, kind) in a
    ``held`` state (beneficiary id → paid_on)."""
    rows = await conn.fetch(
        """SELECT l.body->>'beneficiary_id' AS person, l.paid_on
           FROM package_line l JOIN package p ON p.id = l.package_id
           WHERE p.district_code = $1 AND p.period = $2 AND p.kind = $3
             AND p.state = ANY($4::text[]) AND p.id <> $5 AND l.status = 'paid'""",
        package.district_code,
        package.period,
        package.kind,
        list(held),
        package.id,
    )
    return {r["person"]: r["paid_on"] for r in rows}


async def leave_out(
    conn: asyncpg.Connection,
    package_id: UUID,
    line_ids: list[UUID],
    *,
    line_count: int,
    total_amount: int,
    sha256: str,
) -> None:
    """Take lines out of a package not yet sent; its count, total and checksum follow."""
    await conn.execute(
        "DELETE FROM package_line WHERE package_id = $1 AND line_id = ANY($2::uuid[])",
        package_id,
        line_ids,
    )
    await conn.execute(
        """UPDATE package SET line_count = $2, total_amount = $3, sha256 = $4
           WHERE id = $1""",
        package_id,
        line_count,
        total_amount,
        sha256,
    )


async def held_for(conn: asyncpg.Connection, kept_id: UUID) -> Package | None:
    """The version held until the kept package's paid results have come, locked, if any."""
    row = await conn.fetchrow(
        "SELECT * FROM package WHERE replaces = $1 AND state = ANY($2::text[]) FOR UPDATE",
        kept_id,
        [PackageState.WAITING_RESULTS, PackageState.RESULTS_OVERDUE],
    )
    return _package(row)


async def note_refused_paid(conn: asyncpg.Connection, package_id: UUID, paid_count: int) -> None:
    """How many people the post office said it had paid when it refused the recall (the
    largest it said, if it refused more than once)."""
    await conn.execute(
        """UPDATE package SET refused_paid_count = greatest(refused_paid_count, $2)
           WHERE id = $1""",
        package_id,
        paid_count,
    )


async def paid_so_far(conn: asyncpg.Connection, package_id: UUID) -> tuple[int, int | None]:
    """The kept package's people known paid (the post office's word), and how many its
    refusal said were paid (None if no refusal counted any)."""
    row = await conn.fetchrow(
        """SELECT (SELECT count(*) FROM package_line
                   WHERE package_id = $1 AND status = 'paid') AS known,
                  refused_paid_count AS stated
           FROM package WHERE id = $1""",
        package_id,
    )
    return int(row["known"]), row["stated"]


async def note_release(
    conn: asyncpg.Connection, package_id: UUID, officer: str, reason: str
) -> None:
    """An officer let a held version go without the results owed: who and why, kept."""
    await conn.execute(
        """UPDATE package SET released_by = $2, release_reason = $3, released_at = now(),
               last_error = 'released by an officer: ' || $3 WHERE id = $1""",
        package_id,
        officer,
        reason,
    )
