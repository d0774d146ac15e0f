"""The register's rules, without I/O."""

from datetime import date
from uuid import uuid4

import pytest
from beneficiary_svc.domain import register as rules
from beneficiary_svc.domain.errors import (
    BeneficiaryDeceased,
    BeneficiaryRemoved,
    EffectiveMonthInvalid,
    InvalidTransition,
    NationalIdInvalid,
    NoChange,
)
from beneficiary_svc.domain.register import Beneficiary
from beneficiary_svc.domain.values import (
    check_national_id,
    fold,
    id_warnings,
    normalise_name,
    parse_month,
)
from btxh_common.errors import InvalidInput


def person(**kw: object) -> Beneficiary:
    base: dict[str, object] = dict(
        id=uuid4(),
        district_code="001",
        commune_code="00001",
        full_name="Nguyễn Văn A",
        birth_date=date(1940, 5, 1),
        gender="male",
        category="NCT_80",
        coefficient=10,
        allowance_start_month=date(2024, 1, 1),
    )
    return Beneficiary(**{**base, **kw})  # type: ignore[arg-type]


def test_names_fold_without_diacritics_and_normalise_to_nfc() -> None:
    assert fold("Nguyễn Văn Đức") == "nguyen van duc"
    assert fold("  TRẦN\u00a0thị   HỒNG ") == "tran thi hong"
    nfd = "Nguye\u0302\u0303n"
    assert normalise_name(f" {nfd}\u00a0 Văn  A ") == "Nguyễn Văn A"


@pytest.mark.parametrize("value", ["12345678", "1234567890", "00112345678x", "001 123 456 789"])
def test_only_9_or_12_digit_ids_are_accepted(value: str) -> None:
    with pytest.raises(NationalIdInvalid):
        check_national_id(value)


def test_ids_keep_leading_zeros() -> None:
    assert check_national_id("001140012345") == "001140012345"
    assert check_national_id("012345678") == "012345678"


def test_cccd_digits_that_disagree_with_the_record_are_warnings() -> None:
    assert id_warnings("001040012345", date(1940, 1, 1), "male") == []
    assert id_warnings("001040012345", date(1941, 1, 1), "male") == ["cccd_birth_year_mismatch"]
    assert id_warnings("001040012345", date(1940, 1, 1), "female") == ["cccd_gender_mismatch"]
    assert id_warnings("001305012345", date(2005, 1, 1), "female") == []
    assert id_warnings("123456789", date(1940, 1, 1), "female") == []


def test_a_death_stops_the_allowance_from_the_next_month() -> None:
    after, changed = rules.record_death(person(), date(2025, 12, 15), "12/QĐ", "Con trai")
    assert after.status == "deceased"
    assert after.status_effective_month == date(2026, 1, 1)
    assert after.version == 2
    assert {"status", "death_date", "status_effective_month"} <= set(changed)


def test_no_policy_change_after_death() -> None:
    dead, _ = rules.record_death(person(), date(2025, 12, 15), "12/QĐ", None)
    with pytest.raises(BeneficiaryDeceased):
        rules.adjust(dead, "NCT_NGHEO_80", 20, date(2026, 1, 1), "1/QĐ", None)
    with pytest.raises(BeneficiaryDeceased):
        rules.stop(dead, date(2026, 1, 1), "1/QĐ", "x")
    with pytest.raises(BeneficiaryDeceased):
        rules.record_death(dead, date(2025, 12, 16), "13/QĐ", None)


def test_a_death_date_in_the_future_or_before_birth_is_refused() -> None:
    with pytest.raises(InvalidInput, match="sau ngày hôm nay"):
        rules.record_death(person(), date(2999, 1, 1), "1/QĐ", None)
    with pytest.raises(InvalidInput, match="trước ngày sinh"):
        rules.record_death(person(), date(1930, 1, 1), "1/QĐ", None)


def test_transitions_follow_the_status() -> None:
    suspended, _ = rules.suspend(person(), date(2025, 3, 1), "Đi khỏi địa phương", False)
    with pytest.raises(InvalidTransition):
        rules.suspend(suspended, date(2025, 4, 1), "x", True)
    resumed, _ = rules.resume(suspended, date(2025, 5, 1), "Trở về")
    assert resumed.status == "active"
    stopped, _ = rules.stop(resumed, date(2025, 6, 1), "9/QĐ", "Thôi hưởng")
    with pytest.raises(InvalidTransition):
        rules.stop(stopped, date(2025, 7, 1), "9/QĐ", "again")
    removed, _ = rules.remove(stopped, "Nhập trùng")
    with pytest.raises(BeneficiaryRemoved):
        rules.update_info(removed, {"phone": "0900000000"})


def test_an_effective_month_before_the_allowance_started_is_refused() -> None:
    with pytest.raises(EffectiveMonthInvalid):
        rules.stop(person(), date(2023, 12, 1), "1/QĐ", "x")


def test_an_adjustment_to_the_same_policy_changes_nothing() -> None:
    with pytest.raises(NoChange):
        rules.adjust(person(), "NCT_80", 10, date(2025, 1, 1), "1/QĐ", None)


def test_info_updates_cannot_touch_policy_fields() -> None:
    with pytest.raises(InvalidInput, match="thông tin cơ bản"):
        rules.update_info(person(), {"coefficient": 30})
    with pytest.raises(InvalidInput, match="tài khoản"):
        rules.update_info(person(), {"payment_channel": "bank"})


@pytest.mark.parametrize("text", ["2026-13", "11/2026", "2026-1", ""])
def test_months_are_yyyy_mm(text: str) -> None:
    with pytest.raises(EffectiveMonthInvalid):
        parse_month(text)


# Each command, from each status (QLĐT §6–9): which statuses it may start from.
STATUSES = ["active", "suspended", "under_review", "stopped", "deceased", "removed"]
MAY_START_FROM = {
    "suspend": {"active"},
    "resume": {"suspended", "under_review"},
    "stop": {"active", "suspended", "under_review"},
    "adjust": {"active", "suspended", "under_review"},
    "remove": {"active", "suspended", "under_review", "stopped", "deceased"},
}
MONTH = date(2025, 6, 1)


def command(name: str, b: Beneficiary) -> rules.Change:
    if name == "suspend":
        return rules.suspend(b, MONTH, "Đi khỏi địa phương", False)
    if name == "resume":
        return rules.resume(b, MONTH, "Đã về")
    if name == "stop":
        return rules.stop(b, MONTH, "9/QĐ", "Thôi hưởng")
    if name == "adjust":
        return rules.adjust(b, "NCT_CD", 30, MONTH, "9/QĐ", None)
    return rules.remove(b, "Nhập trùng")


@pytest.mark.parametrize("name", sorted(MAY_START_FROM))
@pytest.mark.parametrize("status", STATUSES)
def test_each_change_is_allowed_only_from_the_statuses_the_rules_name(
    name: str, status: str
) -> None:
    b = person(status=status)
    if status in MAY_START_FROM[name]:
        after, _ = command(name, b)
        assert after.version == b.version + 1
    elif status == "removed":
        with pytest.raises(BeneficiaryRemoved):
            command(name, b)
    elif status == "deceased":
        with pytest.raises(BeneficiaryDeceased):
            command(name, b)
    else:
        with pytest.raises(InvalidTransition):
            command(name, b)


def test_a_suspension_under_review_is_its_own_status_and_both_can_be_resumed() -> None:
    review, changed = rules.suspend(person(), MONTH, "Xác minh", True)
    assert (review.status, review.status_effective_month, review.status_reason) == (
        "under_review",
        MONTH,
        "Xác minh",
    )
    assert changed == ["status", "status_effective_month", "status_reason"]
    resumed, _ = rules.resume(review, date(2025, 8, 1), "Đủ điều kiện")
    assert (resumed.status, resumed.status_effective_month) == ("active", date(2025, 8, 1))


def test_a_stop_records_its_decision_and_the_month_it_takes_effect() -> None:
    stopped, changed = rules.stop(person(), MONTH, "30/QĐ", "Thôi hưởng")
    assert (stopped.status, stopped.status_effective_month) == ("stopped", MONTH)
    assert (stopped.decision_no, stopped.status_reason) == ("30/QĐ", "Thôi hưởng")
    assert changed == ["status", "decision_no", "status_effective_month", "status_reason"]


def test_an_adjustment_changes_the_policy_but_not_the_month_the_allowance_started() -> None:
    after, changed = rules.adjust(person(), "NCT_CD", 30, MONTH, "20/QĐ", date(2025, 5, 20))
    assert (after.category, after.coefficient) == ("NCT_CD", 30)
    assert after.allowance_start_month == date(2024, 1, 1)
    assert (after.decision_no, after.decision_date) == ("20/QĐ", date(2025, 5, 20))
    assert after.status == "active"
    assert changed == ["category", "coefficient", "decision_no", "decision_date"]


def test_the_month_the_allowance_started_is_itself_a_valid_effective_month() -> None:
    after, _ = rules.stop(person(), date(2024, 1, 1), "1/QĐ", "x")
    assert after.status_effective_month == date(2024, 1, 1)
    with pytest.raises(EffectiveMonthInvalid):
        rules.suspend(person(), date(2023, 12, 1), "x", False)
    with pytest.raises(EffectiveMonthInvalid):
        rules.adjust(person(), "NCT_CD", 30, date(2023, 12, 1), "1/QĐ", None)


def test_a_death_in_december_stops_the_allowance_from_january() -> None:
    after, _ = rules.record_death(person(), date(2024, 12, 31), "12/QĐ", "Con gái")
    assert after.status_effective_month == date(2025, 1, 1)
    assert (after.death_date, after.funeral_recipient) == (date(2024, 12, 31), "Con gái")
    assert (after.status_reason, after.decision_no) == ("Cắt chết", "12/QĐ")


def test_a_death_on_the_day_of_birth_is_accepted() -> None:
    after, _ = rules.record_death(person(), date(1940, 5, 1), "1/QĐ", None)
    assert after.status == "deceased"


def test_a_new_policy_is_refused_while_one_is_in_force() -> None:
    with pytest.raises(InvalidTransition, match="dùng điều chỉnh chế độ"):
        rules.add_policy(person(), "NCT_CD", 30, MONTH, "1/QĐ", None)


@pytest.mark.parametrize("status", ["stopped", "active"])
def test_a_new_policy_makes_a_beneficiary_without_one_active_again(status: str) -> None:
    b = person(status=status, category=None if status == "active" else "NCT_80")
    after, _ = rules.add_policy(b, "KT_DBN", 20, MONTH, "31/QĐ", date(2025, 5, 30))
    assert (after.status, after.category, after.coefficient) == ("active", "KT_DBN", 20)
    assert (after.allowance_start_month, after.status_effective_month) == (MONTH, MONTH)
    assert after.status_reason is None


def test_deleting_a_policy_stops_the_beneficiary_and_clears_category_and_coefficient() -> None:
    after, changed = rules.delete_policy(person(), "Nhập nhầm chế độ")
    assert (after.status, after.category, after.coefficient) == ("stopped", None, None)
    assert after.status_reason == "Nhập nhầm chế độ"
    assert changed == ["status", "category", "coefficient", "status_reason"]
    with pytest.raises(InvalidTransition, match="không có chế độ"):
        rules.delete_policy(after, "again")


def test_a_deceased_beneficiary_keeps_their_information_editable_but_not_their_policy() -> None:
    dead = person(status="deceased")
    after, changed = rules.update_info(dead, {"address": "Tổ 3"})
    assert (after.address, changed) == ("Tổ 3", ["address"])
    for refused in (
        lambda: rules.add_policy(dead, "NCT_CD", 30, MONTH, "1", None),
        lambda: rules.delete_policy(dead, "x"),
        lambda: rules.resume(dead, MONTH, "x"),
    ):
        with pytest.raises(BeneficiaryDeceased):
            refused()


def test_an_information_update_normalises_the_name_and_lists_only_what_changed() -> None:
    after, changed = rules.update_info(
        person(), {"full_name": " Nguyễn\u00a0 Văn   A ", "phone": "0912345678"}
    )
    assert after.full_name == "Nguyễn Văn A"
    assert changed == ["phone"]
    assert after.version == 2


def test_an_information_update_that_changes_nothing_is_refused() -> None:
    with pytest.raises(NoChange):
        rules.update_info(person(), {"full_name": "Nguyễn Văn A", "gender": "male"})


def test_payment_by_bank_needs_both_the_account_and_the_bank() -> None:
    with pytest.raises(InvalidInput, match="tài khoản"):
        rules.update_info(person(), {"payment_channel": "bank", "bank_account": "0123"})
    after, _ = rules.update_info(
        person(), {"payment_channel": "bank", "bank_account": "0123", "bank_name": "Agribank"}
    )
    assert (after.payment_channel, after.bank_account) == ("bank", "0123")


def test_the_published_snapshot_carries_months_as_yyyy_mm() -> None:
    b = person(arrears_amount=720_000, arrears_period=date(2026, 11, 1))
    snapshot = b.snapshot([])
    assert snapshot.allowance_start_month == "2024-01"
    assert snapshot.status_effective_month is None
    assert (snapshot.arrears_amount, snapshot.arrears_period) == (720_000, "2026-11")


def test_history_json_writes_dates_and_ids_as_text() -> None:
    b = person()
    data = b.as_json()
    assert data["id"] == str(b.id)
    assert data["birth_date"] == "1940-05-01"
    assert data["allowance_start_month"] == "2024-01-01"
    assert data["coefficient"] == 10
