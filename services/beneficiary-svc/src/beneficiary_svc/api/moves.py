"""Moving a beneficiary to another area (chuyển địa bàn): a commune move within the district,
and a move to another district that the receiving district accepts or refuses. A move is
seen by the two districts it joins and by no one else (404)."""

from typing import Annotated, Literal
from uuid import UUID

import asyncpg
from btxh_common import paging
from btxh_common.auth import Principal
from btxh_common.deps import Caller, Conn, Tx, allowed
from btxh_common.problems import NotFound
from btxh_common.roles import Action
from fastapi import APIRouter, Query

from beneficiary_svc.adapters import db
from beneficiary_svc.adapters import moves as store
from beneficiary_svc.api.access import DistrictQuery, district_of, visible, written
from beneficiary_svc.api.models import BeneficiaryDetail, CursorItems, detail
from beneficiary_svc.api.move_models import (
    CommuneMove,
    Move,
    MoveAcceptance,
    MoveDetail,
    MoveRefusal,
    MoveRequest,
    MoveStatus,
    PolicyDecisionEntry,
    move_out,
)
from beneficiary_svc.domain.moves import PENDING, MoveNotFound
from beneficiary_svc.domain.values import parse_month
from beneficiary_svc.handlers import moves

router = APIRouter(prefix="/v1", tags=["moves"])


@router.post(
    "/beneficiaries/{beneficiary_id}/commune-move",
    dependencies=[allowed(Action.REGISTER_CHANGE)],
)
async def move_commune(
    beneficiary_id: UUID, body: CommuneMove, caller: Caller, conn: Tx
) -> BeneficiaryDetail:
    """Move the person to another commune of the same district from ``effective_month``
    (the lists of that month on carry the new commune; a history row records it)."""
    month = parse_month(body.effective_month)
    b = await moves.move_commune(
        conn, caller, beneficiary_id, body.commune_code, month, body.decision_no, body.reason
    )
    return await written(conn, visible(caller, b))


@router.post(
    "/beneficiaries/{beneficiary_id}/moves",
    status_code=201,
    dependencies=[allowed(Action.REGISTER_CHANGE)],
)
async def request_move(beneficiary_id: UUID, body: MoveRequest, caller: Caller, conn: Tx) -> Move:
    """Ask another district (or a district of another province) to take the person from
    ``effective_month``. Until it accepts, the person stays here and is paid here (a list
    made meanwhile keeps them, see payment-svc); refused, they stay with the reason."""
    month = parse_month(body.effective_month)
    move = await moves.request(
        conn, caller, beneficiary_id, body.to_district_code, month, body.decision_no, body.reason
    )
    if move is None:
        raise NotFound("Không tìm thấy đối tượng")
    return move_out(move)


@router.get("/moves")
async def list_moves(
    caller: Caller,
    conn: Conn,
    direction: Annotated[
        Literal["incoming", "outgoing"],
        Query(description="incoming: moves into the district; outgoing: moves out of it"),
    ],
    district: DistrictQuery = None,
    status: MoveStatus | None = None,
    limit: paging.Limit = paging.DEFAULT_PAGE,
    cursor: paging.CursorParam = None,
) -> CursorItems[Move]:
    """The district's moves, oldest first, a page at a time."""
    code = district_of(caller, district)
    after = paging.parse(cursor, UUID)
    rows = await store.listing(
        conn, code, direction, status, limit + 1, after[0] if after else None
    )
    shown, more = paging.page(rows, limit, lambda r: (r["id"],))
    items = [move_out(r) for r in shown]
    return CursorItems(items=items, total=len(items), next_cursor=more)


@router.get("/moves/{move_id}")
async def read_move(move_id: UUID, caller: Caller, conn: Conn) -> MoveDetail:
    """The move. The receiving district reads, while it is pending, the person's record and
    policy decisions to decide on; whoever holds the person reads the record."""
    move = await store.get(conn, move_id)
    if move is None or not (
        caller.can_see(move["from_district"]) or caller.can_see(move["to_district"])
    ):
        raise MoveNotFound()
    return await _detail(conn, caller, move)


@router.post("/moves/{move_id}/accept", dependencies=[allowed(Action.REGISTER_CHANGE)])
async def accept_move(move_id: UUID, body: MoveAcceptance, caller: Caller, conn: Tx) -> MoveDetail:
    """The receiving district takes the person into one of its communes; it pays from the
    move's month, the sending district until the month before."""
    move = await moves.accept(conn, caller, move_id, body.commune_code)
    return await _detail(conn, caller, move)


@router.post("/moves/{move_id}/refuse", dependencies=[allowed(Action.REGISTER_CHANGE)])
async def refuse_move(move_id: UUID, body: MoveRefusal, caller: Caller, conn: Tx) -> MoveDetail:
    """The receiving district refuses with a reason; the person stays in the sending
    district, which reads the reason on the move and in the person's history."""
    move = await moves.refuse(conn, caller, move_id, body.reason)
    return await _detail(conn, caller, move)


@router.post("/moves/{move_id}/cancel", dependencies=[allowed(Action.REGISTER_CHANGE)])
async def cancel_move(move_id: UUID, body: MoveRefusal, caller: Caller, conn: Tx) -> MoveDetail:
    """The sending district withdraws its pending request, with a reason; the person stays."""
    move = await moves.cancel(conn, caller, move_id, body.reason)
    return await _detail(conn, caller, move)


async def _detail(conn: asyncpg.Connection, caller: Principal, move: asyncpg.Record) -> MoveDetail:
    out = MoveDetail(**move_out(move).model_dump())
    b = await db.get(conn, move["beneficiary_id"])
    if b is None:
        return out
    deciding = move["status"] == PENDING and caller.can_see(move["to_district"])
    if caller.can_see(b.district_code):
        out.beneficiary = await written(conn, b)
    elif deciding:
        out.beneficiary = detail(b)
    if deciding:
        rows = await store.decisions(conn, b.id)
        out.decisions = [PolicyDecisionEntry(**dict(r)) for r in rows]
    return out
