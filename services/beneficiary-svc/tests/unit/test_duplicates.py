"""The same ID on two beneficiaries is shown to officers who may see both holders; a holder
outside the caller's units is never shown, counted or hinted at (issue 16, item 10a)."""

from beneficiary_svc.domain.duplicates import duplicate_groups


def holder(national_id: str, name: str, district: str) -> dict[str, object]:
    return {
        "national_id": national_id,
        "id": f"id-{name}",
        "full_name": name,
        "commune_code": "00001",
        "district_code": district,
        "status": "active",
    }


def test_holders_in_the_officers_district_are_shown_in_full() -> None:
    a, b = holder("001140000001", "A", "001"), holder("001140000001", "B", "001")
    assert duplicate_groups([a, b], ["001"]) == [{"national_id": "001140000001", "holders": [a, b]}]


def test_an_id_shared_with_another_district_is_not_reported_to_the_district() -> None:
    mine, theirs = holder("001140000001", "A", "001"), holder("001140000001", "Z", "002")
    assert duplicate_groups([mine, theirs], ["001"]) == []


def test_a_third_holder_elsewhere_is_left_out_of_a_group_the_district_sees() -> None:
    a, b = holder("001140000001", "A", "001"), holder("001140000001", "B", "001")
    z = holder("001140000001", "Z", "002")
    [group] = duplicate_groups([a, b, z], ["001"])
    assert group["holders"] == [a, b]


def test_a_province_officer_of_both_districts_sees_both_holders() -> None:
    mine, theirs = holder("001140000001", "A", "001"), holder("001140000001", "Z", "002")
    assert duplicate_groups([mine, theirs], ["001", "002"]) == [
        {"national_id": "001140000001", "holders": [mine, theirs]}
    ]


def test_each_id_is_one_group_in_the_order_given() -> None:
    rows = [
        holder("001140000001", "A", "001"),
        holder("001140000001", "B", "001"),
        holder("001140000002", "C", "001"),
        holder("001140000002", "D", "001"),
    ]
    groups = duplicate_groups(rows, ["001"])
    assert [(g["national_id"], len(g["holders"])) for g in groups] == [
        ("001140000001", 2),
        ("001140000002", 2),
    ]
