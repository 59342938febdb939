import numpy as np
import pytest
from PIL import Image

from synthbank.io.png import encode_png, write_png


def _chunk_types(data: bytes) -> list[bytes]:
    out, pos = [], 8
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        out.append(data[pos + 4 : pos + 8])
        pos += 12 + length
    return out


def test_only_critical_chunks_and_round_trip(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    write_png(tmp_path / "a.png", rgb)
    data = (tmp_path / "a.png").read_bytes()
    assert set(_chunk_types(data)) == {b"IHDR", b"IDAT", b"IEND"}
    assert np.array_equal(np.asarray(Image.open(tmp_path / "a.png")), rgb)
    assert data == encode_png(rgb)


def test_refuses_non_uint8():
    with pytest.raises(ValueError, match="uint8"):
        encode_png(np.zeros((4, 4), dtype=np.float32))
