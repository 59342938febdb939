"""Deterministic PNG through Pillow: fixed compress_level, no ancillary chunks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

COMPRESS_LEVEL = 6


def encode_png(array: np.ndarray) -> bytes:
    """PNG bytes of a uint8 image, (H, W) grey or (H, W, 3) RGB.

    No text, time, gamma or physical-size chunks: only IHDR, IDAT and IEND.
    """
    if array.dtype != np.uint8 or array.ndim not in (2, 3):
        raise ValueError(f"PNG needs a uint8 (H, W) or (H, W, 3) array, got {array.dtype} {array.shape}")
    import io

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(array)).save(
        buf, format="PNG", compress_level=COMPRESS_LEVEL, optimize=False
    )
    return buf.getvalue()


def write_png(path: str | Path, array: np.ndarray) -> None:
    """Write :func:`encode_png` bytes to ``path``."""
    Path(path).write_bytes(encode_png(array))
