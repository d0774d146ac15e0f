"""Read your writes: how far payment-svc's read model of the register has come."""

from __future__ import annotations

from btxh_common import readpos
from btxh_common.deps import Caller, Conn
from fastapi import APIRouter

from payment_svc.api.schemas import District, ReadPosition

router = APIRouter(prefix="/v1", tags=["read position"])


@router.get("/districts/{district}/read-position")
async def read_position(district: District, caller: Caller, conn: Conn) -> ReadPosition:
    """The highest register position (beneficiary-svc's ``register-position``) whose change
    payment-svc has applied; lists built now include every change up to it."""
    caller.require_unit(district)
    return ReadPosition(district_code=district, position=await readpos.current(conn, district))
