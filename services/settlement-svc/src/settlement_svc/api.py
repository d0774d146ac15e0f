"""settlement-svc HTTP routes: payment-unit settings, packages and settlements."""

import json
from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from btxh_common import bounds, paging
from btxh_common.deps import Caller, Conn, Pool, Tx, allowed, service_state
from btxh_common.roles import Action
from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field, PlainSerializer, field_validator

from settlement_svc.config import Settings
from settlement_svc.domain.packages import PackageState, Policy
from settlement_svc.domain.payment_unit import PaymentUnitSettings
from settlement_svc.domain.settlements import SettlementState, SettlementSummary
from settlement_svc.handlers import authenticity, held, payment_unit
from settlement_svc.handlers import packages as package_handlers
from settlement_svc.handlers import settlements as settlement_handlers

# ISO 8601 as Python writes it (``+00:00``): timestamps are UTC from the database
Timestamp = Annotated[datetime, PlainSerializer(lambda v: v.isoformat(), return_type=str)]


def _resend_policy(request: Request) -> Policy:
    settings = service_state(request).settings
    assert isinstance(settings, Settings)
    return settings.resend_policy()


ResendPolicy = Annotated[Policy, Depends(_resend_policy)]


class SettingsBody(BaseModel):
    list_cutoff_day: int | Literal["last"] = Field(description="1–28, or last")
    settlement_cutoff_day: int | Literal["last"] = Field(description="1–28, or last")
    months_per_settlement: int = Field(ge=1, le=12)
    integrated: bool

    @field_validator("list_cutoff_day", "settlement_cutoff_day", mode="before")
    @classmethod
    def _day(cls, value: object) -> object:
        if value == "last" or (
            isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 28
        ):
            return value
        raise ValueError("ngày phải từ 1 đến 28, hoặc 'last' (ngày cuối tháng)")


class ExtensionBody(BaseModel):
    days: int = Field(ge=1, le=60, description="1–19; 20 or more (alone or together) refused")
    reason: str = Field(min_length=1, max_length=500)


class ReleaseBody(BaseModel):
    reason: str = Field(
        min_length=5,
        max_length=500,
        description="why the held version may go without the kept package's results (kept)",
    )


class CloseBody(BaseModel):
    rest_unpaid: bool = Field(
        default=False, description="people with no result yet are closed as not received"
    )


class PackageView(BaseModel):
    id: UUID
    version: int
    list_id: UUID
    period: str
    kind: str
    line_count: int
    total_amount: int
    state: PackageState
    attempts: int
    last_error: str | None
    replaces: UUID | None
    sent_at: Timestamp | None
    acknowledged_at: Timestamp | None
    rejected_reason: str | None = Field(
        default=None, description="why the post office rejected the package (not a recall)"
    )
    rejected_detail: str | None = None
    rejected_at: Timestamp | None = None
    released_by: str | None = Field(
        default=None, description="the officer who let a held version go without the results"
    )
    release_reason: str | None = None
    released_at: Timestamp | None = None


class PackageList(BaseModel):
    packages: list[PackageView]
    next_cursor: str | None = Field(default=None, description="the next page; none: the last")


class RefusalView(BaseModel):
    package_id: UUID | None
    message_type: str
    reason: str = Field(description="why it was not applied (domain.lifecycle.Reason)")
    detail: str | None
    at: Timestamp


class RefusalList(BaseModel):
    refusals: list[RefusalView]
    next_cursor: str | None = Field(default=None, description="the next page; none: the last")


class QuarantinedView(BaseModel):
    event_id: UUID
    message_type: str
    package_id: UUID | None
    key_id: str | None = Field(description="the key the message says it was signed with")
    reason: str = Field(
        description="unsigned, unknown_key, key_not_for_district, bad_signature (not believed);"
        " unknown_package, package_not_sent, package_ended (not for a live package)"
    )
    detail: str | None
    payload: dict[str, Any] = Field(description="the message as received")
    at: Timestamp


class QuarantineList(BaseModel):
    quarantined: list[QuarantinedView]


class RetriedPackage(BaseModel):
    id: UUID
    state: PackageState
    attempts: int


class LineTotalView(BaseModel):
    count: int
    amount: int


class ExtensionRequestView(BaseModel):
    days: int = Field(description="days the post office asked for")
    reason: str
    asked_at: Timestamp
    answered_by: str | None = Field(description="the officer whose extension answered it")
    granted_days: int | None
    answered_at: Timestamp | None


class SettlementView(BaseModel):
    id: UUID
    package_id: UUID
    list_id: UUID
    district_code: str
    period: str
    deadline: date
    state: SettlementState
    overdue_since: date | None
    report: dict[str, Any] | None = Field(description="the post office's settlement report")
    closed_by: str | None
    closed_at: Timestamp | None
    effective_deadline: date = Field(description="the deadline with every extension")
    extended_days: int
    lines: dict[str, LineTotalView] = Field(description="the package's lines by status")
    extension_requests: list[ExtensionRequestView] = Field(
        description="the post office's requests for more days; the officer decides (extend)"
    )

    @classmethod
    def of(cls, summary: SettlementSummary) -> "SettlementView":
        return cls(
            **asdict(summary.settlement),
            effective_deadline=summary.effective_deadline,
            extended_days=summary.extended_days,
            lines={k: LineTotalView(**asdict(v)) for k, v in summary.lines.items()},
            extension_requests=[
                ExtensionRequestView(**asdict(r)) for r in summary.extension_requests
            ],
        )


class SettlementList(BaseModel):
    settlements: list[SettlementView]
    next_cursor: str | None = Field(default=None, description="the next page; none: the last")


router = APIRouter(prefix="/v1", tags=["payment-unit"])
District = Annotated[str, Path(pattern=bounds.DISTRICT_PATTERN)]


@router.get("/districts/{district}/payment-unit-settings")
async def read_settings(district: District, caller: Caller, conn: Conn) -> PaymentUnitSettings:
    caller.require_unit(district)
    return await payment_unit.read(conn, district)


@router.put(
    "/districts/{district}/payment-unit-settings", dependencies=[allowed(Action.SUPERVISOR_ONLY)]
)
async def write_settings(
    district: District, body: SettingsBody, caller: Caller, conn: Conn
) -> PaymentUnitSettings:
    caller.require_unit(district)
    value = PaymentUnitSettings(district_code=district, **body.model_dump())
    await payment_unit.write(conn, value, caller.officer_id)
    return value


@router.get("/districts/{district}/packages", tags=["handshake"])
async def packages(
    district: District,
    caller: Caller,
    conn: Conn,
    limit: paging.Limit = paging.DEFAULT_PAGE,
    cursor: paging.CursorParam = None,
) -> PackageList:
    """The district's packages, newest first, a page at a time."""
    caller.require_unit(district)
    before = paging.parse(cursor, datetime.fromisoformat, UUID)
    rows = await package_handlers.of_district(conn, district, limit + 1, before)
    shown, more = paging.page(rows, limit, lambda r: (r["created_at"].isoformat(), r["id"]))
    return PackageList(packages=[PackageView(**dict(r)) for r in shown], next_cursor=more)


@router.get("/districts/{district}/refusals", tags=["handshake"])
async def refusals(
    district: District,
    caller: Caller,
    conn: Conn,
    limit: paging.Limit = paging.DEFAULT_PAGE,
    cursor: paging.CursorParam = None,
) -> RefusalList:
    """What the post office said about the district's packages that was not applied, and
    why, newest first, a page at a time."""
    caller.require_unit(district)
    before = paging.parse(cursor, int)
    rows = await package_handlers.refusals_of(
        conn, district, limit + 1, before[0] if before else None
    )
    shown, more = paging.page(rows, limit, lambda r: (r["id"],))
    return RefusalList(refusals=[RefusalView(**dict(r)) for r in shown], next_cursor=more)


@router.get("/districts/{district}/quarantine", tags=["handshake"])
async def quarantine(district: District, caller: Caller, conn: Conn) -> QuarantineList:
    """Messages on the post-office topic for the district that were never applied: not
    believed (signature) or not for a package the post office holds; newest first."""
    caller.require_unit(district)
    rows = await authenticity.of_district(conn, district)
    return QuarantineList(
        quarantined=[
            QuarantinedView(**{**dict(r), "payload": json.loads(r["payload"])}) for r in rows
        ]
    )


@router.post(
    "/packages/{package_id}/retry",
    tags=["handshake"],
    dependencies=[allowed(Action.SETTLEMENT_WRITE)],
)
async def retry(
    package_id: UUID, caller: Caller, conn: Tx, pool: Pool, policy: ResendPolicy
) -> RetriedPackage:
    async with package_handlers.refusals_kept(
        pool, "retry", lambda: package_handlers.subject(conn, package_id)
    ):
        package = await package_handlers.retry(conn, caller.units, package_id, policy)
    return RetriedPackage(id=package.id, state=package.state, attempts=package.attempts)


@router.post(
    "/packages/{package_id}/release",
    tags=["handshake"],
    dependencies=[allowed(Action.SUPERVISOR_ONLY)],
)
async def release(
    package_id: UUID,
    body: ReleaseBody,
    caller: Caller,
    conn: Tx,
    pool: Pool,
    policy: ResendPolicy,
) -> RetriedPackage:
    """A supervisor lets a new version go that is held (``results_overdue``) because the
    post office refused to recall the previous one and the paid results its refusal counted
    never came. The people known paid are still left out; anyone whose "paid" is still in
    transit may be paid twice, so the reason is required and kept on the package
    (``release_reason``, ``released_by``). 409 ``package_not_held`` in any other state."""
    async with package_handlers.refusals_kept(
        pool, "release", lambda: package_handlers.subject(conn, package_id)
    ):
        package = await held.release(
            conn, caller.units, package_id, policy, caller.officer_id, body.reason
        )
    return RetriedPackage(id=package.id, state=package.state, attempts=package.attempts)


@router.get("/districts/{district}/settlements", tags=["settlements"])
async def settlements(
    district: District,
    caller: Caller,
    conn: Conn,
    limit: paging.Limit = paging.DEFAULT_PAGE,
    cursor: paging.CursorParam = None,
) -> SettlementList:
    """The district's settlements, latest period first, a page at a time (one query)."""
    caller.require_unit(district)
    before = paging.parse(cursor, str, UUID)
    found = await settlement_handlers.of_district(conn, district, limit + 1, before)
    shown, more = paging.page(found, limit, lambda s: (s.settlement.period, s.settlement.id))
    return SettlementList(settlements=[SettlementView.of(s) for s in shown], next_cursor=more)


@router.get("/settlements/{settlement_id}", tags=["settlements"])
async def settlement(settlement_id: UUID, caller: Caller, conn: Tx) -> SettlementView:
    await settlement_handlers.find(conn, caller.units, settlement_id)
    return SettlementView.of(await settlement_handlers.summary(conn, settlement_id))


@router.post(
    "/settlements/{settlement_id}/extensions",
    tags=["settlements"],
    dependencies=[allowed(Action.SETTLEMENT_WRITE)],
)
async def extend(
    settlement_id: UUID, body: ExtensionBody, caller: Caller, conn: Tx, pool: Pool
) -> SettlementView:
    async with package_handlers.refusals_kept(
        pool, "extend", lambda: settlement_handlers.subject(conn, settlement_id)
    ):
        await settlement_handlers.extend(
            conn, caller.units, settlement_id, body.days, caller.officer_id, body.reason
        )
    return SettlementView.of(await settlement_handlers.summary(conn, settlement_id))


@router.post(
    "/settlements/{settlement_id}/close",
    tags=["settlements"],
    dependencies=[allowed(Action.SETTLEMENT_WRITE)],
)
async def close(
    settlement_id: UUID, body: CloseBody, caller: Caller, conn: Tx, pool: Pool
) -> SettlementView:
    async with package_handlers.refusals_kept(
        pool, "close", lambda: settlement_handlers.subject(conn, settlement_id)
    ):
        await settlement_handlers.close(
            conn, caller.units, settlement_id, caller.officer_id, body.rest_unpaid
        )
    return SettlementView.of(await settlement_handlers.summary(conn, settlement_id))
