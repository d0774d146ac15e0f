"""Applying a confirmed 10A import (Tăng thêm / Điều chỉnh / Thôi hưởng / Cắt chết).

Policy changes go through the same domain rules as manual changes, row by row inside the
batch's single transaction: each row has its own rule set and such batches are small (the
month's increases and decreases), unlike arrears and information updates.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

import asyncpg
from btxh_common.chunks import Row
from btxh_common.clock import parse_day_or_none
from btxh_common.envelope import new_event_id
from btxh_common.errors import DomainError
from btxh_common.events import ImportConfirmed, RejectedRow
from btxh_common.inbox import EventContext
from btxh_common.outbox import enqueue
from btxh_common.topics import BENEFICIARY_EVENTS

from beneficiary_svc.adapters import db
from beneficiary_svc.domain import register as rules
from beneficiary_svc.domain.register import Beneficiary
from beneficiary_svc.domain.timeline import decision_of
from beneficiary_svc.domain.values import check_national_id, normalise_name, parse_month
from beneficiary_svc.handlers.commands import (
    changed_event,
    coefficient_of,
    decided,
    registered_event,
)


async def apply_policy_rows(
    conn: asyncpg.Connection, confirmed: ImportConfirmed, context: EventContext, rows: list[Row]
) -> tuple[list[int], list[RejectedRow]]:
    applied: list[int] = []
    rejected: list[RejectedRow] = []
    for row in rows:
        try:
            async with conn.transaction():
                await _apply_one(conn, confirmed, context, row)
            applied.append(row["row_no"])
        except DomainError as err:
            rejected.append(
                RejectedRow(row_no=row["row_no"], code=err.code, message_vi=err.message_vi)
            )
        except (KeyError, ValueError) as err:
            rejected.append(
                RejectedRow(
                    row_no=row["row_no"],
                    code="row_incomplete",
                    message_vi=f"Dòng thiếu hoặc sai trường bắt buộc: {err}",
                )
            )
    return applied, rejected


async def _apply_one(
    conn: asyncpg.Connection, confirmed: ImportConfirmed, context: EventContext, row: Row
) -> None:
    source, kind = f"import:{confirmed.batch_id}", row["change_type"]
    if kind == "new":
        await _register(conn, confirmed, context, row, source)
        return
    before = await db.get(conn, UUID(row["beneficiary_id"]), for_update=True)
    if before is None or before.district_code != context.district_code:
        raise DomainError("Không tìm thấy đối tượng trong cơ sở dữ liệu của huyện")
    if before.national_id != row.get("national_id"):
        raise DomainError("Số CCCD/CMND trong tệp khác với số hiện có trong hệ thống")
    after, changed, month = await _change(conn, before, kind, row)
    decision = decision_of(f"import_{kind}", month, after)
    await db.save(conn, after)
    await db.add_history(
        conn,
        before=before,
        after=after,
        changed=changed,
        officer=confirmed.confirmed_by,
        action=f"import_{kind}",
        source=source,
        reason=row.get("decision_no"),
        decision=decision,
    )
    periods = await decided(conn, decision, after)
    event = await changed_event(conn, after, periods, changed, source)
    await enqueue(conn, BENEFICIARY_EVENTS, event)


async def _change(
    conn: asyncpg.Connection, before: Beneficiary, kind: str, row: Row
) -> tuple[Beneficiary, list[str], date]:
    """The rule a row's ``change_type`` names, applied to the current record, and the month
    the decision takes effect."""
    if kind == "adjust":
        month = parse_month(row["effective_month"])
        coefficient = await coefficient_of(conn, row["category"], month)
        decision_date = parse_day_or_none(row.get("decision_date"))
        return (
            *rules.adjust(
                before,
                row["category"],
                coefficient,
                month,
                row["decision_no"],
                decision_date,
                row.get("children"),
            ),
            month,
        )
    if kind == "stop":
        month = parse_month(row["effective_month"])
        return (*rules.stop(before, month, row["decision_no"], "Thôi hưởng"), month)
    if kind == "death":
        death = date.fromisoformat(row["death_date"])
        return (*rules.record_death(before, death, row["decision_no"], None), death.replace(day=1))
    raise DomainError(f"Loại biến động không hỗ trợ: {kind}")


async def _register(
    conn: asyncpg.Connection,
    confirmed: ImportConfirmed,
    context: EventContext,
    row: Row,
    source: str,
) -> None:
    national_id = check_national_id(row.get("national_id"))
    if national_id and await db.national_id_taken(conn, national_id):
        raise DomainError("Số CCCD/CMND đã có trong hệ thống")
    month = parse_month(row["effective_month"])
    b = Beneficiary(
        id=new_event_id(),
        district_code=context.district_code,
        commune_code=row.get("commune_code") or confirmed.commune_code,
        full_name=normalise_name(row["full_name"]),
        national_id=national_id,
        birth_date=parse_day_or_none(row.get("birth_date")),
        gender=row.get("gender"),
        ethnicity=row.get("ethnicity"),
        category=row["category"],
        coefficient=await coefficient_of(conn, row["category"], month),
        children=rules.children_for(row["category"], row.get("children")),
        allowance_start_month=month,
        status_effective_month=month,
        decision_no=row["decision_no"],
        decision_date=parse_day_or_none(row.get("decision_date")),
    )
    await db.insert(conn, b)
    decision = decision_of("import_new", month, b)
    await db.add_history(
        conn,
        before=None,
        after=b,
        changed=["*"],
        officer=confirmed.confirmed_by,
        action="import_new",
        source=source,
        reason=row["decision_no"],
        decision=decision,
    )
    periods = await decided(conn, decision, b)
    await enqueue(conn, BENEFICIARY_EVENTS, await registered_event(conn, b, periods, source))
