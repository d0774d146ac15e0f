"""DOMAIN's "Who may do what" table, written out by hand, against the matrix in code."""

from __future__ import annotations

import pytest
from btxh_common.auth import Role
from btxh_common.errors import NotPermitted
from btxh_common.roles import MATRIX, Action, RoleNotAllowed, may, require

OFFICER, SUPERVISOR, PROVINCE = (
    Role.DISTRICT_OFFICER,
    Role.DISTRICT_SUPERVISOR,
    Role.PROVINCE_OFFICER,
)

# action: (district_officer, district_supervisor, province_officer), as in DOMAIN.md
DOMAIN_TABLE = {
    "register_change": (True, True, False),
    "import_write": (True, True, False),
    "list_write": (True, True, False),
    "settlement_write": (True, True, False),
    "data_lock": (True, True, False),
    "supervisor_only": (False, True, False),
    "recovery_create": (True, True, False),
    "recovery_cancel": (False, True, False),
}


def test_the_matrix_names_exactly_the_actions_of_domains_table() -> None:
    assert {a.value for a in MATRIX} == set(DOMAIN_TABLE)


@pytest.mark.parametrize(("action", "answers"), sorted(DOMAIN_TABLE.items()))
def test_each_role_may_do_what_domains_table_says(
    action: str, answers: tuple[bool, bool, bool]
) -> None:
    assert (
        may(OFFICER, Action(action)),
        may(SUPERVISOR, Action(action)),
        may(PROVINCE, Action(action)),
    ) == answers


def test_the_province_officer_may_change_nothing() -> None:
    assert not any(may(PROVINCE, a) for a in Action)


def test_a_refused_role_gets_a_403_family_error_with_a_stable_code_and_vietnamese_message() -> None:
    with pytest.raises(RoleNotAllowed) as refused:
        require(OFFICER, Action.SUPERVISOR_ONLY)
    assert isinstance(refused.value, NotPermitted)
    assert refused.value.code == "role_not_allowed"
    assert "không được phép" in refused.value.message_vi


def test_an_allowed_role_passes_the_check_silently() -> None:
    require(SUPERVISOR, Action.SUPERVISOR_ONLY)
    require(OFFICER, Action.LIST_WRITE)
