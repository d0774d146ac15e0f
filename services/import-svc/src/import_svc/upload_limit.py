"""The size of an upload, refused before its body is read (a pure ASGI middleware).

FastAPI reads a multipart body, spooling its files to disk, before any route code runs; so
``POST /v1/imports`` must say its size (Content-Length, which the server holds the body to)
and stay within ``import_max_upload_bytes``, or it is answered 413/422 at once.
"""

from __future__ import annotations

from btxh_common.errors import DomainError
from btxh_common.problems import domain_problem, problem_response
from starlette.types import ASGIApp, Receive, Scope, Send

from import_svc.domain.batch import check_upload_size

UPLOAD_PATH = "/v1/imports"


class UploadLimit:
    def __init__(self, app: ASGIApp, most: int) -> None:
        self.app = app
        self.most = most

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == UPLOAD_PATH:
            length = dict(scope["headers"]).get(b"content-length")
            try:
                check_upload_size(int(length) if length and length.isdigit() else None, self.most)
            except DomainError as refused:
                await problem_response(domain_problem(refused))(scope, receive, send)
                return
        await self.app(scope, receive, send)
