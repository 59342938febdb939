"""PNG as a PHI carrier: the text of its tEXt, zTXt, iTXt and eXIf chunks.

The chunk structure is checked as it is read (complete chunks, letter types, CRCs, IHDR
first, an IEND), so a broken PNG is reported unscannable instead of passed.

Hand-written, not Pillow's ``PngImageFile.text``: Pillow 13 drops an iTXt chunk whose
compression method is unknown or whose text is not UTF-8 without an error, and reads
chunks after IDAT only when it decodes the pixels, so a hidden identifier could pass
unread.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator

from synthbank.phi.rules import scan_field, scan_text

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: The largest chunk length the PNG specification allows.
_PNG_MAX_CHUNK = 2**31 - 1


def png_chunks(data: bytes) -> Iterator[tuple[bytes, memoryview, int]]:
    """(type, body, byte offset) of every chunk of a PNG, from IHDR up to and with IEND.

    Every chunk is checked as it is reached: complete, a valid type, its CRC; the first is
    IHDR and the file holds an IEND (bytes after IEND are not chunks and not read here).

    Raises
    ------
    ValueError
        Naming the first chunk (or the end of the file) that breaks the structure.
    """
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG file: no PNG signature")
    view = memoryview(data)
    pos = len(PNG_SIGNATURE)
    while True:
        if pos + 8 > len(data):
            raise ValueError(f"PNG ends at byte {len(data)} before its IEND chunk")
        length, ctype = struct.unpack_from(">I4s", data, pos)
        end = pos + 8 + length
        if length > _PNG_MAX_CHUNK or end + 4 > len(data):
            raise ValueError(f"PNG chunk {ctype!r} at byte {pos} is truncated")
        if not ctype.isalpha():
            raise ValueError(f"PNG chunk type {ctype!r} at byte {pos} is not 4 letters")
        body = view[pos + 8: end]
        if zlib.crc32(body, zlib.crc32(ctype)) != struct.unpack_from(">I", data, end)[0]:
            raise ValueError(f"PNG chunk {ctype!r} at byte {pos} has a bad CRC")
        if pos == len(PNG_SIGNATURE) and ctype != b"IHDR":
            raise ValueError(f"PNG starts with chunk {ctype!r}, not IHDR")
        yield ctype, body, pos
        if ctype == b"IEND":
            return
        pos = end + 4


def png_text_chunks(data: bytes) -> Iterator[tuple[str, str, str]]:
    """(chunk type, keyword, text) of every tEXt, zTXt, iTXt and eXIf chunk of a PNG.

    The whole chunk structure is checked (see :func:`png_chunks`).
    """
    for ctype, view, pos in png_chunks(data):
        body = bytes(view) if ctype in (b"tEXt", b"zTXt", b"iTXt", b"eXIf") else b""
        if ctype == b"tEXt":
            key, _, text = body.partition(b"\x00")
            yield "tEXt", key.decode("latin-1"), text.decode("latin-1")
        elif ctype == b"zTXt":
            key, _, rest = body.partition(b"\x00")
            yield "zTXt", key.decode("latin-1"), zlib.decompress(rest[1:]).decode("latin-1")
        elif ctype == b"iTXt":
            key, _, rest = body.partition(b"\x00")
            if len(rest) < 2:
                raise ValueError(f"PNG iTXt chunk at byte {pos} has no compression flag")
            compressed, rest = rest[0], rest[2:]
            _lang, _, rest = rest.partition(b"\x00")
            _translated, _, text = rest.partition(b"\x00")
            yield "iTXt", key.decode("latin-1"), (zlib.decompress(text) if compressed else text).decode("utf-8", "replace")
        elif ctype == b"eXIf":
            runs = re.findall(rb"[\x20-\x7e]{4,}", body)
            yield "eXIf", "", "\n".join(r.decode("ascii") for r in runs)


def png_findings(data: bytes) -> list[tuple[str, str, str]]:
    """Findings of a PNG's text chunks: each read as a field named by its keyword, and the
    keyword as text (location ``tEXt[Keyword]``)."""
    hits = []
    for ctype, key, text in png_text_chunks(data):
        where = f"{ctype}[{key}]"
        hits += [(where, k, t) for k, t in scan_field(key, text)]
        hits += [(where, k, t) for k, t in scan_text(key)]  # the keyword itself
    return hits
