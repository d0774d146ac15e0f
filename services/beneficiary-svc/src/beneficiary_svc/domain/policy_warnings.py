"""Policy warnings on a record (*cảnh báo chính sách hồ sơ đối tượng*, seed "Other functions"):
the people whose age moves them to another band of DOMAIN.md's coefficient table, or out of
the programme, in a given month — with the change the officer should decide.

The bands by age (Decree 20/2021/NĐ-CP Art. 5–6; a child is under 16 — Law on Children Art. 1;
an elderly person is from 60 — Law on the Elderly Art. 2):

- ``TE_MC_U4`` (2.5) → ``TE_MC_4_16`` (1.5) on turning 4; ``TE_MC_4_16`` ends on turning 16
  (``HS_16_22`` if still studying); ``HS_16_22`` ends on turning 22;
- ``TE_HIV_U4`` (2.5) → ``TE_HIV_4_16`` (2.0) on turning 4, which ends on turning 16;
- ``TE_U3_DTTS`` ends on turning 3;
- ``NCT_NGHEO_60_80`` (1.5) → ``NCT_NGHEO_80`` (2.0) on turning 80;
  ``NCT_75_80_DTTS`` (1.0) → ``NCT_80`` (1.0) on turning 80;
- a disabled child (``KT_DBN_TE_NCT`` 2.5, ``KT_N_TE_NCT`` 2.0) becomes an adult
  (``KT_DBN`` 2.0, ``KT_N`` 1.5) on turning 16; a disabled adult (``KT_DBN``, ``KT_N``)
  becomes elderly (``KT_DBN_TE_NCT``, ``KT_N_TE_NCT``) on turning 60.

A person reaches an age in the month of their birthday; a warning for month M names those who
reach the band's edge in M (``overdue`` when they reached it before M and the category was not
changed). Only people whose allowance is in force (active, suspended, under review) are warned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from btxh_common.clock import add_months

ACTIVE_LIKE = ("active", "suspended", "under_review")
Change = Literal["adjust", "stop"]


@dataclass(frozen=True)
class Band:
    category: str
    age: int  # the birthday that ends the band
    change: Change
    to_category: str | None  # the band it moves to (adjust), None when it ends (stop)
    advice_vi: str


_ADJUST_VI = "Điều chỉnh sang nhóm {to} từ tháng {month}"
_STOP_VI = "Thôi hưởng từ tháng {month}"

BANDS: dict[str, Band] = {
    b.category: b
    for b in (
        Band("TE_MC_U4", 4, "adjust", "TE_MC_4_16", "Trẻ em đủ 4 tuổi: hệ số 2,5 → 1,5"),
        Band(
            "TE_MC_4_16",
            16,
            "stop",
            None,
            "Đủ 16 tuổi: thôi hưởng, hoặc chuyển nhóm HS_16_22 nếu đang đi học",
        ),
        Band("HS_16_22", 22, "stop", None, "Đủ 22 tuổi: hết tuổi hưởng theo khoản 2 Điều 5"),
        Band("TE_HIV_U4", 4, "adjust", "TE_HIV_4_16", "Trẻ em đủ 4 tuổi: hệ số 2,5 → 2,0"),
        Band("TE_HIV_4_16", 16, "stop", None, "Đủ 16 tuổi: hết tuổi trẻ em theo khoản 3 Điều 5"),
        Band("TE_U3_DTTS", 3, "stop", None, "Đủ 3 tuổi: hết tuổi hưởng theo khoản 7 Điều 5"),
        Band("NCT_NGHEO_60_80", 80, "adjust", "NCT_NGHEO_80", "Đủ 80 tuổi: hệ số 1,5 → 2,0"),
        Band("NCT_75_80_DTTS", 80, "adjust", "NCT_80", "Đủ 80 tuổi: chuyển điểm c khoản 5"),
        Band("KT_DBN_TE_NCT", 16, "adjust", "KT_DBN", "Trẻ khuyết tật đủ 16 tuổi: 2,5 → 2,0"),
        Band("KT_N_TE_NCT", 16, "adjust", "KT_N", "Trẻ khuyết tật đủ 16 tuổi: 2,0 → 1,5"),
        Band("KT_DBN", 60, "adjust", "KT_DBN_TE_NCT", "Đủ 60 tuổi (người cao tuổi): 2,0 → 2,5"),
        Band("KT_N", 60, "adjust", "KT_N_TE_NCT", "Đủ 60 tuổi (người cao tuổi): 1,5 → 2,0"),
    )
}


@dataclass(frozen=True)
class PolicyWarning:
    category: str
    age: int
    reached_month: date  # the month of the birthday that ends the band
    change: Change
    to_category: str | None
    overdue: bool
    message_vi: str


def age_month(birth_date: date, age: int) -> date:
    """The month in which someone born on ``birth_date`` reaches ``age``."""
    return date(birth_date.year + age, birth_date.month, 1)


def warning_for(
    category: str | None, birth_date: date | None, status: str, month: date
) -> PolicyWarning | None:
    """The warning for month ``month`` (its first day) on a record, or None."""
    band = BANDS.get(category or "")
    if band is None or birth_date is None or status not in ACTIVE_LIKE:
        return None
    reached = age_month(birth_date, band.age)
    if reached > month:
        return None
    when = f"{reached.month:02d}/{reached.year}"
    if band.change == "adjust":
        todo = _ADJUST_VI.format(to=band.to_category, month=when)
    else:
        todo = _STOP_VI.format(month=when)
    return PolicyWarning(
        category=band.category,
        age=band.age,
        reached_month=reached,
        change=band.change,
        to_category=band.to_category,
        overdue=reached < month,
        message_vi=f"{band.advice_vi}. Cần ra quyết định: {todo}",
    )


def born_before(category: str, month: date) -> date:
    """Who is warned in ``month`` under ``category``: those born before this day (they reach
    the band's edge in ``month`` or earlier)."""
    band = BANDS[category]
    end = add_months(month, 1)
    return date(end.year - band.age, end.month, 1)
