"""DVCT_01 and DVCT_02 shaped from the list's figures (seed §10)."""

from __future__ import annotations

from datetime import date

from payment_svc.domain.reports import dvct01, dvct02

AUGUST = date(2024, 8, 1)


def figures(commune: str | None, paid: int, recovered: int, unpaid: int) -> dict[str, object]:
    return {
        "commune_code": commune,
        "people": 1,
        "to_pay": paid + recovered + unpaid,
        "paid_lines": 1,
        "paid": paid,
        "recovered": recovered,
        "unpaid_lines": 1,
        "unpaid": unpaid,
    }


def test_dvct01_lists_each_commune_and_takes_the_grand_total_apart() -> None:
    rollup = [
        figures("00001", 500_000, 0, 200_000),
        figures("00004", 900_000, 100_000, 0),
        figures(None, 1_400_000, 100_000, 200_000),
    ]
    report = dvct01("001", AUGUST, "monthly", rollup)
    assert (report["district"], report["period"], report["kind"]) == ("001", "2024-08", "monthly")
    assert [c["commune_code"] for c in report["communes"]] == ["00001", "00004"]
    assert "commune_code" not in report["total"]
    assert report["total"]["to_pay"] == 1_700_000
    assert report["total"]["to_pay"] == 1_400_000 + 100_000 + 200_000


def test_dvct01_of_a_period_without_lines_is_all_zeros() -> None:
    report = dvct01("001", AUGUST, "funeral", [])
    assert report["communes"] == []
    assert report["total"] == {
        "people": 0,
        "to_pay": 0,
        "paid_lines": 0,
        "paid": 0,
        "recovered": 0,
        "unpaid_lines": 0,
        "unpaid": 0,
        "recovery": 0,
    }


def test_dvct02_totals_what_the_unpaid_people_are_owed() -> None:
    lines = [
        {"full_name": "Em", "total": 100, "recovery": 0},
        {"full_name": "Bình", "total": 1_250_000, "recovery": 250_000},
    ]
    report = dvct02("001", AUGUST, "monthly", lines)
    assert report["total"] == 1_250_100
    assert report["recovery"] == 250_000
    assert report["lines"] == lines
    assert dvct02("001", AUGUST, "monthly", [])["total"] == 0
