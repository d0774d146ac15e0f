"""Restoring a removed beneficiary (``domain/restore.py``): the record back, the removed months
unpaid in the timeline, the history saying who and why, and the change on the bus — all in
the request's transaction."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import asyncpg
from btxh_common.auth import Principal
from btxh_common.clock import current_month
from btxh_common.outbox import enqueue
from btxh_common.topics import BENEFICIARY_EVENTS

from beneficiary_svc.adapters import db, records, timeline
from beneficiary_svc.domain import restore as rules
from beneficiary_svc.domain.errors import RemovalNotFound
from beneficiary_svc.domain.register import Beneficiary
from beneficiary_svc.domain.restore import Removal
from beneficiary_svc.domain.timeline import Decision, Signature, in_force, signed
from beneficiary_svc.handlers.commands import changed_event, ensure_unlocked


async def removal_of(conn: asyncpg.Connection, b: Beneficiary) -> Removal:
    found = await records.last_removal(conn, b.id)
    if b.status == rules.REMOVED and found is None:
        raise RemovalNotFound()
    before = found["before"] if found else {}
    return Removal(
        month=found["day"].replace(day=1) if found else current_month(),
        status=before.get("status", "active"),
        status_reason=before.get("status_reason"),
    )


async def restore(
    conn: asyncpg.Connection,
    who: Principal,
    beneficiary_id: UUID,
    reason: str,
    decision: tuple[str | None, Signature],
    pay_from: date | None,
) -> Beneficiary | None:
    """Bring the beneficiary back; None when there is none ``who`` may see."""
    before = await db.get(conn, beneficiary_id, for_update=True)
    if before is None or not who.can_see(before.district_code):
        return None
    month = current_month()
    await ensure_unlocked(conn, before.district_code, month)
    removal = await removal_of(conn, before)
    after, changed = rules.restored(before, removal)
    decision_no, signature = decision
    until = rules.unpaid_until(removal, month, decision_no, pay_from)
    existing = await timeline.decisions(conn, after.id)
    gap = [
        d
        for d in (
            signed(g, who.officer_id, signature)
            for g in rules.gap_decisions(existing, removal, until, decision_no)
        )
        if d is not None
    ]
    await db.save(conn, after)
    await db.add_history(
        conn,
        before=before,
        after=after,
        changed=changed,
        officer=who.officer_id,
        action="restore",
        source="manual",
        reason=reason,
        decision=Decision(until, "restore"),
    )
    for d in gap:
        await timeline.add_decision(conn, after.id, after.district_code, d)
    periods = in_force([*existing, *gap])
    await timeline.replace_periods(conn, after.id, after.district_code, periods)
    contract = [p.contract() for p in periods]
    await enqueue(
        conn, BENEFICIARY_EVENTS, await changed_event(conn, after, contract, changed, "manual")
    )
    return after
