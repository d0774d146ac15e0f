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
