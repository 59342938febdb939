import numpy as np
from scipy.special import xlogy

from synthbank.families.energy.thermo import conservation_error, entropy, total_energy


def test_entropy_equals_minus_sum_p_log_p_with_zero_cells():
    maps = np.random.default_rng(0).gamma(0.5, 2.0, (4, 16, 24))
    maps[0, :3] = 0.0  # 0 log 0 counts as 0
    p = maps / maps.sum(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(entropy(maps), -xlogy(p, p).sum(axis=(1, 2)), rtol=1e-13)


def test_entropy_bounds_uniform_is_log_cells_and_a_point_is_zero():
    np.testing.assert_allclose(entropy(np.full((8, 12), 3.0)), np.log(96), rtol=1e-14)
    point = np.zeros((8, 12))
    point[2, 5] = 7.0
    assert entropy(point) == 0.0
    assert entropy(np.ones((2, 3, 8, 12))).shape == (2, 3)


def test_totals_and_conservation_error():
    maps = np.ones((2, 4, 5))
    np.testing.assert_array_equal(total_energy(maps), [20.0, 20.0])
    np.testing.assert_allclose(conservation_error(100.0, 103.0), 0.03)
    np.testing.assert_allclose(conservation_error(100.0, 200.0, expected_ratio=2.0), 0.0)
