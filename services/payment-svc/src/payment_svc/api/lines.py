"""A list's lines by hand: payment statuses in bulk, a line's audit, a line split into parts."""

from __future__ import annotations

from uuid import UUID

from btxh_common.deps import Caller, Conn, Tx, allowed
from btxh_common.roles import Action
from fastapi import APIRouter

from payment_svc import views
from payment_svc.api.schemas import Audit, AuditEntry, Changed, Parts, SplitBody, Statuses
from payment_svc.handlers import lines as handle

router = APIRouter(prefix="/v1", tags=["statuses"])


@router.post("/lists/{list_id}/statuses", dependencies=[allowed(Action.LIST_WRITE)])
async def statuses(list_id: UUID, body: Statuses, caller: Caller, tx: Tx) -> Changed:
    changed = await handle.manual_statuses(
        tx, caller, list_id, body.everyone, body.paid_on, body.exceptions, body.reason
    )
    return Changed(changed=changed)


@router.get("/lines/{line_id}/audit")
async def audit(line_id: UUID, caller: Caller, conn: Conn) -> Audit:
    trail = await views.line_audit(conn, caller, line_id)
    return Audit(audit=[AuditEntry.model_validate(dict(r)) for r in trail])


@router.post("/lines/{line_id}/split", status_code=201, dependencies=[allowed(Action.LIST_WRITE)])
async def split(line_id: UUID, body: SplitBody, caller: Caller, tx: Tx) -> Parts:
    parts = [(p.amount, p.note) for p in body.parts]
    return Parts(parts=await handle.split_line(tx, caller, line_id, parts))
