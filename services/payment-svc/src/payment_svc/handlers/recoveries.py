"""Recoveries (truy thu): create, cancel, and what officers read of them."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from btxh_common.auth import Principal
from btxh_common.clock import month_text

from payment_svc.adapters import recoveries
from payment_svc.domain import recoveries as rules


async def create(
    conn: asyncpg.Connection,
    caller: Principal,
    district: str,
    beneficiary_id: UUID,
    decision: tuple[str, date, str],
    amounts: tuple[int, int],
    from_month: date,
) -> UUID:
    """A recovery of the district's beneficiary, open, deducted from ``from_month``'s list on."""
    rules.require_valid(*amounts)
    if await recoveries.recipient_district(conn, beneficiary_id) != district:
        raise rules.RecipientNotFound(field="beneficiary_id", value=str(beneficiary_id))
    recovery_id = uuid4()
    who = caller.officer_id
    await recoveries.insert(
        conn, recovery_id, district, beneficiary_id, decision, amounts, from_month, who
    )
    await recoveries.record(conn, recovery_id, caller.officer_id, "created", decision[2])
    return recovery_id


async def cancel(
    conn: asyncpg.Connection, caller: Principal, district: str, recovery_id: UUID, reason: str
) -> None:
    """Cancel an open recovery: later lists deduct nothing, earlier deductions stay."""
    row = await _of_district(conn, district, recovery_id, lock=True)
    rules.require_cancellable(row["status"])
    await recoveries.cancel(conn, recovery_id)
    await recoveries.record(conn, recovery_id, caller.officer_id, "cancelled", reason)


async def settle(conn: asyncpg.Connection, caller: Principal, list_row: asyncpg.Record) -> None:
    """After a monthly list is made or deleted: close what it completed, reopen what it undid."""
    why = f"Danh sách tháng {month_text(list_row['month'])} phiên bản {list_row['version']}"
    await recoveries.settle_statuses(conn, list_row["district_code"], caller.officer_id, why)


async def _of_district(
    conn: asyncpg.Connection, district: str, recovery_id: UUID, *, lock: bool = False
) -> asyncpg.Record:
    row = await recoveries.find(conn, recovery_id, lock=lock)
    if row is None or row["district_code"] != district:
        raise rules.RecoveryNotFound()
    return row


def summary(row: asyncpg.Record) -> dict[str, Any]:
    status = row["status"]
    return {
        "recovery_id": row["id"],
        "district": row["district_code"],
        "beneficiary_id": row["beneficiary_id"],
        "decision_no": row["decision_no"],
        "decision_date": row["decision_date"],
        "reason": row["reason"],
        "total": row["total"],
        "per_period": row["per_period"],
        "from_month": month_text(row["from_month"]),
        "status": status,
        "recovered": row["recovered"],
        "outstanding": rules.outstanding(status, row["total"], row["recovered"]),
        "created_by": row["created_by"],
        "created_at": row["created_at"],
    }


async def detail(conn: asyncpg.Connection, district: str, recovery_id: UUID) -> dict[str, Any]:
    row = await _of_district(conn, district, recovery_id)
    deductions = await recoveries.deductions(conn, recovery_id)
    history = await recoveries.history(conn, recovery_id)
    return {
        **summary(row),
        "deductions": [{**dict(d), "month": month_text(d["month"])} for d in deductions],
        "history": [
            {"at": h["at"], "by": h["by_whom"], "what": h["what"], "reason": h["reason"]}
            for h in history
        ],
    }


async def page(
    conn: asyncpg.Connection,
    district: str,
    beneficiary_id: UUID | None,
    status: str | None,
    page: int,
    size: int,
) -> list[dict[str, Any]]:
    rows = await recoveries.page(conn, district, beneficiary_id, status, (page - 1) * size, size)
    return [summary(r) for r in rows]
