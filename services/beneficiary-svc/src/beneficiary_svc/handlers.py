"""Commands on the register: each loads, checks, changes, records history and publishes in one
transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg
from btxh_common.auth import Principal
from btxh_common.envelope import Envelope, new_event_id
from btxh_common.events import BeneficiaryChanged, BeneficiaryRegistered
from btxh_common.outbox import enqueue
from btxh_common.problems import NotFound
from btxh_common.topics import BENEFICIARY_EVENTS

from beneficiary_svc.adapters import db
from beneficiary_svc.domain import register as rules
from beneficiary_svc.domain.errors import CommuneNotInDistrict, DataLocked, UnknownCategory
from beneficiary_svc.domain.register import Beneficiary, Change
from beneficiary_svc.domain.values import (
    check_national_id,
    current_month,
    month_text,
    normalise_name,
)

PRODUCER = "beneficiary-svc"


async def ensure_unlocked(conn: asyncpg.Connection, district: str, month: date) -> None:
    lock = await db.active_lock(conn, district, month)
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
    row = await db.unit(conn, commune)
    if row is None or row["level"] != "commune":
        raise CommuneNotInDistrict(
            "Mã xã không có trong danh mục", field="commune_code", value=commune
        )
    owner = row["parent_code"]
    if level == "province":
        district = await db.unit(conn, owner)
        assert district is not None
        owner = district["parent_code"]
    return str(owner)


def changed_event(b: Beneficiary, changed: list[str], source: str) -> Envelope:
    return Envelope.wrap(
        BeneficiaryChanged(beneficiary=b.snapshot(), changed=changed, source=source),
        producer=PRODUCER,
        district_code=b.district_code,
        correlation_id=str(b.id),
    )


async def register(
    pool: asyncpg.Pool, who: Principal, data: dict[str, Any], register_level: str
) -> Beneficiary:
    async with pool.acquire() as conn, conn.transaction():
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
            allowance_start_month=month,
            status_effective_month=month,
            decision_no=data["decision_no"],
            decision_date=data.get("decision_date"),
            payment_channel=data.get("payment_channel", "cash"),
            bank_account=data.get("bank_account"),
            bank_name=data.get("bank_name"),
        )
        await db.insert(conn, b)
        await db.add_history(
            conn,
            before=None,
            after=b,
            changed=["*"],
            officer=who.officer_id,
            action="register",
            source="manual",
            reason=data["decision_no"],
        )
        event = BeneficiaryRegistered(beneficiary=b.snapshot(), source="manual")
        await enqueue(
            conn,
            BENEFICIARY_EVENTS,
            Envelope.wrap(
                event, producer=PRODUCER, district_code=district, correlation_id=str(b.id)
            ),
        )
    return b


Maker = Callable[[asyncpg.Connection, Beneficiary], Awaitable[Change]]


def pure(rule: Callable[[Beneficiary], Change]) -> Maker:
    """A rule that needs nothing but the record, as a ``Maker``."""

    async def make(_: asyncpg.Connection, b: Beneficiary) -> Change:
        return rule(b)

    return make


async def change(
    pool: asyncpg.Pool,
    who: Principal,
    beneficiary_id: UUID,
    *,
    action: str,
    effective: date | None,
    make: Maker,
    reason: str | None = None,
) -> Beneficiary:
    """Apply one manual change computed by ``make`` from the locked current record."""
    async with pool.acquire() as conn, conn.transaction():
        before = await db.get(conn, beneficiary_id, for_update=True)
        if before is None or not who.can_see(before.district_code):
            raise NotFound("Không tìm thấy đối tượng")
        await ensure_unlocked(conn, before.district_code, effective or current_month())
        after, changed = await make(conn, before)
        await db.save(conn, after)
        await db.add_history(
            conn,
            before=before,
            after=after,
            changed=changed,
            officer=who.officer_id,
            action=action,
            source="manual",
            reason=reason,
        )
        await enqueue(conn, BENEFICIARY_EVENTS, changed_event(after, changed, "manual"))
    return after


async def adjust(
    conn: asyncpg.Connection,
    b: Beneficiary,
    category: str,
    month: date,
    decision_no: str,
    decision_date: date | None,
) -> Change:
    coefficient = await coefficient_of(conn, category, month)
    return rules.adjust(b, category, coefficient, month, decision_no, decision_date)


async def add_policy(
    conn: asyncpg.Connection,
    b: Beneficiary,
    category: str,
    month: date,
    decision_no: str,
    decision_date: date | None,
) -> Change:
    coefficient = await coefficient_of(conn, category, month)
    return rules.add_policy(b, category, coefficient, month, decision_no, decision_date)
