"""Restoring a removed beneficiary: the record comes back, the removed months stay unpaid in the
timeline unless a decision says from which month they are paid."""

from datetime import date
from uuid import uuid4

import pytest
from beneficiary_svc.domain.errors import NotRemoved, PayFromInvalid, RestoreDecisionRequired
from beneficiary_svc.domain.register import Beneficiary
from beneficiary_svc.domain.restore import Removal, gap_decisions, restored, unpaid_until
from beneficiary_svc.domain.timeline import Decision, in_force

JAN, MAR, APR, MAY, JUN = (date(2026, m, 1) for m in (1, 3, 4, 5, 6))
START = [Decision(JAN, "register", "active", "KT_N", 15, "1/QĐ")]
REMOVAL = Removal(month=MAR, status="active", status_reason=None)


def status_by_month(decisions: list[Decision]) -> dict[date, str]:
    periods = in_force(decisions)
    out = {}
    for m in (JAN, MAR, APR, MAY, JUN):
        found = [p for p in periods if p.from_month <= m]
        out[m] = found[-1].status if found else "-"
    return out


def test_the_record_returns_to_its_status_before_the_removal() -> None:
    b = Beneficiary(
        id=uuid4(),
        district_code="001",
        commune_code="00001",
        full_name="A",
        status="removed",
        version=3,
    )
    after, changed = restored(b, Removal(MAR, "suspended", "Đang xác minh"))
    assert (after.status, after.status_reason, after.version) == ("suspended", "Đang xác minh", 4)
    assert "status" in changed


def test_only_a_removed_record_can_be_restored() -> None:
    b = Beneficiary(id=uuid4(), district_code="001", commune_code="00001", full_name="A")
    with pytest.raises(NotRemoved):
        restored(b, REMOVAL)


def test_removed_in_march_restored_in_may_pays_nothing_for_march_and_april() -> None:
    until = unpaid_until(REMOVAL, MAY, None, None)
    gap = gap_decisions(START, REMOVAL, until, None)
    assert status_by_month([*START, *gap]) == {
        JAN: "active",
        MAR: "removed",
        APR: "removed",
        MAY: "active",
        JUN: "active",
    }


def test_a_decision_may_pay_the_removed_months_from_a_month_it_names() -> None:
    until = unpaid_until(REMOVAL, MAY, "9/QĐ", APR)
    gap = gap_decisions(START, REMOVAL, until, "9/QĐ")
    assert status_by_month([*START, *gap])[MAR] == "removed"
    assert status_by_month([*START, *gap])[APR] == "active"
    assert gap_decisions(START, REMOVAL, unpaid_until(REMOVAL, MAY, "9/QĐ", JAN), "9/QĐ") == []


def test_paying_removed_months_needs_a_decision_and_a_month_not_after_the_restore() -> None:
    with pytest.raises(RestoreDecisionRequired):
        unpaid_until(REMOVAL, MAY, None, APR)
    with pytest.raises(PayFromInvalid):
        unpaid_until(REMOVAL, MAY, "9/QĐ", JUN)


def test_a_resumption_inside_the_removed_months_does_not_pay_them() -> None:
    decisions = [
        *START,
        Decision(MAR, "suspend", "suspended"),
        Decision(APR, "resume", "active"),
        Decision(JUN, "stop", "stopped"),
    ]
    gap = gap_decisions(decisions, REMOVAL, MAY, None)
    assert status_by_month([*decisions, *gap]) == {
        JAN: "active",
        MAR: "removed",
        APR: "removed",
        MAY: "active",
        JUN: "stopped",
    }
