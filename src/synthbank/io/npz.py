"""A deterministic, streaming ``.npz`` writer fed with pre-compressed deflate segments.

``numpy.savez_compressed`` stamps the wall-clock time into every zip entry and compresses
on one core. This writer fixes the entry time to 1980-01-01, always uses Zip64 (as numpy
does), and takes member data as (raw, segment) pairs from :mod:`synthbank.io.deflate` so
compression can happen in worker processes. ``numpy.load`` reads the result.
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import numpy as np

from synthbank.io.deflate import FINAL_BLOCK, segment

_DOS_TIME, _DOS_DATE = 0, (0 << 9) | (1 << 5) | 1  # 1980-01-01 00:00:00
_VERSION = 45  # Zip64
_MAX32 = 0xFFFFFFFF


def npy_header(dtype: np.dtype, shape: tuple[int, ...]) -> bytes:
    """The ``.npy`` format 1.0 header for a C-order array (as ``numpy.save`` writes it)."""
    buf = io.BytesIO()
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(buf, header)
    return buf.getvalue()


class _Member:
    def __init__(self, writer: NpzWriter, name: str, level: int) -> None:
        self._w = writer
        self.name = name.encode()
        self.level = level
        self.offset = writer._f.tell()
        self.crc = 0
        self.raw_size = 0
        self.comp_size = 0
        writer._f.write(self._local_header())

    def _local_header(self) -> bytes:
        extra = struct.pack("<HHQQ", 1, 16, self.raw_size, self.comp_size)
        return struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, _VERSION, 0, 8, _DOS_TIME, _DOS_DATE,
            self.crc, _MAX32, _MAX32, len(self.name), len(extra),
        ) + self.name + extra

    def write(self, raw: bytes | memoryview, seg: bytes | None = None) -> None:
        """Append uncompressed ``raw`` whose deflate segment is ``seg`` (made here if None)."""
        if seg is None:
            seg = segment(raw, self.level)
        self.crc = zlib.crc32(raw, self.crc)
        self.raw_size += len(raw)
        self.comp_size += len(seg)
        self._w._f.write(seg)

    def close(self) -> None:
        f = self._w._f
        f.write(FINAL_BLOCK)
        self.comp_size += len(FINAL_BLOCK)
        end = f.tell()
        f.seek(self.offset)
        f.write(self._local_header())
        f.seek(end)

    def central_record(self) -> bytes:
        extra = struct.pack("<HHQQQ", 1, 24, self.raw_size, self.comp_size, self.offset)
        return struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, _VERSION, _VERSION, 0, 8, _DOS_TIME, _DOS_DATE,
            self.crc, _MAX32, _MAX32, len(self.name), len(extra), 0, 0, 0, 0, _MAX32,
        ) + self.name + extra


class NpzWriter:
    """Write arrays into an ``.npz`` one member at a time, each streamed in pieces.

    Examples
    --------
    >>> with NpzWriter(path) as npz:                       # doctest: +SKIP
    ...     m = npz.begin_array("images", np.uint8, (n, 16, 16))
    ...     for raw, seg in pieces:
    ...         m.write(raw, seg)
    ...     npz.end_array(m)
    """

    def __init__(self, path: str | Path, level: int = 1) -> None:
        self._f: BinaryIO = open(path, "wb")
        self._members: list[_Member] = []
        self.level = level

    def begin_array(self, name: str, dtype: np.dtype, shape: tuple[int, ...]) -> _Member:
        """Start member ``name.npy``; its npy header is written now."""
        member = _Member(self, f"{name}.npy", self.level)
        member.write(npy_header(dtype, shape))
        return member

    def end_array(self, member: _Member) -> None:
        member.close()
        self._members.append(member)

    def add_array(self, name: str, array: np.ndarray) -> None:
        """Write a whole (small) array as one member."""
        array = np.ascontiguousarray(array)
        member = self.begin_array(name, array.dtype, array.shape)
        member.write(memoryview(array).cast("B"))
        self.end_array(member)

    def close(self) -> None:
        f = self._f
        cd_offset = f.tell()
        for m in self._members:
            f.write(m.central_record())
        cd_size = f.tell() - cd_offset
        eocd64 = f.tell()
        n = len(self._members)
        f.write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, _VERSION, _VERSION, 0, 0, n, n, cd_size, cd_offset))
        f.write(struct.pack("<IIQI", 0x07064B50, 0, eocd64, 1))
        f.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, _MAX32, _MAX32, 0))
        f.close()

    def __enter__(self) -> NpzWriter:
        return self

    def __exit__(self, exc_type: type | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if exc_type is None:
            self.close()
        else:
            self._f.close()
