"""PNG as a carrier (synthbank.phi.png): text chunks are read, a broken chunk is unscannable."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
from phi.helpers import kinds
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from synthbank import phi
from synthbank.io.png import encode_png


def test_png_text_chunks_are_scanned(tmp_path: Path) -> None:
    info = PngInfo()
    info.add_text("Author", "Jane Doe")                                   # tEXt, field rule
    info.add_text("Comment", "DOB: 1950-03-14", zip=True)                 # zTXt
    info.add_itxt("Description", "contact jane.doe@example.org", zip=True)  # iTXt
    path = tmp_path / "planted.png"
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(path, pnginfo=info)
    found = phi.scan([path])
    where = {(f.location, f.kind) for f in found}
    assert ("tEXt[Author]", "person_name") in where
    assert ("zTXt[Comment]", "birth_date") in where
    assert ("iTXt[Description]", "email") in where


def test_clean_png_from_core_writer_has_no_findings(tmp_path: Path) -> None:
    path = tmp_path / "clean.png"
    path.write_bytes(encode_png(np.arange(256, dtype=np.uint8).reshape(16, 16)))
    assert phi.scan([path]) == []


def test_zlib_corrupt_ztxt_is_unscannable(tmp_path: Path) -> None:
    png = encode_png(np.zeros((2, 2), np.uint8))
    body = b"Comment\x00\x00" + b"not zlib"
    chunk = struct.pack(">I4s", len(body), b"zTXt") + body + struct.pack(">I", zlib.crc32(b"zTXt" + body))
    path = tmp_path / "z.png"
    path.write_bytes(png[:33] + chunk + png[33:])
    assert kinds(phi.scan([path])) == {"unscannable"}
