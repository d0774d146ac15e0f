"""Policy warnings and decision records (issue 20): per district and per person, and a
decision printed as PDF. Every route is scoped to the caller's units: another district's
person or decision answers 404."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from btxh_common import paging
from btxh_common.clock import current_month, month_text, next_month
from btxh_common.deps import Caller, Conn
from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from beneficiary_svc.adapters import db, pdf, records
from beneficiary_svc.api.access import DistrictPath, visible
from beneficiary_svc.api.models import Month
from beneficiary_svc.api.record_models import (
    DecisionPage,
    DecisionRecord,
    WarnedPerson,
    WarningList,
)
from beneficiary_svc.api.warning_view import PolicyWarningView, warning_view
from beneficiary_svc.domain import decision_records as paper
from beneficiary_svc.domain import policy_warnings as rules
from beneficiary_svc.domain.errors import DecisionNotFound
from beneficiary_svc.domain.values import parse_month

router = APIRouter(prefix="/v1", tags=["policy warnings and decisions"])

MonthQuery = Annotated[Month | None, Query(description="YYYY-MM; default: next month")]
FromMonth = Annotated[Month | None, Query(description="first effective month (YYYY-MM)")]
ToMonth = Annotated[Month | None, Query(description="last effective month (YYYY-MM)")]
DecisionId = Annotated[int, Path(ge=1, le=2**63 - 1)]
WarnLimit = Annotated[int, Query(ge=1, le=5000, description="people at most")]
PDF: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "the printed decision"}
}


def month_asked(month: str | None) -> date:
    return parse_month(month) if month else next_month(current_month())


@router.get("/districts/{district}/policy-warnings")
async def district_warnings(
    district: DistrictPath,
    caller: Caller,
    conn: Conn,
    month: MonthQuery = None,
    limit: WarnLimit = 1000,
) -> WarningList:
    """The district's people whose age moves them to another band, or out of the programme,
    in ``month`` (default next month), with the change to decide; overdue ones too."""
    caller.require_unit(district)
    asked = month_asked(month)
    bounds = {c: rules.born_before(c, asked) for c in rules.BANDS}
    found: list[WarnedPerson] = []
    for r in await records.warned_people(conn, district, bounds, limit):
        w = rules.warning_for(r["category"], r["birth_date"], r["status"], asked)
        if w is not None:
            found.append(WarnedPerson(**dict(r), beneficiary_id=r["id"], warning=warning_view(w)))
    return WarningList(
        district_code=district, month=month_text(asked), items=found, total=len(found)
    )


@router.get("/beneficiaries/{beneficiary_id}/policy-warnings")
async def person_warnings(
    beneficiary_id: UUID, caller: Caller, conn: Conn, month: MonthQuery = None
) -> list[PolicyWarningView]:
    """The mark on one record: its policy warning for ``month`` (default next month), if any."""
    b = visible(caller, await db.get(conn, beneficiary_id))
    w = rules.warning_for(b.category, b.birth_date, b.status, month_asked(month))
    return [] if w is None else [warning_view(w)]


def record_view(r: asyncpg.Record) -> DecisionRecord:
    d: dict[str, Any] = dict(r)
    return DecisionRecord(
        **{**d, "effective_month": month_text(d["effective_month"])}, change_vi=paper.change_vi(d)
    )


@router.get("/beneficiaries/{beneficiary_id}/decisions")
async def person_decisions(
    beneficiary_id: UUID, caller: Caller, conn: Conn
) -> list[DecisionRecord]:
    """Every policy decision about the person, in the order recorded."""
    visible(caller, await db.get(conn, beneficiary_id))
    return [record_view(r) for r in await records.person_decisions(conn, beneficiary_id)]


@router.get("/districts/{district}/decisions")
async def district_decisions(
    district: DistrictPath,
    caller: Caller,
    conn: Conn,
    from_month: FromMonth = None,
    to_month: ToMonth = None,
    limit: paging.Limit = paging.DEFAULT_PAGE,
    cursor: paging.CursorParam = None,
) -> DecisionPage:
    """The district's policy decisions effective in the months asked, in the order recorded,
    a page at a time (``next_cursor`` reads the next)."""
    caller.require_unit(district)
    months = (
        parse_month(from_month) if from_month else None,
        parse_month(to_month) if to_month else None,
    )
    after = paging.parse(cursor, int)
    rows = await records.district_decisions(
        conn, district, months, limit + 1, after[0] if after else None
    )
    shown, more = paging.page(rows, limit, lambda r: (r["id"],))
    items = [record_view(r) for r in shown]
    return DecisionPage(items=items, total=len(items), next_cursor=more)


@router.get("/decisions/{decision_id}/pdf", response_class=Response, responses=PDF)
async def decision_pdf(decision_id: DecisionId, caller: Caller, conn: Conn) -> Response:
    """The decision printed from the template with the district's header (PDF, A4)."""
    r = await records.decision(conn, decision_id)
    if r is None or not caller.can_see(r["district_code"]):
        raise DecisionNotFound(value=decision_id)
    units = await records.unit_names(conn, r["commune_code"])
    values = paper.printed(dict(r), units, fallback_signer="")
    body = await pdf.decision_pdf(values)
    name = f"quyet-dinh-{decision_id}.pdf"
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )
