"""Moves to another area: request, accept and refuse across districts, and a commune move
within one; each on a connection already inside the request's transaction.

A move between districts is paid by the district the person lives in, month by month: the
sending district until the month before the effective month, the receiving district from
it (payment-svc reads this from the ``move`` of the ``BeneficiaryChanged`` the acceptance
publishes). Until the receiving district accepts, nothing moves: the sending district keeps
the record and keeps paying."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import asyncpg
from btxh_common.auth import Principal
from btxh_common.clock import month_text
from btxh_common.envelope import Envelope, new_event_id
from btxh_common.events import BeneficiaryChanged, DistrictMove
from btxh_common.outbox import enqueue
from btxh_common.topics import BENEFICIARY_EVENTS

from beneficiary_svc.adapters import db, positions, units
from beneficiary_svc.adapters import moves as store
from beneficiary_svc.domain import moves as rules
from beneficiary_svc.domain.errors import CommuneNotInDistrict
from beneficiary_svc.domain.register import Beneficiary
from beneficiary_svc.domain.timeline import Decision
from beneficiary_svc.handlers.commands import PRODUCER, decided, ensure_unlocked


async def _movable(
    conn: asyncpg.Connection, who: Principal, beneficiary_id: UUID, month: date
) -> Beneficiary | None:
    """The locked record ``who`` may move from ``month``; None when ``who`` may not see it."""
    b = await db.get(conn, beneficiary_id, for_update=True)
    if b is None or not who.can_see(b.district_code):
        return None
    if await store.pending_of(conn, b.id):
        raise rules.MovePending()
    rules.check_movable(b, month, await store.last_month(conn, b.id))
    await ensure_unlocked(conn, b.district_code, month)
    return b


async def _commune_in(conn: asyncpg.Connection, commune: str, district: str) -> None:
    row = await units.unit(conn, commune)
    if row is None or row["level"] != "commune" or row["parent_code"] != district:
        raise CommuneNotInDistrict(
            f"Xã {commune} không thuộc huyện {district}", field="commune_code", value=commune
        )


async def _history(
    conn: asyncpg.Connection,
    who: Principal,
    action: str,
    before: Beneficiary,
    after: Beneficiary,
    month: date,
    reason: str,
    changed: list[str] | None = None,
) -> None:
    await db.add_history(
        conn,
        before=before,
        after=after,
        changed=changed or [],
        officer=who.officer_id,
        action=action,
        source="manual",
        reason=reason,
        decision=Decision(month, action),
    )


async def _publish(
    conn: asyncpg.Connection, after: Beneficiary, changed: list[str], move: asyncpg.Record
) -> None:
    """The record after the move, under the district it now lives in (its key and its next
    register position), with the move for payment-svc."""
    periods = await decided(conn, None, after)
    event = BeneficiaryChanged(
        beneficiary=after.snapshot(periods),
        changed=changed,
        source="manual",
        position=await positions.advance(conn, after.district_code, 1),
        move=DistrictMove(
            move_id=move["id"],
            from_district=move["from_district"],
            from_commune=move["from_commune"],
            to_district=move["to_district"],
            to_commune=move["to_commune"],
            effective_month=month_text(move["effective_month"]),
        ),
    )
    envelope = Envelope.wrap(
        event, producer=PRODUCER, district_code=after.district_code, correlation_id=str(after.id)
    )
    await enqueue(conn, BENEFICIARY_EVENTS, envelope)


def _move(
    b: Beneficiary, who: Principal, month: date, decision_no: str, reason: str
) -> dict[str, Any]:
    return {
        "id": new_event_id(),
        "beneficiary_id": b.id,
        "full_name": b.full_name,
        "from_district": b.district_code,
        "from_commune": b.commune_code,
        "effective_month": month,
        "decision_no": decision_no,
        "reason": reason,
        "requested_by": who.officer_id,
    }


async def move_commune(
    conn: asyncpg.Connection,
    who: Principal,
    beneficiary_id: UUID,
    commune: str,
    month: date,
    decision_no: str,
    reason: str,
) -> Beneficiary | None:
    """A move within the district: the commune changes from ``month`` (accepted at once)."""
    before = await _movable(conn, who, beneficiary_id, month)
    if before is None:
        return None
    await _commune_in(conn, commune, before.district_code)
    after, changed = rules.moved(before, before.district_code, commune)
    await db.save(conn, after)
    move = await store.insert(
        conn,
        {
            **_move(before, who, month, decision_no, reason),
            "to_district": before.district_code,
            "to_commune": commune,
            "status": rules.ACCEPTED,
        },
    )
    await _history(conn, who, "move_commune", before, after, month, reason, changed)
    await _publish(conn, after, changed, move)
    return after


async def request(
    conn: asyncpg.Connection,
    who: Principal,
    beneficiary_id: UUID,
    to_district: str,
    month: date,
    decision_no: str,
    reason: str,
) -> asyncpg.Record | None:
    """The sending district asks ``to_district`` to take the person from ``month``; nothing
    changes until it accepts."""
    b = await _movable(conn, who, beneficiary_id, month)
    if b is None:
        return None
    if to_district == b.district_code:
        raise rules.MoveSameDistrict(field="to_district_code", value=to_district)
    unit = await units.unit(conn, to_district)
    if unit is None or unit["level"] != "district":
        raise rules.DistrictUnknown(field="to_district_code", value=to_district)
    move = await store.insert(
        conn,
        {
            **_move(b, who, month, decision_no, reason),
            "to_district": to_district,
            "status": rules.PENDING,
        },
    )
    await _history(conn, who, "move_requested", b, b, month, f"{to_district}: {reason}")
    return move


async def _pending_for(
    conn: asyncpg.Connection, who: Principal, move_id: UUID, side: str = "to_district"
) -> asyncpg.Record:
    """The locked pending move ``who`` receives (or sends: ``side="from_district"``)."""
    move = await store.get(conn, move_id, for_update=True)
    if move is None or not (who.can_see(move["to_district"]) or who.can_see(move["from_district"])):
        raise rules.MoveNotFound()
    if not who.can_see(move[side]):
        raise rules.MoveNotReceiver() if side == "to_district" else rules.MoveNotSender()
    if move["status"] != rules.PENDING:
        raise rules.MoveDecided()
    return move


async def accept(
    conn: asyncpg.Connection, who: Principal, move_id: UUID, commune: str
) -> asyncpg.Record:
    """The receiving district takes the person into ``commune`` from the move's month: the
    record is its own from now on; the history it sees starts here."""
    move = await _pending_for(conn, who, move_id)
    await _commune_in(conn, commune, move["to_district"])
    before = await db.get(conn, move["beneficiary_id"], for_update=True)
    assert before is not None  # the pending move holds the person in the sending district
    assert before.district_code == move["from_district"]
    rules.check_movable(before, move["effective_month"], None)
    month = move["effective_month"]
    await ensure_unlocked(conn, move["from_district"], month)
    await ensure_unlocked(conn, move["to_district"], month)
    after, changed = rules.moved(before, move["to_district"], commune)
    await db.save(conn, after)
    decided_move = await store.decide(
        conn, move_id, status=rules.ACCEPTED, officer=who.officer_id, to_commune=commune
    )
    out = f"{move['to_district']}: {move['reason']}"
    await _history(conn, who, "move_out", before, before, month, out, changed)
    await _history(conn, who, "move_in", before, after, month, move["reason"], changed)
    await _publish(conn, after, changed, decided_move)
    return decided_move


async def refuse(
    conn: asyncpg.Connection, who: Principal, move_id: UUID, reason: str
) -> asyncpg.Record:
    """The receiving district refuses: the person stays where they are; the sending district
    reads the reason on the move and in the person's history."""
    move = await _pending_for(conn, who, move_id)
    b = await db.get(conn, move["beneficiary_id"])
    assert b is not None
    decided_move = await store.decide(
        conn, move_id, status=rules.REFUSED, officer=who.officer_id, refusal_reason=reason
    )
    await _history(conn, who, "move_refused", b, b, move["effective_month"], reason)
    return decided_move


async def cancel(
    conn: asyncpg.Connection, who: Principal, move_id: UUID, reason: str
) -> asyncpg.Record:
    """The sending district withdraws its request before the receiving district decides."""
    move = await _pending_for(conn, who, move_id, side="from_district")
    b = await db.get(conn, move["beneficiary_id"])
    assert b is not None
    decided_move = await store.decide(
        conn, move_id, status=rules.CANCELLED, officer=who.officer_id, refusal_reason=reason
    )
    await _history(conn, who, "move_cancelled", b, b, move["effective_month"], reason)
    return decided_move
