"""Data locks of a district: listed by its officers, set by an officer, lifted by a supervisor."""

from btxh_common.deps import Caller, Conn, Tx, allowed
from btxh_common.roles import Action
from fastapi import APIRouter

from beneficiary_svc.adapters import locks
from beneficiary_svc.api.access import DistrictPath, LockId
from beneficiary_svc.api.models import DataLock, Items, LockRequest, Unlock, lock_out
from beneficiary_svc.domain.values import parse_month
from beneficiary_svc.handlers import commands

router = APIRouter(prefix="/v1", tags=["data locks"])


@router.get("/districts/{district}/data-locks")
async def list_locks(district: DistrictPath, caller: Caller, conn: Conn) -> Items[DataLock]:
    caller.require_unit(district)
    rows = await locks.locks(conn, district)
    return Items(items=[lock_out(r) for r in rows], total=len(rows))


@router.post(
    "/districts/{district}/data-locks", status_code=201, dependencies=[allowed(Action.DATA_LOCK)]
)
async def lock(district: DistrictPath, body: LockRequest, caller: Caller, conn: Tx) -> DataLock:
    caller.require_unit(district)
    month = parse_month(body.month)
    return lock_out(await commands.lock(conn, district, month, body.note, caller.officer_id))


@router.post(
    "/districts/{district}/data-locks/{lock_id}/unlock",
    dependencies=[allowed(Action.SUPERVISOR_ONLY)],
)
async def unlock(
    district: DistrictPath, lock_id: LockId, body: Unlock, caller: Caller, conn: Tx
) -> DataLock:
    caller.require_unit(district)
    row = await commands.unlock(conn, district, lock_id, body.note, caller.officer_id)
    return lock_out(row)
