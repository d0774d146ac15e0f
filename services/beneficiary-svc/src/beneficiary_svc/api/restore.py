"""Restoring data (*khôi phục dữ liệu*): a removed beneficiary — or a removed household member,
each of whom is a record of their own — brought back by a supervisor (403 for an officer)."""

from __future__ import annotations

from uuid import UUID

from btxh_common.deps import Caller, Tx, allowed
from btxh_common.roles import Action
from fastapi import APIRouter

from beneficiary_svc.api.access import visible, written
from beneficiary_svc.api.models import BeneficiaryDetail
from beneficiary_svc.api.record_models import Restore
from beneficiary_svc.domain.timeline import Signature
from beneficiary_svc.domain.values import parse_month
from beneficiary_svc.handlers import restore as handle

router = APIRouter(prefix="/v1", tags=["changes"])


@router.post(
    "/beneficiaries/{beneficiary_id}/restore", dependencies=[allowed(Action.SUPERVISOR_ONLY)]
)
async def restore(
    beneficiary_id: UUID, body: Restore, caller: Caller, conn: Tx
) -> BeneficiaryDetail:
    """The record returns to its status before the removal; the history says who and why.
    The months from the removal up to this month are not paid (a ``removed`` period in the
    timeline), unless ``decision_no`` and ``pay_from`` say from which month they are."""
    pay_from = parse_month(body.pay_from) if body.pay_from else None
    signature = Signature(body.decision_date, body.signer)
    b = await handle.restore(
        conn, caller, beneficiary_id, body.reason, (body.decision_no, signature), pay_from
    )
    return await written(conn, visible(caller, b))
