"""A PNG montage per domain: sequences as rows, steps as columns, sqrt-scaled grey."""

from __future__ import annotations

import numpy as np

from synthbank.io.png import encode_png

TILE = 64
GAP = 2


def montage(maps: np.ndarray) -> bytes:
    """PNG bytes of a (B, T, h, w) stack: each map shrunk to at most 64 px tall, sqrt scale.

    Every tile is scaled from 0 to its own 99.5th percentile of sqrt(energy), so structure
    shows whatever the total; the gaps are white.
    """
    b, t, h, w = maps.shape
    step = max(1, h // TILE)
    tiles = np.sqrt(np.maximum(np.nan_to_num(maps[:, :, ::step, ::step].astype(np.float64)), 0.0))
    hi = np.percentile(tiles, 99.5, axis=(2, 3), keepdims=True)
    grey = np.clip(tiles / np.maximum(hi, 1e-300), 0, 1)
    th, tw = grey.shape[2:]
    canvas = np.full((b * (th + GAP) - GAP, t * (tw + GAP) - GAP), 255, dtype=np.uint8)
    for_rows = (np.arange(b)[:, None] * (th + GAP) + np.arange(th)[None, :]).ravel()
    for_cols = (np.arange(t)[:, None] * (tw + GAP) + np.arange(tw)[None, :]).ravel()
    canvas[np.ix_(for_rows, for_cols)] = np.round(grey.transpose(0, 2, 1, 3).reshape(b * th, t * tw) * 255).astype(np.uint8)
    return encode_png(canvas)
