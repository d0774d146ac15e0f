"""Every text column of an import has a length bound (issue 16): a row with a longer text is
invalid, so it never reaches an event, and its finding repeats only the text's start."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid4

import pytest
from btxh_common.chunks import MAX_CHUNK_ROWS, split
from btxh_common.envelope import Envelope
from btxh_common.events import ImportConfirmedChunk
from btxh_common.outbox import MAX_EVENT_BYTES
from import_svc.api import RowEdit
from import_svc.domain.columns import Kind
from import_svc.domain.findings import Checked, Identity
from import_svc.domain.kinds import MAX_CHARS
from import_svc.domain.rows import confirmed_row
from import_svc.domain.validation import validate
from pydantic import ValidationError

THIS_MONTH = date(2026, 11, 1)
KNOWN = "001085012345"
REGISTER = {
    KNOWN: [
        Identity(
            beneficiary_id="b-1",
            national_id=KNOWN,
            commune_code="00101",
            full_name="Nguyễn Văn An",
            status="active",
            birth_date=date(1985, 3, 2),
            gender="male",
        )
    ]
}


def check(kind: Kind, **values: Any) -> Checked:
    given = {"national_id": KNOWN, "commune_code": "00101", **values}
    if kind == "policy":
        given.setdefault("change_type", "Điều chỉnh")
    (checked,) = validate(kind, [{"row_no": 2, "values": given, "flags": {}}], REGISTER, THIS_MONTH)
    return checked


def test_an_address_of_100k_characters_makes_the_row_invalid_and_is_not_echoed() -> None:
    checked = check("info", address="Thôn Đông " * 10_000)
    assert checked.status == "invalid"
    (error,) = checked.errors
    assert (error["field"], error["code"], error["value"]) == ("address", "text_too_long", None)
    assert error["message_vi"] == (
        "Dòng 2, cột H «Địa chỉ»: nội dung dài hơn 300 ký tự, giới hạn của cột; "
        "hãy rút gọn rồi kiểm tra lại"
    )
    assert checked.values["address"] == ("Thôn Đông " * 31)[:301], "kept only past its bound"


def test_a_cut_text_is_still_refused_when_the_row_is_validated_again() -> None:
    first = check("info", bank_name="N" * (5 * 1024 * 1024))
    assert len(first.values["bank_name"]) == 201
    again = check("info", bank_name=first.values["bank_name"])
    assert [(e["field"], e["code"]) for e in again.errors] == [("bank_name", "text_too_long")]
    assert "cột K «Ngân hàng»: nội dung dài hơn 200 ký tự" in again.errors[0]["message_vi"]


def test_an_address_of_300_characters_is_accepted() -> None:
    assert check("info", address="a" * 300).status == "valid"


@pytest.mark.parametrize(
    ("kind", "key", "longest"),
    [
        ("info", "address", 300),
        ("info", "phone", 20),
        ("info", "bank_account", 34),
        ("info", "bank_name", 200),
        ("policy", "category", 50),
        ("policy", "decision_no", 100),
    ],
)
def test_each_text_column_refuses_one_character_over_its_bound(
    kind: Kind, key: str, longest: int
) -> None:
    assert (key, "text_too_long") not in codes(check(kind, **{key: "1" * longest}))
    assert (key, "text_too_long") in codes(check(kind, **{key: "1" * (longest + 1)}))


def test_a_column_without_its_own_bound_holds_at_most_300_characters() -> None:
    checked = check("info", beneficiary_id="x" * 301)
    assert ("beneficiary_id", "text_too_long") in codes(checked)


def codes(checked: Checked) -> set[tuple[str, str]]:
    return {(e["field"], e["code"]) for e in checked.errors}


@pytest.mark.parametrize("kind", ["info", "policy"])
def test_a_chunk_of_1000_rows_with_every_text_at_its_bound_fits_in_one_event(kind: Kind) -> None:
    # Three UTF-8 bytes a character, the most Vietnamese text takes.
    widest = {key: "ệ" * n for key, n in MAX_CHARS.items()}
    values = {
        **widest,
        "national_id": KNOWN,
        "change_type": "Điều chỉnh",
        "birth_date": "1985-03-02",
        "gender": "female",
        "effective_month": "2026-11",
        "decision_date": "2026-10-30",
        "death_date": "2026-10-01",
    }
    staged = {"row_no": 1_000_000, "beneficiary_id": str(uuid4()), "values": values}
    rows = [confirmed_row(kind, staged) for _ in range(MAX_CHUNK_ROWS)]
    assert len(rows[0]["address" if kind == "info" else "decision_no"]) > 99
    chunks, _ = split(rows, uuid4())
    (chunk,) = chunks
    event = Envelope.wrap(
        ImportConfirmedChunk(chunk=chunk),
        producer="import-svc",
        district_code="001",
        correlation_id=str(uuid4()),
    )
    assert len(event.to_bytes()) < MAX_EVENT_BYTES


def test_a_row_edit_refuses_a_text_over_300_characters_and_an_overlong_key() -> None:
    assert RowEdit.model_validate({"values": {"address": "a" * 300}}).values["address"]
    for values in ({"address": "a" * 301}, {"k" * 65: "a"}):
        with pytest.raises(ValidationError) as refused:
            RowEdit.model_validate({"values": values})
        assert refused.value.errors()[0]["type"] == "string_too_long"
