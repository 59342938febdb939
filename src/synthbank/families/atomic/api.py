"""Seed 001's Python API as thin functions over the core.

``generate_corpus`` and ``split_corpus`` produce exactly the items and split membership
that the pipeline writes (same seed, same blocks), held in memory; use the CLI or
:func:`synthbank.families.atomic.build.build` for datasets too big for that.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from synthbank.families.atomic.build import block_items, estimate
from synthbank.families.atomic.generate import LatticeParams
from synthbank.families.atomic.layout import BLOCK_SIZE, SPLIT_NAMES, block_split_counts, n_blocks, split_codes
from synthbank.io.npz import NpzWriter

DEFAULT_SPLITS = {"train": 0.8, "val": 0.1, "test": 0.1}
Split = tuple[np.ndarray, np.ndarray]


def generate_corpus(
    num_samples: int, show_progress: bool = True, *, seed: int = 42, lattice: LatticeParams | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Images (num_samples, 16, 16) uint8 and labels (num_samples,) uint8.

    Item i equals item i of the pipeline's dataset with the same seed and lattice.
    """
    if not isinstance(num_samples, (int, np.integer)) or num_samples < 1:
        raise ValueError(f"num_samples={num_samples!r} is invalid: allowed a positive integer")
    lattice = lattice or LatticeParams()
    images, labels = [], []
    for b in tqdm(range(n_blocks(num_samples)), desc="Generating images", unit="block", disable=not show_progress):
        block = block_items(seed, b, lattice)
        keep = min(BLOCK_SIZE, num_samples - b * BLOCK_SIZE)
        images.append(block.images[:keep])
        labels.append(block.labels[:keep])
    return np.concatenate(images), np.concatenate(labels)


def split_corpus(
    images: np.ndarray, labels: np.ndarray, *, seed: int = 42, splits: Mapping[str, float] = DEFAULT_SPLITS
) -> dict[str, Split]:
    """Deterministic train/val/test split, the same assignment the pipeline uses."""
    counts = block_split_counts(dict(splits))
    n = len(images)
    codes = np.concatenate([split_codes(seed, b, counts) for b in range(n_blocks(n))])[:n]
    return {name: (images[codes == s], labels[codes == s]) for s, name in enumerate(SPLIT_NAMES)}


def save_corpus(splits: Mapping[str, Split], output_dir: str | Path, dtype: Any = np.uint8) -> None:
    """Write ``<split>.npz`` with ``images`` and ``labels`` (deterministic bytes)."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, (imgs, labs) in splits.items():
        with NpzWriter(out / f"{name}.npz") as npz:
            npz.add_array("images", np.asarray(imgs).astype(dtype))
            npz.add_array("labels", np.asarray(labs).astype(dtype))


def load_corpus(output_dir: str | Path) -> dict[str, Split]:
    """Read every ``<split>.npz`` in a dataset directory."""
    out = Path(output_dir)
    result = {}
    for name in SPLIT_NAMES:
        path = out / f"{name}.npz"
        if path.exists():
            with np.load(path, allow_pickle=False) as z:
                result[name] = (z["images"], z["labels"])
    if not result:
        raise FileNotFoundError(f"{out} holds no train/val/test .npz files")
    return result


def estimate_memory(num_images: int, grid_size: int = 16) -> dict[str, Any]:
    """Seed 001's estimate: bytes, readable, num_images, bytes_per_image (plus disk bounds)."""
    return estimate(num_images, grid_size)


def validate_dataset(dataset_dir: str | Path, thresholds: Mapping[str, Any] | None = None) -> list[str]:
    """Write ``metrics.json`` and ``validation_report.png`` into ``dataset_dir``.

    Returns the violated thresholds (none are checked when ``thresholds`` is None).
    """
    from synthbank.families.atomic.validate import validate

    d = Path(dataset_dir)
    return validate(d, d / "metrics.json", d, thresholds or {})
