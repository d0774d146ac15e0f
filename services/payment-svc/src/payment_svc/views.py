"""What officers read: periods, lists with their totals, pages of lines, audits, reports."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal
from uuid import UUID

import asyncpg
from btxh_common import readpos
from btxh_common.auth import Principal
from btxh_common.clock import month_text

from payment_svc.adapters import lines, lists, periods, reports
from payment_svc.domain import reports as dvct
from payment_svc.handlers.load import list_of_line, period, visible_list


async def district_periods(conn: asyncpg.Connection, district: str) -> list[asyncpg.Record]:
    return await periods.of_district(conn, district)


async def list_summary(conn: asyncpg.Connection, list_id: UUID) -> dict[str, Any]:
    """A list with its lines and money per commune and per channel (split lines by parts)."""
    row = await lists.find(conn, list_id)
    assert row is not None, "summarised after it was found or made"
    [summary] = await summaries(conn, [row])
    return summary


async def summaries(conn: asyncpg.Connection, rows: list[asyncpg.Record]) -> list[dict[str, Any]]:
    """Each list of ``rows`` summarised, in three queries whatever their number."""
    ids = [r["id"] for r in rows]
    applied = {d: await readpos.current(conn, d) for d in {r["district_code"] for r in rows}}
    communes: dict[UUID, list[dict[str, Any]]] = {i: [] for i in ids}
    channels: dict[UUID, list[dict[str, Any]]] = {i: [] for i in ids}
    for c in await lists.by_commune(conn, ids):
        communes[c["list_id"]].append({k: v for k, v in c.items() if k != "list_id"})
    for c in await lists.by_channel(conn, ids):
        channels[c["list_id"]].append({k: v for k, v in c.items() if k != "list_id"})
    return [
        {
            "id": row["id"],
            "district": row["district_code"],
            "period": month_text(row["month"]),
            "kind": row["kind"],
            "version": row["version"],
            "status": row["status"],
            "rejected_reason": row["rejected_reason"],
            "level": row["level"],
            "lines": sum(c["lines"] for c in communes[row["id"]]),
            "total": sum(c["total"] for c in communes[row["id"]]),
            "communes": communes[row["id"]],
            "channels": channels[row["id"]],
            **_built_from(row["register_position"], applied[row["district_code"]]),
        }
        for row in rows
    ]


STALE_VI = "Dữ liệu đối tượng đã thay đổi sau khi lập danh sách"


def _built_from(built: int | None, applied: int) -> dict[str, Any]:
    """The register position a list was built from, and whether the register has changed
    since: payment-svc cannot ask beneficiary-svc, so "since" is measured against the latest
    position it has applied (``applied``; a change it has not heard of yet shows once it
    arrives)."""
    if built is None:  # a list made before positions were recorded
        return {"register_position": None, "register_changed": False, "notice_vi": None}
    changed = applied > built
    notice = f"{STALE_VI} (lập từ thay đổi số {built})" if changed else None
    return {"register_position": built, "register_changed": changed, "notice_vi": notice}


async def visible_list_summary(
    conn: asyncpg.Connection, caller: Principal, list_id: UUID
) -> dict[str, Any]:
    await visible_list(conn, caller, list_id)
    return await list_summary(conn, list_id)


async def period_lists(
    conn: asyncpg.Connection, district: str, month: date
) -> list[dict[str, Any]]:
    """Every version of every kind, the current and the retired."""
    return await summaries(conn, await lists.of_period(conn, district, month))


async def lines_page(
    conn: asyncpg.Connection,
    caller: Principal,
    list_id: UUID,
    commune: str | None,
    status: str | None,
    page: int,
    size: int,
) -> list[asyncpg.Record]:
    await visible_list(conn, caller, list_id)
    return await lines.page(conn, list_id, commune, status, (page - 1) * size, size)


async def line_audit(
    conn: asyncpg.Connection, caller: Principal, line_id: UUID
) -> list[asyncpg.Record]:
    await list_of_line(conn, caller, line_id)
    return await lines.audit(conn, line_id)


async def report(
    conn: asyncpg.Connection,
    district: str,
    month: date,
    name: Literal["dvct01", "dvct02"],
    kind: str,
) -> dict[str, Any]:
    """DVCT_01 or DVCT_02 of an opened period."""
    await period(conn, district, month)
    if name == "dvct01":
        return dvct.dvct01(
            district, month, kind, await reports.dvct01_rows(conn, district, month, kind)
        )
    return dvct.dvct02(
        district, month, kind, await reports.dvct02_rows(conn, district, month, kind)
    )
