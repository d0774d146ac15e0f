"""A request pydantic refuses is answered in Vietnamese only: no pydantic English in
``message_vi`` (issue 17)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from btxh_common.problems import _invalid_message
from pydantic import BaseModel, ConfigDict, Field, ValidationError


class Form(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["arrears", "info", "policy"]
    district: Annotated[str, Field(pattern=r"^\d{3}$")]
    amount: Annotated[int, Field(ge=0)]
    day: date
    batch: UUID
    name: Annotated[str, Field(max_length=5)]
    needed: str


def messages(**given: object) -> dict[str, str]:
    try:
        Form.model_validate(given)
    except ValidationError as invalid:
        return {".".join(map(str, e["loc"])): _invalid_message(e) for e in invalid.errors()}
    raise AssertionError("the form was accepted")


def test_every_refusal_of_a_form_is_said_in_vietnamese() -> None:
    found = messages(
        kind="other",
        district="12",
        amount=-1,
        day="hôm qua",
        batch="x",
        name="Nguyễn Văn An",
        extra=1,
    )
    assert found == {
        "kind": "Giá trị không hợp lệ: phải là một trong 'arrears', 'info' hoặc 'policy'",
        "district": "Giá trị không hợp lệ: không đúng định dạng",
        "amount": "Giá trị không hợp lệ: phải ≥ 0",
        "day": "Giá trị không hợp lệ: phải là ngày (YYYY-MM-DD)",
        "batch": "Giá trị không hợp lệ: phải là mã UUID",
        "name": "Giá trị không hợp lệ: dài quá mức cho phép (tối đa 5)",
        "needed": "Giá trị không hợp lệ: thiếu trường bắt buộc",
        "extra": "Giá trị không hợp lệ: trường không được phép",
    }


def test_a_wrong_type_is_said_in_vietnamese_too() -> None:
    found = messages(
        kind="info", district="001", amount="nhiều", day=[], batch=1, name=5, needed=None
    )
    assert found["amount"] == "Giá trị không hợp lệ: phải là số nguyên"
    assert found["needed"] == "Giá trị không hợp lệ: phải là chuỗi ký tự"
    for text in found.values():
        assert not any(w in text for w in ("Input", "should", "Field", "valid "))
