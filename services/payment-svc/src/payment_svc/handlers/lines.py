"""Officers' work on a list's lines: statuses in bulk, a line split into parts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID, uuid4

import asyncpg
from btxh_common.auth import Principal, Role
from btxh_common.events import LineStatus, PaymentStatusUpdated

from payment_svc.adapters import lines, periods
from payment_svc.domain.errors import LineNotFound
from payment_svc.domain.lines import (
    StatusException,
    plan_statuses,
    require_some_status,
    require_split_adds_up,
)
from payment_svc.domain.states import require_manual_allowed, require_payable, require_splittable
from payment_svc.handlers.load import list_of_line, publish, visible_list, writable_period


async def manual_statuses(
    conn: asyncpg.Connection,
    caller: Principal,
    list_id: UUID,
    everyone: str | None,
    paid_on: date | None,
    exceptions: Sequence[StatusException],
    reason: str,
) -> int:
    """§7 by hand, the way officers work: everyone paid, then the exceptions; audited."""
    require_some_status(everyone, exceptions)
    row = await visible_list(conn, caller, list_id, lock=True)
    district = row["district_code"]
    await writable_period(conn, district, row["month"])
    require_payable(row["status"])
    integrated = await periods.is_integrated(conn, district)
    require_manual_allowed(integrated, caller.role == Role.DISTRICT_SUPERVISOR)
    changes = plan_statuses(await lines.leaves(conn, list_id), everyone, paid_on, exceptions)
    changed = await lines.set_statuses(
        conn,
        list_id,
        [(line, status, day) for line, (status, day) in changes.items()],
        caller.officer_id,
        "manual",
        reason,
    )
    found = await lines.statuses(conn, list(changes))
    updated = PaymentStatusUpdated(
        list_id=list_id,
        updated_by=caller.officer_id,
        reason=reason,
        lines=[
            LineStatus(line_id=r["id"], status=r["status"], paid_on=r["paid_on"]) for r in found
        ],
    )
    await publish(conn, updated, district, str(list_id))
    return changed


async def split_line(
    conn: asyncpg.Connection,
    caller: Principal,
    line_id: UUID,
    parts: Sequence[tuple[int, str | None]],
) -> list[UUID]:
    """§8: one line into parts whose sum is the line's total; each part has its own status."""
    # The scope first, without locks: another district's officer never waits on them.
    await list_of_line(conn, caller, line_id)
    line = await lines.find(conn, line_id, lock=True)
    if line is None:
        raise LineNotFound()
    row = await visible_list(conn, caller, line["list_id"], lock=True)
    await writable_period(conn, row["district_code"], row["month"])
    require_splittable(row["status"], line["status"])
    require_split_adds_up([amount for amount, _ in parts], line["total"])
    ids = []
    for amount, note in parts:
        ids.append(uuid4())
        await lines.add_part(conn, line_id, ids[-1], amount, note)
    await lines.mark_split(conn, line_id, line["status"], ids, caller.officer_id)
    return ids
