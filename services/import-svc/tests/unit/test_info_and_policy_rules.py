"""The information (10B) and policy change (10A) templates: the fields each checks and how it
stores them (DOMAIN "Excel imports")."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from import_svc.domain.columns import Kind
from import_svc.domain.findings import Checked, Identity
from import_svc.domain.validation import validate

THIS_MONTH = date(2026, 11, 1)
KNOWN = "001085012345"
NEW = "001090054321"
REGISTER = {
    KNOWN: [
        Identity(
            beneficiary_id="b-1",
            national_id=KNOWN,
            commune_code="00101",
            full_name="Nguyễn Văn An",
            status="active",
            birth_date=date(1985, 3, 2),
            gender="male",
        )
    ]
}


def check(kind: Kind, **values: Any) -> Checked:
    given = {"national_id": KNOWN, "commune_code": "00101", **values}
    (checked,) = validate(kind, [{"row_no": 2, "values": given, "flags": {}}], REGISTER, THIS_MONTH)
    return checked


def codes(checked: Checked) -> set[tuple[str, str]]:
    return {(e["field"], e["code"]) for e in checked.errors}


# ---------------------------------------------------------------- information (10B)


def test_an_information_row_stores_day_gender_and_numbers_as_the_register_takes_them() -> None:
    checked = check(
        "info",
        change_type="Điều chỉnh thông tin, CS",
        full_name="Trần Thị Bình",
        birth_date="02/03/1985",
        gender="Nữ",
        phone=912345678,
        bank_account=1234567890123,
        address="Thôn 1",
    )
    assert (checked.status, checked.errors) == ("valid", [])
    assert checked.values["birth_date"] == "1985-03-02"
    assert checked.values["gender"] == "female"
    assert (checked.values["phone"], checked.values["bank_account"]) == (
        "912345678",
        "1234567890123",
    )


def test_an_information_row_does_not_need_a_change_type() -> None:
    assert check("info", change_type=None).status == "valid"


@pytest.mark.parametrize(
    ("written", "stored"),
    [("02/03/1985", "1985-03-02"), ("1985-03-02", "1985-03-02"), ("02-03-1985", "1985-03-02")],
)
def test_a_birth_date_is_read_in_the_usual_writings(written: str, stored: str) -> None:
    assert check("info", birth_date=written).values["birth_date"] == stored


def test_a_birth_date_cell_is_taken_as_it_is() -> None:
    assert check("info", birth_date=date(1985, 3, 2)).values["birth_date"] == "1985-03-02"


@pytest.mark.parametrize("written", ["31/02/1985", "1985", "ngày 2 tháng 3"])
def test_a_birth_date_that_is_not_a_day_is_invalid(written: str) -> None:
    assert codes(check("info", birth_date=written)) == {("birth_date", "date_invalid")}


@pytest.mark.parametrize(
    ("written", "gender"),
    [("Nam", "male"), ("nữ", "female"), ("Nu", "female"), ("Khác", "other"), ("khac", "other")],
)
def test_a_gender_is_nam_nu_or_khac(written: str, gender: str) -> None:
    assert check("info", gender=written).values["gender"] == gender


def test_another_gender_word_is_invalid() -> None:
    assert codes(check("info", gender="M")) == {("gender", "gender_invalid")}


@pytest.mark.parametrize("name", ["x" * 201, 12345])
def test_a_name_that_is_too_long_or_not_text_is_invalid(name: Any) -> None:
    assert codes(check("info", full_name=name)) == {("full_name", "name_invalid")}


def test_a_changed_name_is_accepted_on_the_information_template() -> None:
    checked = check("info", full_name="Nguyễn Văn Bình")
    assert (checked.status, checked.warnings) == ("valid", [])


# ---------------------------------------------------------------- policy changes (10A)

NEW_PERSON = {
    "national_id": NEW,
    "change_type": "Tăng thêm",
    "full_name": "Lê Văn Cường",
    "birth_date": "01/01/1990",
    "gender": "Nam",
    "ethnicity": "Kinh",
    "village": "Thôn Đông",
    "category": 101,
    "monthly_amount": "500.000",
    "effective_month": "12/2026",
    "decision_no": 15,
    "decision_date": "20/11/2026",
}
CHANGE = {  # an adjustment or a stop of the known person, with what both require
    "full_name": "Nguyễn Văn An",
    "category": "101",
    "monthly_amount": 500_000,
    "effective_month": "12/2026",
    "decision_no": "QD-1",
}
DEATH = {"full_name": "Nguyễn Văn An", "change_type": "Cắt chết", "decision_no": "QD-2"}
COMMUNES = {"00101": "Xã Đông", "00102": "Xã Tây"}


def test_a_new_beneficiary_with_every_required_field_is_valid() -> None:
    checked = check("policy", **NEW_PERSON)
    assert (checked.status, checked.errors) == ("valid", [])
    assert checked.beneficiary_id is None
    assert checked.values["effective_month"] == "2026-12"
    assert checked.values["decision_date"] == "2026-11-20"
    assert (checked.values["category"], checked.values["decision_no"]) == ("101", "15")
    assert checked.values["monthly_amount"] == 500_000


def test_a_new_beneficiary_needs_a_national_id() -> None:
    checked = check("policy", **{**NEW_PERSON, "national_id": None})
    assert codes(checked) == {("national_id", "required")}


def test_a_new_beneficiary_whose_id_is_already_registered_is_refused_naming_whose() -> None:
    checked = check("policy", **{**NEW_PERSON, "national_id": KNOWN})
    assert codes(checked) == {("national_id", "id_must_be_new")}
    assert "là của Nguyễn Văn An, xã có mã 00101" in checked.errors[0]["message_vi"]


@pytest.mark.parametrize(
    ("change", "required"),
    [
        (
            "Tăng thêm",
            {
                "full_name",
                "birth_date",
                "gender",
                "ethnicity",
                "village",
                "category",
                "monthly_amount",
                "effective_month",
                "decision_no",
            },
        ),
        (
            "Điều chỉnh",
            {"full_name", "category", "monthly_amount", "effective_month", "decision_no"},
        ),
        (
            "Thôi hưởng",
            {"full_name", "category", "monthly_amount", "effective_month", "decision_no"},
        ),
        ("Cắt chết", {"full_name", "death_date", "decision_no"}),
    ],
)
def test_each_policy_change_names_the_fields_it_requires(change: str, required: set[str]) -> None:
    national_id = NEW if change == "Tăng thêm" else KNOWN
    checked = check("policy", national_id=national_id, change_type=change)
    assert codes(checked) == {(key, "required") for key in required}


@pytest.mark.parametrize("change", ["Tăng thêm", "Điều chỉnh", "Thôi hưởng", "Cắt chết"])
def test_every_policy_change_needs_the_national_id(change: str) -> None:
    given = {**NEW_PERSON, **CHANGE, **DEATH, "death_date": "05/11/2026"}
    checked = check("policy", **{**given, "change_type": change, "national_id": None})
    assert codes(checked) == {("national_id", "required")}


def test_a_new_beneficiary_needs_a_commune() -> None:
    checked = check("policy", **{**NEW_PERSON, "commune_code": None})
    assert codes(checked) == {("commune_code", "required")}


def test_a_new_beneficiary_of_a_commune_outside_the_district_is_refused() -> None:
    given = {**NEW_PERSON, "commune_code": "09625"}
    rows = [{"row_no": 7, "values": given, "flags": {}}]
    (checked,) = validate("policy", rows, REGISTER, THIS_MONTH, COMMUNES)
    assert codes(checked) == {("commune_code", "commune_not_in_district")}
    (inside,) = validate(
        "policy",
        [{"row_no": 7, "values": NEW_PERSON | {"commune_code": "102"}, "flags": {}}],
        REGISTER,
        THIS_MONTH,
        COMMUNES,
    )
    assert (inside.status, inside.commune_code) == ("valid", "00102")


def test_a_monthly_amount_that_is_not_whole_dong_is_invalid() -> None:
    checked = check("policy", **{**NEW_PERSON, "monthly_amount": "500.000,5"})
    assert codes(checked) == {("monthly_amount", "amount_invalid")}


def test_a_policy_row_needs_a_change_type() -> None:
    assert codes(check("policy", change_type=None)) == {("change_type", "required")}


def test_a_policy_change_type_outside_the_four_is_invalid() -> None:
    checked = check("policy", change_type="Điều chỉnh thông tin, CS")
    assert codes(checked) == {("change_type", "change_type_invalid")}


def test_an_effective_month_that_is_not_a_month_is_invalid() -> None:
    checked = check(
        "policy", **{**CHANGE, "change_type": "Thôi hưởng", "effective_month": "tháng 12"}
    )
    assert codes(checked) == {("effective_month", "month_invalid")}


def test_a_decision_date_that_is_not_a_day_is_invalid() -> None:
    checked = check("policy", **{**NEW_PERSON, "decision_date": "20/13/2026"})
    assert codes(checked) == {("decision_date", "date_invalid")}


def test_a_death_date_that_is_not_a_day_is_invalid() -> None:
    checked = check("policy", **DEATH, death_date="hôm qua")
    assert codes(checked) == {("death_date", "date_invalid")}


def test_a_death_is_stored_with_its_day() -> None:
    checked = check("policy", **DEATH, death_date="05/11/2026")
    assert (checked.status, checked.values["death_date"]) == ("valid", "2026-11-05")


def test_an_adjustment_with_what_it_requires_is_valid() -> None:
    checked = check("policy", **CHANGE, change_type="Điều chỉnh")
    assert (checked.status, checked.beneficiary_id) == ("valid", "b-1")


def test_policy_rows_are_checked_like_information_rows_too() -> None:
    checked = check("policy", **CHANGE, change_type="Thôi hưởng", gender="X")
    assert codes(checked) == {("gender", "gender_invalid")}


def test_a_stop_for_someone_not_in_the_district_is_not_found() -> None:
    checked = check("policy", **CHANGE, national_id=NEW, change_type="Thôi hưởng")
    assert codes(checked) == {("national_id", "not_found")}


def test_a_single_parents_row_says_how_many_children_and_only_hers_does() -> None:
    """DON_THAN is paid per child: the column is required for it, 1–50; others leave it."""
    row = {
        "change_type": "Điều chỉnh",
        "effective_month": "01/2026",
        "decision_no": "QD",
        "full_name": "Nguyễn Thị Hoa",
        "monthly_amount": 1_500_000,
    }
    missing = check("policy", national_id=KNOWN, category="DON_THAN", **row)
    assert codes(missing) == {("children", "required")}
    three = check("policy", national_id=KNOWN, category="DON_THAN", children="3", **row)
    assert (three.status, three.values["children"]) == ("valid", 3)
    zero = check("policy", national_id=KNOWN, category="DON_THAN", children=0, **row)
    assert codes(zero) == {("children", "children_invalid")}
    other = check("policy", national_id=KNOWN, category="NCT_80", children=2, **row)
    assert codes(other) == {("children", "children_not_applicable")}


@pytest.mark.parametrize("kind", ["info", "policy"])
def test_a_row_validated_again_from_what_it_stored_stays_valid(kind: Kind) -> None:
    given = NEW_PERSON if kind == "policy" else {"gender": "Nữ", "birth_date": "01/01/1990"}
    first = check(kind, **given)
    assert first.status == "valid", first.errors
    again = check(kind, **first.values)
    assert (again.status, again.values) == ("valid", first.values)
