"""The catalogues officers pick from: a district's communes, categories, standard levels."""

from btxh_common.deps import Caller, Conn
from fastapi import APIRouter

from beneficiary_svc.adapters import db, units
from beneficiary_svc.api.access import DistrictPath
from beneficiary_svc.api.models import Category, Commune, Items, StandardLevel, listing

router = APIRouter(prefix="/v1", tags=["catalogues"])


@router.get("/districts/{district}/communes")
async def communes(district: DistrictPath, caller: Caller, conn: Conn) -> Items[Commune]:
    caller.require_unit(district)
    return listing(Commune, await units.communes(conn, district))


@router.get("/categories")
async def categories(caller: Caller, conn: Conn) -> Items[Category]:
    return listing(Category, await db.categories(conn))


@router.get("/standard-levels")
async def levels(caller: Caller, conn: Conn) -> Items[StandardLevel]:
    return listing(StandardLevel, await db.standard_levels(conn))
