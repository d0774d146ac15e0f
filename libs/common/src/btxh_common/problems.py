"""problem+json errors with stable machine codes and Vietnamese messages for officers."""

from __future__ import annotations

from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from btxh_common.errors import DomainError, InvalidInput, NotFoundError, NotPermitted, TooLarge
from btxh_common.logs import get_logger

log = get_logger(__name__)

PROBLEM_JSON = "application/problem+json"


class FieldError(BaseModel):
    field: str
    code: str
    message_vi: str
    value: Any = None
    row: int | None = None


class ProblemError(Exception):
    """An error the caller can act on; ``code`` is stable, ``title`` is for officers."""

    status = 400
    code = "bad_request"
    title = "Yêu cầu không hợp lệ"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[FieldError] | None = None,
        code: str | None = None,
        title: str | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors or []
        if code:
            self.code = code
        if title:
            self.title = title

    def body(self) -> dict[str, Any]:
        return {
            "type": f"urn:btxh:problem:{self.code}",
            "title": self.title,
            "status": self.status,
            "code": self.code,
            "detail": self.detail,
            "errors": [e.model_dump() for e in self.errors],
        }


class Unauthorized(ProblemError):
    status = 401
    code = "unauthorized"
    title = "Chưa xác thực hoặc phiên đăng nhập không hợp lệ"


class Forbidden(ProblemError):
    status = 403
    code = "forbidden"
    title = "Không có quyền thực hiện thao tác này"


class NotFound(ProblemError):
    status = 404
    code = "not_found"
    title = "Không tìm thấy dữ liệu"


class Conflict(ProblemError):
    status = 409
    code = "conflict"
    title = "Thao tác xung đột với trạng thái hiện tại"


class Unprocessable(ProblemError):
    status = 422
    code = "validation_failed"
    title = "Dữ liệu không hợp lệ"


def problem_response(error: ProblemError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
    return JSONResponse(
        error.body(), status_code=error.status, media_type=PROBLEM_JSON, headers=headers
    )


# The one place a domain error's family becomes an HTTP status (most specific first).
DOMAIN_STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (TooLarge, 413),
    (InvalidInput, 422),
    (NotFoundError, 404),
    (NotPermitted, 403),
    (DomainError, 409),
)


def domain_problem(error: DomainError) -> ProblemError:
    """The problem+json form of a domain error: its code, its message as title and detail."""
    problem = ProblemError(error.message_vi, code=error.code, title=error.message_vi)
    problem.status = next(status for family, status in DOMAIN_STATUS if isinstance(error, family))
    if error.field:
        problem.errors = [
            FieldError(
                field=error.field, code=error.code, message_vi=error.message_vi, value=error.value
            )
        ]
    return problem


SHOWN_CHARS = 100  # how much of a refused text an error body repeats


def _shown(value: Any) -> Any:
    """The refused value as the error repeats it: a text cut to its start, a number as is,
    nothing of a structure (it may hold other fields' values)."""
    if isinstance(value, str) and len(value) > SHOWN_CHARS:
        return value[:SHOWN_CHARS] + "…"
    return value if isinstance(value, str | int | None) else None


# pydantic's error types said in Vietnamese: an officer never reads pydantic's English.
_INVALID_VI = {
    "missing": "thiếu trường bắt buộc",
    "extra_forbidden": "trường không được phép",
    "string_type": "phải là chuỗi ký tự",
    "int_type": "phải là số nguyên",
    "int_parsing": "phải là số nguyên",
    "int_from_float": "phải là số nguyên",
    "float_type": "phải là số",
    "float_parsing": "phải là số",
    "bool_type": "phải là đúng/sai",
    "bool_parsing": "phải là đúng/sai",
    "dict_type": "phải là một đối tượng",
    "list_type": "phải là một danh sách",
    "model_type": "phải là một đối tượng",
    "model_attributes_type": "phải là một đối tượng",
    "uuid_type": "phải là mã UUID",
    "uuid_parsing": "phải là mã UUID",
    "date_type": "phải là ngày (YYYY-MM-DD)",
    "date_parsing": "phải là ngày (YYYY-MM-DD)",
    "date_from_datetime_parsing": "phải là ngày (YYYY-MM-DD)",
    "datetime_type": "phải là thời điểm ISO 8601",
    "datetime_parsing": "phải là thời điểm ISO 8601",
    "json_invalid": "nội dung JSON không đúng cú pháp",
    "string_pattern_mismatch": "không đúng định dạng",
    "string_too_short": "ngắn hơn mức tối thiểu",
    "too_short": "ít hơn mức tối thiểu",
    "value_error": "không hợp lệ",
}
_SIGNS = {
    "greater_than_equal": ("≥", "ge"),
    "greater_than": (">", "gt"),
    "less_than_equal": ("≤", "le"),
    "less_than": ("<", "lt"),
}


def _invalid_message(error: Any) -> str:
    """The Vietnamese reason of one pydantic error (its type; never pydantic's English)."""
    ctx, kind = error.get("ctx") or {}, str(error["type"])
    limit = ctx.get("max_length")
    if kind in {"string_too_long", "too_long"} and limit is not None:
        return f"Giá trị không hợp lệ: dài quá mức cho phép (tối đa {limit})"
    if kind in _SIGNS:
        sign, key = _SIGNS[kind]
        return f"Giá trị không hợp lệ: phải {sign} {ctx.get(key)}"
    if kind in {"literal_error", "enum"}:
        expected = str(ctx.get("expected", "")).replace(" or ", " hoặc ")
        return f"Giá trị không hợp lệ: phải là một trong {expected}"
    return f"Giá trị không hợp lệ: {_INVALID_VI.get(kind, 'sai kiểu hoặc định dạng')}"


def install_problem_handlers(app: FastAPI) -> None:
    async def on_problem(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProblemError)
        return problem_response(exc)

    async def on_domain(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        return problem_response(domain_problem(exc))

    async def on_invalid(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [
            FieldError(
                field=".".join(str(p) for p in e["loc"] if p != "body"),
                code=str(e["type"]),
                message_vi=_invalid_message(e),
                value=_shown(e.get("input")),
            )
            for e in exc.errors()
        ]
        return problem_response(Unprocessable("Yêu cầu có trường không hợp lệ", errors=errors))

    async def on_unstorable(_: Request, exc: Exception) -> JSONResponse:
        # Input that passed the request's schema but that the database cannot hold: a NUL or
        # a lone surrogate in a text, a number or a date beyond what a column takes.
        log.info("request.unstorable_value", error=repr(exc)[:300])
        return problem_response(
            Unprocessable(
                "Có giá trị không lưu được: chứa ký tự không hợp lệ hoặc vượt quá giới hạn",
                code="unstorable_value",
            )
        )

    async def on_constraint(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, asyncpg.IntegrityConstraintViolationError)
        constraint = getattr(exc, "constraint_name", None)
        log.info("request.constraint_violated", constraint=constraint, sqlstate=exc.sqlstate)
        error: ProblemError
        if isinstance(exc, asyncpg.UniqueViolationError):
            error = Conflict("Dữ liệu đã tồn tại", code="already_exists")
        else:
            # The constraint's name stays in the log: it describes the schema, not the input.
            error = Unprocessable("Dữ liệu vi phạm ràng buộc", code="constraint_violated")
        return problem_response(error)

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(DomainError, on_domain)
    app.add_exception_handler(RequestValidationError, on_invalid)
    for unstorable in (asyncpg.DataError, OverflowError, UnicodeEncodeError):
        app.add_exception_handler(unstorable, on_unstorable)
    app.add_exception_handler(asyncpg.IntegrityConstraintViolationError, on_constraint)
