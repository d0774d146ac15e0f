"""Who may do what: DOMAIN's role matrix, held in one place.

Every mutating route names its action through ``btxh_common.deps.allowed``; the role in the
token is checked against this table before the route runs. A rule that depends on data (manual
statuses only by a supervisor in an integrated district) stays with the handler.
"""

from __future__ import annotations

from enum import StrEnum

from btxh_common.auth import Role
from btxh_common.errors import NotPermitted


class Action(StrEnum):
    REGISTER_CHANGE = "register_change"  # register and change beneficiaries
    IMPORT_WRITE = "import_write"  # upload, edit rows, validate, confirm
    LIST_WRITE = "list_write"  # open periods, generate / delete drafts, submit, split, pull
    SETTLEMENT_WRITE = "settlement_write"  # extend a settlement deadline, close, resend
    DATA_LOCK = "data_lock"  # lock data or a period
    SUPERVISOR_ONLY = "supervisor_only"  # unlock, payment-unit settings and mode, remove
    RECOVERY_CREATE = "recovery_create"  # create a recovery (truy thu)
    RECOVERY_CANCEL = "recovery_cancel"  # cancel a recovery: the supervisor's


_WRITERS = frozenset({Role.DISTRICT_OFFICER, Role.DISTRICT_SUPERVISOR})

MATRIX: dict[Action, frozenset[Role]] = {
    Action.REGISTER_CHANGE: _WRITERS,
    Action.IMPORT_WRITE: _WRITERS,
    Action.LIST_WRITE: _WRITERS,
    Action.SETTLEMENT_WRITE: _WRITERS,
    Action.DATA_LOCK: _WRITERS,
    Action.SUPERVISOR_ONLY: frozenset({Role.DISTRICT_SUPERVISOR}),
    Action.RECOVERY_CREATE: _WRITERS,
    Action.RECOVERY_CANCEL: frozenset({Role.DISTRICT_SUPERVISOR}),
}


class RoleNotAllowed(NotPermitted):
    code = "role_not_allowed"
    message_vi = "Vai trò của cán bộ không được phép thực hiện thao tác này"


def may(role: Role, action: Action) -> bool:
    return role in MATRIX[action]


def require(role: Role, action: Action) -> None:
    """Refuse (403 ``role_not_allowed``) when ``role`` may not do ``action``."""
    if not may(role, action):
        raise RoleNotAllowed()
