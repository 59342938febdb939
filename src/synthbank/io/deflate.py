"""Deflate once, use twice: byte-aligned raw-deflate segments.

A segment is raw deflate (no header) of one piece of data, ended by a sync flush so it is
byte-aligned and not final. Segments from independent compressors concatenate into one
valid deflate stream once :data:`FINAL_BLOCK` is appended. So workers compress pieces in
parallel, and the same bytes serve as an HDF5 deflate-filter chunk (a zlib stream) and as
part of a zip (npz) member. Output depends only on the data, level and zlib version.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

#: An empty fixed-Huffman block with BFINAL set: ends a stream of sync-flushed segments.
FINAL_BLOCK = b"\x03\x00"
#: zlib header: deflate, 32 KiB window, no dictionary (0x7801 % 31 == 0).
ZLIB_HEADER = b"\x78\x01"


def segment(data: bytes | memoryview, level: int) -> bytes:
    """Raw-deflate ``data`` with a fresh compressor and a sync flush (not final)."""
    comp = zlib.compressobj(level, zlib.DEFLATED, -15)
    return comp.compress(data) + comp.flush(zlib.Z_SYNC_FLUSH)


def zlib_stream(segments: Iterable[bytes], adler: int) -> bytes:
    """A complete zlib stream (what HDF5's deflate filter stores) from segments.

    ``adler`` is the Adler-32 of the uncompressed bytes of all segments, in order.
    """
    return ZLIB_HEADER + b"".join(segments) + FINAL_BLOCK + adler.to_bytes(4, "big")
