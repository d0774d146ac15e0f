"""SQL of each person's outcome on a package's lines (results, statuses kept by hand)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg
from btxh_common.events import LineStatus
from btxh_common.postoffice import PersonResult

from settlement_svc.domain.packages import Package, PackageState
from settlement_svc.domain.settlements import LineTotal
from settlement_svc.domain.words import Elsewhere


async def outcomes(
    conn: asyncpg.Connection, package_id: UUID, line_ids: Sequence[UUID]
) -> dict[UUID, tuple[str, str | None]]:
    """Status and paid_on (ISO) recorded for these of the package's lines."""
    rows = await conn.fetch(
        """SELECT line_id, status, paid_on FROM package_line
           WHERE package_id = $1 AND line_id = ANY($2::uuid[])""",
        package_id,
        list(line_ids),
    )
    return {
        r["line_id"]: (r["status"], r["paid_on"].isoformat() if r["paid_on"] else None)
        for r in rows
    }


async def elsewhere(
    conn: asyncpg.Connection, package: Package, line_ids: Sequence[UUID]
) -> dict[UUID, Elsewhere]:
    """For these of the package's lines, what the other packages of its list (district,
    period, kind) hold for the same person: a newer version sent to the post office, a
    payment (the post office's word or a supervisor's). Lines whose person no other package
    has are left out. The other packages' lines are read once (a list has a few versions)."""
    if not line_ids:
        return {}
    rows = await conn.fetch(
        """WITH others AS MATERIALIZED (
               SELECT o.body->>'beneficiary_id' AS person, q.id, q.version, q.sent_at,
                      (o.status = 'paid' OR o.manual_status = 'paid') AS paid
               FROM package q JOIN package_line o ON o.package_id = q.id
               WHERE q.district_code = $3 AND q.period = $4 AND q.kind = $5 AND q.id <> $1),
           mine AS (
               SELECT line_id, body->>'beneficiary_id' AS person FROM package_line
               WHERE package_id = $1 AND line_id = ANY($2::uuid[]))
           SELECT m.line_id,
                  (array_agg(o.id ORDER BY o.version DESC)
                     FILTER (WHERE o.version > $6 AND o.sent_at IS NOT NULL))[1] AS newer_sent,
                  (array_agg(o.id ORDER BY o.version) FILTER (WHERE o.paid))[1] AS paid_in
           FROM mine m JOIN others o ON o.person = m.person
           GROUP BY m.line_id""",
        package.id,
        list(line_ids),
        package.district_code,
        package.period,
        package.kind,
        package.version,
    )
    return {
        r["line_id"]: Elsewhere(newer_sent=r["newer_sent"], paid_in=r["paid_in"])
        for r in rows
        if r["newer_sent"] is not None or r["paid_in"] is not None
    }


async def has_results(conn: asyncpg.Connection, package_id: UUID) -> bool:
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM package_line WHERE package_id = $1 AND status <> 'pending')",
        package_id,
    )
    return found


async def record(
    conn: asyncpg.Connection, package_id: UUID, results: Sequence[PersonResult]
) -> list[asyncpg.Record]:
    """Apply results to the lines still pending; only the lines that changed come back, so a
    repeated or reordered part changes nothing twice."""
    changed: list[asyncpg.Record] = await conn.fetch(
        """UPDATE package_line l SET status = r.status, paid_on = r.paid_on
           FROM unnest($2::uuid[], $3::text[], $4::date[]) AS r(line_id, status, paid_on)
           WHERE l.package_id = $1 AND l.line_id = r.line_id
             AND (l.status, l.paid_on) IS DISTINCT FROM (r.status, r.paid_on)
             AND l.status = 'pending'
           RETURNING l.line_id, l.status, l.paid_on""",
        package_id,
        [r.line_id for r in results],
        [r.status for r in results],
        [r.paid_on for r in results],
    )
    return changed


async def record_by_hand(
    conn: asyncpg.Connection, list_id: UUID, lines: Sequence[LineStatus]
) -> None:
    """Statuses an officer recorded in payment-svc, for the list's package kept by hand."""
    await conn.execute(
        """UPDATE package_line l SET status = r.status, paid_on = r.paid_on
           FROM package p, unnest($2::uuid[], $3::text[], $4::date[]) AS r(line_id, status, paid_on)
           WHERE p.id = l.package_id AND p.list_id = $1 AND p.state = $5
             AND l.line_id = r.line_id""",
        list_id,
        [x.line_id for x in lines],
        [x.status for x in lines],
        [x.paid_on for x in lines],
        PackageState.MANUAL,
    )


async def record_manual(
    conn: asyncpg.Connection, list_id: UUID, lines: Sequence[LineStatus]
) -> None:
    """Statuses a supervisor set by hand on a list the post office has (an integrated
    district): kept beside the post office's word, never over it; ``pending`` clears one."""
    await conn.execute(
        """UPDATE package_line l SET manual_status = nullif(r.status, 'pending'),
               manual_paid_on = CASE WHEN r.status = 'paid' THEN r.paid_on END
           FROM package p, unnest($2::uuid[], $3::text[], $4::date[]) AS r(line_id, status, paid_on)
           WHERE p.id = l.package_id AND p.list_id = $1 AND p.state <> $5
             AND l.line_id = r.line_id""",
        list_id,
        [x.line_id for x in lines],
        [x.status for x in lines],
        [x.paid_on for x in lines],
        PackageState.MANUAL,
    )


async def manual_of(
    conn: asyncpg.Connection, package_id: UUID, line_ids: Sequence[UUID]
) -> dict[UUID, str]:
    """The statuses set by hand on these of the package's lines (those that have one)."""
    rows = await conn.fetch(
        """SELECT line_id, manual_status FROM package_line WHERE package_id = $1
             AND line_id = ANY($2::uuid[]) AND manual_status IS NOT NULL""",
        package_id,
        list(line_ids),
    )
    return {r["line_id"]: r["manual_status"] for r in rows}


async def pending_count(conn: asyncpg.Connection, package_id: UUID) -> int:
    """Lines still waiting for a word: neither the post office nor a supervisor gave one."""
    count: int = await conn.fetchval(
        """SELECT count(*) FROM package_line WHERE package_id = $1 AND status = 'pending'
             AND manual_status IS NULL""",
        package_id,
    )
    return count


async def close_pending(conn: asyncpg.Connection, package_id: UUID) -> list[UUID]:
    """Lines with no result and no status set by hand become not received (``unpaid``);
    their ids come back. A line set by hand keeps that status (issue 15 item 4)."""
    rows = await conn.fetch(
        """UPDATE package_line SET status = 'unpaid' WHERE package_id = $1 AND status = 'pending'
             AND manual_status IS NULL RETURNING line_id""",
        package_id,
    )
    return [r["line_id"] for r in rows]


async def totals(conn: asyncpg.Connection, package_id: UUID) -> dict[str, LineTotal]:
    """Count and amount of the package's lines per status (set by hand where no result is)."""
    rows = await conn.fetch(
        """SELECT CASE WHEN status = 'pending' THEN coalesce(manual_status, status)
                       ELSE status END AS status,
                  count(*) AS n, sum(amount)::bigint AS amount FROM package_line
           WHERE package_id = $1 GROUP BY 1 ORDER BY 1""",
        package_id,
    )
    return {r["status"]: LineTotal(count=r["n"], amount=r["amount"]) for r in rows}
