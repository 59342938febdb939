"""Byte-identical images in the ``atomic`` dataset.

Every image is hashed to a 64-bit key (vectorised SplitMix64 mixing of its bytes);
only images whose key repeats are compared byte by byte, so a hash collision never
counts as a duplicate. Pure functions, no file I/O.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["candidates", "count_duplicates", "duplicate_rate", "repeats", "row_hashes"]

_GOLDEN = 0x9E3779B97F4A7C15
_M2 = np.uint64(0xBF58476D1CE4E5B9)
_M3 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)


def _wrap64(v: int) -> np.uint64:
    """Python int -> uint64 modulo 2**64 (avoids numpy scalar overflow warnings)."""
    return np.uint64(v & 0xFFFFFFFFFFFFFFFF)


def _mix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser, elementwise on uint64 (wrapping arithmetic)."""
    x = x ^ (x >> _S30)
    x = x * _M2
    x = x ^ (x >> _S27)
    x = x * _M3
    return x ^ (x >> _S31)


def _as_rows(images: np.ndarray) -> np.ndarray:
    """View each image as a row of bytes: (n, bytes_per_image) uint8."""
    images = np.ascontiguousarray(images)
    n = images.shape[0]
    return images.reshape(n, -1).view(np.uint8).reshape(n, -1)


def row_hashes(images: np.ndarray, chunk: int = 65536) -> np.ndarray:
    """64-bit hash of every image's bytes, shape (n,), uint64.

    Each image's bytes are read as little-endian uint64 words (zero padded to
    a multiple of 8 bytes); every word is mixed with its position and folded
    into the running key with a SplitMix64 finaliser.  Loops run over the
    (few) words per image, never over images.
    """
    rows = _as_rows(images)
    n, nbytes = rows.shape
    out = np.empty(n, dtype=np.uint64)
    nwords = max((nbytes + 7) // 8, 1)
    for start in range(0, n, chunk):
        r = rows[start : start + chunk]
        if nbytes % 8 or nbytes == 0:
            pad = np.zeros((r.shape[0], nwords * 8), dtype=np.uint8)
            pad[:, :nbytes] = r
            r = pad
        words = np.ascontiguousarray(r).view("<u8")
        h = np.full(r.shape[0], _wrap64(nbytes * _GOLDEN), dtype=np.uint64)
        for j in range(nwords):
            h = _mix64(h ^ _mix64(words[:, j] + _wrap64((j + 1) * _GOLDEN)))
        out[start : start + chunk] = h
    return out


def count_duplicates(parts: Sequence[np.ndarray]) -> tuple[int, int]:
    """Count images equal to an earlier image across several arrays.

    Parameters
    ----------
    parts : sequence of np.ndarray, each shape (n_i, ...), same per-image
        byte size
        The arrays are treated as one concatenated dataset (no copy is made).

    Returns
    -------
    n_duplicates : int
        Number of images byte-identical to an earlier image.
    n_total : int
        Total number of images.
    """
    parts = [np.asarray(p) for p in parts]
    sizes = [p.shape[0] for p in parts]
    n_total = int(sum(sizes))
    if n_total < 2:
        return 0, n_total
    cand = candidates(np.concatenate([row_hashes(p) for p in parts]))
    if not cand.size:
        return 0, n_total
    # gather candidate rows from the parts (global index -> part, offset)
    bounds = np.cumsum([0] + sizes)
    which = np.searchsorted(bounds, cand, side="right") - 1
    rows = []
    for i, p in enumerate(parts):
        sel = cand[which == i] - bounds[i]
        if sel.size:
            rows.append(_as_rows(p[sel]))
    return repeats(np.concatenate(rows)), n_total


def candidates(keys: np.ndarray) -> np.ndarray:
    """Sorted positions of every image whose hash key occurs more than once (``keys`` of all
    images, in any fixed order); an image with a unique key is certainly unique."""
    order = np.argsort(keys, kind="stable")
    sk = keys[order]
    same = sk[1:] == sk[:-1]
    cand_mask = np.zeros(keys.size, dtype=bool)
    cand_mask[1:] |= same
    cand_mask[:-1] |= same
    return np.sort(order[cand_mask])


def repeats(rows: np.ndarray) -> int:
    """Exact confirmation: how many of the candidate ``rows`` (n, bytes) repeat another one's bytes."""
    if rows.shape[0] == 0:
        return 0
    block = np.ascontiguousarray(_as_rows(rows))
    void = block.view(np.dtype((np.void, block.shape[1]))).reshape(-1)
    return int(block.shape[0] - np.unique(void).size)


def duplicate_rate(images: np.ndarray) -> float:
    """Fraction of images that are byte-identical to an earlier image.

    Each image is hashed to a 64-bit key (vectorised SplitMix64 mixing of its
    bytes viewed as uint64 words); only images whose key occurs more than
    once are compared byte by byte, so hash collisions never count as
    duplicates.

    Parameters
    ----------
    images : np.ndarray, shape (n, ...), any dtype
        Images; equality is on the raw bytes of ``images[i]``.

    Returns
    -------
    float
        ``(n - n_distinct) / n``; ``0.0`` for an empty array.
    """
    images = np.asarray(images)
    if images.ndim == 0 or images.shape[0] == 0:
        return 0.0
    dup, n = count_duplicates([images])
    return dup / n

