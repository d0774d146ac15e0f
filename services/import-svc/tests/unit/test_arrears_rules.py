"""The rules every import row meets (DOMAIN "Citizen IDs") and those of the arrears template
(10C), each written out from DOMAIN.md: the expected codes are the rules', not the code's."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from import_svc.domain.findings import Checked, Identity
from import_svc.domain.validation import national_ids, validate

THIS_MONTH = date(2026, 11, 1)
ARREARS = "Điều chỉnh thông tin, CS"
NGUYEN = "001085012345"  # male, born 1985 (digit 4 = 0: male, 1900s; digits 5–6 = 85)


def person(national_id: str = NGUYEN, **given: Any) -> Identity:
    fields: dict[str, Any] = {
        "beneficiary_id": f"b-{national_id}",
        "national_id": national_id,
        "commune_code": "00101",
        "full_name": "Nguyễn Văn An",
        "status": "active",
        "birth_date": date(1985, 3, 2),
        "gender": "male",
    }
    return Identity(**{**fields, **given})


def register(*people: Identity) -> dict[str, list[Identity]]:
    found: dict[str, list[Identity]] = {}
    for p in people:
        found.setdefault(p.national_id, []).append(p)
    return found


def row(row_no: int = 2, flags: dict[str, Any] | None = None, **values: Any) -> dict[str, Any]:
    base = {
        "national_id": NGUYEN,
        "full_name": "Nguyễn Văn An",
        "commune_code": "00101",
        "change_type": ARREARS,
        "arrears_amount": 1_500_000,
        "arrears_period": "12/2026",
    }
    return {"row_no": row_no, "values": {**base, **values}, "flags": flags or {}}


def check(*rows: dict[str, Any], known: dict[str, list[Identity]] | None = None) -> list[Checked]:
    return validate(
        "arrears", list(rows), register(person()) if known is None else known, THIS_MONTH
    )


def codes(checked: Checked) -> set[tuple[str, str]]:
    return {(e["field"], e["code"]) for e in checked.errors}


def warnings(checked: Checked) -> set[tuple[str, str]]:
    return {(w["field"], w["code"]) for w in checked.warnings}


# ---------------------------------------------------------------- a row that is right


def test_a_complete_arrears_row_of_a_known_person_is_valid_and_names_them() -> None:
    (checked,) = check(row())
    assert (checked.status, checked.errors, checked.warnings) == ("valid", [], [])
    assert checked.beneficiary_id == f"b-{NGUYEN}"
    assert checked.commune_code == "00101"
    assert checked.values["arrears_amount"] == 1_500_000
    assert checked.values["arrears_period"] == "2026-12"


def test_every_finding_carries_field_code_vietnamese_message_and_value() -> None:
    (checked,) = check(row(arrears_amount="một triệu"))
    (error,) = checked.errors
    assert error == {
        "field": "arrears_amount",
        "column": "F",
        "header": "Số tiền truy lĩnh (đồng)",
        "code": "amount_invalid",
        "message_vi": "Dòng 2, cột F «Số tiền truy lĩnh (đồng)», giá trị «một triệu»: "
        "Số tiền phải là số nguyên không âm (ví dụ 1.500.000)",
        "value": "một triệu",
    }


# ---------------------------------------------------------------- national ID


def test_a_missing_national_id_is_required() -> None:
    (checked,) = check(row(national_id=None))
    assert codes(checked) == {("national_id", "required")}


def test_spaces_inside_a_national_id_are_dropped_before_matching() -> None:
    (checked,) = check(row(national_id="001 085\u00a0012345"))
    assert checked.status == "valid"
    assert checked.values["national_id"] == NGUYEN


@pytest.mark.parametrize("wrong", ["12345678", "0010850123456", "00108501234A", "1234567890"])
def test_a_national_id_of_other_than_9_or_12_digits_is_refused(wrong: str) -> None:
    (checked,) = check(row(national_id=wrong))
    assert codes(checked) == {("national_id", "national_id_format")}


def test_a_nine_digit_cmnd_is_accepted() -> None:
    cmnd = "012345678"
    (checked,) = check(row(national_id=cmnd), known=register(person(cmnd)))
    assert checked.status == "valid"


def test_a_numeric_id_cell_that_lost_its_leading_zeros_says_so() -> None:
    (checked,) = check(row(national_id=1085012345, flags={"numeric_id": True}))
    assert codes(checked) == {("national_id", "national_id_numeric")}


def test_a_numeric_id_cell_with_all_its_digits_is_accepted() -> None:
    (checked,) = check(
        row(national_id=101085012345, flags={"numeric_id": True}),
        known=register(person("101085012345")),
    )
    assert checked.status == "valid"


def test_an_id_nobody_in_the_district_holds_is_not_found() -> None:
    (checked,) = check(row(national_id="001085099999"))
    assert codes(checked) == {("national_id", "not_found")}
    assert checked.beneficiary_id is None


def test_a_removed_beneficiary_does_not_hold_an_id() -> None:
    (checked,) = check(row(), known=register(person(status="removed")))
    assert codes(checked) == {("national_id", "not_found")}


def test_an_id_held_by_two_beneficiaries_is_a_duplicate_naming_both() -> None:
    twin = person(beneficiary_id="b-twin", full_name="Nguyễn Văn Anh", commune_code="00102")
    (checked,) = check(row(), known=register(person(), twin))
    assert checked.status == "duplicate"
    assert checked.errors == []
    assert warnings(checked) == {("national_id", "held_by_several")}
    assert checked.duplicate_of == [
        {
            "beneficiary_id": f"b-{NGUYEN}",
            "full_name": "Nguyễn Văn An",
            "commune_code": "00101",
            "status": "active",
        },
        {
            "beneficiary_id": "b-twin",
            "full_name": "Nguyễn Văn Anh",
            "commune_code": "00102",
            "status": "active",
        },
    ]


def test_a_removed_twin_does_not_make_an_id_shared() -> None:
    twin = person(beneficiary_id="b-twin", status="removed")
    (checked,) = check(row(), known=register(person(), twin))
    assert (checked.status, checked.beneficiary_id) == ("valid", f"b-{NGUYEN}")


def test_the_same_id_twice_in_an_upload_is_refused_on_both_rows() -> None:
    first, second = check(row(2), row(3))
    assert codes(first) == codes(second) == {("national_id", "duplicate_in_file")}


def test_ids_to_look_up_are_normalised_and_listed_once() -> None:
    rows = [row(national_id="001 085 012345"), row(national_id=NGUYEN), row(national_id=None)]
    assert national_ids(rows) == [NGUYEN]


# ---------------------------------------------------------------- commune


def test_a_row_without_a_commune_takes_the_beneficiarys() -> None:
    (checked,) = check(row(commune_code=None))
    assert (checked.status, checked.commune_code) == ("valid", "00101")


def test_a_commune_code_that_lost_its_leading_zeros_is_padded() -> None:
    (checked,) = check(row(commune_code=101))
    assert (checked.status, checked.commune_code) == ("valid", "00101")


def test_a_beneficiary_of_another_commune_is_refused() -> None:
    (checked,) = check(row(commune_code="00202"))
    assert codes(checked) == {("commune_code", "commune_mismatch")}


# ---------------------------------------------------------------- what a CCCD says


def test_a_cccd_whose_birth_year_differs_from_the_register_is_a_warning() -> None:
    (checked,) = check(row(), known=register(person(birth_date=date(1986, 3, 2))))
    assert checked.status == "valid"
    assert warnings(checked) == {("national_id", "cccd_birth_year_mismatch")}


def test_a_cccd_whose_gender_differs_from_the_register_is_a_warning() -> None:
    (checked,) = check(row(), known=register(person(gender="female")))
    assert checked.status == "valid"
    assert warnings(checked) == {("national_id", "cccd_gender_mismatch")}


def test_a_cccd_of_a_woman_born_in_2005_matches_her_record() -> None:
    born_2005 = "001305012345"  # digit 4 = 3: female, 2000s
    who = person(born_2005, birth_date=date(2005, 1, 1), gender="female")
    (checked,) = check(row(national_id=born_2005), known=register(who))
    assert checked.warnings == []


def test_a_cmnd_says_nothing_about_birth_year_or_gender() -> None:
    cmnd = "012345678"
    who = person(cmnd, birth_date=date(1950, 1, 1), gender="female")
    (checked,) = check(row(national_id=cmnd), known=register(who))
    assert checked.warnings == []


def test_an_edited_name_on_the_arrears_template_is_ignored_with_a_warning() -> None:
    (checked,) = check(row(full_name="Nguyễn Văn Bình"))
    assert checked.status == "valid"
    assert warnings(checked) == {("full_name", "ignored_column_changed")}


# ---------------------------------------------------------------- what reading found


def test_cells_reading_flagged_are_errors_on_their_fields() -> None:
    flags = {"issues": {"arrears_amount": "formula_not_allowed", "full_name": "merged_cell"}}
    (checked,) = check(row(arrears_amount="=1000*100", flags=flags))
    assert codes(checked) == {
        ("arrears_amount", "formula_not_allowed"),
        ("full_name", "merged_cell"),
    }


def test_a_hidden_row_is_refused() -> None:
    (checked,) = check(row(flags={"hidden": True}))
    assert codes(checked) == {("row", "hidden_row")}


def test_only_the_first_error_of_a_field_is_kept() -> None:
    flags = {"issues": {"arrears_amount": "formula_not_allowed"}}
    (checked,) = check(row(arrears_amount="=A1", flags=flags))
    assert codes(checked) == {("arrears_amount", "formula_not_allowed")}


def test_an_untouched_row_of_a_template_with_data_is_skipped_and_not_a_duplicate() -> None:
    untouched = row(3, arrears_amount=None, arrears_period=None, commune_code="101")
    filled, skipped = check(row(2), untouched)
    assert (skipped.status, skipped.errors, skipped.commune_code) == ("skipped", [], "00101")
    assert filled.status == "valid", "a skipped row does not count as the ID's second use"


def test_a_row_still_holding_the_prefilled_current_arrears_is_skipped() -> None:
    owed = register(person(arrears_amount=800_000, arrears_period="2026-09"))
    (kept,) = check(row(arrears_amount=800_000, arrears_period="09/2026"), known=owed)
    assert (kept.status, kept.errors) == ("skipped", []), "a past month kept as is is no error"
    (as_text,) = check(row(arrears_amount="800.000", arrears_period="9/2026"), known=owed)
    assert as_text.status == "skipped"


def test_a_row_changing_the_prefilled_current_arrears_is_checked() -> None:
    owed = register(person(arrears_amount=800_000, arrears_period="2026-09"))
    (amount,) = check(row(arrears_amount=900_000, arrears_period="09/2026"), known=owed)
    assert codes(amount) == {("arrears_period", "period_past")}
    (month,) = check(row(arrears_amount=800_000, arrears_period="12/2026"), known=owed)
    assert month.status == "valid"


def test_a_hidden_row_without_amount_or_period_is_not_skipped() -> None:
    (checked,) = check(row(arrears_amount=None, arrears_period=None, flags={"hidden": True}))
    assert codes(checked) == {("row", "hidden_row"), ("arrears_amount", "required")}


# ---------------------------------------------------------------- change type


def test_the_arrears_change_type_must_be_the_arrears_one() -> None:
    (checked,) = check(row(change_type="Tăng thêm"))
    assert codes(checked) == {("change_type", "change_type_invalid")}


def test_a_missing_change_type_is_required() -> None:
    (checked,) = check(row(change_type=None))
    assert codes(checked) == {("change_type", "required")}


def test_a_change_type_in_decomposed_unicode_with_odd_spaces_is_accepted() -> None:
    import unicodedata

    (checked,) = check(row(change_type=unicodedata.normalize("NFD", ARREARS) + "\u00a0 "))
    assert checked.status == "valid"


# ---------------------------------------------------------------- amount


@pytest.mark.parametrize(
    ("written", "amount"),
    [
        (1_500_000, 1_500_000),
        (1_500_000.0, 1_500_000),
        ("1.500.000", 1_500_000),
        ("1,250,000", 1_250_000),
        ("2 000 000", 2_000_000),
        (" 1.000.000\u00a0", 1_000_000),
        ("300000", 300_000),
    ],
)
def test_an_amount_is_a_whole_number_of_dong_in_any_usual_writing(
    written: Any, amount: int
) -> None:
    (checked,) = check(row(arrears_amount=written))
    assert checked.status == "valid"
    assert checked.values["arrears_amount"] == amount


@pytest.mark.parametrize("written", ["một triệu", -5, 1500.5, "1.50.000", True, "1.500,5"])
def test_an_amount_that_is_not_a_whole_number_of_dong_is_invalid(written: Any) -> None:
    (checked,) = check(row(arrears_amount=written))
    assert codes(checked) == {("arrears_amount", "amount_invalid")}


def test_an_amount_without_a_period_needs_the_period() -> None:
    (checked,) = check(row(arrears_period=None))
    assert codes(checked) == {("arrears_period", "period_required")}


def test_a_zero_amount_without_a_period_clears_the_arrears() -> None:
    (checked,) = check(row(arrears_amount=0, arrears_period=None))
    assert checked.status == "valid"


def test_a_period_without_an_amount_needs_the_amount() -> None:
    (checked,) = check(row(arrears_amount=None))
    assert codes(checked) == {("arrears_amount", "amount_required")}


# ---------------------------------------------------------------- period (the payment month)


@pytest.mark.parametrize(
    ("written", "month"),
    [
        ("12/2026", "2026-12"),
        ("1/2027", "2027-01"),
        ("12-2026", "2026-12"),
        (date(2026, 12, 15), "2026-12"),
        ("2026-12", "2026-12"),
        ("11/2026", "2026-11"),
        ("11/2027", "2027-11"),
    ],
)
def test_a_period_is_one_month_from_now_to_twelve_months_ahead(written: Any, month: str) -> None:
    (checked,) = check(row(arrears_period=written))
    assert checked.status == "valid"
    assert checked.values["arrears_period"] == month


@pytest.mark.parametrize("written", ["08/2026-10/2026", "8/2026 đến 10/2026", "8/2026, 9/2026"])
def test_a_range_of_months_is_refused_with_the_payment_month_hint(written: str) -> None:
    (checked,) = check(row(arrears_period=written))
    assert codes(checked) == {("arrears_period", "period_range")}
    assert "tháng chi trả" in checked.errors[0]["message_vi"]


@pytest.mark.parametrize("written", ["13/2026", "tháng 12", "2026/12", "12/1899", "0/2026"])
def test_a_period_that_is_not_a_month_is_invalid(written: str) -> None:
    (checked,) = check(row(arrears_period=written))
    assert codes(checked) == {("arrears_period", "period_invalid")}


def test_a_period_before_this_month_is_closed() -> None:
    (checked,) = check(row(arrears_period="10/2026"))
    assert codes(checked) == {("arrears_period", "period_past")}


def test_a_past_period_given_as_a_date_cell_shows_the_date_as_text() -> None:
    (checked,) = check(row(arrears_period=date(2026, 10, 5)))
    assert checked.errors[0]["code"] == "period_past"
    assert checked.errors[0]["value"] == "2026-10-05"


def test_a_period_more_than_twelve_months_ahead_is_too_far() -> None:
    (checked,) = check(row(arrears_period="12/2027"))
    assert codes(checked) == {("arrears_period", "period_too_far")}


# ---------------------------------------------------------------- status


def test_a_row_with_an_error_and_a_shared_id_is_invalid_not_duplicate() -> None:
    twin = person(beneficiary_id="b-twin")
    (checked,) = check(row(arrears_amount="x"), known=register(person(), twin))
    assert checked.status == "invalid"
