"""import-svc HTTP routes for the internal web gateway (the contract in issue 4). Every route
is scoped to the caller's units: another district's batch answers 404."""

import asyncio
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
from btxh_common.auth import Principal, principal_dependency
from btxh_common.problems import NotFound, Unprocessable
from btxh_common.service import ServiceState
from fastapi import APIRouter, BackgroundTasks, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from import_svc import workflow
from import_svc.columns import ARREARS_CHANGE, KINDS, Kind
from import_svc.reading import Limits
from import_svc.settings import Settings
from import_svc.templates import write_workbook, write_zip

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KindParam = Literal["arrears", "info", "policy"]
GENDER_VI = {"male": "Nam", "female": "Nữ", "other": "Khác"}
IN_TEMPLATES = ("active", "suspended", "under_review")


class RowEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    values: dict[str, str | int | None] = Field(
        description="column key → new cell value; see the template's columns"
    )


class ConfirmBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    skip_invalid: bool = False


def build_router(settings: Settings) -> APIRouter:
    router = APIRouter(prefix="/v1")
    Caller = Annotated[Principal, Depends(principal_dependency(settings))]
    limits = Limits(
        max_bytes=settings.import_max_file_bytes,
        max_rows=settings.import_max_rows,
        max_uncompressed=settings.import_max_uncompressed_bytes,
    )

    def pool(request: Request) -> asyncpg.Pool:
        state: ServiceState = request.app.state.service
        return state.db()

    async def owned(conn: asyncpg.Connection, caller: Principal, batch: UUID) -> asyncpg.Record:
        b = await conn.fetchrow("SELECT id, district_code FROM import_batch WHERE id = $1", batch)
        if b is None or not caller.can_see(b["district_code"]):
            raise NotFound("Không tìm thấy lô dữ liệu")
        return b

    @router.get(
        "/templates/{kind}",
        tags=["templates"],
        responses={200: {"content": {XLSX: {}, "application/zip": {}}}},
    )
    async def template(
        kind: KindParam,
        request: Request,
        caller: Caller,
        background: BackgroundTasks,
        district: Annotated[str, Query(pattern=r"^\d{3}$")],
        commune: Annotated[str | None, Query(pattern=r"^\d{5}$")] = None,
    ) -> FileResponse:
        caller.require_unit(district)
        async with pool(request).acquire() as conn:
            rows = await conn.fetch(
                """SELECT beneficiary_id::text, national_id, full_name, commune_code,
                          birth_date, gender
                   FROM identity WHERE district_code = $1 AND status = ANY($3::text[])
                     AND ($2::text IS NULL OR commune_code = $2)
                   ORDER BY commune_code, full_name, beneficiary_id""",
                district,
                commune,
                list(IN_TEMPLATES),
            )
        people: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            people.setdefault(r["commune_code"], []).append(_template_row(kind, r))
        directory = Path(tempfile.mkdtemp(prefix="btxh-template-"))
        background.add_task(_remove, directory)
        if commune is not None:
            target = directory / f"{kind}_{district}_{commune}.xlsx"
            with target.open("wb") as out:
                await asyncio.to_thread(write_workbook, kind, people.get(commune, []), out)
            return FileResponse(target, media_type=XLSX, filename=target.name)
        target = directory / f"{kind}_{district}.zip"
        communes = ((code, code, members) for code, members in sorted(people.items()))
        await asyncio.to_thread(write_zip, kind, communes, target)
        return FileResponse(target, media_type="application/zip", filename=target.name)

    @router.post("/imports", status_code=202, tags=["imports"])
    async def upload(
        request: Request,
        caller: Caller,
        kind: Annotated[KindParam, Form()],
        district: Annotated[str, Form(pattern=r"^\d{3}$")],
        files: Annotated[list[UploadFile], File(description="one or more .xlsx files")],
    ) -> JSONResponse:
        caller.require_unit(district)
        if not files:
            raise Unprocessable("Chưa chọn tệp nào", code="no_files")
        if len(files) > settings.import_max_files:
            raise Unprocessable(
                f"Tối đa {settings.import_max_files} tệp mỗi lần", code="too_many_files"
            )
        read: list[tuple[str, bytes]] = []
        for f in files:
            content = await f.read(limits.max_bytes + 1)
            name = (f.filename or "tep.xlsx")[:200]
            if len(content) > limits.max_bytes:
                content = content[: limits.max_bytes + 1]  # refused by the reader, with its size
            read.append((name, content))
        async with pool(request).acquire() as conn:
            batches = await workflow.accept_upload(conn, district, kind, caller.officer_id, read)
        return JSONResponse({"batches": batches}, status_code=202)

    @router.get("/imports", tags=["imports"])
    async def list_batches(
        request: Request,
        caller: Caller,
        district: Annotated[str, Query(pattern=r"^\d{3}$")],
        status: str | None = None,
        upload_id: UUID | None = None,
    ) -> dict[str, Any]:
        caller.require_unit(district)
        async with pool(request).acquire() as conn:
            ids = await conn.fetch(
                """SELECT id FROM import_batch WHERE district_code = $1
                     AND ($2::text IS NULL OR status = $2)
                     AND ($3::uuid IS NULL OR upload_id = $3)
                   ORDER BY created_at DESC, file_name, commune_code LIMIT 500""",
                district,
                status,
                upload_id,
            )
            return {"batches": [await workflow.summary(conn, r["id"]) for r in ids]}

    @router.get("/imports/{batch_id}", tags=["imports"])
    async def get_batch(batch_id: UUID, request: Request, caller: Caller) -> dict[str, Any]:
        async with pool(request).acquire() as conn:
            await owned(conn, caller, batch_id)
            return await workflow.summary(conn, batch_id)

    @router.get("/imports/{batch_id}/rows", tags=["review"])
    async def rows(
        batch_id: UUID,
        request: Request,
        caller: Caller,
        page: Annotated[int, Query(ge=1, le=100_000)] = 1,
        size: Annotated[int, Query(ge=1, le=1000)] = 100,
        status: Literal["invalid", "duplicate", "valid", "skipped"] | None = None,
    ) -> dict[str, Any]:
        async with pool(request).acquire() as conn:
            await owned(conn, caller, batch_id)
            found = await conn.fetch(
                """SELECT * FROM import_row WHERE batch_id = $1
                     AND ($4::text IS NULL OR status = $4)
                   ORDER BY CASE status WHEN 'invalid' THEN 0 WHEN 'duplicate' THEN 1
                                        WHEN 'valid' THEN 2 ELSE 3 END, row_no
                   OFFSET $2 LIMIT $3""",
                batch_id,
                (page - 1) * size,
                size,
                status,
            )
            return {"page": page, "size": size, "rows": [workflow.row_view(r) for r in found]}

    @router.patch("/imports/{batch_id}/rows/{row_no}", tags=["review"])
    async def edit(
        batch_id: UUID, row_no: int, body: RowEdit, request: Request, caller: Caller
    ) -> dict[str, Any]:
        async with pool(request).acquire() as conn, conn.transaction():
            await owned(conn, caller, batch_id)
            state = await conn.fetchval(
                "SELECT status FROM import_batch WHERE id = $1 FOR UPDATE", batch_id
            )
            if state != "awaiting_review":
                raise Unprocessable(
                    f"Lô đang ở trạng thái {state}: không sửa được", code="not_in_review"
                )
            saved = await workflow.edit_row(conn, batch_id, row_no, body.values)
            if saved is None:
                raise NotFound("Không có dòng này trong lô")
            return workflow.row_view(saved)

    @router.post("/imports/{batch_id}/validate", tags=["review"])
    async def validate(batch_id: UUID, request: Request, caller: Caller) -> dict[str, Any]:
        async with pool(request).acquire() as conn:
            await owned(conn, caller, batch_id)
            async with conn.transaction():
                await workflow.revalidate(conn, batch_id)
            return await workflow.summary(conn, batch_id)

    @router.post("/imports/{batch_id}/confirm", status_code=202, tags=["review"])
    async def confirm(
        batch_id: UUID, request: Request, caller: Caller, body: ConfirmBody | None = None
    ) -> dict[str, Any]:
        async with pool(request).acquire() as conn:
            await owned(conn, caller, batch_id)
            async with conn.transaction():
                await workflow.confirm(
                    conn, batch_id, caller.officer_id, (body or ConfirmBody()).skip_invalid
                )
            return await workflow.summary(conn, batch_id)

    return router


def _template_row(kind: Kind, r: asyncpg.Record) -> dict[str, Any]:
    row: dict[str, Any] = {
        "beneficiary_id": r["beneficiary_id"],
        "national_id": r["national_id"],
        "full_name": r["full_name"],
        "commune_code": r["commune_code"],
    }
    if kind == "arrears":
        row["change_type"] = ARREARS_CHANGE
    else:
        birth: date | None = r["birth_date"]
        row["birth_date"] = birth.strftime("%d/%m/%Y") if birth else None
        row["gender"] = GENDER_VI.get(r["gender"] or "")
    return row


def _remove(directory: Path) -> None:
    for item in directory.iterdir():
        item.unlink(missing_ok=True)
    directory.rmdir()


assert set(KINDS) == {"arrears", "info", "policy"}
