"""import-svc HTTP routes for the internal web gateway (the contract in issue 4).

Every route is scoped to the caller's units: another district's batch answers 404.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
from btxh_common import bounds, paging, readpos
from btxh_common.auth import Principal
from btxh_common.deps import Caller, Conn, Pool, ReadModelWait, Tx, allowed, service_state
from btxh_common.problems import NotFound
from btxh_common.roles import Action
from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from import_svc import handlers
from import_svc.adapters import batches, identities
from import_svc.adapters import rows as staged_rows
from import_svc.adapters.spool import Spooler
from import_svc.adapters.templates import write_template
from import_svc.domain.batch import Status, check_upload
from import_svc.domain.columns import Kind
from import_svc.read_position import batch_caught_up
from import_svc.settings import Settings

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
District = Annotated[str, Query(pattern=r"^\d{3}$")]

RowStatus = Literal["invalid", "duplicate", "valid", "skipped", "unvalidated"]

router = APIRouter(prefix="/v1")


class RowEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    values: dict[
        Annotated[str, Field(max_length=bounds.FIELD_KEY)],
        Annotated[str, Field(max_length=bounds.TEXT)] | bounds.CellInt | None,
    ] = Field(description="column key → new cell value; see the template's columns", max_length=32)


class UploadForm(BaseModel):
    """The form fields of an upload (its files are spooled apart)."""

    kind: Kind
    district: str = Field(pattern=r"^\d{3}$")
    # read your writes: the register position of the officer's last write (issue 19)
    as_of: int | None = Field(default=None, ge=0, le=2**62)


UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["kind", "district", "files"],
                    "properties": {
                        "kind": {"type": "string", "enum": ["arrears", "info", "policy"]},
                        "district": {"type": "string", "pattern": "^\\d{3}$"},
                        "as_of": {
                            "type": "integer",
                            "minimum": 0,
                            "maximum": 2**62,
                            "description": "wait until the identity read model has applied "
                            "this register position (409 read_model_behind after "
                            "READ_MODEL_WAIT_SECONDS)",
                        },
                        "files": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": "one or more .xlsx files",
                        },
                    },
                }
            }
        },
    }
}


class ConfirmBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    skip_invalid: bool = False


class Progress(BaseModel):
    """How far the parse of the file has come: rows read, validated and staged so far."""

    phase: str = Field(description="queued, reading, staging, done or failed")
    rows_read: int
    rows_validated: int = 0
    rows_staged: int = 0


class BatchView(BaseModel):
    id: UUID
    upload_id: UUID | None
    district: str
    kind: Kind
    file_name: str
    commune: str | None
    status: Status
    total: int
    valid: int
    invalid: int
    duplicates: int
    warnings: int
    skipped: int
    error: dict[str, Any] | None = Field(description="why the file or the batch was refused")
    ignored_columns: list[str]
    progress: Progress | None
    created_by: str
    created_at: str = Field(description="ISO 8601")
    confirmed_at: str | None
    applied_at: str | None
    register_position: int | None = Field(
        default=None, description="the register position its rows were validated against"
    )
    applied_position: int | None = Field(
        default=None, description="the register position once the register applied it"
    )

    @classmethod
    def of(cls, b: Mapping[str, Any]) -> BatchView:
        return cls(
            id=b["id"],
            upload_id=b["upload_id"],
            district=b["district_code"],
            kind=b["kind"],
            file_name=b["file_name"],
            commune=b["commune_code"],
            status=b["status"],
            total=b["total"],
            valid=b["valid"],
            invalid=b["invalid"],
            duplicates=b["duplicates"],
            warnings=b["warnings"],
            skipped=b["skipped"],
            error=json.loads(b["error"]) if b["error"] else None,
            ignored_columns=list(b["ignored_headers"]),
            progress=Progress(
                phase=b["phase"],
                rows_read=b["rows_read"],
                rows_validated=b["rows_validated"],
                rows_staged=b["rows_staged"],
            )
            if b["phase"]
            else None,
            created_by=b["created_by"],
            created_at=b["created_at"].isoformat(),
            confirmed_at=b["confirmed_at"].isoformat() if b["confirmed_at"] else None,
            applied_at=b["applied_at"].isoformat() if b["applied_at"] else None,
            register_position=b["register_position"],
            applied_position=b["applied_position"],
        )


class BatchList(BaseModel):
    batches: list[BatchView]
    next_cursor: str | None = Field(default=None, description="the next page; none: the last")


class Finding(BaseModel):
    field: str
    column: str | None = Field(None, description="the Excel column letter; None for the row")
    header: str | None = Field(None, description="the column's Vietnamese header")
    code: str
    message_vi: str
    value: Any = None


class Holder(BaseModel):
    """Another beneficiary holding the row's national ID."""

    beneficiary_id: str
    full_name: str
    commune_code: str
    status: str


class ApplyResult(BaseModel):
    row_no: int
    code: str
    message_vi: str


class RowView(BaseModel):
    row_no: int
    status: RowStatus
    values: dict[str, Any]
    errors: list[Finding]
    warnings: list[Finding]
    duplicate_of: list[Holder]
    beneficiary_id: UUID | None
    apply_result: ApplyResult | None = Field(description="why the register did not apply it")


class RowPage(BaseModel):
    page: int
    size: int
    rows: list[RowView]


def app_settings(request: Request) -> Settings:
    settings = service_state(request).settings
    assert isinstance(settings, Settings)
    return settings


AppSettings = Annotated[Settings, Depends(app_settings)]


def app_spooler(request: Request) -> Spooler:
    spooler = request.app.state.spooler
    assert isinstance(spooler, Spooler)
    return spooler


AppSpooler = Annotated[Spooler, Depends(app_spooler)]


async def owned(conn: asyncpg.Connection, caller: Principal, batch: UUID) -> None:
    """The batch exists and is the caller's district's; otherwise 404, as if it did not."""
    district = await batches.district_of(conn, batch)
    if district is None or not caller.can_see(district):
        raise NotFound("Không tìm thấy lô dữ liệu")


async def view(conn: asyncpg.Connection, batch: UUID) -> BatchView:
    found = await batches.view(conn, batch)
    assert found is not None
    return BatchView.of(found)


@router.get(
    "/templates/{kind}",
    tags=["templates"],
    responses={200: {"content": {XLSX: {}, "application/zip": {}}}},
)
async def template(
    kind: Kind,
    caller: Caller,
    pool: Pool,
    background: BackgroundTasks,
    district: District,
    commune: Annotated[str | None, Query(pattern=r"^\d{5}$")] = None,
) -> FileResponse:
    """The template WITH DATA: one commune's .xlsx, or the district's .zip of them."""
    caller.require_unit(district)
    directory = Path(tempfile.mkdtemp(prefix="btxh-template-"))
    background.add_task(_remove, directory)
    async with pool.acquire() as conn:  # held for the read only, not while writing
        people = await identities.template_people(conn, district, commune)
    target = await asyncio.to_thread(write_template, kind, people, district, commune, directory)
    media = XLSX if commune is not None else "application/zip"
    return FileResponse(target, media_type=media, filename=target.name)


@router.post(
    "/imports",
    status_code=202,
    tags=["imports"],
    dependencies=[allowed(Action.IMPORT_WRITE)],
    openapi_extra=UPLOAD_BODY,
)
async def upload(
    request: Request,
    caller: Caller,
    pool: Pool,
    settings: AppSettings,
    spooler: AppSpooler,
    wait: ReadModelWait,
) -> BatchList:
    """Store the files for parsing and answer at once: one batch per file, ``parsing``. The
    body streams to disk (``adapters.spool``); the database is used only once it is whole."""
    body = request.stream()
    async with spooler.receive(request.headers.get("content-type"), body) as received:
        try:
            form = UploadForm.model_validate(received.fields)
        except ValidationError as invalid:
            raise RequestValidationError(invalid.errors()) from None
        caller.require_unit(form.district)
        check_upload(len(received.files), settings.import_max_files)
        await readpos.reached(pool, form.district, form.as_of, wait)  # before the transaction
        async with pool.acquire() as conn, conn.transaction():
            ids = await handlers.accept_upload(
                conn, form.district, form.kind, caller.officer_id, received.files
            )
            views = await batches.views_of(conn, ids)
            return BatchList(batches=[BatchView.of(b) for b in views])


@router.get("/imports", tags=["imports"])
async def list_batches(
    caller: Caller,
    conn: Conn,
    district: District,
    status: Annotated[str | None, Query(max_length=32)] = None,
    upload_id: UUID | None = None,
    limit: paging.Limit = paging.MAX_PAGE,
    cursor: paging.CursorParam = None,
) -> BatchList:
    """The district's batches, newest first, a page at a time."""
    caller.require_unit(district)
    before = paging.parse(cursor, datetime.fromisoformat, UUID)
    found = await batches.views(conn, district, status, upload_id, limit + 1, before)
    shown, more = paging.page(found, limit, lambda b: (b["created_at"].isoformat(), b["id"]))
    return BatchList(batches=[BatchView.of(b) for b in shown], next_cursor=more)


@router.get("/imports/{batch_id}", tags=["imports"])
async def get_batch(batch_id: UUID, caller: Caller, conn: Conn) -> BatchView:
    await owned(conn, caller, batch_id)
    return await view(conn, batch_id)


@router.get("/imports/{batch_id}/rows", tags=["review"])
async def rows(
    batch_id: UUID,
    caller: Caller,
    conn: Conn,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    size: Annotated[int, Query(ge=1, le=1000)] = 100,
    status: RowStatus | None = None,
) -> RowPage:
    """The batch's rows for review: invalid first, then duplicates, then valid."""
    await owned(conn, caller, batch_id)
    found = await staged_rows.page(conn, batch_id, (page - 1) * size, size, status)
    return RowPage(page=page, size=size, rows=[RowView.model_validate(r) for r in found])


@router.patch(
    "/imports/{batch_id}/rows/{row_no}",
    tags=["review"],
    dependencies=[allowed(Action.IMPORT_WRITE)],
)
async def edit(
    batch_id: UUID,
    row_no: Annotated[int, PathParam(ge=1, le=10_000_000)],
    body: RowEdit,
    caller: Caller,
    conn: Tx,
) -> RowView:
    await owned(conn, caller, batch_id)
    saved = await handlers.edit_row(conn, batch_id, row_no, body.values)
    return RowView.model_validate(saved)


@router.post(
    "/imports/{batch_id}/validate", tags=["review"], dependencies=[allowed(Action.IMPORT_WRITE)]
)
async def validate(
    batch_id: UUID,
    caller: Caller,
    _caught_up: Annotated[int, Depends(batch_caught_up)],  # before the transaction: as_of
    conn: Tx,
) -> BatchView:
    await owned(conn, caller, batch_id)
    await handlers.revalidate(conn, batch_id)
    return await view(conn, batch_id)


@router.post(
    "/imports/{batch_id}/confirm",
    status_code=202,
    tags=["review"],
    dependencies=[allowed(Action.IMPORT_WRITE)],
)
async def confirm(
    batch_id: UUID, caller: Caller, conn: Tx, body: ConfirmBody | None = None
) -> BatchView:
    await owned(conn, caller, batch_id)
    skip_invalid = (body or ConfirmBody()).skip_invalid
    await handlers.confirm(conn, batch_id, caller.officer_id, skip_invalid)
    return await view(conn, batch_id)


def _remove(directory: Path) -> None:
    for item in directory.iterdir():
        item.unlink(missing_ok=True)
    directory.rmdir()
