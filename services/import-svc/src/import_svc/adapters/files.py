"""The SQL of uploaded files: each stored in parts of ``PART_BYTES`` from its spooled copy and
written back to disk part by part for the reading child, never held whole in memory."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import IO
from uuid import UUID

import asyncpg

PART_BYTES = 256 * 1024


async def store(conn: asyncpg.Connection, batch: UUID, source: Path) -> None:
    """The file at ``source`` as the upload file of ``batch`` (its row already written)."""
    with source.open("rb") as f:
        seq = 0
        while part := await asyncio.to_thread(f.read, PART_BYTES):
            await conn.execute(
                "INSERT INTO upload_file_part (batch_id, seq, data) VALUES ($1, $2, $3)",
                batch,
                seq,
                part,
            )
            seq += 1


async def write_to(conn: asyncpg.Connection, batch: UUID, target: IO[bytes]) -> None:
    """The upload file of ``batch`` written to ``target``, part by part (a file stored whole
    before parts existed, in ``upload_file.content``, is written at once)."""
    whole = await conn.fetchval(
        "SELECT content FROM upload_file WHERE batch_id = $1 AND content IS NOT NULL", batch
    )
    if whole is not None:
        await asyncio.to_thread(target.write, whole)
    seq = 0
    while (
        part := await conn.fetchval(
            "SELECT data FROM upload_file_part WHERE batch_id = $1 AND seq = $2", batch, seq
        )
    ) is not None:
        await asyncio.to_thread(target.write, part)
        seq += 1
    await asyncio.to_thread(target.flush)
