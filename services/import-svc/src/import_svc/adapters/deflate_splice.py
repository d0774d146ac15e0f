"""A raw deflate stream with the end of its content changed, without deflating it all again.

A deflate stream is a series of blocks, each one decodable given the 32 KiB of content before
it. The stream is inflated once by zlib with ``Z_BLOCK`` (which stops at every block boundary
and tells the bit where it is: Python's zlib module does not expose it, so zlib is called
through ctypes); the blocks that end before the content's last ``tail`` bytes are kept as
they are, bit for bit; the content from the last such boundary on is patched and deflated
again (primed with the 32 KiB before it, so its back-references reach as far as before), as
the stream's final block(s), shifted onto the kept bits. The result is a standard deflate
stream of the patched content.

Memory: the compressed stream, plus the content from the boundary kept to the end (a block
or two, plus ``tail`` and 32 KiB), never the whole content.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import zlib
from collections.abc import Callable

from zlib_ng import zlib_ng

_WINDOW = 32 * 1024
_OUT = 256 * 1024
_Z_OK, _Z_STREAM_END, _Z_BLOCK = 0, 1, 5
_AT_BOUNDARY, _IN_LAST_BLOCK = 128, 64


class _ZStream(ctypes.Structure):
    _fields_ = [  # zlib.h's z_stream
        ("next_in", ctypes.c_void_p),
        ("avail_in", ctypes.c_uint),
        ("total_in", ctypes.c_ulong),
        ("next_out", ctypes.c_void_p),
        ("avail_out", ctypes.c_uint),
        ("total_out", ctypes.c_ulong),
        ("msg", ctypes.c_char_p),
        ("state", ctypes.c_void_p),
        ("zalloc", ctypes.c_void_p),
        ("zfree", ctypes.c_void_p),
        ("opaque", ctypes.c_void_p),
        ("data_type", ctypes.c_int),
        ("adler", ctypes.c_ulong),
        ("reserved", ctypes.c_ulong),
    ]


def _load() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("z")
    if name is None:
        return None
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return None
    lib.zlibVersion.restype = ctypes.c_char_p
    lib.inflateInit2_.argtypes = [
        ctypes.POINTER(_ZStream),
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
    ]
    lib.inflate.argtypes = [ctypes.POINTER(_ZStream), ctypes.c_int]
    lib.inflateEnd.argtypes = [ctypes.POINTER(_ZStream)]
    return lib


_ZLIB = _load()


def available() -> bool:
    """Whether zlib could be loaded (else the caller deflates the whole content again)."""
    return _ZLIB is not None


def splice(
    stream: bytes, tail: int, patch: Callable[[bytes], bytes], level: int
) -> tuple[bytes, int, int]:
    """The raw deflate ``stream`` with its content's end (at least the last ``tail`` bytes)
    replaced by ``patch`` of it, deflated at ``level`` by zlib-ng; returns the new stream,
    the CRC-32 and the length of its content."""
    if _ZLIB is None:
        raise RuntimeError("zlib is not loadable")
    z = _ZStream()
    if _ZLIB.inflateInit2_(ctypes.byref(z), -15, _ZLIB.zlibVersion(), ctypes.sizeof(z)) != _Z_OK:
        raise zlib.error("inflateInit2 failed")
    source = ctypes.create_string_buffer(stream, len(stream))
    out = ctypes.create_string_buffer(_OUT)
    z.next_in, z.avail_in = ctypes.addressof(source), len(stream)
    kept_bit = kept_at = 0  # the boundary the blocks before are kept to: bit, content offset
    later: list[tuple[int, int]] = []  # boundaries after it, not yet far enough from the end
    window = bytearray()  # the content from ``start`` on
    start = crc = 0  # crc: of the content before ``start``
    try:
        while True:
            z.next_out, z.avail_out = ctypes.addressof(out), _OUT
            code = _ZLIB.inflate(ctypes.byref(z), _Z_BLOCK)
            window += ctypes.string_at(out, _OUT - z.avail_out)
            if code == _Z_STREAM_END:
                break
            if code != _Z_OK or (z.avail_in == 0 and z.avail_out == _OUT):
                raise zlib.error(f"inflate: {code} ({z.msg!r})")
            if z.data_type & _AT_BOUNDARY and not z.data_type & _IN_LAST_BLOCK:
                later.append((z.total_in * 8 - (z.data_type & 7), z.total_out))
            while later and later[0][1] <= z.total_out - tail:
                kept_bit, kept_at = later.pop(0)
            if kept_at - _WINDOW > start:  # what is before the dictionary is done with
                drop = kept_at - _WINDOW - start
                crc = zlib.crc32(memoryview(window)[:drop], crc)
                del window[:drop]
                start += drop
    finally:
        _ZLIB.inflateEnd(ctypes.byref(z))
    while later and later[0][1] <= z.total_out - tail:
        kept_bit, kept_at = later.pop(0)
    if z.avail_in:
        raise zlib.error("data after the end of the deflate stream")
    kept = kept_at - start
    crc = zlib.crc32(memoryview(window)[:kept], crc)
    patched = patch(bytes(window[kept:]))
    deflater = zlib_ng.compressobj(
        level,
        zlib_ng.DEFLATED,
        -zlib_ng.MAX_WBITS,
        zdict=bytes(window[max(0, kept - _WINDOW) : kept]),
    )
    rest = deflater.compress(patched) + deflater.flush()
    return _joined(stream, kept_bit, rest), zlib.crc32(patched, crc), kept_at + len(patched)


def _joined(stream: bytes, bit: int, rest: bytes) -> bytes:
    """The first ``bit`` bits of ``stream``, an empty stored block that brings the stream to a
    byte boundary (as zlib's sync flush does), then ``rest`` (bits fill each byte from its
    least significant one)."""
    whole, shift = divmod(bit, 8)
    head = stream[:whole]
    if shift:  # the last bits kept; the stored block's 3 header bits (zero) follow them
        head += bytes([stream[whole] & ((1 << shift) - 1)])
    if shift == 0 or shift > 5:  # the header starts, or ends, in a byte of its own
        head += b"\0"
    return head + b"\x00\x00\xff\xff" + rest
