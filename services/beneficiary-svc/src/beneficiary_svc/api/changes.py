"""Manual changes to one beneficiary: information, policy, status, death, removal. Each runs
in the request's transaction; another district's beneficiary answers 404."""

from uuid import UUID

from btxh_common.deps import Caller, Tx, allowed
from btxh_common.roles import Action
from fastapi import APIRouter

from beneficiary_svc.api.access import visible, written
from beneficiary_svc.api.models import (
    BeneficiaryDetail,
    Death,
    Decision,
    InfoUpdate,
    PolicyChange,
    Reason,
    Resumption,
    Suspension,
)
from beneficiary_svc.domain import register as rules
from beneficiary_svc.domain.timeline import Signature
from beneficiary_svc.domain.values import parse_month
from beneficiary_svc.handlers import commands
from beneficiary_svc.handlers.commands import pure

router = APIRouter(prefix="/v1", tags=["changes"])


@router.patch("/beneficiaries/{beneficiary_id}", dependencies=[allowed(Action.REGISTER_CHANGE)])
async def update_info(
    beneficiary_id: UUID, body: InfoUpdate, caller: Caller, conn: Tx
) -> BeneficiaryDetail:
    values = body.model_dump(exclude_unset=True)
    make = pure(lambda b: rules.update_info(b, values))
    b = await commands.change(
        conn, caller, beneficiary_id, action="update_info", effective=None, make=make
    )
    return await written(conn, visible(caller, b))


@router.post("/beneficiaries/{beneficiary_id}/stop", dependencies=[allowed(Action.REGISTER_CHANGE)])
async def stop(beneficiary_id: UUID, body: Decision, caller: Caller, conn: Tx) -> BeneficiaryDetail:
    month = parse_month(body.effective_month)
    make = pure(lambda b: rules.stop(b, month, body.decision_no, body.reason))
    b = await commands.change(
        conn,
        caller,
        beneficiary_id,
        action="stop",
        effective=month,
        make=make,
        reason=body.reason,
        signature=Signature(body.decision_date, body.signer),
    )
    return await written(conn, visible(caller, b))


@router.post(
    "/beneficiaries/{beneficiary_id}/adjust", dependencies=[allowed(Action.REGISTER_CHANGE)]
)
async def adjust(
    beneficiary_id: UUID, body: PolicyChange, caller: Caller, conn: Tx
) -> BeneficiaryDetail:
    month = parse_month(body.effective_month)
    make = commands.adjust(
        body.category, month, body.decision_no, body.decision_date, body.children
    )
    b = await commands.change(
        conn,
        caller,
        beneficiary_id,
        action="adjust",
        effective=month,
        make=make,
        reason=body.decision_no,
        signature=Signature(body.decision_date, body.signer),
    )
    return await written(conn, visible(caller, b))


@router.post(
    "/beneficiaries/{beneficiary_id}/suspend", dependencies=[allowed(Action.REGISTER_CHANGE)]
)
async def suspend(
    beneficiary_id: UUID, body: Suspension, caller: Caller, conn: Tx
) -> BeneficiaryDetail:
    month = parse_month(body.effective_month)
    make = pure(lambda b: rules.suspend(b, month, body.reason, body.under_review))
    b = await commands.change(
        conn,
        caller,
        beneficiary_id,
        action="suspend",
        effective=month,
        make=make,
        reason=body.reason,
    )
    return await written(conn, visible(caller, b))


@router.post(
    "/beneficiaries/{beneficiary_id}/resume", dependencies=[allowed(Action.REGISTER_CHANGE)]
)
async def resume(
    beneficiary_id: UUID, body: Resumption, caller: Caller, conn: Tx
) -> BeneficiaryDetail:
    month = parse_month(body.effective_month)
    make = pure(lambda b: rules.resume(b, month, body.reason))
    b = await commands.change(
        conn,
        caller,
        beneficiary_id,
        action="resume",
        effective=month,
        make=make,
        reason=body.reason,
    )
    return await written(conn, visible(caller, b))


@router.post(
    "/beneficiaries/{beneficiary_id}/death", dependencies=[allowed(Action.REGISTER_CHANGE)]
)
async def death(beneficiary_id: UUID, body: Death, caller: Caller, conn: Tx) -> BeneficiaryDetail:
    make = pure(
        lambda b: rules.record_death(b, body.death_date, body.decision_no, body.funeral_recipient)
    )
    b = await commands.change(
        conn,
        caller,
        beneficiary_id,
        action="death",
        effective=body.death_date.replace(day=1),
        make=make,
        reason=body.decision_no,
        signature=Signature(body.decision_date, body.signer),
    )
    return await written(conn, visible(caller, b))


@router.post(
    "/beneficiaries/{beneficiary_id}/policy", dependencies=[allowed(Action.REGISTER_CHANGE)]
)
async def add_policy(
    beneficiary_id: UUID, body: PolicyChange, caller: Caller, conn: Tx
) -> BeneficiaryDetail:
    month = parse_month(body.effective_month)
    make = commands.add_policy(
        body.category, month, body.decision_no, body.decision_date, body.children
    )
    b = await commands.change(
        conn,
        caller,
        beneficiary_id,
        action="add_policy",
        effective=month,
        make=make,
        reason=body.decision_no,
        signature=Signature(body.decision_date, body.signer),
    )
    return await written(conn, visible(caller, b))


@router.delete(
    "/beneficiaries/{beneficiary_id}/policy", dependencies=[allowed(Action.REGISTER_CHANGE)]
)
async def delete_policy(
    beneficiary_id: UUID, body: Reason, caller: Caller, conn: Tx
) -> BeneficiaryDetail:
    make = pure(lambda b: rules.delete_policy(b, body.reason))
    b = await commands.change(
        conn,
        caller,
        beneficiary_id,
        action="delete_policy",
        effective=None,
        make=make,
        reason=body.reason,
    )
    return await written(conn, visible(caller, b))


@router.delete("/beneficiaries/{beneficiary_id}", dependencies=[allowed(Action.SUPERVISOR_ONLY)])
async def remove(beneficiary_id: UUID, body: Reason, caller: Caller, conn: Tx) -> BeneficiaryDetail:
    make = pure(lambda b: rules.remove(b, body.reason))
    b = await commands.change(
        conn,
        caller,
        beneficiary_id,
        action="remove",
        effective=None,
        make=make,
        reason=body.reason,
    )
    return await written(conn, visible(caller, b))
