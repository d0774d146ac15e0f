"""beneficiary-svc HTTP routes for the internal web gateway. Every route is scoped to the
caller's units: another district's beneficiary answers 404 everywhere."""

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
from btxh_common.auth import Principal, Role, principal_dependency
from btxh_common.problems import FieldError, NotFound, problem_response
from btxh_common.service import ServiceState
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from beneficiary_svc import handlers
from beneficiary_svc.adapters import db
from beneficiary_svc.app_settings import Settings
from beneficiary_svc.domain import register as rules
from beneficiary_svc.domain.errors import DomainError, LockNotFound
from beneficiary_svc.domain.register import Beneficiary
from beneficiary_svc.domain.values import id_warnings, month_text, parse_month

Month = Annotated[str, Field(pattern=r"^(19|2\d)\d{2}-(0[1-9]|1[0-2])$", examples=["2026-11"])]
Gender = Literal["male", "female", "other"]
Channel = Literal["cash", "bank", "ewallet"]
Route = Callable[..., Any]
STRICT = ConfigDict(extra="forbid")
Status = Literal["active", "suspended", "under_review", "stopped", "deceased", "removed"]


class BeneficiaryItem(BaseModel):
    id: UUID
    national_id: str | None
    full_name: str
    birth_date: date | None
    gender: str | None
    commune_code: str
    category: str | None
    coefficient: int | None = Field(description="tenths: 15 means 1.5")
    status: str
    arrears_amount: int
    arrears_period: str | None
    recovery_amount: int


class BeneficiaryDetail(BeneficiaryItem):
    district_code: str
    ethnicity: str | None
    address: str | None
    phone: str | None
    allowance_start_month: str | None
    decision_no: str | None
    decision_date: date | None
    status_effective_month: str | None
    status_reason: str | None
    death_date: date | None
    funeral_recipient: str | None
    payment_channel: str
    bank_account: str | None
    bank_name: str | None
    version: int
    warnings: list[str] = Field(description="CCCD digits that disagree with birth year/gender")


class Page(BaseModel):
    items: list[BeneficiaryItem]
    total: int


class NewBeneficiary(BaseModel):
    model_config = STRICT
    national_id: str | None = Field(default=None, pattern=r"^(\d{9}|\d{12})$")
    full_name: str = Field(min_length=1, max_length=200)
    birth_date: date | None = None
    gender: Gender | None = None
    ethnicity: str | None = None
    commune_code: str = Field(pattern=r"^\d{5}$")
    address: str | None = None
    phone: str | None = None
    category: str
    allowance_start_month: Month
    decision_no: str = Field(min_length=1)
    decision_date: date | None = None
    payment_channel: Channel = "cash"
    bank_account: str | None = None
    bank_name: str | None = None


class InfoUpdate(BaseModel):
    model_config = STRICT
    full_name: str | None = Field(default=None, min_length=1, max_length=200)
    birth_date: date | None = None
    gender: Gender | None = None
    ethnicity: str | None = None
    address: str | None = None
    phone: str | None = None
    national_id: str | None = Field(default=None, pattern=r"^(\d{9}|\d{12})$")
    payment_channel: Channel | None = None
    bank_account: str | None = None
    bank_name: str | None = None

    @model_validator(mode="after")
    def _required_fields_stay(self) -> "InfoUpdate":
        """Absent means unchanged; null clears, except what every beneficiary must have."""
        for name in ("full_name", "payment_channel"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name}: không được để trống")
        return self


class Decision(BaseModel):
    model_config = STRICT
    effective_month: Month
    decision_no: str = Field(min_length=1)
    reason: str = Field(min_length=1)


class PolicyChange(BaseModel):
    model_config = STRICT
    category: str
    effective_month: Month
    decision_no: str = Field(min_length=1)
    decision_date: date | None = None


class Suspension(BaseModel):
    model_config = STRICT
    effective_month: Month
    reason: str = Field(min_length=1)
    under_review: bool = False


class Resumption(BaseModel):
    model_config = STRICT
    effective_month: Month
    reason: str = Field(min_length=1)


class Death(BaseModel):
    model_config = STRICT
    death_date: date
    decision_no: str = Field(min_length=1)
    funeral_recipient: str | None = None


class Reason(BaseModel):
    model_config = STRICT
    reason: str = Field(min_length=1)


class LockRequest(BaseModel):
    model_config = STRICT
    month: Month
    note: str = Field(min_length=1)


class DataLock(BaseModel):
    id: int
    district_code: str
    month: str
    note: str
    locked_by: str
    locked_at: datetime
    unlocked_by: str | None
    unlocked_at: datetime | None
    unlock_note: str | None


class Unlock(BaseModel):
    model_config = STRICT
    note: str = Field(min_length=1)


def detail(b: Beneficiary) -> BeneficiaryDetail:
    data: dict[str, Any] = {
        **b.__dict__,
        "arrears_period": month_text(b.arrears_period),
        "allowance_start_month": month_text(b.allowance_start_month),
        "status_effective_month": month_text(b.status_effective_month),
        "warnings": id_warnings(b.national_id, b.birth_date, b.gender),
    }
    return BeneficiaryDetail(**data)


def item(b: Beneficiary) -> BeneficiaryItem:
    return BeneficiaryItem(**{**b.__dict__, "arrears_period": month_text(b.arrears_period)})


def lock_out(row: asyncpg.Record) -> DataLock:
    return DataLock(**{**dict(row), "month": month_text(row["month"])})


def install_domain_errors(app: FastAPI) -> None:
    async def on_domain(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        from btxh_common.problems import ProblemError

        problem = ProblemError(exc.message_vi, code=exc.code, title=exc.message_vi)
        problem.status = exc.status
        if exc.field:
            problem.errors = [
                FieldError(
                    field=exc.field, code=exc.code, message_vi=exc.message_vi, value=exc.value
                )
            ]
        return problem_response(problem)

    app.add_exception_handler(DomainError, on_domain)


def build_router(settings: Settings) -> APIRouter:
    router = APIRouter(prefix="/v1")
    Caller = Annotated[Principal, Depends(principal_dependency(settings))]

    def pool(request: Request) -> asyncpg.Pool:
        state: ServiceState = request.app.state.service
        return state.db()

    def district_of(caller: Principal, district: str | None) -> str:
        if district is None:
            if len(caller.units) != 1:
                raise NotFound("Cần chỉ rõ huyện (district)")
            return next(iter(caller.units))
        caller.require_unit(district)
        return district

    async def visible(request: Request, caller: Principal, beneficiary_id: UUID) -> Beneficiary:
        async with pool(request).acquire() as conn:
            b = await db.get(conn, beneficiary_id)
        if b is None or not caller.can_see(b.district_code):
            raise NotFound("Không tìm thấy đối tượng")
        return b

    @router.get("/beneficiaries", response_model=Page, tags=["beneficiaries"])
    async def search(
        request: Request,
        caller: Caller,
        district: str | None = None,
        commune: str | None = None,
        q: Annotated[str | None, Query(description="name, with or without diacritics")] = None,
        national_id: str | None = None,
        status: Status | None = None,
        category: str | None = None,
        page: Annotated[int, Query(ge=1, le=100_000)] = 1,
        size: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> Page:
        code = district_of(caller, district)
        async with pool(request).acquire() as conn:
            found, total = await db.search(
                conn,
                code,
                commune=commune,
                q=q,
                national_id=national_id,
                status=status,
                category=category,
                offset=(page - 1) * size,
                limit=size,
            )
        return Page(items=[item(b) for b in found], total=total)

    @router.post("/beneficiaries", status_code=201, tags=["beneficiaries"])
    async def add(body: NewBeneficiary, request: Request, caller: Caller) -> BeneficiaryDetail:
        data = {
            **body.model_dump(),
            "allowance_start_month": parse_month(body.allowance_start_month),
        }
        b = await handlers.register(pool(request), caller, data, settings.register_level)
        return detail(b)

    @router.get("/beneficiaries/duplicates", tags=["beneficiaries"])
    async def duplicates(
        request: Request, caller: Caller, district: str | None = None
    ) -> dict[str, Any]:
        code = district_of(caller, district)
        async with pool(request).acquire() as conn:
            groups = await db.duplicates(conn, code)
        return {"items": groups, "total": len(groups)}

    @router.get("/beneficiaries/missing-info", tags=["beneficiaries"])
    async def missing(
        request: Request,
        caller: Caller,
        district: str | None = None,
        page: Annotated[int, Query(ge=1, le=100_000)] = 1,
        size: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> dict[str, Any]:
        code = district_of(caller, district)
        async with pool(request).acquire() as conn:
            rows, total = await db.missing_info(conn, code, (page - 1) * size, size)
        return {"items": rows, "total": total}

    @router.get("/beneficiaries/{beneficiary_id}", tags=["beneficiaries"])
    async def read(beneficiary_id: UUID, request: Request, caller: Caller) -> BeneficiaryDetail:
        return detail(await visible(request, caller, beneficiary_id))

    @router.get("/beneficiaries/{beneficiary_id}/history", tags=["beneficiaries"])
    async def history(beneficiary_id: UUID, request: Request, caller: Caller) -> dict[str, Any]:
        await visible(request, caller, beneficiary_id)
        async with pool(request).acquire() as conn:
            rows = await db.history(conn, beneficiary_id)
        return {"items": rows, "total": len(rows)}

    def act(action: str) -> Callable[[Route], Route]:
        return router.post(f"/beneficiaries/{{beneficiary_id}}/{action}", tags=["changes"])

    @router.patch("/beneficiaries/{beneficiary_id}", tags=["changes"])
    async def update_info(
        beneficiary_id: UUID, body: InfoUpdate, request: Request, caller: Caller
    ) -> BeneficiaryDetail:
        values = body.model_dump(exclude_unset=True)
        b = await handlers.change(
            pool(request),
            caller,
            beneficiary_id,
            action="update_info",
            effective=None,
            make=handlers.pure(lambda b: rules.update_info(b, values)),
        )
        return detail(b)

    @act("stop")
    async def stop(
        beneficiary_id: UUID, body: Decision, request: Request, caller: Caller
    ) -> BeneficiaryDetail:
        month = parse_month(body.effective_month)
        return detail(
            await handlers.change(
                pool(request),
                caller,
                beneficiary_id,
                action="stop",
                effective=month,
                reason=body.reason,
                make=handlers.pure(lambda b: rules.stop(b, month, body.decision_no, body.reason)),
            )
        )

    @act("adjust")
    async def adjust(
        beneficiary_id: UUID, body: PolicyChange, request: Request, caller: Caller
    ) -> BeneficiaryDetail:
        month = parse_month(body.effective_month)

        async def make(conn: asyncpg.Connection, b: Beneficiary) -> rules.Change:
            return await handlers.adjust(
                conn, b, body.category, month, body.decision_no, body.decision_date
            )

        return detail(
            await handlers.change(
                pool(request),
                caller,
                beneficiary_id,
                action="adjust",
                effective=month,
                make=make,
                reason=body.decision_no,
            )
        )

    @act("suspend")
    async def suspend(
        beneficiary_id: UUID, body: Suspension, request: Request, caller: Caller
    ) -> BeneficiaryDetail:
        month = parse_month(body.effective_month)
        return detail(
            await handlers.change(
                pool(request),
                caller,
                beneficiary_id,
                action="suspend",
                effective=month,
                reason=body.reason,
                make=handlers.pure(
                    lambda b: rules.suspend(b, month, body.reason, body.under_review)
                ),
            )
        )

    @act("resume")
    async def resume(
        beneficiary_id: UUID, body: Resumption, request: Request, caller: Caller
    ) -> BeneficiaryDetail:
        month = parse_month(body.effective_month)
        return detail(
            await handlers.change(
                pool(request),
                caller,
                beneficiary_id,
                action="resume",
                effective=month,
                reason=body.reason,
                make=handlers.pure(lambda b: rules.resume(b, month, body.reason)),
            )
        )

    @act("death")
    async def death(
        beneficiary_id: UUID, body: Death, request: Request, caller: Caller
    ) -> BeneficiaryDetail:
        return detail(
            await handlers.change(
                pool(request),
                caller,
                beneficiary_id,
                action="death",
                effective=body.death_date.replace(day=1),
                reason=body.decision_no,
                make=handlers.pure(
                    lambda b: rules.record_death(
                        b, body.death_date, body.decision_no, body.funeral_recipient
                    )
                ),
            )
        )

    @act("policy")
    async def add_policy(
        beneficiary_id: UUID, body: PolicyChange, request: Request, caller: Caller
    ) -> BeneficiaryDetail:
        month = parse_month(body.effective_month)

        async def make(conn: asyncpg.Connection, b: Beneficiary) -> rules.Change:
            return await handlers.add_policy(
                conn, b, body.category, month, body.decision_no, body.decision_date
            )

        return detail(
            await handlers.change(
                pool(request),
                caller,
                beneficiary_id,
                action="add_policy",
                effective=month,
                make=make,
                reason=body.decision_no,
            )
        )

    @router.delete("/beneficiaries/{beneficiary_id}/policy", tags=["changes"])
    async def delete_policy(
        beneficiary_id: UUID, body: Reason, request: Request, caller: Caller
    ) -> BeneficiaryDetail:
        return detail(
            await handlers.change(
                pool(request),
                caller,
                beneficiary_id,
                action="delete_policy",
                effective=None,
                reason=body.reason,
                make=handlers.pure(lambda b: rules.delete_policy(b, body.reason)),
            )
        )

    @router.delete("/beneficiaries/{beneficiary_id}", tags=["changes"])
    async def remove(
        beneficiary_id: UUID, body: Reason, request: Request, caller: Caller
    ) -> BeneficiaryDetail:
        return detail(
            await handlers.change(
                pool(request),
                caller,
                beneficiary_id,
                action="remove",
                effective=None,
                reason=body.reason,
                make=handlers.pure(lambda b: rules.remove(b, body.reason)),
            )
        )

    @router.get("/districts/{district}/communes", tags=["catalogues"])
    async def communes(district: str, request: Request, caller: Caller) -> dict[str, Any]:
        caller.require_unit(district)
        async with pool(request).acquire() as conn:
            rows = await db.communes(conn, district)
        return {"items": [dict(r) for r in rows], "total": len(rows)}

    @router.get("/categories", tags=["catalogues"])
    async def categories(request: Request, caller: Caller) -> dict[str, Any]:
        async with pool(request).acquire() as conn:
            rows = await db.categories(conn)
        return {"items": [dict(r) for r in rows], "total": len(rows)}

    @router.get("/standard-levels", tags=["catalogues"])
    async def levels(request: Request, caller: Caller) -> dict[str, Any]:
        async with pool(request).acquire() as conn:
            rows = await db.standard_levels(conn)
        return {"items": [dict(r) for r in rows], "total": len(rows)}

    @router.get("/districts/{district}/data-locks", tags=["data locks"])
    async def list_locks(district: str, request: Request, caller: Caller) -> dict[str, Any]:
        caller.require_unit(district)
        async with pool(request).acquire() as conn:
            rows = await db.locks(conn, district)
        return {"items": [lock_out(r) for r in rows], "total": len(rows)}

    @router.post("/districts/{district}/data-locks", status_code=201, tags=["data locks"])
    async def lock(district: str, body: LockRequest, request: Request, caller: Caller) -> DataLock:
        caller.require_unit(district)
        caller.require_role(Role.DISTRICT_OFFICER, Role.DISTRICT_SUPERVISOR)
        async with pool(request).acquire() as conn:
            row = await db.create_lock(
                conn, district, parse_month(body.month), body.note, caller.officer_id
            )
        return lock_out(row)

    @router.post("/districts/{district}/data-locks/{lock_id}/unlock", tags=["data locks"])
    async def unlock(
        district: str, lock_id: int, body: Unlock, request: Request, caller: Caller
    ) -> DataLock:
        caller.require_unit(district)
        caller.require_role(Role.DISTRICT_SUPERVISOR)
        async with pool(request).acquire() as conn:
            row = await db.unlock(conn, district, lock_id, body.note, caller.officer_id)
        if row is None:
            raise LockNotFound()
        return lock_out(row)

    return router
