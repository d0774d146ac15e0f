"""Settlement rules (seed 002 §E): extensions of 1–19 days, fewer than 20 in all; overdue
after the deadline; closed once, with every person's result or the officer's say-so."""

from datetime import date

import pytest
from btxh_common.errors import DomainError
from btxh_common.problems import domain_problem
from settlement_svc.domain.errors import (
    ExtensionDaysInvalid,
    ExtensionTotalExceeded,
    PackageNotFound,
    PackageNotStuck,
    PaymentUnitNotSet,
    ResultsIncomplete,
    SettlementAlreadyClosed,
    SettlementBeforeCutoff,
    SettlementNotFound,
)
from settlement_svc.domain.settlements import (
    SettlementState,
    check_close,
    check_extension,
    effective_deadline,
    is_overdue,
    receives_report,
)

OPEN, RECEIVED, CLOSED = SettlementState.OPEN, SettlementState.RECEIVED, SettlementState.CLOSED


@pytest.mark.parametrize("days", [1, 19])
def test_an_open_settlement_is_extended_by_1_to_19_days(days: int) -> None:
    check_extension(OPEN, days, already=0)


@pytest.mark.parametrize("days", [0, 20, 60])
def test_an_extension_of_20_days_or_none_is_refused(days: int) -> None:
    with pytest.raises(ExtensionDaysInvalid) as refused:
        check_extension(OPEN, days, already=0)
    assert refused.value.message_vi == "Mỗi lần gia hạn từ 1 đến 19 ngày"


def test_extensions_together_stay_under_20_days() -> None:
    check_extension(OPEN, 9, already=10)
    with pytest.raises(ExtensionTotalExceeded) as refused:
        check_extension(OPEN, 1, already=19)
    assert refused.value.message_vi == ("Đã gia hạn 19 ngày: tổng số ngày gia hạn phải dưới 20")


def test_a_settlement_with_its_report_in_can_still_be_extended() -> None:
    check_extension(RECEIVED, 5, already=0)


def test_a_closed_settlement_is_not_extended_whatever_the_days() -> None:
    for days in (5, 20):
        with pytest.raises(SettlementAlreadyClosed):
            check_extension(CLOSED, days, already=0)


def test_the_effective_deadline_adds_every_extension() -> None:
    assert effective_deadline(date(2026, 12, 31), 19) == date(2027, 1, 19)
    assert effective_deadline(date(2026, 12, 31), 0) == date(2026, 12, 31)


def test_a_settlement_is_overdue_the_day_after_its_deadline() -> None:
    deadline = date(2026, 12, 31)
    assert not is_overdue(deadline, today=date(2026, 12, 31))
    assert is_overdue(deadline, today=date(2027, 1, 1))


def test_only_an_open_settlement_takes_the_post_offices_report() -> None:
    assert receives_report(OPEN)
    assert not receives_report(RECEIVED)
    assert not receives_report(CLOSED)


CUTOFF = date(2026, 12, 31)
LATER = date(2027, 1, 1)


def test_a_settlement_with_every_result_closes() -> None:
    check_close(RECEIVED, pending=0, rest_unpaid=False, due=CUTOFF, today=LATER)
    check_close(OPEN, pending=0, rest_unpaid=False, due=CUTOFF, today=LATER)


def test_an_open_settlement_closes_only_after_its_cut_off_with_extensions() -> None:
    with pytest.raises(SettlementBeforeCutoff) as refused:
        check_close(OPEN, pending=0, rest_unpaid=True, due=CUTOFF, today=CUTOFF)
    assert refused.value.code == "settlement_before_cutoff"
    assert refused.value.message_vi == (
        "Chưa đến hạn chốt quyết toán (2026-12-31): chờ quyết toán của đơn vị chi trả "
        "hoặc đến sau hạn chốt"
    )
    check_close(OPEN, pending=0, rest_unpaid=True, due=CUTOFF, today=LATER)


def test_a_received_or_hand_kept_settlement_closes_before_the_cut_off() -> None:
    check_close(RECEIVED, pending=0, rest_unpaid=False, due=CUTOFF, today=CUTOFF)
    check_close(OPEN, pending=0, rest_unpaid=False, by_hand=True, due=CUTOFF, today=CUTOFF)


def test_people_without_a_result_block_the_close_unless_counted_as_not_received() -> None:
    with pytest.raises(ResultsIncomplete) as refused:
        check_close(RECEIVED, pending=3, rest_unpaid=False, due=CUTOFF, today=LATER)
    assert refused.value.message_vi == (
        "Còn 3 người chưa có kết quả chi trả: chờ kết quả, hoặc xác nhận coi như chưa nhận"
    )
    check_close(RECEIVED, pending=3, rest_unpaid=True, due=CUTOFF, today=LATER)


def test_a_settlement_closes_once() -> None:
    with pytest.raises(SettlementAlreadyClosed):
        check_close(CLOSED, pending=0, rest_unpaid=True, due=CUTOFF, today=LATER)


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (PaymentUnitNotSet(), 404, "not_found"),
        (PackageNotFound(), 404, "package_not_found"),
        (SettlementNotFound(), 404, "settlement_not_found"),
        (PackageNotStuck("sent"), 409, "package_not_stuck"),
        (SettlementAlreadyClosed(), 409, "settlement_closed"),
        (ResultsIncomplete(2), 409, "results_incomplete"),
        (SettlementBeforeCutoff("2026-12-31"), 409, "settlement_before_cutoff"),
        (ExtensionDaysInvalid(), 422, "extension_days_invalid"),
        (ExtensionTotalExceeded(10), 422, "extension_total_exceeded"),
    ],
)
def test_each_refusal_answers_the_status_and_code_it_always_had(
    error: DomainError, status: int, code: str
) -> None:
    problem = domain_problem(error)
    assert (problem.status, problem.code, problem.detail) == (status, code, error.message_vi)
    assert problem.errors == []
