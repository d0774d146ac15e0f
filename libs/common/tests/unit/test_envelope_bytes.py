"""An envelope's bytes on the bus are pydantic's ``model_dump_json`` whatever writes them:
a chunk's rows of plain JSON values are written by orjson (and not dumped once more when the
chunk is wrapped), which must give exactly the same bytes and the same payload."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from btxh_common.chunks import split
from btxh_common.envelope import Envelope
from btxh_common.events import PaymentListSubmittedChunk
from btxh_common.outbox import _dumped
from btxh_common.postoffice import PackageChunk

ROWS: list[list[dict[str, Any]]] = [
    [
        {
            "line_id": "0b7e5f0e-4f3a-4c1e-9d59-6c9a1f1e2d3c",
            "full_name": 'Nguyễn Thị Ánh Tuyết \x00\x1f\x7f \u2028 🇻🇳 "q" \\',
            "bank_account": None,
            "amount": 1_080_000,
            "ok": True,
        },
        {"line_id": "x", "amount": 2**64 - 1, "min": -(2**63), "nested": [1, {"z": [None]}]},
    ],
    [{"big": 2**64, "amount": 1}],  # beyond 64 bits: pydantic's own writing
    [{"coefficient": 1e-7, "nan": float("nan"), "amount": 1}],  # floats: pydantic's own
    [{"tuple": ("a", 1), "deductions": [{"recovery_id": "r", "amount": 5}]}],
]


def wrapped(payload: Any, dumped: dict[str, Any] | None) -> Envelope:
    return Envelope.wrap(payload, producer="p", district_code="001", dumped=dumped)


@pytest.mark.parametrize("rows", ROWS, ids=range(len(ROWS)))
def test_bytes_are_pydantics(rows: list[dict[str, Any]]) -> None:
    for part in split(rows, UUID(int=7))[0]:
        for payload in (
            PaymentListSubmittedChunk(chunk=part),
            PackageChunk(package_id=UUID(int=1), version=2, chunk=part),
        ):
            envelope = wrapped(payload, _dumped(payload, part))
            assert envelope.to_bytes() == envelope.model_dump_json().encode()
            again = wrapped(payload, None)
            assert envelope.model_dump_json(exclude={"event_id", "occurred_at"}) == (
                again.model_dump_json(exclude={"event_id", "occurred_at"})
            )
            assert Envelope.from_bytes(envelope.to_bytes()).to_bytes() == envelope.to_bytes()


def test_rows_not_plain_are_dumped_by_pydantic() -> None:
    part = split([{"coefficient": 1.5}], UUID(int=7))[0][0]
    assert _dumped(PaymentListSubmittedChunk(chunk=part), part) is None
