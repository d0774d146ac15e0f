"""The register's refusals keep the codes and HTTP statuses the API has always answered."""

import pytest
from beneficiary_svc.domain.errors import (
    BeneficiaryDeceased,
    BeneficiaryRemoved,
    CommuneNotInDistrict,
    DataLocked,
    EffectiveMonthInvalid,
    InvalidTransition,
    LockNotFound,
    NationalIdInvalid,
    NoChange,
    UnknownCategory,
)
from btxh_common.errors import DomainError
from btxh_common.problems import domain_problem


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (NationalIdInvalid(), 422, "national_id_invalid"),
        (UnknownCategory(), 422, "unknown_category"),
        (CommuneNotInDistrict(), 422, "commune_not_in_district"),
        (EffectiveMonthInvalid(), 422, "effective_month_invalid"),
        (BeneficiaryDeceased(), 409, "beneficiary_deceased"),
        (BeneficiaryRemoved(), 409, "beneficiary_removed"),
        (InvalidTransition(), 409, "invalid_transition"),
        (NoChange(), 409, "no_change"),
        (DataLocked(), 409, "data_locked"),
        (LockNotFound(), 404, "lock_not_found"),
    ],
)
def test_each_refusal_answers_its_status_and_code(
    error: DomainError, status: int, code: str
) -> None:
    problem = domain_problem(error)
    assert (problem.status, problem.code) == (status, code)


def test_a_specific_message_replaces_the_default_and_names_the_field() -> None:
    body = domain_problem(
        UnknownCategory("Mã nhóm không đúng", field="category", value="NOPE")
    ).body()
    assert (body["title"], body["detail"]) == ("Mã nhóm không đúng", "Mã nhóm không đúng")
    assert body["errors"][0]["field"] == "category"
    assert body["errors"][0]["value"] == "NOPE"


def test_the_default_message_is_the_vietnamese_one_officers_know() -> None:
    assert domain_problem(DataLocked()).body()["title"] == (
        "Dữ liệu của tháng đã được chốt: cần mở chốt trước khi thay đổi"
    )
