"""A decision record in the officer's words, and the values its printed page shows."""

from datetime import date

from beneficiary_svc.domain.decision_records import change_vi, coefficient_vi, printed

ADJUST = {
    "id": 12,
    "action": "adjust",
    "category": "TE_MC_4_16",
    "coefficient": 15,
    "children": None,
    "status": None,
    "effective_month": date(2026, 12, 1),
    "decision_no": "123/QĐ-UBND",
    "decision_date": date(2026, 11, 20),
    "signer": None,
    "full_name": "Đặng Hữu Phúc",
    "birth_date": date(2022, 12, 5),
    "national_id": "001222012345",
}


def test_a_coefficient_is_written_with_a_decimal_comma() -> None:
    assert [coefficient_vi(t) for t in (15, 20, 25)] == ["1,5", "2", "2,5"]


def test_an_adjustment_says_the_new_category_coefficient_and_month() -> None:
    assert change_vi(ADJUST) == (
        "Điều chỉnh mức trợ cấp xã hội hằng tháng; nhóm TE_MC_4_16, hệ số 1,5; từ tháng 12/2026"
    )


def test_the_page_carries_the_districts_header_and_a_fallback_signer() -> None:
    units = {
        "district": "Quận Ba Đình",
        "province": "Thành phố Hà Nội",
        "commune": "Phường Phúc Xá",
    }
    page = printed(ADJUST, units, fallback_signer="Chủ tịch UBND")
    assert (page["authority"], page["district_upper"]) == ("ỦY BAN NHÂN DÂN", "QUẬN BA ĐÌNH")
    assert page["decision_date"] == "ngày 20 tháng 11 năm 2026"
    assert page["signer"] == "Chủ tịch UBND"
    assert page["birth_date"] == "05/12/2022"
