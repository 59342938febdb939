"""Tests for synthbank.families.atomic.report (numpy-only inputs)."""

from __future__ import annotations

import numpy as np
from families.atomic.helpers import toy_lattices

from synthbank.families.atomic import report as R
from synthbank.families.atomic.metrics import CLASS_NAMES


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------
def test_sample_indices_and_csv_rows():
    idx = R.sample_indices(1000, 100)
    assert idx.tolist() == list(range(0, 1000, 10))
    assert R.sample_indices(7, 100).tolist() == list(range(7))
    idx = R.sample_indices(12345, 100)
    assert idx.size == 100 and idx[0] == 0 and idx[-1] < 12345 and np.all(np.diff(idx) > 0)
    rows = R.histogram_csv_rows(np.array([3, 0, 5]), ["a", "b", "c"])
    assert rows == [{"class": "a", "count": 3}, {"class": "b", "count": 0}, {"class": "c", "count": 5}]


def _bar_heights(img: np.ndarray, y_from: int) -> list[int]:
    """Heights of BAR_COLOR runs (left to right) below row y_from."""
    panel = img[y_from:]
    is_bar = np.all(panel == np.array(R.BAR_COLOR, np.uint8), axis=2)
    col_h = is_bar.sum(axis=0)
    cols = np.flatnonzero(col_h)
    runs = np.split(cols, np.flatnonzero(np.diff(cols) > 1) + 1) if cols.size else []
    return [int(col_h[r].max()) for r in runs]


def test_render_report_size_determinism_and_histogram():
    x, y = toy_lattices(250, seed=17)
    idx = R.sample_indices(250)
    hist = np.array([300, 500, 100, 400, 200])
    a = R.render_report(x[idx], y[idx], hist, CLASS_NAMES)
    b = R.render_report(x[idx], y[idx], hist, CLASS_NAMES)
    assert a.dtype == np.uint8 and a.ndim == 3 and a.shape[2] == 3
    grid_h = 10 * (16 * R.SCALE + 14) + 2
    assert a.shape == (grid_h + 160, 10 * (16 * R.SCALE + 2) + 2, 3)
    assert a.tobytes() == b.tobytes()

    # first tile shows the first image upscaled (nearest neighbour, grey)
    tile = a[2 : 2 + 16 * R.SCALE, 2 : 2 + 16 * R.SCALE]
    np.testing.assert_array_equal(tile[:: R.SCALE, :: R.SCALE, 0], x[idx][0])
    assert np.all(tile[..., 0] == tile[..., 1])

    heights = _bar_heights(a, grid_h)
    assert len(heights) == 5
    assert np.argsort(heights).tolist() == np.argsort(hist).tolist()
    assert heights[1] == max(heights)
    np.testing.assert_allclose(np.array(heights) / heights[1], hist / 500, atol=0.02)
    # the bar colour appears only in the histogram panel
    assert _bar_heights(a[:grid_h], 0) == []

    # a different label histogram changes only the histogram panel
    c = R.render_report(x[idx], y[idx], hist[::-1], CLASS_NAMES)
    assert np.array_equal(c[:grid_h], a[:grid_h]) and not np.array_equal(c, a)
    assert np.argsort(_bar_heights(c, grid_h)).tolist() == np.argsort(hist[::-1]).tolist()


def test_render_report_captions_depend_on_labels():
    x, y = toy_lattices(10, seed=18)
    a = R.render_report(x, y, np.array([4, 3, 3]), ["square", "hexagonal", "stripes"])
    y2 = y.copy()
    y2[0] = (y2[0] + 1) % 3
    b = R.render_report(x, y2, np.array([4, 3, 3]), ["square", "hexagonal", "stripes"])
    diff = np.argwhere(np.any(a != b, axis=2))
    assert diff.size  # caption of tile 0 changed ...
    cell = 16 * R.SCALE
    assert diff[:, 0].min() >= 2 + cell and diff[:, 0].max() < 2 + cell + 12
    assert diff[:, 1].max() < 2 + cell  # ... and nothing else
