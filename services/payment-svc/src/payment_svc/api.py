"""payment-svc HTTP routes for the internal web gateway. Every route is scoped to the caller's
units: another district's period, list or line answers 404."""

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
from btxh_common.auth import Principal, Role, principal_dependency
from btxh_common.problems import NotFound, Unprocessable
from btxh_common.service import ServiceState
from btxh_common.settings import ServiceSettings
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from payment_svc import lists, reports

MonthPath = Annotated[str, Path(pattern=r"^(19|2\d)\d{2}-(0[1-9]|1[0-2])$", examples=["2026-12"])]
Month = Annotated[str, Field(pattern=r"^(19|2\d)\d{2}-(0[1-9]|1[0-2])$", examples=["2026-12"])]
District = Annotated[str, Path(pattern=r"^\d{3}$")]
Kind = Literal["monthly", "funeral"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class OpenPeriod(BaseModel):
    model_config = ConfigDict(extra="forbid")
    month: Month


class Generate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Kind = "monthly"


class LockBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=500)


class Pull(BaseModel):
    model_config = ConfigDict(extra="forbid")
    from_month: Month


StatusName = Literal["pending", "paid", "unpaid", "unpaid_stopped", "returned", "recovered"]


class StatusException(BaseModel):
    model_config = ConfigDict(extra="forbid")
    line_id: UUID | None = None
    national_id: str | None = Field(default=None, pattern=r"^(\d{9}|\d{12})$")
    status: StatusName
    paid_on: date | None = None


class Statuses(BaseModel):
    """Everyone gets ``everyone`` (if given), then the exceptions theirs (by line or ID)."""

    model_config = ConfigDict(extra="forbid")
    everyone: StatusName | None = None
    paid_on: date | None = None
    exceptions: list[StatusException] = Field(default_factory=list, max_length=100_000)
    reason: str = Field(min_length=1, max_length=500)


class Part(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: int = Field(gt=0, le=10**12)
    note: str | None = Field(default=None, max_length=200)


class SplitBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    parts: list[Part] = Field(min_length=2, max_length=24)


class PaymentMode(BaseModel):
    model_config = ConfigDict(extra="forbid")
    integrated: bool


def _month(text: str) -> date:
    return date.fromisoformat(text + "-01")


def build_router(settings: ServiceSettings) -> APIRouter:
    router = APIRouter(prefix="/v1")
    Caller = Annotated[Principal, Depends(principal_dependency(settings))]

    def pool(request: Request) -> asyncpg.Pool:
        state: ServiceState = request.app.state.service
        return state.db()

    async def list_view(conn: asyncpg.Connection, list_id: UUID) -> dict[str, Any]:
        row = await conn.fetchrow("SELECT * FROM payment_list WHERE id = $1", list_id)
        communes = await conn.fetch(
            """SELECT commune_code, count(*) AS lines, sum(total)::bigint AS total,
                      sum(allowance)::bigint AS allowance, sum(arrears)::bigint AS arrears,
                      sum(carried_over)::bigint AS carried_over, sum(recovery)::bigint AS recovery,
                      sum(funeral)::bigint AS funeral
               FROM payment_line WHERE list_id = $1 AND status <> 'split'
               GROUP BY commune_code ORDER BY commune_code""",
            list_id,
        )
        channels = await conn.fetch(
            """SELECT payment_channel, count(*) AS lines, sum(total)::bigint AS total
               FROM payment_line
               WHERE list_id = $1 AND status <> 'split' GROUP BY 1 ORDER BY 1""",
            list_id,
        )
        return {
            "id": str(row["id"]),
            "district": row["district_code"],
            "period": lists.month_text(row["month"]),
            "kind": row["kind"],
            "version": row["version"],
            "status": row["status"],
            "level": row["level"],
            "lines": sum(c["lines"] for c in communes),
            "total": sum(c["total"] for c in communes),
            "communes": [dict(c) for c in communes],
            "channels": [dict(c) for c in channels],
        }

    @router.post("/districts/{district}/periods", status_code=201, tags=["periods"])
    async def open_period(
        district: District, body: OpenPeriod, request: Request, caller: Caller
    ) -> dict[str, Any]:
        caller.require_unit(district)
        async with pool(request).acquire() as conn, conn.transaction():
            await lists.open_period(conn, district, _month(body.month), caller.officer_id)
            p = await lists.period(conn, district, _month(body.month))
        return _period_view(p)

    @router.get("/districts/{district}/periods", tags=["periods"])
    async def periods(district: District, request: Request, caller: Caller) -> dict[str, Any]:
        caller.require_unit(district)
        rows = await pool(request).fetch(
            "SELECT * FROM payment_period WHERE district_code = $1 ORDER BY month DESC", district
        )
        return {"periods": [_period_view(p) for p in rows]}

    @router.post("/districts/{district}/periods/{month}/lock", tags=["periods"])
    async def lock(
        district: District, month: MonthPath, body: LockBody, request: Request, caller: Caller
    ) -> dict[str, Any]:
        caller.require_unit(district)
        async with pool(request).acquire() as conn, conn.transaction():
            await lists.set_lock(conn, caller, district, _month(month), True, body.note)
            return _period_view(await lists.period(conn, district, _month(month)))

    @router.post("/districts/{district}/periods/{month}/unlock", tags=["periods"])
    async def unlock(
        district: District, month: MonthPath, body: LockBody, request: Request, caller: Caller
    ) -> dict[str, Any]:
        caller.require_unit(district)
        async with pool(request).acquire() as conn, conn.transaction():
            await lists.set_lock(conn, caller, district, _month(month), False, body.note)
            return _period_view(await lists.period(conn, district, _month(month)))

    @router.post("/districts/{district}/periods/{month}/lists", status_code=201, tags=["lists"])
    async def generate(
        district: District, month: MonthPath, body: Generate, request: Request, caller: Caller
    ) -> dict[str, Any]:
        caller.require_unit(district)
        async with pool(request).acquire() as conn:
            async with conn.transaction():
                list_id = await lists.generate(conn, caller, district, _month(month), body.kind)
            return await list_view(conn, list_id)

    @router.get("/districts/{district}/periods/{month}/lists", tags=["lists"])
    async def period_lists(
        district: District, month: MonthPath, request: Request, caller: Caller
    ) -> dict[str, Any]:
        caller.require_unit(district)
        async with pool(request).acquire() as conn:
            ids = await conn.fetch(
                """SELECT id FROM payment_list WHERE district_code = $1 AND month = $2
                   ORDER BY kind, version DESC""",
                district,
                _month(month),
            )
            return {"lists": [await list_view(conn, r["id"]) for r in ids]}

    @router.post("/districts/{district}/periods/{month}/pull", tags=["lists"])
    async def pull(
        district: District, month: MonthPath, body: Pull, request: Request, caller: Caller
    ) -> dict[str, int]:
        caller.require_unit(district)
        async with pool(request).acquire() as conn, conn.transaction():
            moved = await lists.pull_month(
                conn, caller, district, _month(month), _month(body.from_month)
            )
        return {"lines": moved}

    @router.put("/districts/{district}/payment-mode", tags=["periods"])
    async def payment_mode(
        district: District, body: PaymentMode, request: Request, caller: Caller
    ) -> dict[str, Any]:
        caller.require_unit(district)
        caller.require_role(Role.DISTRICT_SUPERVISOR)
        await pool(request).execute(
            """INSERT INTO district_payment_mode (district_code, integrated, updated_by)
               VALUES ($1, $2, $3) ON CONFLICT (district_code) DO UPDATE
               SET integrated = $2, updated_by = $3, updated_at = now()""",
            district,
            body.integrated,
            caller.officer_id,
        )
        return {"district": district, "integrated": body.integrated}

    @router.get("/lists/{list_id}", tags=["lists"])
    async def get_list(list_id: UUID, request: Request, caller: Caller) -> dict[str, Any]:
        async with pool(request).acquire() as conn:
            await lists.a_list(conn, caller, list_id)
            return await list_view(conn, list_id)

    @router.get("/lists/{list_id}/lines", tags=["lists"])
    async def lines(
        list_id: UUID,
        request: Request,
        caller: Caller,
        commune: Annotated[str | None, Query(pattern=r"^\d{5}$")] = None,
        status: str | None = None,
        page: Annotated[int, Query(ge=1, le=100_000)] = 1,
        size: Annotated[int, Query(ge=1, le=5000)] = 200,
    ) -> dict[str, Any]:
        async with pool(request).acquire() as conn:
            await lists.a_list(conn, caller, list_id)
            rows = await conn.fetch(
                """SELECT * FROM payment_line WHERE list_id = $1
                     AND ($2::text IS NULL OR commune_code = $2)
                     AND ($3::text IS NULL OR status = $3)
                   ORDER BY commune_code, full_name, id OFFSET $4 LIMIT $5""",
                list_id,
                commune,
                status,
                (page - 1) * size,
                size,
            )
        return {"page": page, "size": size, "lines": [_line_view(r) for r in rows]}

    @router.delete("/lists/{list_id}", status_code=204, tags=["lists"])
    async def delete(list_id: UUID, request: Request, caller: Caller) -> Response:
        async with pool(request).acquire() as conn, conn.transaction():
            await lists.delete(conn, caller, list_id)
        return Response(status_code=204)

    @router.post("/lists/{list_id}/submit", status_code=202, tags=["lists"])
    async def submit(list_id: UUID, request: Request, caller: Caller) -> dict[str, Any]:
        async with pool(request).acquire() as conn:
            async with conn.transaction():
                await lists.submit(conn, caller, list_id)
            return await list_view(conn, list_id)

    @router.post("/lists/{list_id}/statuses", tags=["statuses"])
    async def statuses(
        list_id: UUID, body: Statuses, request: Request, caller: Caller
    ) -> dict[str, int]:
        if body.everyone is None and not body.exceptions:
            raise Unprocessable("Chưa có trạng thái nào để cập nhật", code="no_status")
        async with pool(request).acquire() as conn, conn.transaction():
            changed = await lists.manual_statuses(conn, caller, list_id, body.model_dump())
        return {"changed": changed}

    @router.get("/lines/{line_id}/audit", tags=["statuses"])
    async def audit(line_id: UUID, request: Request, caller: Caller) -> dict[str, Any]:
        async with pool(request).acquire() as conn:
            line = await conn.fetchrow("SELECT list_id FROM payment_line WHERE id = $1", line_id)
            if line is None:
                raise NotFound("Không tìm thấy dòng chi trả", code="line_not_found")
            await lists.a_list(conn, caller, line["list_id"])
            rows = await conn.fetch(
                "SELECT * FROM status_audit WHERE line_id = $1 ORDER BY id", line_id
            )
        return {"audit": [{**dict(r), "line_id": str(r["line_id"])} for r in rows]}

    @router.post("/lines/{line_id}/split", status_code=201, tags=["statuses"])
    async def split(
        line_id: UUID, body: SplitBody, request: Request, caller: Caller
    ) -> dict[str, Any]:
        async with pool(request).acquire() as conn, conn.transaction():
            line = await conn.fetchrow("SELECT list_id FROM payment_line WHERE id = $1", line_id)
            if line is None:
                raise NotFound("Không tìm thấy dòng chi trả", code="line_not_found")
            await lists.a_list(conn, caller, line["list_id"])
            parts = await lists.split_line(
                conn, caller, line_id, [p.model_dump() for p in body.parts]
            )
        return {"parts": [str(p) for p in parts]}

    @router.get(
        "/districts/{district}/periods/{month}/reports/{name}",
        tags=["reports"],
        responses={200: {"content": {"application/json": {}, XLSX: {}}}},
    )
    async def report(
        district: District,
        month: MonthPath,
        name: Literal["dvct01", "dvct02"],
        request: Request,
        caller: Caller,
        kind: Kind = "monthly",
        format: Literal["json", "xlsx"] = "json",
    ) -> Any:
        caller.require_unit(district)
        async with pool(request).acquire() as conn:
            await lists.period(conn, district, _month(month))
            data = await (reports.dvct01 if name == "dvct01" else reports.dvct02)(
                conn, district, _month(month), kind
            )
        if format == "json":
            return data
        content = (reports.dvct01_xlsx if name == "dvct01" else reports.dvct02_xlsx)(data)
        filename = f"{name.upper()}_{district}_{month}.xlsx"
        return Response(
            content,
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    return router


def _period_view(p: asyncpg.Record) -> dict[str, Any]:
    return {
        "district": p["district_code"],
        "period": lists.month_text(p["month"]),
        "status": p["status"],
        "level": p["level"],
        "locked_by": p["locked_by"],
        "lock_note": p["lock_note"],
    }


def _line_view(r: asyncpg.Record) -> dict[str, Any]:
    out = dict(r)
    for key in ("id", "list_id", "beneficiary_id", "parent_id", "carried_into"):
        out[key] = str(out[key]) if out[key] else None
    return out
