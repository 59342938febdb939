"""Which HDF5 library version can read a file: superblock, object headers, chunk indexes.

HDF5 readers refuse a file, or one object of it, when a structure is newer than they are.
This checker reads the structures itself (no trust in how the writer was configured):
the superblock version, then, for every object h5py can reach from the root group, the
object header version and the version of each message in it (dataspace, datatype, fill
value, layout with its chunk index, filter pipeline, attributes and their types, link
and attribute-info messages). Each version is mapped to the first library release that
reads it, from the HDF5 file format specification:

==========================================  =======
structure                                   reader
==========================================  =======
superblock 0/1, object header 1, layout 3    1.8 (and older)
superblock 2, object header 2, link/         1.8
attribute-info messages, dense attributes
superblock 3, layout 4 (fixed/extensible     1.10
array, v2 B-tree, single-chunk indexes),
file space info message 1
datatype message 4 (revised references)      1.12
datatype message 5 / complex class           2.0
==========================================  =======

Attributes held in dense storage (a fractal heap) are not opened: the checker reports the
header versions that dense storage needs (1.8), not the attributes' own datatype versions.

The floor is 1.8: the checker answers "can HDF5 1.8 open this, and if not, which object
stops it". ``python -m synthbank.io.hdf5compat FILE...`` prints one line per file and
each object that needs more than 1.8; it exits 1 when any file needs more than 1.8, 2 on
a file that is not HDF5.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

SIGNATURE = b"\x89HDF\r\n\x1a\n"
#: Reader versions in order; "unknown" is a structure newer than this checker knows.
LEVELS = ("1.8", "1.10", "1.12", "2.0", "unknown")
FLOOR = LEVELS[0]
#: Chunk index types of a version 4 layout message (all HDF5 1.10 structures).
V4_INDEX = {1: "single chunk", 2: "implicit", 3: "fixed array", 4: "extensible array", 5: "v2 B-tree"}
_LAYOUT_CLASS = {0: "compact", 1: "contiguous", 2: "chunked", 3: "virtual"}
_CONTINUATION = 0x10
#: Message types HDF5 1.8 introduced (readable by 1.8): link info, link, group info,
#: shared message table, B-tree K values, driver info, attribute info, reference count.
_MSG_18 = {0x02: "link info", 0x06: "link", 0x0A: "group info", 0x0F: "shared message table",
           0x13: "B-tree K values", 0x14: "driver info", 0x15: "attribute info", 0x16: "reference count"}
#: Message types older than 1.8 whose version this checker does not need to read.
_MSG_OLD = {0x00, 0x04, 0x07, 0x09, 0x0D, 0x0E, 0x11, 0x12}


def _max(a: str, b: str) -> str:
    return a if LEVELS.index(a) >= LEVELS.index(b) else b


@dataclass
class ObjectReport:
    """One object of the file.

    Attributes
    ----------
    path : its HDF5 path ("/" for the root group).
    kind : "group", "dataset" or "datatype".
    header_version : object header version (1: HDF5 1.6 style, 2: 1.8 style).
    need : the oldest reader version that reads this object (one of :data:`LEVELS`).
    reasons : why it needs more than :data:`FLOOR`, one short text per structure.
    layout : dataset storage ("contiguous", "compact", "chunked"), "" for groups.
    chunk_index : chunk index of a chunked dataset ("v1 B-tree" is the 1.8 one), else "".
    times : whether the header stores object times (modification-time message, or the
        time fields of a version 2 header): bytes that change with the clock.
    """

    path: str
    kind: str
    header_version: int
    need: str = FLOOR
    reasons: list[str] = field(default_factory=list)
    layout: str = ""
    chunk_index: str = ""
    times: bool = False

    def require(self, level: str, why: str) -> None:
        self.need = _max(self.need, level)
        if level != FLOOR:
            self.reasons.append(why)


@dataclass
class FileReport:
    """The file's superblock version, the reader it needs, and every object."""

    path: str
    superblock: int
    need: str
    objects: list[ObjectReport]

    def blocking(self) -> list[ObjectReport]:
        """The objects that HDF5 1.8 cannot read."""
        return [o for o in self.objects if o.need != FLOOR]

    def summary(self) -> str:
        """One line: file, superblock version, minimum reader, chunk indexes in use."""
        indexes = sorted({o.chunk_index for o in self.objects if o.chunk_index})
        return (f"{self.path}: superblock {self.superblock}, needs HDF5 >= {self.need}, "
                f"{len(self.objects)} objects, chunk index {', '.join(indexes) or 'none'}")


class NotHDF5(ValueError):
    """The file is not an HDF5 file (no signature where the format puts one)."""


class _Reader:
    def __init__(self, f: BinaryIO, size: int, base: int, offsets: int, lengths: int) -> None:
        self.f, self.size, self.base, self.o, self.l = f, size, base, offsets, lengths

    def read(self, addr: int, n: int) -> bytes:
        self.f.seek(addr)
        data = self.f.read(n)
        if len(data) != n:
            raise NotHDF5(f"truncated structure at byte {addr}")
        return data

    def uint(self, data: bytes, pos: int, n: int) -> int:
        return int.from_bytes(data[pos:pos + n], "little")


def _superblock(f: BinaryIO, size: int) -> tuple[int, _Reader, int | None]:
    """(version, reader, superblock extension address or None) of the file."""
    off = 0
    while off + 8 <= size:  # the signature sits at 0, 512, 1024, 2048 ... (after a user block)
        f.seek(off)
        if f.read(8) == SIGNATURE:
            break
        off = 512 if off == 0 else off * 2
    else:
        raise NotHDF5("no HDF5 signature at byte 0, 512, 1024, ...")
    head = f.read(64)
    version = head[0]
    if version in (0, 1):
        offsets, lengths = head[5], head[6]
        base_at = 16 if version == 0 else 20
        base = int.from_bytes(head[base_at:base_at + offsets], "little")
        return version, _Reader(f, size, base, offsets, lengths), None
    offsets, lengths = head[1], head[2]
    base = int.from_bytes(head[4:4 + offsets], "little")
    ext = int.from_bytes(head[4 + offsets:4 + 2 * offsets], "little")
    undefined = (1 << (8 * offsets)) - 1
    return version, _Reader(f, size, base, offsets, lengths), None if ext == undefined else ext


def _messages(r: _Reader, addr: int) -> tuple[int, bool, Iterator[tuple[int, int, bytes]]]:
    """Object header version, whether it stores times, and its messages as (type, flags, data)."""
    at = r.base + addr
    head = r.read(at, 16)
    if head[:4] == b"OHDR":
        flags = head[5]
        pos = at + 6 + (16 if flags & 0x20 else 0) + (4 if flags & 0x10 else 0)
        width = 1 << (flags & 3)
        size0 = r.uint(r.read(pos, width), 0, width)
        blocks, version, hdr = [(pos + width, pos + width + size0)], 2, 4 + (2 if flags & 0x04 else 0)
        times = bool(flags & 0x20)
    elif head[0] == 1:
        blocks, version, hdr, times = [(at + 16, at + 16 + r.uint(head, 8, 4))], 1, 8, False
    else:
        raise NotHDF5(f"no object header at byte {at}")

    def walk() -> Iterator[tuple[int, int, bytes]]:
        while blocks:
            start, end = blocks.pop(0)
            raw = r.read(start, end - start)
            pos = 0
            while pos + hdr <= len(raw):
                if version == 1:
                    mtype, size, mflags = r.uint(raw, pos, 2), r.uint(raw, pos + 2, 2), raw[pos + 4]
                else:
                    mtype, size, mflags = raw[pos], r.uint(raw, pos + 1, 2), raw[pos + 3]
                data = raw[pos + hdr:pos + hdr + size]
                pos += hdr + size
                if mtype == _CONTINUATION:
                    cont, length = r.uint(data, 0, r.o), r.uint(data, r.o, r.l)
                    # a version 2 continuation block is "OCHK" + messages + checksum
                    blocks.append((r.base + cont, r.base + cont + length) if version == 1
                                  else (r.base + cont + 4, r.base + cont + length - 4))
                yield mtype, mflags, data

    return version, times, walk()


def _datatype(obj: ObjectReport, data: bytes, where: str) -> None:
    version, cls = data[0] >> 4, data[0] & 0x0F
    if version > 5:
        obj.require("unknown", f"{where}: datatype message version {version}")
    elif cls == 11 or version == 5:
        obj.require("2.0", f"{where}: datatype message version {version} class {cls} (complex numbers, HDF5 2.0)")
    elif version == 4:
        obj.require("1.12", f"{where}: datatype message version 4 (revised references, HDF5 1.12)")


def _attribute(obj: ObjectReport, data: bytes, r: _Reader) -> None:
    version, aflags = data[0], data[1]
    name_size, dt_size = r.uint(data, 2, 2), r.uint(data, 4, 2)
    if version > 3:
        obj.require("unknown", f"attribute message version {version}")
        return
    pad = (lambda n: (n + 7) // 8 * 8) if version == 1 else (lambda n: n)
    start = 8 if version < 3 else 9
    name = data[start:start + name_size].rstrip(b"\0").decode("utf-8", "replace")
    if not aflags & 0x01:  # a shared (committed) datatype is checked where it lives
        _datatype(obj, data[start + pad(name_size):start + pad(name_size) + dt_size], f"attribute {name!r}")


def _layout(obj: ObjectReport, data: bytes, r: _Reader) -> None:
    version = data[0]
    obj.layout = _LAYOUT_CLASS.get(data[1], f"class {data[1]}") if version >= 3 else "chunked/contiguous (v1-2)"
    if version <= 3:
        obj.chunk_index = "v1 B-tree" if obj.layout == "chunked" else ""
        return
    if version > 4:
        obj.require("unknown", f"layout message version {version}")
        return
    if obj.layout == "chunked":
        ndims, width = data[3], data[4]
        obj.chunk_index = V4_INDEX.get(data[5 + ndims * width], "unknown index")
        obj.require("1.10", f"layout message version 4, chunk index {obj.chunk_index} (HDF5 1.10)")
    else:
        obj.require("1.10", f"layout message version 4 ({obj.layout}, HDF5 1.10)")


def _object(r: _Reader, addr: int, path: str, kind: str) -> ObjectReport:
    version, times, messages = _messages(r, addr)
    obj = ObjectReport(path, kind, version, times=times)
    for mtype, mflags, data in messages:
        obj.times |= mtype in (0x0E, 0x12)  # old and new modification-time messages
        if mflags & 0x02:  # a shared message: its body is a reference (version 3 is 1.8's heap)
            continue
        v = data[0] if data else 0
        if mtype == 0x01 and v > 2 or mtype == 0x05 and v > 3 or mtype == 0x0B and v > 2:
            obj.require("unknown", f"message 0x{mtype:02x} version {v}")
        elif mtype == 0x03:
            _datatype(obj, data, "datatype")
        elif mtype == 0x08:
            _layout(obj, data, r)
        elif mtype == 0x0C:
            _attribute(obj, data, r)
        elif mtype == 0x17 and v >= 1:
            obj.require("1.10", f"file space info message version {v} (HDF5 1.10)")
        elif mtype not in _MSG_OLD and mtype not in _MSG_18 and mtype not in (0x01, 0x05, 0x0B, 0x10, 0x17):
            obj.require("unknown", f"message type 0x{mtype:04x}")
    return obj


def check(path: str | Path) -> FileReport:
    """Read ``path``'s structures and say which HDF5 version reads it.

    Raises
    ------
    NotHDF5 : the file has no HDF5 signature or a structure is cut short.
    """
    import h5py

    path = Path(path)
    with open(path, "rb") as raw:
        size = path.stat().st_size
        superblock, r, ext = _superblock(raw, size)
        objects = []
        if ext is not None:
            objects.append(_object(r, ext, "(superblock extension)", "extension"))
        with h5py.File(path, "r") as f:
            seen: set[int] = set()
            found: list[tuple[str, h5py.HLObject]] = [("/", f)]

            def collect(name: str, o: h5py.HLObject) -> None:
                found.append(("/" + name, o))

            f.visititems(collect)
            for name, o in found:
                addr = h5py.h5o.get_info(o.id).addr
                if addr in seen:  # a second hard link to one object
                    continue
                seen.add(addr)
                kind = "dataset" if isinstance(o, h5py.Dataset) else "group" if isinstance(o, h5py.Group) else "datatype"
                objects.append(_object(r, addr, name, kind))
    need = FLOOR if superblock <= 2 else "1.10" if superblock == 3 else "unknown"
    for o in objects:
        need = _max(need, o.need)
    return FileReport(str(path), superblock, need, objects)


def main(argv: list[str] | None = None) -> int:
    """``python -m synthbank.io.hdf5compat FILE...``: 0 all readable by 1.8, 1 some not, 2 bad input."""
    parser = argparse.ArgumentParser(prog="python -m synthbank.io.hdf5compat", description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="+", type=Path, help="HDF5 files (.h5, .hdf5)")
    args = parser.parse_args(argv)
    newer = 0
    for p in args.files:
        try:
            rep = check(p)
        except (OSError, NotHDF5) as exc:
            print(f"error: {p}: not a readable HDF5 file ({exc}); give .h5/.hdf5 files", file=sys.stderr)
            return 2
        print(rep.summary())
        if rep.superblock > 2:
            print(f"  superblock version {rep.superblock} needs HDF5 >= 1.10")
        for o in rep.blocking():
            print(f"  {o.path} needs HDF5 >= {o.need}: {'; '.join(o.reasons)}")
        newer += rep.need != FLOOR
    return 1 if newer else 0


if __name__ == "__main__":
    sys.exit(main())
