"""The catalogues officers pick from: a district's communes, categories, standard levels."""

from btxh_common.deps import Caller, Conn
from fastapi import APIRouter

from beneficiary_svc.adapters import db, positions, units
from beneficiary_svc.api.access import DistrictPath
from beneficiary_svc.api.models import (
    Category,
    Commune,
    Items,
    RegisterPosition,
    StandardLevel,
    listing,
)

router = APIRouter(prefix="/v1", tags=["catalogues"])


@router.get("/districts/{district}/communes")
async def communes(district: DistrictPath, caller: Caller, conn: Conn) -> Items[Commune]:
    caller.require_unit(district)
    return listing(Commune, await units.communes(conn, district))


@router.get("/districts/{district}/register-position")
async def register_position(district: DistrictPath, caller: Caller, conn: Conn) -> RegisterPosition:
    """The district's latest register change number: what payment-svc and import-svc must
    have applied (their ``read-position``) to have read every change so far."""
    caller.require_unit(district)
    position = await positions.current(conn, district)
    return RegisterPosition(district_code=district, position=position)


@router.get("/categories")
async def categories(caller: Caller, conn: Conn) -> Items[Category]:
    return listing(Category, await db.categories(conn))


@router.get("/standard-levels")
async def levels(caller: Caller, conn: Conn) -> Items[StandardLevel]:
    return listing(StandardLevel, await db.standard_levels(conn))
