"""The in-upload duplicate index (IDs only) an upload read chunk by chunk is checked against:
a duplicate is found whichever chunk its rows come in, an earlier row is named for a second
look when a later chunk brings its ID again, and a refused file counts for nothing."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date

import pytest
from import_svc.domain.duplicates import UploadIds, _Counts
from import_svc.domain.findings import Checked, Identity
from import_svc.domain.validation import validate

A, B, C = "001085000001", "001085000002", "001085000003"
KNOWN = {
    i: [
        Identity(
            beneficiary_id=f"b-{i}",
            national_id=i,
            commune_code="00004",
            full_name="An",
            status="active",
        )
    ]
    for i in (A, B, C)
}


def rows(*ids: str, start: int = 2) -> list[dict[str, object]]:
    return [
        {
            "row_no": start + n,
            "values": {"national_id": i, "arrears_amount": 100_000, "arrears_period": "10/2026"},
        }
        for n, i in enumerate(ids)
    ]


def codes(checked: list[Checked]) -> list[list[str]]:
    """The errors on the ID of each row (the other fields are not what is tested here)."""
    return [[e["code"] for e in c.errors if e["field"] == "national_id"] for c in checked]


def test_a_duplicate_across_chunks_is_an_error_on_the_later_row_and_the_earlier_is_late() -> None:
    ids = UploadIds()
    first = validate("arrears", rows(A, B), KNOWN, date(2026, 11, 1), None, ids)
    second = validate("arrears", rows(C, A, start=4), KNOWN, date(2026, 11, 1), None, ids)
    ids.keep()
    assert codes(first) == [[], []], "row 2 was alone when it was checked"
    assert codes(second) == [[], ["duplicate_in_file"]]
    assert ids.finish() == [A], "row 2 is to be checked again"
    again = validate("arrears", rows(A), KNOWN, date(2026, 11, 1), None, ids)
    assert codes(again) == [["duplicate_in_file"]]
    assert ids[A] == 2, "checking again counts nothing twice"


def test_a_duplicate_within_one_chunk_needs_no_second_look() -> None:
    ids = UploadIds()
    checked = validate("arrears", rows(A, A), KNOWN, date(2026, 11, 1), None, ids)
    ids.keep()
    assert codes(checked) == [["duplicate_in_file"], ["duplicate_in_file"]]
    assert ids.finish() == []


def test_a_third_row_of_an_id_already_duplicated_adds_nothing_late() -> None:
    ids = UploadIds()
    ids.add(Counter({A: 2}))
    ids.add(Counter({A: 1}))
    ids.keep()
    assert (ids[A], ids.finish()) == (3, [])


def test_the_ids_of_a_refused_file_count_for_nothing() -> None:
    ids = UploadIds()
    ids.add(Counter({A: 1}))
    ids.keep()
    ids.add(Counter({A: 1, B: 1}))  # the second file, refused after this chunk
    ids.drop()
    assert (ids[A], ids[B], ids.finish()) == (1, 0, [])


def test_files_kept_one_after_the_other_add_up() -> None:
    ids = UploadIds()
    ids.add(Counter({A: 1}))
    ids.keep()
    ids.add(Counter({A: 1, None: 3}))
    ids.keep()
    assert (ids[A], ids[None], ids.finish()) == (2, 0, [A])


def test_ids_kept_as_ints_count_as_the_strings_they_are(monkeypatch: pytest.MonkeyPatch) -> None:
    """Leading zeros, lengths, IDs that are not digits, the index made compact (past 5 IDs
    here) and its merges (every 3 keys) change no count: those of a Counter of the same IDs."""
    monkeypatch.setattr(_Counts, "SMALL", 5)
    monkeypatch.setattr(_Counts, "MERGE_AT", 3)
    rng = random.Random(17)
    pool = ["001", "0001", "1", "01", "123456789", "000123456789", "1234567890123", "12a", "١٢٣"]
    pool += [f"{rng.randrange(10**12):012d}" for _ in range(40)]
    files = [[rng.choice(pool) for _ in range(rng.randrange(1, 30))] for _ in range(6)]
    ids, oracle = UploadIds(), Counter[str]()
    for n, file in enumerate(files):
        for start in range(0, len(file), 7):
            ids.add(Counter[str | None](file[start : start + 7]))
        if n == 3:
            ids.drop()
        else:
            ids.keep()
            oracle.update(file)
    assert {i: ids[i] for i in pool} == {i: oracle[i] for i in pool}
