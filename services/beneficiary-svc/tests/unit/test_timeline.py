"""What is in force month by month, folded from the decisions (DOMAIN.md "Decisions take
effect in a month…"); expected periods written by hand."""

from datetime import date
from uuid import uuid4

import pytest
from beneficiary_svc.domain import register as rules
from beneficiary_svc.domain.errors import EffectiveMonthInvalid
from beneficiary_svc.domain.register import Beneficiary
from beneficiary_svc.domain.timeline import Decision, Period, decision_of, in_force

JAN, MAR, APR, MAY, JUN = (date(2026, m, 1) for m in (1, 3, 4, 5, 6))


def start(month: date = JAN) -> Decision:
    return Decision(month, "register", "active", "NCT_80", 10)


def person() -> Beneficiary:
    return Beneficiary(
        id=uuid4(),
        district_code="001",
        commune_code="00001",
        full_name="Nguyễn Văn A",
        category="NCT_80",
        coefficient=10,
        allowance_start_month=JAN,
        status_effective_month=JAN,
    )


def test_an_adjustment_effective_later_leaves_the_months_before_at_the_old_policy() -> None:
    assert in_force([start(), Decision(APR, "adjust", None, "KT_DBN", 20)]) == [
        Period(JAN, "active", "NCT_80", 10),
        Period(APR, "active", "KT_DBN", 20),
    ]


def test_a_suspension_and_a_later_resumption_leave_the_months_between_unpaid() -> None:
    decisions = [start(), Decision(MAR, "suspend", "suspended"), Decision(MAY, "resume", "active")]
    assert in_force(decisions) == [
        Period(JAN, "active", "NCT_80", 10),
        Period(MAR, "suspended", "NCT_80", 10),
        Period(MAY, "active", "NCT_80", 10),
    ]


def test_a_decision_recorded_later_for_an_earlier_month_keeps_the_later_ones_in_force() -> None:
    decisions = [
        start(),
        Decision(MAY, "adjust", None, "KT_DBN", 20),
        Decision(MAR, "stop", "stopped"),
    ]
    assert in_force(decisions) == [
        Period(JAN, "active", "NCT_80", 10),
        Period(MAR, "stopped", "NCT_80", 10),
        Period(MAY, "stopped", "KT_DBN", 20),
    ]


def test_of_two_decisions_in_the_same_month_the_one_recorded_last_is_in_force() -> None:
    decisions = [start(), Decision(MAR, "suspend", "suspended"), Decision(MAR, "resume", "active")]
    assert in_force(decisions) == [Period(JAN, "active", "NCT_80", 10)]


def test_nothing_effective_after_a_death_makes_the_person_paid_again() -> None:
    decisions = [
        start(),
        Decision(MAR, "suspend", "suspended"),
        Decision(JUN, "resume", "active"),
        Decision(APR, "death", "deceased"),
    ]
    assert in_force(decisions) == [
        Period(JAN, "active", "NCT_80", 10),
        Period(MAR, "suspended", "NCT_80", 10),
        Period(APR, "deceased", "NCT_80", 10),
    ]


def test_each_change_records_the_decision_it_made_in_its_month() -> None:
    adjusted, _ = rules.adjust(person(), "KT_DBN", 20, APR, "2/QĐ", None)
    assert decision_of("adjust", APR, adjusted) == Decision(
        APR, "adjust", None, "KT_DBN", 20, "2/QĐ"
    )
    dead, _ = rules.record_death(person(), date(2026, 2, 14), "9/QĐ", None)
    assert decision_of("death", date(2026, 2, 1), dead) == Decision(
        MAR, "death", "deceased", decision_no="9/QĐ"
    )
    assert decision_of("register", JAN, person()) == Decision(
        JAN, "register", "active", "NCT_80", 10
    )


def test_information_and_removal_are_not_policy_decisions() -> None:
    informed, _ = rules.update_info(person(), {"phone": "0912345678"})
    assert decision_of("update_info", None, informed) is None
    removed, _ = rules.remove(person(), "Trùng hồ sơ")
    assert decision_of("remove", None, removed) is None


def test_a_status_decision_for_a_month_before_the_last_one_is_refused() -> None:
    suspended, _ = rules.suspend(person(), MAY, "Đi khỏi địa phương", False)
    with pytest.raises(EffectiveMonthInvalid):
        rules.resume(suspended, APR, "Đã về")
    with pytest.raises(EffectiveMonthInvalid):
        rules.stop(suspended, MAR, "3/QĐ", "Thôi hưởng")
    resumed, _ = rules.resume(suspended, MAY, "Đã về trong tháng")
    assert (resumed.status, resumed.status_effective_month) == ("active", MAY)


def test_a_single_parents_children_are_in_force_from_the_decision_that_records_them() -> None:
    """DON_THAN is per child: an adjustment of the number of children is a new period."""
    decisions = [
        Decision(JAN, "register", "active", "DON_THAN", 10, children=2),
        Decision(APR, "adjust", None, "DON_THAN", 10, children=3),
        Decision(MAY, "suspend", "suspended"),
    ]
    assert in_force(decisions) == [
        Period(JAN, "active", "DON_THAN", 10, 2),
        Period(APR, "active", "DON_THAN", 10, 3),
        Period(MAY, "suspended", "DON_THAN", 10, 3),
    ]
    assert in_force(decisions)[1].contract().children == 3


def test_children_are_required_for_a_single_parent_and_only_for_one() -> None:
    assert rules.children_for("DON_THAN", 3) == 3
    assert rules.children_for("NCT_80", None) is None
    assert rules.children_for("NCT_80", 1) is None  # one is what every other category is
    with pytest.raises(rules.ChildrenRequired):
        rules.children_for("DON_THAN", None)
    with pytest.raises(rules.ChildrenNotApplicable):
        rules.children_for("NCT_80", 2)
    b = person()
    after, changed = rules.adjust(b, "DON_THAN", 10, APR, "5/QĐ", None, 3)
    assert (after.category, after.children, "children" in changed) == ("DON_THAN", 3, True)
    more, _ = rules.adjust(after, "DON_THAN", 10, MAY, "6/QĐ", None, 4)  # one more child
    assert decision_of("adjust", MAY, more) == Decision(
        MAY, "adjust", None, "DON_THAN", 10, "6/QĐ", 4
    )
