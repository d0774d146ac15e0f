"""The independent model knows moves to another area (chuyển địa bàn): a district's model
pays the months the person lives there, and only those. Amounts by hand from DOMAIN.md
(level 500,000 VND from 2024-07; KT_DBN 2.0 → 1,000,000 a month)."""

from __future__ import annotations

from datetime import date

from btxh_tools.model import Model

JAN, FEB, MAR, APR = (date(2026, m, 1) for m in (1, 2, 3, 4))


def district(code: str) -> Model:
    m = Model(district=code)
    m.start("p", date(2025, 1, 1), {"KT_DBN": 1}, home="001")
    m.move("p", MAR, "002")
    for month in (JAN, FEB, MAR, APR):
        m.open_period(month)
    return m


def paid(m: Model, month: date) -> dict[str, int]:
    return {person: e.total for person, e in m.expected(m.generate(month)).items()}


def test_the_sending_district_pays_until_the_month_before_the_move() -> None:
    sending = district("001")
    assert paid(sending, FEB) == {"p": 1_000_000}
    assert paid(sending, MAR) == {}
    assert paid(sending, APR) == {}


def test_the_receiving_district_pays_from_the_month_of_the_move() -> None:
    receiving = district("002")
    assert paid(receiving, FEB) == {}
    assert paid(receiving, MAR) == {"p": 1_000_000}
    assert paid(receiving, APR) == {"p": 1_000_000}


def test_a_model_of_no_district_pays_every_month_whatever_the_moves() -> None:
    anywhere = Model()
    anywhere.start("p", date(2025, 1, 1), {"KT_DBN": 1}, home="001")
    anywhere.move("p", MAR, "002")
    anywhere.open_period(MAR)
    assert paid(anywhere, MAR) == {"p": 1_000_000}


def test_the_sending_district_carries_its_own_unpaid_money_after_the_move() -> None:
    """February's 1,000,000 unpaid in 001: 001's March line carries it with no allowance;
    002 pays March's 1,000,000 and none of 001's."""
    sending, receiving = district("001"), district("002")
    february = sending.generate(FEB)
    sending.submit(february)
    (key,) = february.lines
    sending.statuses(february, None, [(key, "unpaid")], supervisor=True)
    march = sending.expected(sending.generate(MAR))["p"]
    assert (march.allowance, march.carried_over, march.total) == (0, 1_000_000, 1_000_000)
    assert paid(receiving, MAR) == {"p": 1_000_000}
