"""Corpus generation and splitting of the atomic document API: the pipeline's items, in memory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from tqdm import tqdm

from synthbank.families.atomic.api.common import (
    DEFAULT_SEED,
    DEFAULT_SPLITS,
    Split,
    _check_pair,
    _check_seed,
    _check_splits,
    _is_int,
)
from synthbank.families.atomic.build import block_items, estimate
from synthbank.families.atomic.lattice import GRID_SIZE, LatticeParams, validate_lattice
from synthbank.families.atomic.layout import BLOCK_SIZE, SPLIT_NAMES, block_split_counts, n_blocks, split_codes


def generate_corpus(
    num_samples: int, show_progress: bool = True, *, seed: int = DEFAULT_SEED, lattice: LatticeParams | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The first ``num_samples`` items of the atomic dataset, in memory.

    Item i equals item i of the pipeline's dataset with the same seed and lattice (the
    same block streams), so a smaller corpus is a prefix of a larger one. The global
    NumPy random state (``np.random.seed``) is neither read nor changed: pass ``seed``.

    Parameters
    ----------
    num_samples : int
        Number of images, >= 1.
    show_progress : bool, default True
        Show a tqdm bar ("Generating images", unit "img").
    seed : int, default 42
        Root seed (params.yaml ``seed``), 0 to 2**63 - 1.
    lattice : LatticeParams, optional
        Distribution of the images; default the params.yaml ``atomic.lattice`` values.

    Returns
    -------
    images : ndarray, shape (num_samples, 16, 16), uint8
        Intensity, 0-255 = full scale.
    labels : ndarray, shape (num_samples,), uint8
        Lattice class: 0 square, 1 rectangular, 2 centred_rectangular, 3 hexagonal, 4 oblique.
    """
    if not _is_int(num_samples) or num_samples < 1:
        raise ValueError(f"num_samples={num_samples!r} is invalid: allowed a positive integer")
    seed = _check_seed(seed)
    lattice = lattice or LatticeParams.default()
    validate_lattice(lattice)
    images, labels = [], []
    with tqdm(total=int(num_samples), desc="Generating images", unit="img", disable=not show_progress) as bar:
        for b in range(n_blocks(num_samples)):
            # A block always draws all its items, so item i never depends on num_samples.
            block = block_items(seed, b, lattice)
            keep = min(BLOCK_SIZE, num_samples - b * BLOCK_SIZE)
            images.append(block.images[:keep])
            labels.append(block.labels[:keep])
            bar.update(keep)
    return np.concatenate(images), np.concatenate(labels)


def split_corpus(
    images: np.ndarray, labels: np.ndarray, *, seed: int = DEFAULT_SEED, splits: Mapping[str, float] = DEFAULT_SPLITS
) -> dict[str, Split]:
    """Deterministic train/val/test split, the same assignment the pipeline uses.

    Item i of ``images`` is taken as global item i (as :func:`generate_corpus` returns
    them); every full block of 5000 items is split exactly by ``splits``.

    Parameters
    ----------
    images : ndarray, shape (n, H, W)
    labels : ndarray, shape (n,)
    seed : int, default 42
        Root seed, as given to :func:`generate_corpus`.
    splits : mapping, default {"train": 0.8, "val": 0.1, "test": 0.1}
        Fractions for exactly train, val and test, summing to 1.

    Returns
    -------
    dict
        ``{"train": (images, labels), "val": ..., "test": ...}``, items in corpus order.
    """
    images, labels = np.asarray(images), np.asarray(labels)
    _check_pair("corpus", images, labels, "split_corpus")
    counts = block_split_counts(_check_splits(splits))
    seed = _check_seed(seed)
    n = len(images)
    codes = np.concatenate([split_codes(seed, b, counts) for b in range(n_blocks(n))])[:n] if n else np.zeros(0, np.uint8)
    return {name: (images[codes == s], labels[codes == s]) for s, name in enumerate(SPLIT_NAMES)}


def estimate_memory(num_images: int, grid_size: int = GRID_SIZE) -> dict[str, Any]:
    """The document's estimate: bytes, readable, num_images, bytes_per_image (plus disk bounds).

    Parameters
    ----------
    num_images : int, >= 1
    grid_size : int, default 16
        Image side in pixels (uint8: one byte per pixel).
    """
    for name, v in (("num_images", num_images), ("grid_size", grid_size)):
        if not _is_int(v) or v < 1:
            raise ValueError(f"{name}={v!r} is invalid: allowed a positive integer")
    return estimate(int(num_images), int(grid_size))
