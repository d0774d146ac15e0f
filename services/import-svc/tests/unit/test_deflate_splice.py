"""A deflate stream's end changed in place: whatever the stream's blocks and wherever the
boundary falls in a byte, the result inflates (by the standard zlib) to the patched content,
with the CRC-32 and the size of that content."""

from __future__ import annotations

import random
import zlib

import pytest
from import_svc.adapters import deflate_splice

TAIL = 64 * 1024


def _content(size: int, seed: int) -> bytes:
    rng = random.Random(seed)
    rows = b"".join(
        f'<row r="{n}"><c>{rng.random():.6f}</c><t>Nguyễn {n % 97}</t></row>'.encode()
        for n in range(size // 45)
    )
    return rows + b"</sheetData><pageMargins/></worksheet>"


def _patch(xml: bytes) -> bytes:
    at = xml.index(b"</sheetData>") + len(b"</sheetData>")
    return xml[:at] + b"<dataValidations/>" + xml[at:]


@pytest.mark.skipif(not deflate_splice.available(), reason="no loadable zlib")
@pytest.mark.parametrize("size", [0, 3_000, 70_000, 400_000, 2_000_000])
@pytest.mark.parametrize("level", [1, 6, 9])
def test_the_patched_stream_inflates_to_the_patched_content(size: int, level: int) -> None:
    content = _content(size, size + level)
    deflater = zlib.compressobj(level, zlib.DEFLATED, -15)
    stream = deflater.compress(content) + deflater.flush()
    spliced, crc, length = deflate_splice.splice(stream, TAIL, _patch, 2)
    expected = _patch(content)
    assert zlib.decompress(spliced, -15) == expected
    assert (crc, length) == (zlib.crc32(expected), len(expected))
    if size >= 400_000:  # several blocks: the first ones are kept as they were
        assert spliced[:1000] == stream[:1000]


@pytest.mark.skipif(not deflate_splice.available(), reason="no loadable zlib")
def test_a_cut_stream_is_an_error() -> None:
    content = _content(200_000, 1)
    deflater = zlib.compressobj(6, zlib.DEFLATED, -15)
    stream = deflater.compress(content) + deflater.flush()
    with pytest.raises(zlib.error):
        deflate_splice.splice(stream[: len(stream) // 2], TAIL, _patch, 2)
