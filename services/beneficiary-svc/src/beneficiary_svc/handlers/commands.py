"""Commands on the register: each loads, checks, changes, records history and publishes, on a
connection already inside the request's transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg
from btxh_common.auth import Principal
from btxh_common.clock import current_month, month_text
from btxh_common.envelope import Envelope, new_event_id
from btxh_common.events import BeneficiaryChanged, BeneficiaryRegistered, PolicyPeriod
from btxh_common.outbox import enqueue
from btxh_common.topics import BENEFICIARY_EVENTS

from beneficiary_svc.adapters import db, locks, positions, timeline, units
from beneficiary_svc.domain import register as rules
from beneficiary_svc.domain.errors import (
    CommuneNotInDistrict,
    DataLocked,
    LockNotFound,
    UnknownCategory,
)
from beneficiary_svc.domain.register import Beneficiary, Change
from beneficiary_svc.domain.timeline import Decision, Signature, decision_of, in_force, signed
from beneficiary_svc.domain.values import check_national_id, normalise_name

PRODUCER = "beneficiary-svc"


async def ensure_unlocked(conn: asyncpg.Connection, district: str, month: date) -> None:
    lock = await locks.active_lock(conn, district, month)
    if lock is not None:
        raise DataLocked(
            f"Dữ liệu tháng {month_text(lock['month'])} đã được chốt "
            f"({lock['note']}); cần mở chốt trước khi thay đổi tháng {month_text(month)}",
            field="effective_month",
            value=month_text(month),
        )


async def coefficient_of(conn: asyncpg.Connection, category: str, month: date) -> int:
    coefficient = await db.category_coefficient(conn, category, month)
    if coefficient is None:
        raise UnknownCategory(field="category", value=category)
    return coefficient


async def owner_of(conn: asyncpg.Connection, commune: str, level: str) -> str:
    """The unit whose register holds people of ``commune`` (configuration: district)."""
    row = await units.unit(conn, commune)
    if row is None or row["level"] != "commune":
        raise CommuneNotInDistrict(
            "Mã xã không có trong danh mục", field="commune_code", value=commune
        )
    owner = row["parent_code"]
    if level == "province":
        district = await units.unit(conn, owner)
        assert district is not None
        owner = district["parent_code"]
    return str(owner)


async def decided(
    conn: asyncpg.Connection, decision: Decision | None, after: Beneficiary
) -> list[PolicyPeriod]:
    """Record the policy decision a change made (if it made one) and put the periods it
    leaves in force; the timeline to publish."""
    if decision is None:
        return [p.contract() for p in await timeline.periods(conn, after.id)]
    await timeline.add_decision(conn, after.id, after.district_code, decision)
    periods = in_force(await timeline.decisions(conn, after.id))
    await timeline.replace_periods(conn, after.id, after.district_code, periods)
    return [p.contract() for p in periods]


async def registered_event(
    conn: asyncpg.Connection, b: Beneficiary, periods: list[PolicyPeriod], source: str
) -> Envelope:
    """The event, numbered with the district's next register position."""
    position = await positions.advance(conn, b.district_code, 1)
    return Envelope.wrap(
        BeneficiaryRegistered(beneficiary=b.snapshot(periods), source=source, position=position),
        producer=PRODUCER,
        district_code=b.district_code,
        correlation_id=str(b.id),
    )


async def changed_event(
    conn: asyncpg.Connection,
    b: Beneficiary,
    periods: list[PolicyPeriod],
    changed: list[str],
    source: str,
) -> Envelope:
    """The event, numbered with the district's next register position."""
    position = await positions.advance(conn, b.district_code, 1)
    snapshot = b.snapshot(periods)
    return Envelope.wrap(
        BeneficiaryChanged(beneficiary=snapshot, changed=changed, source=source, position=position),
        producer=PRODUCER,
        district_code=b.district_code,
        correlation_id=str(b.id),
    )


async def register(
    conn: asyncpg.Connection, who: Principal, data: dict[str, Any], register_level: str
) -> Beneficiary:
    district = await owner_of(conn, data["commune_code"], register_level)
    if not who.can_see(district):
        raise CommuneNotInDistrict(field="commune_code", value=data["commune_code"])
    month: date = data["allowance_start_month"]
    await ensure_unlocked(conn, district, month)
    b = Beneficiary(
        id=new_event_id(),
        district_code=district,
        commune_code=data["commune_code"],
        full_name=normalise_name(data["full_name"]),
        national_id=check_national_id(data.get("national_id")),
        birth_date=data.get("birth_date"),
        gender=data.get("gender"),
        ethnicity=data.get("ethnicity"),
        address=data.get("address"),
        phone=data.get("phone"),
        category=data["category"],
        coefficient=await coefficient_of(conn, data["category"], month),
        children=rules.children_for(data["category"], data.get("children")),
        allowance_start_month=month,
        status_effective_month=month,
        decision_no=data["decision_no"],
        decision_date=data.get("decision_date"),
        payment_channel=data.get("payment_channel", "cash"),
        bank_account=data.get("bank_account"),
        bank_name=data.get("bank_name"),
    )
    await db.insert(conn, b)
    signature = Signature(data.get("decision_date"), data.get("signer"))
    decision = signed(decision_of("register", month, b), who.officer_id, signature)
    await db.add_history(
        conn,
        before=None,
        after=b,
        changed=["*"],
        officer=who.officer_id,
        action="register",
        source="manual",
        reason=data["decision_no"],
        decision=decision,
    )
    periods = await decided(conn, decision, b)
    await enqueue(conn, BENEFICIARY_EVENTS, await registered_event(conn, b, periods, "manual"))
    return b


Maker = Callable[[asyncpg.Connection, Beneficiary], Awaitable[Change]]


def pure(rule: Callable[[Beneficiary], Change]) -> Maker:
    """A rule that needs nothing but the record, as a ``Maker``."""

    async def make(_: asyncpg.Connection, b: Beneficiary) -> Change:
        return rule(b)

    return make


async def change(
    conn: asyncpg.Connection,
    who: Principal,
    beneficiary_id: UUID,
    *,
    action: str,
    effective: date | None,
    make: Maker,
    reason: str | None = None,
    signature: Signature | None = None,
) -> Beneficiary | None:
    """Apply one manual change computed by ``make`` from the locked current record; None when
    there is no such beneficiary that ``who`` may see."""
    before = await db.get(conn, beneficiary_id, for_update=True)
    if before is None or not who.can_see(before.district_code):
        return None
    await ensure_unlocked(conn, before.district_code, effective or current_month())
    after, changed = await make(conn, before)
    await db.save(conn, after)
    decision = signed(decision_of(action, effective, after), who.officer_id, signature)
    await db.add_history(
        conn,
        before=before,
        after=after,
        changed=changed,
        officer=who.officer_id,
        action=action,
        source="manual",
        reason=reason,
        decision=decision,
    )
    periods = await decided(conn, decision, after)
    event = await changed_event(conn, after, periods, changed, "manual")
    await enqueue(conn, BENEFICIARY_EVENTS, event)
    return after


def adjust(
    category: str,
    month: date,
    decision_no: str,
    decision_date: date | None,
    children: int | None = None,
) -> Maker:
    """A change of category (and so of coefficient), or of a single parent's children, from
    ``month``."""

    async def make(conn: asyncpg.Connection, b: Beneficiary) -> Change:
        coefficient = await coefficient_of(conn, category, month)
        return rules.adjust(b, category, coefficient, month, decision_no, decision_date, children)

    return make


def add_policy(
    category: str,
    month: date,
    decision_no: str,
    decision_date: date | None,
    children: int | None = None,
) -> Maker:
    """A new policy for a beneficiary who has none in force, from ``month``."""

    async def make(conn: asyncpg.Connection, b: Beneficiary) -> Change:
        coefficient = await coefficient_of(conn, category, month)
        return rules.add_policy(
            b, category, coefficient, month, decision_no, decision_date, children
        )

    return make


async def lock(
    conn: asyncpg.Connection, district: str, month: date, note: str, officer: str
) -> asyncpg.Record:
    return await locks.create_lock(conn, district, month, note, officer)


async def unlock(
    conn: asyncpg.Connection, district: str, lock_id: int, note: str, officer: str
) -> asyncpg.Record:
    row = await locks.unlock(conn, district, lock_id, note, officer)
    if row is None:
        raise LockNotFound()
    return row
