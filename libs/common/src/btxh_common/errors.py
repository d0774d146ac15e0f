"""The one error vocabulary of the business code: a stable code and a Vietnamese message.

Domain and handler code raises these and knows nothing of HTTP. Each family says what kind of
refusal it is; ``problems.install_problem_handlers`` maps the family to an HTTP status once,
for every service.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """The current state does not allow this (a conflict: 409 at the HTTP edge)."""

    code = "domain_error"
    message_vi = "Thao tác không hợp lệ"

    def __init__(
        self,
        message_vi: str | None = None,
        *,
        code: str | None = None,
        field: str | None = None,
        value: Any = None,
    ) -> None:
        self.message_vi = message_vi or self.message_vi
        if code:
            self.code = code
        self.field = field
        self.value = value
        super().__init__(self.message_vi)


class InvalidInput(DomainError):
    """A value the rules do not accept (422)."""

    code = "invalid_value"
    message_vi = "Giá trị không hợp lệ"


class NotFoundError(DomainError):
    """The thing does not exist, or is another district's (404)."""

    code = "not_found"
    message_vi = "Không tìm thấy dữ liệu"


class NotPermitted(DomainError):
    """The caller's role may not do this (403)."""

    code = "forbidden"
    message_vi = "Không có quyền thực hiện thao tác này"


class TooLarge(InvalidInput):
    """The input is larger than the service accepts (413)."""

    code = "too_large"
    message_vi = "Dữ liệu gửi lên quá lớn"
