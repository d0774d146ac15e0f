"""Values of the register (DOMAIN.md, Citizen IDs): IDs, their digits, names, months."""

from datetime import date

import pytest
from beneficiary_svc.domain.errors import EffectiveMonthInvalid, NationalIdInvalid
from beneficiary_svc.domain.values import check_national_id, fold, id_warnings, parse_month


def test_an_empty_id_means_no_id() -> None:
    assert check_national_id(None) is None
    assert check_national_id("") is None


def test_an_id_with_spaces_around_it_is_trimmed() -> None:
    assert check_national_id(" 001140012345 ") == "001140012345"


def test_a_refused_id_names_its_field_and_value() -> None:
    with pytest.raises(NationalIdInvalid) as refused:
        check_national_id("12345")
    assert (refused.value.code, refused.value.field, refused.value.value) == (
        "national_id_invalid",
        "national_id",
        "12345",
    )


@pytest.mark.parametrize(
    ("national_id", "born", "gender"),
    [
        ("001040012345", date(1940, 1, 1), "male"),  # 0: male, 1900–1999
        ("001199012345", date(1999, 1, 1), "female"),  # 1: female, 1900–1999
        ("001205012345", date(2005, 1, 1), "male"),  # 2: male, 2000–2099
        ("001310012345", date(2010, 1, 1), "female"),  # 3: female, 2000–2099
    ],
)
def test_the_fourth_digit_gives_gender_and_century(
    national_id: str, born: date, gender: str
) -> None:
    assert id_warnings(national_id, born, gender) == []


def test_a_cccd_from_the_wrong_century_is_a_birth_year_warning() -> None:
    assert id_warnings("001040012345", date(2040, 1, 1), "male") == ["cccd_birth_year_mismatch"]


def test_both_warnings_can_come_together() -> None:
    assert id_warnings("001040012345", date(1941, 1, 1), "female") == [
        "cccd_birth_year_mismatch",
        "cccd_gender_mismatch",
    ]


def test_nothing_is_checked_where_the_record_says_nothing() -> None:
    assert id_warnings("001040012345", None, None) == []
    assert id_warnings("001040012345", None, "other") == []
    assert id_warnings(None, date(1940, 1, 1), "male") == []


def test_the_vietnamese_d_folds_to_d_in_both_cases() -> None:
    assert fold("Đặng Đình Đức") == "dang dinh duc"
    assert fold("đường") == "duong"


@pytest.mark.parametrize(
    ("text", "month"),
    [("2026-11", date(2026, 11, 1)), ("1900-01", date(1900, 1, 1)), ("2999-12", date(2999, 12, 1))],
)
def test_a_month_is_the_first_day_of_that_month(text: str, month: date) -> None:
    assert parse_month(text) == month


@pytest.mark.parametrize("text", ["1899-12", "3000-01", "2026-00", "2026-11-01", " 2026-11"])
def test_a_month_outside_the_register_years_or_with_extra_text_is_refused(text: str) -> None:
    with pytest.raises(EffectiveMonthInvalid) as refused:
        parse_month(text)
    assert (refused.value.code, refused.value.value) == ("effective_month_invalid", text)
