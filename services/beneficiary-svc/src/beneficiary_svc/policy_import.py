"""Applying a confirmed 10A import (Tăng thêm / Điều chỉnh / Thôi hưởng / Cắt chết).

Policy changes go through the same domain rules as manual changes, row by row inside the
batch's single transaction: each row has its own rule set and such batches are small (the
month's increases and decreases), unlike arrears and information updates.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import asyncpg
from btxh_common.envelope import Envelope, new_event_id
from btxh_common.events import BeneficiaryRegistered, RejectedRow
from btxh_common.outbox import enqueue
from btxh_common.topics import BENEFICIARY_EVENTS

from beneficiary_svc.adapters import db
from beneficiary_svc.domain import register as rules
from beneficiary_svc.domain.errors import DomainError
from beneficiary_svc.domain.register import Beneficiary, Change
from beneficiary_svc.domain.values import check_national_id, normalise_name, parse_month
from beneficiary_svc.handlers import PRODUCER, changed_event, coefficient_of


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


async def apply_policy_rows(
    conn: asyncpg.Connection, meta: dict[str, Any], rows: list[dict[str, Any]]
) -> tuple[list[int], list[RejectedRow]]:
    applied: list[int] = []
    rejected: list[RejectedRow] = []
    source = f"import:{meta['batch_id']}"
    for row in rows:
        try:
            async with conn.transaction():
                await _apply_one(conn, meta, row, source)
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
    conn: asyncpg.Connection, meta: dict[str, Any], row: dict[str, Any], source: str
) -> None:
    officer, kind = meta["confirmed_by"], row["change_type"]
    if kind == "new":
        await _register(conn, meta, row, source)
        return
    before = await db.get(conn, UUID(row["beneficiary_id"]), for_update=True)
    if before is None or before.district_code != meta["district_code"]:
        raise DomainError("Không tìm thấy đối tượng trong cơ sở dữ liệu của huyện")
    if before.national_id != row.get("national_id"):
        raise DomainError("Số CCCD/CMND trong tệp khác với số hiện có trong hệ thống")
    change: Change
    if kind == "adjust":
        month = parse_month(row["effective_month"])
        coefficient = await coefficient_of(conn, row["category"], month)
        change = rules.adjust(
            before,
            row["category"],
            coefficient,
            month,
            row["decision_no"],
            _date(row.get("decision_date")),
        )
    elif kind == "stop":
        month = parse_month(row["effective_month"])
        change = rules.stop(before, month, row["decision_no"], "Thôi hưởng")
    elif kind == "death":
        change = rules.record_death(
            before, date.fromisoformat(row["death_date"]), row["decision_no"], None
        )
    else:
        raise DomainError(f"Loại biến động không hỗ trợ: {kind}")
    after, changed = change
    await db.save(conn, after)
    await db.add_history(
        conn,
        before=before,
        after=after,
        changed=changed,
        officer=officer,
        action=f"import_{kind}",
        source=source,
        reason=row.get("decision_no"),
    )
    await enqueue(conn, BENEFICIARY_EVENTS, changed_event(after, changed, source))


async def _register(
    conn: asyncpg.Connection, meta: dict[str, Any], row: dict[str, Any], source: str
) -> None:
    national_id = check_national_id(row.get("national_id"))
    if national_id and await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM beneficiary WHERE national_id = $1 AND status <> 'removed')",
        national_id,
    ):
        raise DomainError("Số CCCD/CMND đã có trong hệ thống")
    month = parse_month(row["effective_month"])
    b = Beneficiary(
        id=new_event_id(),
        district_code=meta["district_code"],
        commune_code=row.get("commune_code") or meta["commune_code"],
        full_name=normalise_name(row["full_name"]),
        national_id=national_id,
        birth_date=_date(row.get("birth_date")),
        gender=row.get("gender"),
        category=row["category"],
        coefficient=await coefficient_of(conn, row["category"], month),
        allowance_start_month=month,
        status_effective_month=month,
        decision_no=row["decision_no"],
        decision_date=_date(row.get("decision_date")),
    )
    await db.insert(conn, b)
    await db.add_history(
        conn,
        before=None,
        after=b,
        changed=["*"],
        officer=meta["confirmed_by"],
        action="import_new",
        source=source,
        reason=row["decision_no"],
    )
    await enqueue(
        conn,
        BENEFICIARY_EVENTS,
        Envelope.wrap(
            BeneficiaryRegistered(beneficiary=b.snapshot(), source=source),
            producer=PRODUCER,
            district_code=b.district_code,
            correlation_id=str(b.id),
        ),
    )
