"""SQL of settlements and their deadline extensions."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

from settlement_svc.domain.packages import Package
from settlement_svc.domain.settlements import (
    LineTotal,
    Settlement,
    SettlementState,
    SettlementSummary,
)

OPEN, RECEIVED, CLOSED = SettlementState.OPEN, SettlementState.RECEIVED, SettlementState.CLOSED


def _settlement(row: asyncpg.Record | None) -> Settlement | None:
    if row is None:
        return None
    return Settlement(
        id=row["id"],
        package_id=row["package_id"],
        list_id=row["list_id"],
        district_code=row["district_code"],
        period=row["period"],
        deadline=row["deadline"],
        state=SettlementState(row["state"]),
        overdue_since=row["overdue_since"],
        report=json.loads(row["report"]) if row["report"] else None,
        closed_by=row["closed_by"],
        closed_at=row["closed_at"],
    )


async def open_for(
    conn: asyncpg.Connection, settlement_id: UUID, package: Package, deadline: date
) -> None:
    """Open the package's settlement unless it has one."""
    await conn.execute(
        """INSERT INTO settlement (id, package_id, list_id, district_code, period, deadline, state)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (package_id) DO NOTHING""",
        settlement_id,
        package.id,
        package.list_id,
        package.district_code,
        package.period,
        deadline,
        OPEN,
    )


async def get(conn: asyncpg.Connection, settlement_id: UUID) -> Settlement:
    row = await conn.fetchrow("SELECT * FROM settlement WHERE id = $1", settlement_id)
    settlement = _settlement(row)
    assert settlement is not None, settlement_id
    return settlement


async def lock(conn: asyncpg.Connection, settlement_id: UUID) -> Settlement | None:
    row = await conn.fetchrow("SELECT * FROM settlement WHERE id = $1 FOR UPDATE", settlement_id)
    return _settlement(row)


async def lock_of_package(conn: asyncpg.Connection, package_id: UUID) -> Settlement | None:
    row = await conn.fetchrow(
        "SELECT * FROM settlement WHERE package_id = $1 FOR UPDATE", package_id
    )
    return _settlement(row)


_SUMMARIES = """
SELECT s.*, coalesce(e.days, 0)::int AS extended_days, coalesce(t.totals, '[]') AS totals
FROM settlement s
LEFT JOIN LATERAL (SELECT sum(days) AS days FROM extension WHERE settlement_id = s.id) e
       ON true
LEFT JOIN LATERAL (
    SELECT json_agg(json_build_object('status', status, 'count', n, 'amount', amount)
                    ORDER BY status) AS totals
    FROM (SELECT status, count(*) AS n, sum(amount)::bigint AS amount FROM package_line
          WHERE package_id = s.package_id GROUP BY status) lines) t ON true
WHERE s.district_code = $1 AND ($3::text IS NULL OR (s.period, s.id) < ($3, $4::uuid))
ORDER BY s.period DESC, s.id DESC LIMIT $2
"""


async def summaries_of_district(
    conn: asyncpg.Connection, district: str, limit: int, before: list[Any] | None = None
) -> list[SettlementSummary]:
    """The district's settlements, latest period first, each with its extensions and its
    lines totalled by status, in one query: ``limit`` of them, before the key ``before``
    (period, id) of the previous page's last."""
    after_period, after_id = before if before else (None, None)
    rows = await conn.fetch(_SUMMARIES, district, limit, after_period, after_id)
    summaries = []
    for r in rows:
        settlement = _settlement(r)
        assert settlement is not None
        totals = json.loads(r["totals"])
        lines = {t["status"]: LineTotal(count=t["count"], amount=t["amount"]) for t in totals}
        summaries.append(SettlementSummary(settlement, r["extended_days"], lines))
    return summaries


async def extended_days(conn: asyncpg.Connection, settlement_id: UUID) -> int:
    """Days of every extension granted so far."""
    days: int = await conn.fetchval(
        "SELECT coalesce(sum(days), 0)::int FROM extension WHERE settlement_id = $1",
        settlement_id,
    )
    return days


async def add_extension(
    conn: asyncpg.Connection, settlement_id: UUID, days: int, who: str, reason: str
) -> None:
    await conn.execute(
        "INSERT INTO extension (settlement_id, days, decided_by, reason) VALUES ($1, $2, $3, $4)",
        settlement_id,
        days,
        who,
        reason,
    )


async def lock_open_not_overdue(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Open settlements not yet marked overdue (id, district_code, period, and ``due``: the
    deadline with its extensions), locked; those another process holds are skipped."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT s.id, s.district_code, s.period,
                  s.deadline + coalesce((SELECT sum(days) FROM extension e
                                         WHERE e.settlement_id = s.id), 0)::int AS due
           FROM settlement s WHERE s.state = $1 AND s.overdue_since IS NULL
           FOR UPDATE SKIP LOCKED""",
        OPEN,
    )
    return rows


async def mark_overdue(conn: asyncpg.Connection, settlement_id: UUID, since: date) -> None:
    await conn.execute(
        "UPDATE settlement SET overdue_since = $2 WHERE id = $1", settlement_id, since
    )


async def clear_overdue(conn: asyncpg.Connection, settlement_id: UUID) -> None:
    await conn.execute("UPDATE settlement SET overdue_since = NULL WHERE id = $1", settlement_id)


async def mark_received(conn: asyncpg.Connection, settlement_id: UUID, report: str) -> None:
    """The post office's report (JSON) is in."""
    await conn.execute(
        "UPDATE settlement SET state = $3, report = $2 WHERE id = $1",
        settlement_id,
        report,
        RECEIVED,
    )


async def close(conn: asyncpg.Connection, settlement_id: UUID, who: str) -> None:
    await conn.execute(
        "UPDATE settlement SET state = $3, closed_by = $2, closed_at = now() WHERE id = $1",
        settlement_id,
        who,
        CLOSED,
    )


async def close_ended(conn: asyncpg.Connection, package_id: UUID, why: str) -> None:
    """The package ended (recalled, rejected) or was replaced: its settlement, unless closed
    already, is closed, ``closed_by`` saying why."""
    await conn.execute(
        "UPDATE settlement SET state = $2, closed_by = $3, "
        "closed_at = now() WHERE package_id = $1 AND state <> $2",
        package_id,
        CLOSED,
        why,
    )
