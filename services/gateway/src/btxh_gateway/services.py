"""The four services' public HTTP APIs, called with the officer's own short-lived token.

A service's refusal becomes ``ServiceError``: its Vietnamese ``title``/``message_vi`` and the
field errors, which pages show in place; never the raw JSON body.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from btxh_gateway.accounts import Officer
from btxh_gateway.settings import GatewaySettings
from btxh_gateway.tokens import Signer

Name = Literal["import", "beneficiary", "payment", "settlement"]
UNREACHABLE_VI = "Không kết nối được dịch vụ {name}; vui lòng thử lại sau ít phút"
SERVICE_VI = {
    "import": "nhập dữ liệu",
    "beneficiary": "quản lý đối tượng",
    "payment": "chi trả",
    "settlement": "quyết toán",
}


@dataclass
class ServiceError(Exception):
    status: int
    title: str
    code: str = "error"
    items: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.title}"


def _field_text(error: dict[str, Any]) -> str:
    where = error.get("header") or error.get("field") or ""
    row = error.get("row")
    place = f"dòng {row}, " if row else ""
    message = str(error.get("message_vi") or error.get("code") or "")
    return f"{place}{where}: {message}" if where else f"{place}{message}"


def problem_of(response: httpx.Response, name: str) -> ServiceError:
    """The Vietnamese of a refusal (problem+json); a body that is not one gets a plain word."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        title = f"Dịch vụ {SERVICE_VI.get(name, name)} báo lỗi (mã {response.status_code})"
        return ServiceError(response.status_code, title)
    title = str(body.get("message_vi") or body.get("title") or "Yêu cầu không thực hiện được")
    detail = body.get("detail")
    items = [_field_text(e) for e in body.get("errors") or [] if isinstance(e, dict)]
    if isinstance(detail, str) and detail and detail != title and not items:
        items = [detail]
    return ServiceError(response.status_code, title, str(body.get("code") or "error"), items)


class Services:
    def __init__(self, settings: GatewaySettings, signer: Signer) -> None:
        self.signer = signer
        self.urls: dict[str, str] = {
            "import": settings.import_url,
            "beneficiary": settings.beneficiary_url,
            "payment": settings.payment_url,
            "settlement": settings.settlement_url,
        }
        self.http = httpx.AsyncClient(timeout=settings.service_timeout_seconds)

    async def close(self) -> None:
        await self.http.aclose()

    async def call(
        self, officer: Officer, name: Name, method: str, path: str, **kwargs: Any
    ) -> httpx.Response:
        """The answer of a 2xx; anything else raises ``ServiceError`` in Vietnamese."""
        headers = {"Authorization": f"Bearer {self.signer.token(officer)}"}
        try:
            answer = await self.http.request(
                method, self.urls[name] + path, headers=headers, **kwargs
            )
        except httpx.HTTPError as exc:
            raise ServiceError(503, UNREACHABLE_VI.format(name=SERVICE_VI[name])) from exc
        if answer.is_success:
            return answer
        raise problem_of(answer, name)

    async def json(
        self, officer: Officer, name: Name, method: str, path: str, **kwargs: Any
    ) -> Any:
        answer = await self.call(officer, name, method, path, **kwargs)
        return answer.json() if answer.content else None

    async def get(self, officer: Officer, name: Name, path: str, **params: Any) -> Any:
        clean = {k: v for k, v in params.items() if v not in (None, "")}
        return await self.json(officer, name, "GET", path, params=clean)
