"""The register read and added to: search, registration, duplicates, missing information, one
beneficiary and its history."""

from typing import Annotated
from uuid import UUID

from btxh_common import bounds, paging
from btxh_common.deps import Caller, Conn, Tx, allowed
from btxh_common.roles import Action
from fastapi import APIRouter, Depends, Query

from beneficiary_svc.adapters import db
from beneficiary_svc.api.access import (
    DistrictQuery,
    district_of,
    register_level,
    visible,
    written,
)
from beneficiary_svc.api.models import (
    BeneficiaryDetail,
    CursorItems,
    DuplicateGroup,
    HistoryEntry,
    Items,
    MissingInfo,
    NewBeneficiary,
    Page,
    Status,
    item,
    listing,
)
from beneficiary_svc.domain.duplicates import duplicate_groups
from beneficiary_svc.domain.values import parse_month
from beneficiary_svc.handlers import commands

router = APIRouter(prefix="/v1", tags=["beneficiaries"])

PageNo = Annotated[int, Query(ge=1, le=100_000)]
PageSize = Annotated[int, Query(ge=1, le=500)]
CodeQuery = Annotated[str | None, Query(max_length=bounds.CODE)]
RegisterLevel = Annotated[str, Depends(register_level)]


@router.get("/beneficiaries", response_model=Page)
async def search(
    caller: Caller,
    conn: Conn,
    district: CodeQuery = None,
    commune: CodeQuery = None,
    q: Annotated[
        str | None,
        Query(description="name, with or without diacritics", max_length=bounds.SEARCH),
    ] = None,
    national_id: CodeQuery = None,
    status: Status | None = None,
    category: CodeQuery = None,
    page: PageNo = 1,
    size: PageSize = 50,
) -> Page:
    found, total = await db.search(
        conn,
        district_of(caller, district),
        commune=commune,
        q=q,
        national_id=national_id,
        status=status,
        category=category,
        offset=(page - 1) * size,
        limit=size,
    )
    return Page(items=[item(b) for b in found], total=total)


@router.post("/beneficiaries", status_code=201, dependencies=[allowed(Action.REGISTER_CHANGE)])
async def add(
    body: NewBeneficiary, caller: Caller, conn: Tx, level: RegisterLevel
) -> BeneficiaryDetail:
    data = {**body.model_dump(), "allowance_start_month": parse_month(body.allowance_start_month)}
    return await written(conn, await commands.register(conn, caller, data, level))


@router.get("/beneficiaries/duplicates", response_model_exclude_unset=True)
async def duplicates(
    caller: Caller,
    conn: Conn,
    district: DistrictQuery = None,
    limit: paging.Limit = paging.DEFAULT_PAGE,
    cursor: paging.CursorParam = None,
) -> CursorItems[DuplicateGroup]:
    """IDs held by more than one beneficiary the caller may see, by ID, a page at a time
    (``total``: the IDs on this page; ``next_cursor``: the next page)."""
    code = district_of(caller, district)
    units = sorted(caller.units)
    after = paging.parse(cursor, str)
    holders = await db.duplicates(conn, code, units, limit + 1, after[0] if after else None)
    shown, more = paging.page(
        duplicate_groups(holders, units), limit, lambda g: (g["national_id"],)
    )
    found = listing(DuplicateGroup, shown)
    return CursorItems(items=found.items, total=found.total, next_cursor=more)


@router.get("/beneficiaries/missing-info")
async def missing(
    caller: Caller,
    conn: Conn,
    district: DistrictQuery = None,
    page: PageNo = 1,
    size: PageSize = 50,
) -> Items[MissingInfo]:
    code = district_of(caller, district)
    rows, total = await db.missing_info(conn, code, (page - 1) * size, size)
    return listing(MissingInfo, rows, total)


@router.get("/beneficiaries/{beneficiary_id}")
async def read(beneficiary_id: UUID, caller: Caller, conn: Conn) -> BeneficiaryDetail:
    """The record, with the district's register position now (as a write answers it)."""
    return await written(conn, visible(caller, await db.get(conn, beneficiary_id)))


@router.get("/beneficiaries/{beneficiary_id}/history")
async def history(
    beneficiary_id: UUID,
    caller: Caller,
    conn: Conn,
    limit: paging.Limit = paging.MAX_PAGE,
    cursor: paging.CursorParam = None,
) -> CursorItems[HistoryEntry]:
    """What happened to the beneficiary, oldest first, a page at a time: what happened while
    one of the caller's districts held them (after a move in: from the move on)."""
    visible(caller, await db.get(conn, beneficiary_id))
    after = paging.parse(cursor, int)
    rows = await db.history(
        conn, beneficiary_id, limit + 1, after[0] if after else None, sorted(caller.units)
    )
    shown, more = paging.page(rows, limit, lambda r: (r["id"],))
    found = listing(HistoryEntry, shown)
    return CursorItems(items=found.items, total=found.total, next_cursor=more)
