"""Payment lists: generate, read, delete and submit; pull an earlier month's unpaid money."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from btxh_common import bounds, readpos
from btxh_common.clock import parse_month
from btxh_common.deps import Caller, Conn, Pool, ReadModelWait, Tx, allowed
from btxh_common.roles import Action
from fastapi import APIRouter, Query
from fastapi.responses import Response

from payment_svc import views
from payment_svc.api.schemas import (
    District,
    Generate,
    LinesPage,
    LineView,
    Lists,
    ListView,
    MonthPath,
    Pull,
    Pulled,
)
from payment_svc.handlers import lists as handle
from payment_svc.handlers import record

router = APIRouter(prefix="/v1", tags=["lists"])


@router.post(
    "/districts/{district}/periods/{month}/lists",
    status_code=201,
    dependencies=[allowed(Action.LIST_WRITE)],
)
async def generate(
    district: District,
    month: MonthPath,
    body: Generate,
    caller: Caller,
    pool: Pool,
    wait: ReadModelWait,
) -> ListView:
    """With ``as_of``, first waits (up to ``READ_MODEL_WAIT_SECONDS``) for the read model to
    reach it, else 409 ``read_model_behind``; either way the list records the register
    position it was built from (read before its lines, so it holds at least that)."""
    caller.require_unit(district)
    position = await readpos.reached(pool, district, body.as_of, wait)
    async with pool.acquire() as tx, tx.transaction():
        list_id = await handle.generate(
            tx, caller, district, parse_month(month), body.kind, position
        )
        made = ListView.model_validate(await views.list_summary(tx, list_id))
    record.wake()  # committed: its record now, not at the recorder's next sweep
    return made


@router.get("/districts/{district}/periods/{month}/lists")
async def period_lists(district: District, month: MonthPath, caller: Caller, conn: Conn) -> Lists:
    caller.require_unit(district)
    found = await views.period_lists(conn, district, parse_month(month))
    return Lists(lists=[ListView.model_validate(summary) for summary in found])


@router.post(
    "/districts/{district}/periods/{month}/pull", dependencies=[allowed(Action.LIST_WRITE)]
)
async def pull(district: District, month: MonthPath, body: Pull, caller: Caller, tx: Tx) -> Pulled:
    caller.require_unit(district)
    moved = await handle.pull_month(tx, district, parse_month(month), parse_month(body.from_month))
    return Pulled(lines=moved)


@router.get("/lists/{list_id}")
async def get_list(list_id: UUID, caller: Caller, conn: Conn) -> ListView:
    return ListView.model_validate(await views.visible_list_summary(conn, caller, list_id))


@router.get("/lists/{list_id}/lines")
async def lines(
    list_id: UUID,
    caller: Caller,
    conn: Conn,
    commune: Annotated[str | None, Query(pattern=r"^\d{5}$")] = None,
    status: Annotated[str | None, Query(max_length=bounds.CODE)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    size: Annotated[int, Query(ge=1, le=5000)] = 200,
) -> LinesPage:
    found = await views.lines_page(conn, caller, list_id, commune, status, page, size)
    return LinesPage(page=page, size=size, lines=[LineView.model_validate(dict(r)) for r in found])


@router.delete("/lists/{list_id}", status_code=204, dependencies=[allowed(Action.LIST_WRITE)])
async def delete(list_id: UUID, caller: Caller, tx: Tx) -> Response:
    await handle.delete_list(tx, caller, list_id)
    return Response(status_code=204)


@router.post("/lists/{list_id}/submit", status_code=202, dependencies=[allowed(Action.LIST_WRITE)])
async def submit(list_id: UUID, caller: Caller, tx: Tx) -> ListView:
    await handle.submit(tx, caller, list_id)
    return ListView.model_validate(await views.list_summary(tx, list_id))
