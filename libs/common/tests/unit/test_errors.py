"""One error vocabulary: each family of domain error becomes one HTTP status, once."""

import pytest
from btxh_common.errors import DomainError, InvalidInput, NotFoundError, NotPermitted, TooLarge
from btxh_common.problems import domain_problem


class ListNotDraft(DomainError):
    code = "list_not_draft"
    message_vi = "Danh sách không còn ở trạng thái nháp"


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (ListNotDraft(), 409),
        (InvalidInput(), 422),
        (TooLarge(), 413),
        (NotFoundError(), 404),
        (NotPermitted(), 403),
    ],
)
def test_each_family_answers_its_status(error: DomainError, status: int) -> None:
    assert domain_problem(error).status == status


def test_the_code_and_the_vietnamese_message_reach_the_caller() -> None:
    body = domain_problem(ListNotDraft()).body()
    assert body["code"] == "list_not_draft"
    assert body["title"] == "Danh sách không còn ở trạng thái nháp"


def test_a_bad_field_is_named_with_its_value() -> None:
    error = InvalidInput("Tháng không hợp lệ", code="month_invalid", field="month", value="13")
    [field] = domain_problem(error).body()["errors"]
    assert field == {
        "field": "month",
        "code": "month_invalid",
        "message_vi": "Tháng không hợp lệ",
        "value": "13",
        "row": None,
    }
