"""Read your writes (issue 19): how far import-svc's identity read model has come, and the
waits before validating: with ``as_of`` (the register position of the caller's last write),
an upload or a re-validation waits up to ``READ_MODEL_WAIT_SECONDS`` for the read model to
reach it, else 409 ``read_model_behind``. Validation runs later in the worker, on a read model
that only moves forward, so no person registered up to ``as_of`` is reported ``not_found``."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from btxh_common import readpos
from btxh_common.deps import Caller, Conn, Pool, ReadModelWait
from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from import_svc.adapters import positions

router = APIRouter(prefix="/v1", tags=["read position"])


class ReadPosition(BaseModel):
    district_code: str
    position: int = Field(description="the highest register position applied (0: none)")


@router.get("/districts/{district}/read-position")
async def read_position(
    district: Annotated[str, Path(pattern=r"^\d{3}$")], caller: Caller, conn: Conn
) -> ReadPosition:
    """The highest register position (beneficiary-svc's ``register-position``) whose change
    the identity read model has applied; validation now sees every change up to it."""
    caller.require_unit(district)
    return ReadPosition(district_code=district, position=await readpos.current(conn, district))


async def batch_caught_up(
    batch_id: UUID,
    pool: Pool,
    wait: ReadModelWait,
    as_of: Annotated[int | None, Query(ge=0, le=2**62)] = None,
) -> int:
    """Before a batch is validated again: the read position, at least ``as_of``."""
    district = await positions.district_of(pool, batch_id)
    if district is None or as_of is None:  # the route answers 404 for a batch not there
        return 0
    return await readpos.reached(pool, district, as_of, wait)
