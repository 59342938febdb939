"""What the modules of the atomic document API share: its defaults, its logger and argument checks."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np

from synthbank.families.atomic.layout import SPLIT_NAMES

# The package's name, "synthbank.families.atomic.api": one logger for the whole API, so
# logging configured for it (and records filtered by its name) see every module's lines.
logger = logging.getLogger(__package__)

#: The root seed of params.yaml (``seed``) and of the document's CLI (``--seed``).
DEFAULT_SEED = 42
DEFAULT_SPLITS = {"train": 0.8, "val": 0.1, "test": 0.1}
_SEED_MAX = 2**63 - 1
Split = tuple[np.ndarray, np.ndarray]


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _check_seed(seed: Any) -> int:
    if not _is_int(seed) or not 0 <= seed <= _SEED_MAX:
        raise ValueError(f"seed={seed!r} is invalid: allowed an integer from 0 to 2**63 - 1")
    return int(seed)


def _check_splits(splits: Any) -> dict[str, float]:
    ok = isinstance(splits, Mapping) and set(splits) == set(SPLIT_NAMES)
    ok = ok and all(isinstance(v, (int, float, np.integer, np.floating)) and 0 <= v <= 1 for v in splits.values())
    if not ok or abs(sum(float(v) for v in splits.values()) - 1.0) > 1e-9:
        raise ValueError(f"splits={splits!r} is invalid: allowed fractions in [0, 1] for exactly {list(SPLIT_NAMES)}, summing to 1")
    return {s: float(splits[s]) for s in SPLIT_NAMES}


def _check_pair(name: str, images: np.ndarray, labels: np.ndarray, where: str) -> None:
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"{where}: images {images.shape} and labels {labels.shape} of split {name!r} are invalid: "
            "allowed images (n, H, W) and labels (n,) of the same n"
        )
