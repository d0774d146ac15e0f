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
    "category": 101,
    "effective_month": "12/2026",
    "decision_no": 15,
    "decision_date": "20/11/2026",
}


def test_a_new_beneficiary_with_every_required_field_is_valid() -> None:
    checked = check("policy", **NEW_PERSON)
    assert (checked.status, checked.errors) == ("valid", [])
    assert checked.beneficiary_id is None
    assert checked.values["effective_month"] == "2026-12"
    assert checked.values["decision_date"] == "2026-11-20"
    assert (checked.values["category"], checked.values["decision_no"]) == ("101", "15")


def test_a_new_beneficiary_may_come_without_a_national_id() -> None:
    assert check("policy", **{**NEW_PERSON, "national_id": None}).status == "valid"


def test_a_new_beneficiary_whose_id_is_already_registered_is_refused() -> None:
    checked = check("policy", **{**NEW_PERSON, "national_id": KNOWN})
    assert codes(checked) == {("national_id", "id_must_be_new")}


@pytest.mark.parametrize(
    ("change", "required"),
    [
        (
            "Tăng thêm",
            {"full_name", "birth_date", "gender", "category", "effective_month", "decision_no"},
        ),
        ("Điều chỉnh", {"category", "effective_month", "decision_no"}),
        ("Thôi hưởng", {"effective_month", "decision_no"}),
        ("Cắt chết", {"death_date", "decision_no"}),
    ],
)
def test_each_policy_change_names_the_fields_it_requires(change: str, required: set[str]) -> None:
    national_id = NEW if change == "Tăng thêm" else KNOWN
    checked = check("policy", national_id=national_id, change_type=change)
    assert codes(checked) == {(key, "required") for key in required}


def test_a_policy_row_needs_a_change_type() -> None:
    assert codes(check("policy", change_type=None)) == {("change_type", "required")}


def test_a_policy_change_type_outside_the_four_is_invalid() -> None:
    checked = check("policy", change_type="Điều chỉnh thông tin, CS")
    assert codes(checked) == {("change_type", "change_type_invalid")}


def test_an_effective_month_that_is_not_a_month_is_invalid() -> None:
    checked = check(
        "policy", change_type="Thôi hưởng", effective_month="tháng 12", decision_no="QD-1"
    )
    assert codes(checked) == {("effective_month", "period_invalid")}


def test_a_decision_date_that_is_not_a_day_is_invalid() -> None:
    checked = check("policy", **{**NEW_PERSON, "decision_date": "20/13/2026"})
    assert codes(checked) == {("decision_date", "date_invalid")}


def test_a_death_date_that_is_not_a_day_is_invalid() -> None:
    checked = check("policy", change_type="Cắt chết", death_date="hôm qua", decision_no="QD-2")
    assert codes(checked) == {("death_date", "date_invalid")}


def test_a_death_is_stored_with_its_day() -> None:
    checked = check("policy", change_type="Cắt chết", death_date="05/11/2026", decision_no="QD")
    assert (checked.status, checked.values["death_date"]) == ("valid", "2026-11-05")


def test_policy_rows_are_checked_like_information_rows_too() -> None:
    checked = check(
        "policy",
        change_type="Thôi hưởng",
        effective_month="12/2026",
        decision_no="QD-3",
        gender="X",
    )
    assert codes(checked) == {("gender", "gender_invalid")}


def test_a_stop_for_someone_not_in_the_district_is_not_found() -> None:
    checked = check(
        "policy",
        national_id=NEW,
        change_type="Thôi hưởng",
        effective_month="12/2026",
        decision_no="QD-4",
    )
    assert codes(checked) == {("national_id", "not_found")}


def test_a_single_parents_row_says_how_many_children_and_only_hers_does() -> None:
    """DON_THAN is paid per child: the column is required for it, 1–50; others leave it."""
    row = {"change_type": "Điều chỉnh", "effective_month": "01/2026", "decision_no": "QD"}
    missing = check("policy", national_id=KNOWN, category="DON_THAN", **row)
    assert codes(missing) == {("children", "required")}
    three = check("policy", national_id=KNOWN, category="DON_THAN", children="3", **row)
    assert (three.status, three.values["children"]) == ("valid", 3)
    zero = check("policy", national_id=KNOWN, category="DON_THAN", children=0, **row)
    assert codes(zero) == {("children", "children_invalid")}
    other = check("policy", national_id=KNOWN, category="NCT_80", children=2, **row)
    assert codes(other) == {("children", "children_not_applicable")}
