"""The rules of a move to another area (chuyển địa bàn), on plain records; the refusals keep
their codes and HTTP statuses."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest
from beneficiary_svc.domain.errors import (
    BeneficiaryDeceased,
    BeneficiaryRemoved,
    EffectiveMonthInvalid,
    NoChange,
)
from beneficiary_svc.domain.moves import (
    DistrictUnknown,
    MoveDecided,
    MoveNotFound,
    MoveNotReceiver,
    MoveNotSender,
    MovePending,
    MoveSameDistrict,
    check_movable,
    moved,
)
from beneficiary_svc.domain.register import Beneficiary
from btxh_common.errors import DomainError
from btxh_common.problems import domain_problem

JAN, MAR = date(2026, 1, 1), date(2026, 3, 1)


def someone(**fields: object) -> Beneficiary:
    values: dict[str, object] = {
        "id": uuid4(),
        "district_code": "001",
        "commune_code": "00001",
        "full_name": "Nguyễn Văn A",
        "allowance_start_month": JAN,
        "version": 3,
        **fields,
    }
    return Beneficiary(**values)  # type: ignore[arg-type]


def test_a_move_to_another_district_changes_district_and_commune_and_the_version() -> None:
    after, changed = moved(someone(), "002", "00037")
    assert (after.district_code, after.commune_code, after.version) == ("002", "00037", 4)
    assert changed == ["district_code", "commune_code"]


def test_a_move_within_the_district_changes_only_the_commune() -> None:
    after, changed = moved(someone(), "001", "00004")
    assert (after.district_code, after.commune_code, changed) == ("001", "00004", ["commune_code"])


def test_a_move_to_the_commune_the_person_lives_in_is_no_change() -> None:
    with pytest.raises(NoChange):
        moved(someone(), "001", "00001")


@pytest.mark.parametrize(
    ("record", "month", "last", "refusal"),
    [
        (someone(status="deceased"), MAR, None, BeneficiaryDeceased),
        (someone(status="removed"), MAR, None, BeneficiaryRemoved),
        (someone(allowance_start_month=MAR), JAN, None, EffectiveMonthInvalid),
        (someone(), MAR, MAR, EffectiveMonthInvalid),
    ],
)
def test_a_move_is_refused_for_the_dead_the_removed_and_months_out_of_order(
    record: Beneficiary, month: date, last: date | None, refusal: type[DomainError]
) -> None:
    with pytest.raises(refusal):
        check_movable(record, month, last)


def test_a_move_after_the_last_one_from_the_start_month_on_is_allowed() -> None:
    check_movable(someone(status="suspended"), MAR, JAN)


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (MovePending(), 409, "move_pending"),
        (MoveNotFound(), 404, "move_not_found"),
        (MoveDecided(), 409, "move_decided"),
        (MoveNotReceiver(), 403, "move_not_receiver"),
        (MoveNotSender(), 403, "move_not_sender"),
        (MoveSameDistrict(), 422, "move_same_district"),
        (DistrictUnknown(), 422, "district_unknown"),
    ],
)
def test_each_move_refusal_answers_its_status_and_code_in_vietnamese(
    error: DomainError, status: int, code: str
) -> None:
    problem = domain_problem(error)
    assert (problem.status, problem.code) == (status, code)
    assert not error.message_vi.isascii()  # Vietnamese, with its diacritics
