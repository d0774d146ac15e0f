"""How headers, cells and values written by officers are read: header folding (a workbook
whose defined names were lost is still read by its Vietnamese headers), cell text, amounts,
months and what a 12-digit CCCD encodes."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from import_svc.domain.cells import as_date, clean_text
from import_svc.domain.columns import COLUMNS, by_header, by_key, fold_header, template_row
from import_svc.domain.findings import Identity
from import_svc.domain.values import (
    id_warnings,
    normalise_commune,
    normalise_id,
    parse_amount,
    parse_period,
)

# ---------------------------------------------------------------- headers


@pytest.mark.parametrize(
    "typed",
    [
        "Số CCCD/CMND",
        "số cccd/cmnd",
        "SO CCCD/CMND",
        "  Số   CCCD/CMND ",
        "So CCCD/CMND (ghi chú)",
    ],
)
def test_a_header_is_compared_without_case_diacritics_spacing_or_hint(typed: str) -> None:
    assert fold_header(typed) == "so cccd/cmnd"


def test_the_letter_d_with_stroke_folds_to_d() -> None:
    assert fold_header("Địa chỉ") == "dia chi"
    assert fold_header("Mã đối tượng (không sửa)") == "ma doi tuong"


def test_every_template_header_finds_its_column_when_retyped_without_accents() -> None:
    for kind, columns in COLUMNS.items():
        headers = by_header(kind)
        for column in columns:
            plain = fold_header(column.header).upper()
            assert headers[fold_header(plain)].key == column.key, (kind, column.header)


def test_the_three_templates_share_id_name_commune_and_change_type_columns() -> None:
    for kind in ("arrears", "info", "policy"):
        keys = by_key(kind)
        assert {"beneficiary_id", "national_id", "full_name", "commune_code", "change_type"} <= set(
            keys
        )
        assert keys["national_id"].text, "IDs are text cells: leading zeros matter"


def test_on_the_arrears_template_only_the_arrears_columns_and_ids_are_edited() -> None:
    keys = by_key("arrears")
    assert not keys["full_name"].editable
    assert not keys["beneficiary_id"].editable
    assert keys["arrears_amount"].editable
    assert not keys["arrears_amount"].text, "an amount is a number cell"


def test_a_template_row_of_the_arrears_kind_carries_the_arrears_change_type() -> None:
    person = {
        "beneficiary_id": "b-1",
        "national_id": "001085012345",
        "full_name": "Nguyễn Văn An",
        "commune_code": "00101",
        "birth_date": date(1985, 3, 2),
        "gender": "male",
    }
    assert template_row("arrears", person) == {
        "beneficiary_id": "b-1",
        "national_id": "001085012345",
        "full_name": "Nguyễn Văn An",
        "commune_code": "00101",
        "change_type": "Điều chỉnh thông tin, CS",
    }
    owed = {**person, "arrears_amount": 800_000, "arrears_period": "2026-09"}
    prefilled = template_row("arrears", owed)
    assert (prefilled["arrears_amount"], prefilled["arrears_period"]) == (800_000, "09/2026")
    info = template_row("info", person)
    assert (info["birth_date"], info["gender"]) == ("02/03/1985", "Nam")
    assert template_row("policy", {**person, "birth_date": None, "gender": None})["gender"] is None


# ---------------------------------------------------------------- cells


def test_cell_text_is_nfc_with_plain_single_spaces() -> None:
    assert clean_text("  Nguye\u0302\u0303n\u00a0 Va\u0306n   An ") == "Nguyễn Văn An"


@pytest.mark.parametrize(
    ("written", "clean"),
    [
        ("001085000001", "001085000001"),
        ("12/2026", "12/2026"),
        (" 12/2026", "12/2026"),
        ("12/2026 ", "12/2026"),
        ("12  /2026", "12 /2026"),
        ("12\t/2026", "12 /2026"),
        ("\x1f12\r\n", "12"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_plain_ascii_text_is_given_back_unless_it_has_odd_spaces(written: str, clean: str) -> None:
    assert clean_text(written) == clean


@pytest.mark.parametrize(
    ("written", "day"),
    [
        ("02/03/1985", date(1985, 3, 2)),
        ("1985-03-02", date(1985, 3, 2)),
        ("02-03-1985", date(1985, 3, 2)),
        (datetime(1985, 3, 2, 10, 30), date(1985, 3, 2)),
        (date(1985, 3, 2), date(1985, 3, 2)),
    ],
)
def test_a_day_is_a_date_cell_or_dd_mm_yyyy_text(written: object, day: date) -> None:
    assert as_date(written) == day


@pytest.mark.parametrize("written", ["3/1985", "1985", 31121985, None])
def test_anything_else_is_not_a_day(written: object) -> None:
    assert as_date(written) is None


# ---------------------------------------------------------------- values


def test_an_id_loses_its_spaces_and_an_empty_one_is_none() -> None:
    assert normalise_id(" 001 085 012345 ") == "001085012345"
    assert normalise_id("  ") is None
    assert normalise_id(None) is None


def test_a_commune_code_is_five_digits_padded_and_any_other_text_is_kept() -> None:
    assert normalise_commune(7) == "00007"
    assert normalise_commune("00101") == "00101"
    assert normalise_commune("Xã A") == "Xã A"
    assert normalise_commune("1234567") == "1234567"
    assert normalise_commune(" ") is None


@pytest.mark.parametrize(
    ("written", "amount"),
    [(0, 0), (7.0, 7), ("999", 999), ("12.345.678", 12_345_678), ("1 000", 1000)],
)
def test_amounts_in_dong(written: object, amount: int) -> None:
    assert parse_amount(written) == amount


@pytest.mark.parametrize("written", [False, -1, 0.5, "1.0000", "", None, date(2026, 1, 1)])
def test_what_is_not_an_amount(written: object) -> None:
    assert parse_amount(written) is None


def test_a_month_is_read_from_text_or_a_date() -> None:
    assert parse_period("3/2027") == date(2027, 3, 1)
    assert parse_period("2027-03-15") == date(2027, 3, 1)
    assert parse_period(date(2027, 3, 9)) == date(2027, 3, 1)
    assert parse_period("3/2200") == "period_invalid"
    assert parse_period("1/2027 – 3/2027") == "period_range"


def who(birth: date | None, gender: str | None) -> Identity:
    return Identity("b", "x", "00101", "A", "active", birth_date=birth, gender=gender)


@pytest.mark.parametrize(
    ("national_id", "born", "gender"),
    [
        ("001085012345", 1985, "male"),
        ("001185012345", 1985, "female"),
        ("001205012345", 2005, "male"),
        ("001305012345", 2005, "female"),
    ],
)
def test_digit_four_gives_gender_and_century_digits_five_six_the_year(
    national_id: str, born: int, gender: str
) -> None:
    assert id_warnings(national_id, who(date(born, 6, 1), gender)) == []


def test_a_cccd_disagreeing_on_both_says_both() -> None:
    assert id_warnings("001085012345", who(date(2005, 1, 1), "female")) == [
        "cccd_birth_year_mismatch",
        "cccd_gender_mismatch",
    ]


def test_nothing_is_said_when_the_register_does_not_know_birth_or_gender() -> None:
    assert id_warnings("001085012345", who(None, None)) == []
    assert id_warnings("001085012345", who(None, "other")) == []
