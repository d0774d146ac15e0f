"""Policy warnings with fixed dates: who leaves their band of DOMAIN.md's coefficient table in a
month, and the change the officer should decide (expected values read from the table)."""

from datetime import date

import pytest
from beneficiary_svc.domain.policy_warnings import born_before, warning_for

DEC_2026 = date(2026, 12, 1)


def test_a_child_turning_4_next_month_moves_from_2_5_to_1_5() -> None:
    w = warning_for("TE_MC_U4", date(2022, 12, 31), "active", DEC_2026)
    assert w is not None
    assert (w.change, w.to_category, w.age, w.reached_month, w.overdue) == (
        "adjust",
        "TE_MC_4_16",
        4,
        DEC_2026,
        False,
    )
    assert "TE_MC_4_16" in w.message_vi
    assert "12/2026" in w.message_vi


def test_an_elderly_person_turning_80_moves_to_the_80_band() -> None:
    w = warning_for("NCT_NGHEO_60_80", date(1946, 12, 1), "suspended", DEC_2026)
    assert w is not None
    assert (w.change, w.to_category) == ("adjust", "NCT_NGHEO_80")


@pytest.mark.parametrize(
    ("category", "born", "to"),
    [
        ("TE_MC_4_16", date(2010, 12, 5), None),  # 16: out (or HS_16_22 if studying)
        ("HS_16_22", date(2004, 12, 5), None),  # 22: out
        ("TE_HIV_U4", date(2022, 12, 5), "TE_HIV_4_16"),
        ("TE_U3_DTTS", date(2023, 12, 5), None),  # 3: out
        ("KT_N_TE_NCT", date(2010, 12, 5), "KT_N"),  # a child no more at 16
        ("KT_DBN", date(1966, 12, 5), "KT_DBN_TE_NCT"),  # elderly from 60
    ],
)
def test_every_age_band_names_its_change(category: str, born: date, to: str | None) -> None:
    w = warning_for(category, born, "active", DEC_2026)
    assert w is not None
    assert (w.to_category, w.change) == (to, "adjust" if to else "stop")


def test_a_birthday_the_month_after_is_not_warned_yet() -> None:
    assert warning_for("TE_MC_U4", date(2023, 1, 1), "active", DEC_2026) is None
    assert warning_for("NCT_NGHEO_60_80", date(1947, 1, 1), "active", DEC_2026) is None


def test_a_missed_birthday_is_warned_as_overdue() -> None:
    w = warning_for("TE_MC_U4", date(2022, 6, 10), "active", DEC_2026)
    assert w is not None
    assert (w.overdue, w.reached_month) == (True, date(2026, 6, 1))


@pytest.mark.parametrize("status", ["stopped", "deceased", "removed"])
def test_people_not_in_force_are_not_warned(status: str) -> None:
    assert warning_for("TE_MC_U4", date(2022, 12, 31), status, DEC_2026) is None


def test_categories_without_an_age_edge_and_unknown_births_are_not_warned() -> None:
    assert warning_for("NCT_80", date(1946, 12, 1), "active", DEC_2026) is None
    assert warning_for("TE_MC_U4", None, "active", DEC_2026) is None


def test_the_birth_bound_keeps_exactly_those_who_reach_the_edge_by_the_month() -> None:
    bound = born_before("TE_MC_U4", DEC_2026)
    assert bound == date(2023, 1, 1)
    assert warning_for("TE_MC_U4", date(2022, 12, 31), "active", DEC_2026) is not None
    assert warning_for("TE_MC_U4", bound, "active", DEC_2026) is None
