"""Learnability baseline of the ``atomic`` dataset: a closed-form ridge classifier.

:func:`baseline_accuracy` fits :class:`LinearClassifier` on the invariant features
(:mod:`.features`) of a deterministic subsample of the training images and reports its
test accuracy next to chance. Numpy only, no random state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from synthbank.families.atomic.features import invariant_features
from synthbank.families.atomic.statistics import label_counts

#: Rows per chunk of the normal equations and of the predictions: fixed, so that work split
#: into tasks at these boundaries (the validation stage) sums the same chunks.
FIT_CHUNK = 8192
PREDICT_CHUNK = 65536

__all__ = ["LinearClassifier", "baseline_accuracy", "fit_linear_classifier", "normal_equations", "predict", "solve",
           "standardisation", "stride_subsample"]


@dataclass(frozen=True)
class LinearClassifier:
    """Closed-form ridge (least-squares) classifier on standardised features.

    Attributes
    ----------
    mean, scale : np.ndarray, shape (F,), float64
        Standardisation ``(x - mean) / scale`` learned on training data.
    weights : np.ndarray, shape (F' + 1, n_classes), float64
        Coefficients on the (optionally quadratically expanded) standardised
        features; the last row is the bias.
    quadratic : bool
        Whether pairwise products of standardised features were appended.
    """

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    quadratic: bool

    @property
    def n_classes(self) -> int:
        """Number of classes the model predicts."""
        return int(self.weights.shape[1])


def _design(z: np.ndarray, quadratic: bool) -> np.ndarray:
    """Bias-augmented design matrix, optionally with degree-2 monomials.

    Columns: ``z``, then ``z[:, i] * z[:, j] / sqrt(F)`` for ``i <= j`` in row-major upper-
    triangle order (``np.triu_indices``), then ones. Filled in place, one ``i`` at a time,
    so no temporary is the size of the design (the same products and divisions, the same
    bits as fancy-indexing both factors).
    """
    n, f = z.shape
    quad = f * (f + 1) // 2 if quadratic else 0
    d = np.empty((n, f + quad + 1), dtype=z.dtype)
    d[:, :f] = z
    if quadratic:
        col = f
        for i in range(f):
            np.multiply(z[:, i : i + 1], z[:, i:], out=d[:, col : col + f - i])
            col += f - i
        d[:, f : f + quad] /= math.sqrt(f)
    d[:, -1] = 1.0
    return d


def fit_linear_classifier(
    features: np.ndarray,
    labels: np.ndarray,
    n_classes: int,
    alpha: float = 1.0,
    quadratic: bool = True,
    chunk: int = FIT_CHUNK,
) -> LinearClassifier:
    """Fit a one-vs-rest ridge regression classifier in closed form.

    Solves ``(X^T X + alpha I) W = X^T Y`` with ``X`` the standardised
    (optionally quadratically expanded) features plus a bias column and
    ``Y`` the one-hot labels.  Deterministic; numpy only.

    Parameters
    ----------
    features : np.ndarray, shape (n, F), float
        Training features.
    labels : np.ndarray, shape (n,), integer in ``[0, n_classes)``
        Training labels.
    n_classes : int
        Number of classes.
    alpha : float, default 1.0
        Ridge penalty (the bias is not penalised).
    quadratic : bool, default True
        Append all pairwise products of standardised features (``F (F+1)/2``
        extra columns), making the decision function quadratic.
    chunk : int, default 8192
        Rows per chunk when accumulating ``X^T X`` and ``X^T Y``.

    Returns
    -------
    LinearClassifier
    """
    x, y, mean, scale = standardisation(features, labels, n_classes)
    # accumulate the normal equations over row chunks so the expanded design
    # matrix never exists in full (50,000 x ~1,600 float64 would be 640 MB)
    gram = rhs = None
    for start in range(0, x.shape[0], chunk):
        g, r = normal_equations(x[start : start + chunk], y[start : start + chunk], mean, scale, n_classes, quadratic)
        gram, rhs = (g, r) if gram is None else (gram + g, rhs + r)
    return solve(gram, rhs, mean, scale, alpha, quadratic)


def standardisation(
    features: np.ndarray, labels: np.ndarray, n_classes: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Checked float64 features, int64 labels, and the standardisation ``mean``, ``scale`` of the features."""
    x = np.asarray(features, dtype=np.float64)
    y = np.asarray(labels).reshape(-1).astype(np.int64)
    if x.ndim != 2 or x.shape[0] != y.shape[0]:
        raise ValueError(f"features {x.shape} and labels {y.shape} do not match")
    if x.shape[0] == 0:
        raise ValueError("cannot fit a classifier on zero samples")
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale = np.where(scale > 1e-12, scale, 1.0)
    if y.min() < 0 or y.max() >= n_classes:
        raise ValueError(f"labels must lie in [0, {n_classes})")
    return x, y, mean, scale


def normal_equations(
    x: np.ndarray, y: np.ndarray, mean: np.ndarray, scale: np.ndarray, n_classes: int, quadratic: bool
) -> tuple[np.ndarray, np.ndarray]:
    """``X^T X`` and ``X^T Y`` of one chunk of rows (float64 features, int64 labels).

    :func:`fit_linear_classifier` sums them over its chunks in order; the same chunks summed
    in the same order elsewhere (validation tasks) give the same bytes.
    """
    z = (np.asarray(x, dtype=np.float64) - mean) / scale
    d = _design(z, quadratic)
    onehot = np.zeros((d.shape[0], n_classes), dtype=np.float64)
    onehot[np.arange(d.shape[0]), y] = 1.0
    return d.T @ d, d.T @ onehot


def solve(gram: np.ndarray, rhs: np.ndarray, mean: np.ndarray, scale: np.ndarray, alpha: float,
          quadratic: bool) -> LinearClassifier:
    """The classifier from the summed normal equations (``gram`` is changed in place)."""
    reg = np.full(gram.shape[0], float(alpha))
    reg[-1] = 0.0
    gram[np.diag_indices_from(gram)] += reg
    try:
        weights = np.linalg.solve(gram, rhs)
    except np.linalg.LinAlgError:
        weights = np.linalg.lstsq(gram, rhs, rcond=None)[0]
    return LinearClassifier(mean=mean, scale=scale, weights=weights, quadratic=quadratic)


def predict(model: LinearClassifier, features: np.ndarray, chunk: int = PREDICT_CHUNK) -> np.ndarray:
    """Predict class labels with a fitted :class:`LinearClassifier`.

    Parameters
    ----------
    model : LinearClassifier
        Output of :func:`fit_linear_classifier`.
    features : np.ndarray, shape (n, F), float
        Features (same columns as at fit time).
    chunk : int, default 65536
        Rows per chunk, capped at ``FIT_CHUNK`` (the expanded design of 8,192 rows is 108 MB);
        a row's label does not depend on it.

    Returns
    -------
    np.ndarray, shape (n,), int64
        Arg-max class per row.
    """
    x = np.asarray(features, dtype=np.float64)
    out = np.empty(x.shape[0], dtype=np.int64)
    # Rows in blocks of FIT_CHUNK: the design of 65,536 rows alone would be 870 MB. A row's
    # scores do not depend on the rows beside it, so the blocks give the same labels.
    step = min(chunk, FIT_CHUNK)
    for start in range(0, x.shape[0], step):
        z = (x[start : start + step] - model.mean) / model.scale
        out[start : start + step] = np.argmax(_design(z, model.quadratic) @ model.weights, axis=1)
    return out


def stride_subsample(n: int, k: int) -> np.ndarray:
    """``min(n, k)`` evenly spaced indices in ``[0, n)`` (deterministic)."""
    if n <= k:
        return np.arange(n, dtype=np.int64)
    return (np.arange(k, dtype=np.int64) * n) // k


def baseline_accuracy(
    train_images: np.ndarray,
    train_labels: np.ndarray,
    test_images: np.ndarray,
    test_labels: np.ndarray,
    n_classes: int,
    max_train: int = 50000,
    alpha: float = 1.0,
    quadratic: bool = True,
) -> dict:
    """Test accuracy of a ridge classifier on invariant features vs chance.

    The training set is subsampled deterministically to at most
    ``max_train`` evenly spaced images (``index = i * n // max_train``);
    the whole test set is used.

    Parameters
    ----------
    train_images : np.ndarray, shape (n_train, H, W)
    train_labels : np.ndarray, shape (n_train,), integer
    test_images : np.ndarray, shape (n_test, H, W)
    test_labels : np.ndarray, shape (n_test,), integer
    n_classes : int
        Number of classes.
    max_train : int, default 50000
        Cap on the number of training images.
    alpha : float, default 1.0
        Ridge penalty, see :func:`fit_linear_classifier`.
    quadratic : bool, default True
        Quadratic feature expansion, see :func:`fit_linear_classifier`.

    Returns
    -------
    dict
        ``{"accuracy": float, "chance": float, "n_train": int, "n_test": int}``
        where ``chance`` is the frequency of the most common class in the
        test labels (the accuracy of always guessing it).
    """
    train_labels = np.asarray(train_labels).reshape(-1)
    test_labels = np.asarray(test_labels).reshape(-1)
    idx = stride_subsample(train_labels.size, int(max_train))
    n_test = int(test_labels.size)
    if n_test == 0:
        return {"accuracy": math.nan, "chance": math.nan, "n_train": int(idx.size), "n_test": 0}
    chance = float(label_counts(test_labels, n_classes).max() / n_test)
    if idx.size == 0:
        return {"accuracy": math.nan, "chance": chance, "n_train": 0, "n_test": n_test}
    x_train = invariant_features(np.asarray(train_images)[idx])
    model = fit_linear_classifier(
        x_train, train_labels[idx], n_classes, alpha=alpha, quadratic=quadratic
    )
    pred = predict(model, invariant_features(np.asarray(test_images)))
    accuracy = float(np.mean(pred == test_labels.astype(np.int64)))
    return {"accuracy": accuracy, "chance": chance, "n_train": int(idx.size), "n_test": n_test}

