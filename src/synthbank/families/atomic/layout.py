"""The fixed layout of the atomic family: blocks, split assignment, file names.

These constants belong to the family's VERSION: changing any of them changes bytes, so it
is a MAJOR version bump, never a parameter.
"""

from __future__ import annotations

import numpy as np

from synthbank import seeding

FAMILY = "atomic"
#: Items per random block. Item i lives in block i // BLOCK_SIZE; every block draws its
#: full BLOCK_SIZE items, so item i never depends on the dataset size.
BLOCK_SIZE = 5000
#: Second element of the spawn key: which stream of a block.
IMAGE_STREAM = 0
SPLIT_STREAM = 1
SPLIT_NAMES = ("train", "val", "test")
#: zlib level of the HDF5 deflate filter and the npz members (measured: see benchmarks/).
DEFLATE_LEVEL = 1
FILES = tuple(f"{s}.{ext}" for s in SPLIT_NAMES for ext in ("h5", "npz")) + ("metadata.json",)


def n_blocks(num_images: int) -> int:
    """Blocks needed for ``num_images`` items (the last one may be partial)."""
    return -(-num_images // BLOCK_SIZE)


def block_split_counts(fractions: dict[str, float]) -> np.ndarray:
    """Items of each split in one full block, by the largest-remainder rule.

    Returns
    -------
    ndarray of int64, shape (3,)
        Counts for train, val, test; they sum to BLOCK_SIZE.
    """
    quotas = np.array([fractions[s] * BLOCK_SIZE for s in SPLIT_NAMES], dtype=np.float64)
    counts = np.floor(quotas + 1e-9).astype(np.int64)
    short = BLOCK_SIZE - int(counts.sum())
    # Stable order on ties, so the rule is deterministic.
    for i in np.argsort(-(quotas - counts), kind="stable")[:short]:
        counts[i] += 1
    return counts


def split_codes(seed: int, block: int, counts: np.ndarray) -> np.ndarray:
    """Split index (0 train, 1 val, 2 test) of each item of a block, shape (BLOCK_SIZE,) uint8.

    A seeded permutation of the block gives each split exactly ``counts`` items, so
    every full block is split exactly 80/10/10 (for the default fractions).
    """
    rng = seeding.stream(seed, FAMILY, block, SPLIT_STREAM)
    order = rng.permutation(BLOCK_SIZE)
    codes = np.empty(BLOCK_SIZE, dtype=np.uint8)
    bounds = np.concatenate([[0], np.cumsum(counts)])
    for s in range(len(SPLIT_NAMES)):
        codes[order[bounds[s] : bounds[s + 1]]] = s
    return codes


def split_sizes(seed: int, num_images: int, counts: np.ndarray) -> np.ndarray:
    """Total items per split for a dataset of ``num_images``, shape (3,) int64."""
    full, rest = divmod(num_images, BLOCK_SIZE)
    sizes = counts * full
    if rest:
        last = split_codes(seed, full, counts)[:rest]
        sizes = sizes + np.bincount(last, minlength=len(SPLIT_NAMES))
    return sizes
