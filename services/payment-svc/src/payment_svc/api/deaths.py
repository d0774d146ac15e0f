"""The list of beneficiaries cut for death in a period (*danh sách đối tượng cắt chết*, payment
management §3), beside the funeral-allowance list: each death with the funeral allowance due
(20 × the standard level of the month of death) and the person's line on the current MTP
list, if one pays them."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

import asyncpg
from btxh_common.clock import month_text, parse_month, previous_month
from btxh_common.deps import Caller, Conn
from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from payment_svc.adapters import deaths as sql
from payment_svc.api.schemas import MONTH, District
from payment_svc.domain.deaths import death_period

router = APIRouter(prefix="/v1", tags=["deaths"])

MonthQuery = Annotated[str | None, Query(pattern=MONTH, examples=["2026-11"])]


class FuneralLine(BaseModel):
    list_id: UUID
    month: str = Field(description="YYYY-MM: the funeral list's month")
    list_status: str
    amount: int = Field(description="VND on the line")
    line_status: str


class Death(BaseModel):
    beneficiary_id: UUID
    full_name: str
    national_id: str | None
    commune_code: str
    category: str | None
    death_date: date
    death_decided: bool = Field(description="the register's death decision is in the timeline")
    funeral_recipient: str | None
    funeral_due: int | None = Field(description="20 × the level of the month of death (VND)")
    funeral: FuneralLine | None = Field(description="the line on the current funeral list")


class Deaths(BaseModel):
    district: str
    from_month: str
    to_month: str
    items: list[Death]
    total: int


@router.get("/districts/{district}/deaths")
async def deaths(
    district: District,
    caller: Caller,
    conn: Conn,
    from_month: MonthQuery = None,
    to_month: MonthQuery = None,
) -> Deaths:
    """The district's beneficiaries recorded dead from ``from_month`` to ``to_month``
    (YYYY-MM, both included, at most 24 months; default this month), earliest death first."""
    caller.require_unit(district)
    start, end = death_period(
        parse_month(from_month) if from_month else None,
        parse_month(to_month) if to_month else None,
    )
    items = [death_view(r) for r in await sql.deaths(conn, district, start, end)]
    return Deaths(
        district=district,
        from_month=month_text(start),
        to_month=month_text(previous_month(end)),
        items=items,
        total=len(items),
    )


def death_view(r: asyncpg.Record) -> Death:
    line = None
    if r["list_id"] is not None:
        line = FuneralLine(
            list_id=r["list_id"],
            month=month_text(r["funeral_month"]),
            list_status=r["list_status"],
            amount=r["funeral_amount"],
            line_status=r["line_status"],
        )
    fields = {k: r[k] for k in Death.model_fields if k != "funeral"}
    return Death(**fields, funeral=line)
