"""Tests for synthbank.families.atomic.features: shape, names and invariances."""

from __future__ import annotations

import numpy as np
from families.atomic.helpers import toy_lattices

from synthbank.families.atomic.features import feature_names, invariant_features


def test_features_shape_dtype_names_and_constant_images():
    x, _ = toy_lattices(20, seed=6)
    x[3] = 77  # constant image
    f = invariant_features(x)
    assert f.dtype == np.float32
    assert f.shape == (20, len(feature_names((16, 16))))
    assert np.isfinite(f).all()
    assert np.all(f[3] == 0.0)
    # chunking does not change the result
    np.testing.assert_allclose(invariant_features(x, chunk=3), f, rtol=1e-5, atol=1e-6)


def test_features_invariant_to_rot90_and_circular_shift():
    x, labels = toy_lattices(300, seed=7)
    f = invariant_features(x)
    for k, shift in [(1, (3, 5)), (2, (0, 11)), (3, (-7, 2))]:
        moved = np.roll(np.rot90(x, k, axes=(1, 2)), shift, axis=(1, 2))
        g = invariant_features(np.ascontiguousarray(moved))
        assert np.max(np.abs(f - g)) < 1e-4
    # ... but the features are not trivially constant: class means differ by
    # far more than the invariance error
    z = (f - f.mean(0)) / (f.std(0) + 1e-9)
    centroid = np.stack([z[labels == c].mean(0) for c in range(3)])
    assert np.min([np.abs(centroid[a] - centroid[b]).max() for a, b in [(0, 1), (0, 2), (1, 2)]]) > 0.5


def test_features_nearly_invariant_to_flip_and_transpose():
    x, _ = toy_lattices(100, seed=8)
    f = invariant_features(x)
    for moved in (x[:, ::-1, :], np.transpose(x, (0, 2, 1))):
        g = invariant_features(np.ascontiguousarray(moved))
        assert np.max(np.abs(f - g)) < 1e-4
