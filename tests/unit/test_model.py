"""The independent model of the money rules, checked against amounts computed by hand from
DOMAIN.md (level 500,000 from 2024-07; NCT_80 1.0, KT_DBN 2.0, NCT_NGHEO_60_80 1.5)."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest
from btxh_tools.model import ADJUST, DEATH, RESUME, STOP, SUSPEND, Model, Refused

M = date(2026, 1, 1)
M1, M2, M3 = date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)
STDLIB = {"__future__", "collections", "collections.abc", "dataclasses", "datetime"}
MODEL = Path(__file__).resolve().parents[2] / "tools" / "src" / "btxh_tools" / "model"


def test_the_model_imports_nothing_of_the_services_and_holds_no_sql() -> None:
    for path in MODEL.glob("*.py"):
        source = path.read_text()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom):
                assert node.module in STDLIB or node.module.startswith("btxh_tools.model")
            elif isinstance(node, ast.Import):
                assert all(a.name in STDLIB for a in node.names)
        for word in ("SELECT ", "INSERT ", "UPDATE ", "asyncpg", "fetch("):
            assert word not in source, (path.name, word)


def world(*people: tuple[str, str]) -> Model:
    m = Model()
    for person, category in people:
        m.start(person, date(2025, 1, 1), {category: 1})
    for month in (M, M1, M2, M3):
        m.open_period(month)
    return m


def allowances(m: Model, month: date) -> dict[str, int]:
    return {p: e.allowance for p, e in m.expected(m.generate(month)).items()}


def test_decisions_take_effect_in_their_month() -> None:
    m = world(("a", "NCT_80"), ("s", "NCT_NGHEO_60_80"), ("t", "KT_DBN"), ("d", "NCT_80"))
    m.decide("a", ADJUST, M1, {"KT_DBN": 1})
    m.decide("s", SUSPEND, M)
    m.decide("s", RESUME, M2)
    m.decide("t", STOP, M1)
    m.decide("d", DEATH, date(2026, 2, 14))
    assert allowances(m, M) == {"a": 500_000, "t": 1_000_000, "d": 500_000}
    assert allowances(m, M1) == {"a": 1_000_000, "d": 500_000}
    assert allowances(m, M2) == {"a": 1_000_000, "s": 750_000}


def test_the_highest_coefficient_and_the_single_parent_allowance_per_child() -> None:
    m = Model()
    m.start("x", M, {"NCT_80": 1, "KT_DBN": 1, "DON_THAN": 3})
    m.open_period(M)
    assert allowances(m, M) == {"x": 1_000_000 + 3 * 500_000}


def test_unpaid_carries_once_unpaid_stopped_does_not_and_arrears_are_paid_once() -> None:
    m = world(("a", "NCT_80"), ("b", "KT_DBN"))
    m.set_arrears("a", 1_200_000, M)
    first = m.generate(M)
    m.submit(first)
    ka, kb = (f"2026-01/1/{p}" for p in "ab")
    m.statuses(first, "paid", [(ka, "unpaid"), (kb, "unpaid_stopped")], supervisor=True)
    nxt = m.expected(m.generate(M1))
    assert (nxt["a"].carried_over, nxt["a"].arrears, nxt["a"].total) == (1_700_000, 0, 2_200_000)
    assert (nxt["b"].carried_over, nxt["b"].total) == (0, 1_000_000)
    with pytest.raises(Refused, match="line_carried_over"):
        m.statuses(first, None, [(ka, "paid")], supervisor=True)
    books = m.books("a")
    assert (books.owed, books.pending, books.carried) == (2_200_000, 2_200_000, 0)
    assert m.books("b").unpaid_stopped == 1_000_000


def test_no_new_version_once_anyone_is_paid() -> None:
    m = world(("a", "NCT_80"), ("b", "KT_DBN"))
    first = m.generate(M)
    m.submit(first)
    m.statuses(first, None, [("2026-01/1/a", "paid")], supervisor=True)
    with pytest.raises(Refused, match="list_has_payments"):
        m.generate(M)
    with pytest.raises(Refused, match="line_paid"):
        m.split("2026-01/1/a", [200_000, 300_000], ["p1", "p2"])


def test_a_recovery_is_deducted_per_period_until_recovered() -> None:
    m = world(("a", "NCT_80"))
    m.create_recovery("r", "a", total=1_100_000, per_period=400_000, from_month=M)
    taken = [m.expected(m.generate(month))["a"].recovery for month in (M, M1, M2, M3)]
    assert taken == [400_000, 400_000, 300_000, 0]
    assert m.recovery_status("r") == "closed"
    assert m.books("a").recovered == 1_100_000
    # a new version of a month recomputes that month's deduction, never twice
    assert m.expected(m.generate(M1))["a"].recovery == 400_000
    with pytest.raises(Refused, match="recovery_closed"):
        m.cancel_recovery("r", supervisor=True)
