from uuid import uuid4

import pytest
from btxh_common.chunks import (
    ChunkMissing,
    ChunkOutOfRange,
    ManifestMismatch,
    assemble,
    digest,
    split,
)


def rows(n: int) -> list[dict[str, object]]:
    return [
        {"row_no": i, "national_id": f"{i:012d}", "amount": 500_000 + i, "name": "Nguyễn Văn Á"}
        for i in range(n)
    ]


def test_split_makes_numbered_chunks_of_at_most_1000_rows_and_a_manifest() -> None:
    data = rows(2_501)
    chunks, manifest = split(data, uuid4(), amount_field="amount")
    assert [len(c.rows) for c in chunks] == [1000, 1000, 501]
    assert [c.seq for c in chunks] == [0, 1, 2]
    assert manifest.chunk_count == 3
    assert manifest.row_count == 2_501
    assert manifest.total_amount == sum(r["amount"] for r in data)  # type: ignore[misc]
    assert manifest.sha256 == digest(data)


def test_out_of_order_and_duplicated_chunks_assemble_to_the_original_rows() -> None:
    data = rows(3_000)
    chunks, manifest = split(data, uuid4(), amount_field="amount")
    received: dict[int, list[dict[str, object]]] = {}
    for chunk in [chunks[2], chunks[0], chunks[2], chunks[1], chunks[0]]:
        received.setdefault(chunk.seq, chunk.rows)
    assert assemble(manifest, received) == data


def test_a_missing_chunk_is_reported_by_number() -> None:
    chunks, manifest = split(rows(3_000), uuid4())
    with pytest.raises(ChunkMissing) as err:
        assemble(manifest, {0: chunks[0].rows, 2: chunks[2].rows})
    assert err.value.missing == [1]


def test_a_changed_row_fails_the_checksum() -> None:
    data = rows(1_500)
    chunks, manifest = split(data, uuid4(), amount_field="amount")
    tampered = [dict(r) for r in chunks[1].rows]
    tampered[3]["name"] = "Nguyen Van A"
    with pytest.raises(ManifestMismatch, match="SHA-256"):
        assemble(manifest, {0: chunks[0].rows, 1: tampered})


def test_a_changed_amount_fails_the_total() -> None:
    data = rows(10)
    chunks, manifest = split(data, uuid4(), amount_field="amount")
    tampered = [dict(r) for r in chunks[0].rows]
    tampered[0]["amount"] = 1
    with pytest.raises(ManifestMismatch, match="total amount"):
        assemble(manifest, {0: tampered})


def test_a_chunk_beyond_the_manifest_is_refused() -> None:
    chunks, manifest = split(rows(10), uuid4())
    with pytest.raises(ChunkOutOfRange):
        assemble(manifest, {0: chunks[0].rows, 7: []})


def test_amounts_must_be_integers() -> None:
    with pytest.raises(TypeError):
        split([{"amount": 1.5}], uuid4(), amount_field="amount")


def test_an_empty_transfer_has_no_chunks_and_assembles_to_nothing() -> None:
    chunks, manifest = split([], uuid4())
    assert chunks == []
    assert assemble(manifest, {}) == []
