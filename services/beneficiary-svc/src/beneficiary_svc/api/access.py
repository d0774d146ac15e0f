"""Who may see what: a caller sees the units in their token; anything else answers 404."""

from typing import Annotated

import asyncpg
from btxh_common import bounds
from btxh_common.auth import Principal
from btxh_common.deps import service_state
from btxh_common.problems import NotFound
from fastapi import Path, Query, Request

from beneficiary_svc.adapters import positions
from beneficiary_svc.api.models import BeneficiaryDetail, detail
from beneficiary_svc.app_settings import Settings
from beneficiary_svc.domain.register import Beneficiary

# A district's code where a route takes one: 3 digits, nothing else reaches the queries.
DistrictPath = Annotated[str, Path(pattern=bounds.DISTRICT_PATTERN)]
DistrictQuery = Annotated[str | None, Query(pattern=bounds.DISTRICT_PATTERN)]
LockId = Annotated[int, Path(ge=1, le=2**63 - 1)]


def district_of(caller: Principal, district: str | None) -> str:
    """The district asked for, or the caller's only one."""
    if district is None:
        if len(caller.units) != 1:
            raise NotFound("Cần chỉ rõ huyện (district)")
        return next(iter(caller.units))
    caller.require_unit(district)
    return district


def visible(caller: Principal, b: Beneficiary | None) -> Beneficiary:
    """``b`` when the caller may see it; another district's answers as one that does not exist."""
    if b is None or not caller.can_see(b.district_code):
        raise NotFound("Không tìm thấy đối tượng")
    return b


def register_level(request: Request) -> str:
    """The administrative level that owns a register (the service's settings)."""
    settings = service_state(request).settings
    assert isinstance(settings, Settings)
    return settings.register_level


async def written(conn: asyncpg.Connection, b: Beneficiary) -> BeneficiaryDetail:
    """A write's answer: the record and the district's register position the write left
    (read inside the write's transaction, which holds the district's position)."""
    return detail(b, await positions.current(conn, b.district_code))
