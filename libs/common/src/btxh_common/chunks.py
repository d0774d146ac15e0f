"""Chunked transfer of large row sets: numbered chunks of at most 1,000 rows plus a manifest.

The receiver hands rows over only when it holds every chunk and the manifest's row count,
total amount and SHA-256 over the canonical rows all match. Chunks may arrive in any order
and more than once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from btxh_common import jsonfast
from btxh_common.bounds import MAX_TOTAL

MAX_CHUNK_ROWS = 1000

Row = dict[str, Any]


class TransferChunk(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    transfer_id: UUID
    seq: int = Field(ge=0)
    rows: list[Row]


class Manifest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    transfer_id: UUID
    chunk_count: int = Field(ge=0)
    row_count: int = Field(ge=0)
    total_amount: int = Field(ge=0, le=MAX_TOTAL)
    amount_field: str | None = Field(default=None, max_length=64)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class TransferError(Exception):
    """Base: the transfer cannot be handed over as it stands."""

    code = "transfer_error"


class ChunkMissing(TransferError):
    code = "chunk_missing"

    def __init__(self, missing: Sequence[int]) -> None:
        self.missing = list(missing)
        super().__init__(f"missing chunks: {self.missing}")


class ChunkOutOfRange(TransferError):
    code = "chunk_out_of_range"


class ManifestMismatch(TransferError):
    """Row count, total amount or checksum differ from the manifest."""

    code = "manifest_mismatch"


def canonical_row(row: Mapping[str, Any]) -> bytes:
    """One row as canonical JSON: sorted keys, no spaces, UTF-8 kept as is — the bytes of
    ``json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``."""
    return jsonfast.dumps(row, sort_keys=True)


def digest(rows: Iterable[Mapping[str, Any]]) -> str:
    h = hashlib.sha256()
    rows = rows if isinstance(rows, list) else list(rows)
    # one walk over all rows decides whether orjson alone writes each of them
    encode = jsonfast.sorted_plain if jsonfast.plain(rows) else canonical_row
    for row in rows:
        h.update(encode(row))
        h.update(b"\n")
    return h.hexdigest()


def total(rows: Iterable[Mapping[str, Any]], amount_field: str | None) -> int:
    if amount_field is None:
        return 0
    amount = 0
    for row in rows:
        value = row.get(amount_field) or 0
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{amount_field} must be an integer amount, got {value!r}")
        amount += value
    return amount


def split(
    rows: Sequence[Row],
    transfer_id: UUID,
    *,
    amount_field: str | None = None,
    chunk_size: int = MAX_CHUNK_ROWS,
    sha256: str | None = None,
) -> tuple[list[TransferChunk], Manifest]:
    """The rows in chunks and their manifest; ``sha256``: the rows' ``digest`` when the
    caller holds it, verified (a transfer just received whole), else computed here."""
    if not 0 < chunk_size <= MAX_CHUNK_ROWS:
        raise ValueError(f"chunk_size must be 1..{MAX_CHUNK_ROWS}")
    chunks = [
        TransferChunk(transfer_id=transfer_id, seq=i, rows=list(rows[start : start + chunk_size]))
        for i, start in enumerate(range(0, len(rows), chunk_size))
    ]
    manifest = Manifest(
        transfer_id=transfer_id,
        chunk_count=len(chunks),
        row_count=len(rows),
        total_amount=total(rows, amount_field),
        amount_field=amount_field,
        sha256=digest(rows) if sha256 is None else sha256,
    )
    return chunks, manifest


def missing_chunks(manifest: Manifest, have: Iterable[int]) -> list[int]:
    return sorted(set(range(manifest.chunk_count)) - set(have))


def assemble(manifest: Manifest, chunks: Mapping[int, Sequence[Row]]) -> list[Row]:
    """All rows in order, or a ``TransferError`` saying what is wrong."""
    extra = sorted(seq for seq in chunks if not 0 <= seq < manifest.chunk_count)
    if extra:
        raise ChunkOutOfRange(f"chunks {extra} are outside 0..{manifest.chunk_count - 1}")
    missing = missing_chunks(manifest, chunks)
    if missing:
        raise ChunkMissing(missing)
    rows = [row for seq in range(manifest.chunk_count) for row in chunks[seq]]
    if len(rows) != manifest.row_count:
        raise ManifestMismatch(f"row count {len(rows)} != manifest {manifest.row_count}")
    amount = total(rows, manifest.amount_field)
    if amount != manifest.total_amount:
        raise ManifestMismatch(f"total amount {amount} != manifest {manifest.total_amount}")
    if digest(rows) != manifest.sha256:
        raise ManifestMismatch("SHA-256 over the rows does not match the manifest")
    return rows
