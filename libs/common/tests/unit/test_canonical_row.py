"""The canonical JSON of a chunked transfer's rows (``chunks.canonical_row``): the checksum in
every manifest is taken over these bytes, so whatever writes them must give exactly the
bytes of ``json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``
(the contract the post office and older producers compute the SHA-256 with)."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal
from enum import IntEnum, StrEnum
from typing import Any

import pytest
from btxh_common import jsonfast
from btxh_common.chunks import canonical_row, digest


def contract_bytes(row: Any) -> bytes:
    return json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class Channel(StrEnum):
    CASH = "cash"


class Level(IntEnum):
    DISTRICT = 2


TRICKY: list[dict[str, Any]] = [
    # a line as payment-svc sends it
    {
        "line_id": "0b7e5f0e-4f3a-4c1e-9d59-6c9a1f1e2d3c",
        "beneficiary_id": "5a1b2c3d-0000-4000-8000-000000000001",
        "national_id": "001234567890",
        "full_name": "Nguyễn Thị Ánh Tuyết",
        "commune_code": "00004",
        "payment_channel": "bank",
        "bank_account": None,
        "amount": 1_080_000,
        "allowance": 720_000,
        "arrears": 360_000,
        "carried_over": 0,
        "recovery": 0,
        "kind": "monthly",
    },
    # Vietnamese in keys and values, every tone mark, combining forms, keys out of order
    {"Đặng": "ỳỷỹỵ ẤẦẨẪẬ đĐ", "an": "a\u0301", "Z": 1, "ả": "Ả", "a": "", "é": "e\u0300"},
    # what JSON must escape, and what it must not
    {
        "quote": '"',
        "backslash": "\\",
        "ctl": "\x00\x01\x08\x09\x0a\x0c\x0d\x1f\x7f",
        "sep": "\u2028\u2029",
    },
    {"emoji": "🇻🇳 💸", "bmp_end": "\uffff", "astral": "\U0010ffff", "slash": "a/b"},
    # integers at and beyond 64 bits, booleans (ints in Python) and nulls
    {"max": 2**63 - 1, "min": -(2**63), "u64": 2**64 - 1, "big": 10**30, "neg_big": -(10**25)},
    {"t": True, "f": False, "n": None, "zero": 0, "minus": -1},
    # nested: lists, dicts, tuples, sorted at every depth; dates already written as text
    {
        "z": {"b": [1, {"y": "Huế", "x": None}], "a": ("tuple", 2)},
        "deductions": [
            {"recovery_id": "r-2", "amount": 50_000},
            {"amount": 1, "recovery_id": "r-1"},
        ],
        "arrears_period": date(2026, 10, 1).isoformat(),
        "empty": {"list": [], "dict": {}},
    },
    # floats are written json's way (1e-07, NaN), never orjson's (1e-7, null)
    {"coefficient": 1.5, "small": 1e-7, "large": 1e16, "nan": float("nan"), "inf": float("inf")},
    {"nested_float": [{"c": 0.1 + 0.2}]},
    # subclasses of str and int are written json's way
    {"channel": Channel.CASH, "level": Level.DISTRICT},
    # keys that are not strings: json writes them as text
    {1: "one", 2: "two"},
    {"nested": {3: "x"}},
]


@pytest.mark.parametrize("row", TRICKY, ids=range(len(TRICKY)))
def test_canonical_row_is_byte_identical_to_the_contracts_json(row: dict[str, Any]) -> None:
    assert canonical_row(row) == contract_bytes(row)


def test_known_bytes_written_by_hand() -> None:
    row = {"b": 2**64, "a": "Việt Nam", "c": [None, True]}
    assert (
        canonical_row(row) == '{"a":"Việt Nam","b":18446744073709551616,"c":[null,true]}'.encode()
    )
    assert canonical_row({"x": "tab\there", "y": "\x1f"}) == b'{"x":"tab\\there","y":"\\u001f"}'


def test_every_character_is_written_as_the_contract_writes_it() -> None:
    text = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    assert canonical_row({"all": text}) == contract_bytes({"all": text})


def test_digest_is_the_sha256_of_the_canonical_rows_one_per_line() -> None:
    rows = TRICKY[:7]
    expected = hashlib.sha256(b"".join(contract_bytes(r) + b"\n" for r in rows)).hexdigest()
    assert digest(rows) == expected


@pytest.mark.parametrize(
    "row",
    [{"on": date(2026, 11, 1)}, {"n": Decimal("1.5")}, {"nested": [{"on": date(2026, 1, 1)}]}],
)
def test_what_the_contract_cannot_write_is_still_refused(row: dict[str, Any]) -> None:
    """orjson would write a date; the canonical form never did, so it still refuses."""
    with pytest.raises(TypeError):
        canonical_row(row)


@pytest.mark.parametrize("row", TRICKY[:9], ids=range(9))
def test_unsorted_json_is_the_standard_librarys_too(row: dict[str, Any]) -> None:
    expected = json.dumps(row, separators=(",", ":"), ensure_ascii=False).encode()
    assert jsonfast.dumps(row) == expected
    assert jsonfast.dumps([row, row]) == b"[" + expected + b"," + expected + b"]"


@pytest.mark.parametrize(
    "text",
    [
        '[{"a": 18446744073709551616, "b": -9223372036854775809, "c": 1.5e-7}]',
        '{"big": 123456789012345678901234567890, "s": "1234567890123456789012"}',
        "[NaN, Infinity, -Infinity, 1e400, -0.0, 0.1]",
        '{"dup": 1, "dup": 2, "name": "Nguyễn Văn Á \\u0000 \\ud83c\\uddfb"}',
        '{"lone": "\\ud800"}',
        '[{"line_id": "0b7e5f0e", "amount": 1080000, "bank_account": null, "ok": true}]',
    ],
)
def test_read_values_are_the_standard_librarys(text: str) -> None:
    got, expected = jsonfast.loads(text), json.loads(text)
    assert repr(got) == repr(expected)  # repr: NaN != NaN, and 1 == 1.0 would hide a float
