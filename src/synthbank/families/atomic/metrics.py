"""Quality metrics for the ``atomic`` lattice-image dataset.

Every function here and in the modules it draws on is pure: arrays in, numbers or arrays
out, no file I/O, no global random state.  All heavy work is vectorised over images
and streamed in chunks so that a full dataset (e.g. 1,000,000 x 16 x 16
``uint8``) can be checked in a few hundred MB of memory.

The metrics are

* label balance: per-class counts and a chi-square test against uniform, and
  pixel statistics: exact mean / standard deviation over all pixels
  (:mod:`.statistics`),
* duplicate rate: fraction of images byte-identical to an earlier image
  (:mod:`.duplicates`),
* a learnability baseline: a closed-form ridge classifier (:mod:`.baseline`) on
  rotation- and translation-invariant spectral features (:mod:`.features`),
  compared with chance.

:func:`compute_metrics` bundles them into a JSON-ready nested dict and
:func:`violations` checks it against the family's rules (:data:`synthbank.families.atomic.FAMILY`)
with the core threshold engine.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import numpy as np

from synthbank.families.atomic.baseline import baseline_accuracy
from synthbank.families.atomic.duplicates import count_duplicates
from synthbank.families.atomic.statistics import Moments, chi2_uniform, label_counts, pixel_moments
from synthbank.thresholds import check

__all__ = [
    "CLASS_NAMES",
    "N_CLASSES",
    "baseline_test_split",
    "compute_metrics",
    "metrics_record",
    "violations",
]

#: Lattice class names, indexed by label value.
CLASS_NAMES: tuple[str, ...] = (
    "square",
    "rectangular",
    "centred_rectangular",
    "hexagonal",
    "oblique",
)
#: Number of lattice classes.
N_CLASSES: int = len(CLASS_NAMES)

_ROUND = 6


# --------------------------------------------------------------------------
# Thresholds and the metrics bundle
# --------------------------------------------------------------------------
def violations(metrics: Mapping, thresholds: Mapping) -> list[str]:
    """One line per violated threshold: :data:`synthbank.families.atomic.FAMILY` rules through the core engine.

    A threshold absent from ``thresholds`` is not checked; a metric that is missing or not a
    finite number violates its rule.
    """
    from synthbank.families.atomic import FAMILY

    return check(metrics, FAMILY.rules, thresholds)


def _round(v: float) -> float:
    return round(float(v), _ROUND)


def compute_metrics(
    splits: Mapping[str, tuple[np.ndarray, np.ndarray]],
    n_classes: int = N_CLASSES,
    class_names: Sequence[str] | None = None,
    max_train: int = 50000,
) -> dict:
    """All dataset metrics as a JSON-ready nested dict.

    Parameters
    ----------
    splits : Mapping[str, tuple[np.ndarray, np.ndarray]]
        ``{split_name: (images, labels)}`` with images of shape (n, H, W)
        (normally uint8) and labels of shape (n,), integer.  The baseline is
        trained on ``"train"`` and evaluated on ``"test"`` (``"val"`` if there
        is no test split); it is omitted when either is missing or empty.
    n_classes : int, default 5
        Number of classes.
    class_names : sequence of str, optional
        Names used for ``labels.per_class``; default :data:`CLASS_NAMES`
        when ``n_classes == 5``, else ``"class_<k>"``.
    max_train : int, default 50000
        Cap on baseline training images (evenly spaced subsample).

    Returns
    -------
    dict
        ::

            {"counts": {<split>: int, ..., "total": int},
             "labels": {"chi2": float, "chi2_p": float,
                        "per_class": {<class name>: int, ...}},
             "pixels": {"mean": float, "std": float},
             "duplicate_rate": float,
             "baseline": {"accuracy": float, "chance": float,
                          "n_train": int, "n_test": int}}

        Label, pixel and duplicate metrics are over the whole dataset (all
        splits together; a test image repeating a train image counts as a
        duplicate).  Floats are rounded to 6 decimals.
    """
    if class_names is None:
        if n_classes == len(CLASS_NAMES):
            class_names = CLASS_NAMES
        else:
            class_names = [f"class_{k}" for k in range(n_classes)]
    class_names = list(class_names)
    if len(class_names) != n_classes:
        raise ValueError(f"{len(class_names)} class names for {n_classes} classes")

    counts: dict[str, int] = {}
    per_class = np.zeros(n_classes, dtype=np.int64)
    moments = Moments()
    parts = []
    for name, (images, labels) in splits.items():
        images = np.asarray(images)
        labels = np.asarray(labels).reshape(-1)
        if images.shape[0] != labels.shape[0]:
            raise ValueError(
                f"split {name!r}: {images.shape[0]} images but {labels.shape[0]} labels"
            )
        counts[str(name)] = int(labels.size)
        per_class += label_counts(labels, n_classes)
        moments.merge(pixel_moments(images, 65536))
        parts.append(images)
    nonempty = [x for x in parts if x.shape[0]]
    dup, total = count_duplicates(nonempty) if nonempty else (0, 0)

    base = None
    test_name = baseline_test_split(splits)
    if test_name is not None:
        tr_x, tr_y = splits["train"]
        te_x, te_y = splits[test_name]
        if len(tr_y) and len(te_y):
            base = baseline_accuracy(tr_x, tr_y, te_x, te_y, n_classes, max_train=max_train)
    return metrics_record(counts, per_class, moments, dup / total if total else 0.0, base, class_names)


def baseline_test_split(splits: Collection[str]) -> str | None:
    """The split the baseline is evaluated on: test, else val; None without train or either."""
    test_name = "test" if "test" in splits else ("val" if "val" in splits else None)
    return test_name if "train" in splits else None


def metrics_record(counts: Mapping[str, int], per_class: np.ndarray, moments: Moments, dup_rate: float,
                   base: Mapping[str, float] | None, class_names: Sequence[str]) -> dict:
    """The metrics JSON from the merged statistics (see :func:`compute_metrics`): ``counts``
    per split, then ``total`` is added; floats rounded to 6 decimals."""
    chi2, p = chi2_uniform(per_class)
    mean, std = moments.result()
    out: dict = {
        "counts": {**counts, "total": int(sum(counts.values()))},
        "labels": {
            "chi2": _round(chi2),
            "chi2_p": _round(p),
            "per_class": {class_names[k]: int(per_class[k]) for k in range(len(class_names))},
        },
        "pixels": {"mean": _round(mean), "std": _round(std)},
        "duplicate_rate": _round(dup_rate),
    }
    if base is not None:
        out["baseline"] = {
            "accuracy": _round(base["accuracy"]),
            "chance": _round(base["chance"]),
            "n_train": int(base["n_train"]),
            "n_test": int(base["n_test"]),
        }
    return out
