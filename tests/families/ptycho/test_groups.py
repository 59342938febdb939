"""Patch (KD-tree neighbours, seeded groups), split along y, and the dense/sparse views."""

import h5py
import numpy as np
import pytest
from families.ptycho.helpers import tiny_section

from synthbank.families.ptycho.config import PatchConfig, ViewsConfig
from synthbank.families.ptycho.patch import draw_groups, group_centres, nearest_neighbours
from synthbank.families.ptycho.split import local_groups, split_by_y
from synthbank.families.ptycho.views import min_pairwise_distance, select_spaced


def _points(n=300, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 100, n), rng.uniform(0, 100, n)


def test_neighbours_match_brute_force_with_self_first():
    x, y = _points()
    nbrs = nearest_neighbours(x, y, 7)
    assert nbrs.shape == (300, 7) and nbrs.dtype == np.int64
    assert np.array_equal(nbrs[:, 0], np.arange(300))
    d = np.hypot(x[:, None] - x[None], y[:, None] - y[None])
    brute = np.argsort(d, axis=1, kind="stable")[:, :7]
    assert np.array_equal(np.sort(nbrs, axis=1), np.sort(brute, axis=1))


def test_ties_are_broken_by_index():
    yy, xx = np.meshgrid(np.arange(5.0), np.arange(5.0), indexing="ij")
    nbrs = nearest_neighbours(xx.ravel(), yy.ravel(), 5)
    assert nbrs[12].tolist() == [12, 7, 11, 13, 17]  # centre of a 5 x 5 grid: 4 ties at distance 1


def test_groups_are_anchor_plus_distinct_neighbours_and_seeded():
    x, y = _points()
    nbrs = nearest_neighbours(x, y, 7)
    g = draw_groups(np.random.default_rng(5), nbrs, 4)
    assert g.shape == (300, 4) and np.array_equal(g[:, 0], np.arange(300))
    assert all(len(set(row)) == 4 and set(row) <= set(nb) for row, nb in zip(g.tolist(), nbrs.tolist(), strict=True))
    assert np.array_equal(g, draw_groups(np.random.default_rng(5), nbrs, 4))
    # Each of the 6 other neighbours is drawn with probability 3/6.
    counts = np.zeros(7)
    for s in range(20):
        pick = draw_groups(np.random.default_rng(s), nbrs, 4)[:, 1:]
        counts += np.array([(pick == nbrs[:, [r]]).any(1).sum() for r in range(7)])
    frac = counts[1:] / (20 * 300)
    assert np.all(np.abs(frac - 0.5) < 0.03) and counts[0] == 0


def test_k_smaller_than_c_is_refused_clearly():
    with pytest.raises(ValueError, match=r"neighbours=7 is invalid: allowed K >= C = gridsize\*\*2 = 9"):
        PatchConfig.from_params(42, tiny_section(patch={"neighbours": 7, "gridsize": 3}))
    with pytest.raises(ValueError, match=r"^patch\.gridsize=0 is invalid: allowed >= 1$"):
        PatchConfig.from_params(42, tiny_section(patch={"neighbours": 7, "gridsize": 0}))
    with pytest.raises(ValueError, match=r"^views\.dense_spacing_px=0 is invalid: allowed > 0$"):
        ViewsConfig.from_params(42, tiny_section(views={"dense_spacing_px": 0, "sparse_spacing_px": 30.0}))
    with pytest.raises(ValueError, match="group size C=9 is invalid with K=7"):
        draw_groups(np.random.default_rng(0), np.zeros((3, 7), np.int64), 9)
    with pytest.raises(ValueError, match="K=7 is invalid for 3 positions"):
        nearest_neighbours(np.arange(3.0), np.arange(3.0), 7)


def test_split_halves_along_y_and_keeps_only_groups_inside_a_half():
    x, y = _points()
    train, test, cut = split_by_y(y)
    assert cut == pytest.approx((y.min() + y.max()) / 2)
    assert y[train].max() < y[test].min() and len(train) + len(test) == 300
    groups = draw_groups(np.random.default_rng(1), nearest_neighbours(x, y, 7), 4)
    local, kept = local_groups(groups, train, 300)
    assert np.array_equal(train[local], groups[kept])
    inside = np.isin(groups, train).all(axis=1)
    assert np.array_equal(kept, np.flatnonzero(inside))


def test_greedy_selection_is_spaced_maximal_and_deterministic():
    x, y = _points(600)
    centres = np.stack([y, x], 1)
    order = np.random.default_rng(2).permutation(600)
    keep = select_spaced(centres, 10.0, order)
    assert min_pairwise_distance(centres[keep]) >= 10.0
    d = np.hypot(*(centres[:, None] - centres[keep][None]).transpose(2, 0, 1))
    assert (d.min(axis=1) < 10.0)[np.setdiff1d(np.arange(600), keep)].all()  # nothing more fits
    assert np.array_equal(keep, select_spaced(centres, 10.0, order))
    assert len(select_spaced(centres, 30.0, order)) < len(keep)
    assert select_spaced(np.zeros((0, 2)), 5.0, np.zeros(0, np.int64)).size == 0


def test_stage_outputs_hold_the_groups_split_and_views(tiny_root):
    d = tiny_root / "dose_1000"
    with h5py.File(d / "patch" / "groups.h5") as g:
        groups, nbrs = g["groups"][...], g["neighbours"][...]
        assert groups.shape[1] == 4 and nbrs.shape[1] == 7
        assert np.allclose(g["group_centres"][...], group_centres(groups, g["xcoords"][...], g["ycoords"][...]))
    seen = []
    for name in ("train", "test"):
        with h5py.File(d / "split" / f"{name}.h5") as s:
            seen.append(s["ycoords"][...])
            assert np.array_equal(s["groups"][...], np.searchsorted(s["scan_index"][...], groups[s["group_index"][...]]))
            for view, spacing in (("dense", 12.0), ("sparse", 30.0)):
                with h5py.File(d / "views" / f"{view}.h5") as v:
                    assert v.attrs["min_spacing_px"] == spacing
                    c = v[name]["centres"][...]
                    assert len(c) >= 1 and min_pairwise_distance(c) >= spacing
    assert seen[0].max() < seen[1].min()
    # Every dose shares the design: same groups and views (only the photon noise differs).
    with h5py.File(d / "views" / "dense.h5") as a, h5py.File(tiny_root / "dose_100000" / "views" / "dense.h5") as b:
        assert np.array_equal(a["train/groups"][...], b["train/groups"][...])
