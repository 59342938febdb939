"""The energy output read the way The Well's loaders read it, its seeded split, and the dataset checks.

The Well (the_well 1.2.0) needs torch, which the test venv lacks; these tests do with h5py
what its code does: ``WellDataset._build_metadata`` and ``_reconstruct_*``
(the_well/data/datasets.py), ``hdf5_to_xarray`` (the_well/utils/export.py), the
normalisations (the_well/data/normalization.py) and ``scripts/compute_statistics.py``.
The real WellDataset runs in ``make interop`` (scripts/interop/).
"""

import math
import shutil

import h5py
import numpy as np
import pytest
import yaml

from synthbank.families.energy import layout, welldataset, wellformat, wellstats

#: the_well/data/utils.py WELL_DATASETS (v1.2.0): names our datasets must never take.
WELL_DATASETS = {
    "acoustic_scattering_maze", "acoustic_scattering_inclusions", "acoustic_scattering_discontinuous", "active_matter",
    "convective_envelope_rsg", "euler_multi_quadrants_openBC", "euler_multi_quadrants_periodicBC", "helmholtz_staircase",
    "MHD_64", "MHD_256", "gray_scott_reaction_diffusion", "planetswe", "post_neutron_star_merger", "rayleigh_benard",
    "rayleigh_benard_uniform", "rayleigh_taylor_instability", "shear_flow", "supernova_explosion_64",
    "supernova_explosion_128", "turbulence_gravity_cooling", "turbulent_radiative_layer_2D",
    "turbulent_radiative_layer_3D", "viscoelastic_instability",
}


def _datasets(atlas):
    return sorted(d for domain in atlas.iterdir() for d in domain.iterdir() if d.is_dir())


def _build_metadata(split_dir):
    """WellDataset._build_metadata on one split directory, its asserts included."""
    files = sorted([*split_dir.glob("*.h5"), *split_dir.glob("*.hdf5")])
    assert files, f"No HDF5 files found in path {split_dir}"
    names, ndims, sizes, bcs, n_traj = set(), set(), set(), set(), []
    for path in files:
        with h5py.File(path, "r") as f:
            assert f.attrs["grid_type"] == "cartesian"
            n_traj.append(int(f.attrs["n_trajectories"]))
            steps = f["dimensions"]["time"].shape[-1]
            sizes.add(tuple(f["dimensions"][d].shape[-1] for d in f["dimensions"].attrs["spatial_dims"]))
            ndims.add(f.attrs["n_spatial_dims"])
            names.add(f.attrs["dataset_name"])
            assert len(names) == 1 and len(ndims) == 1 and len(sizes) == 1
            assert steps - (1 + 1) + 1 > 0  # raw_steps_to_possible_sample_t0s(steps, 1, 1, 1)
            bcs |= {f["boundary_conditions"][b].attrs["bc_type"].upper() for b in f["boundary_conditions"]}
            scalars = {n: bool(f["scalars"][n].attrs["time_varying"]) for n in f["scalars"].attrs["field_names"]}
            fields = {n: (i, bool(f[f"t{i}_fields"][n].attrs["time_varying"]))
                      for i in range(3) for n in f[f"t{i}_fields"].attrs["field_names"]}
    return names.pop(), sizes.pop(), n_traj, scalars, fields, bcs


def test_every_dataset_reads_as_the_wells_loader_and_exporter_read_it(atlas):
    datasets = _datasets(atlas)
    assert len(datasets) == 5 * 2 and welldataset.check_directory(atlas / "active_matter") == []
    for ds in datasets:
        assert ds.name.startswith("synthbank_energy_") and ds.name not in WELL_DATASETS
        per_split = {s: _build_metadata(ds / "data" / s) for s in layout.SPLITS}
        assert {m[0] for m in per_split.values()} == {ds.name}  # dataset_name: the directory's name
        assert len({m[1] for m in per_split.values()}) == 1 and sum(sum(m[2]) for m in per_split.values()) == 3
        _, _, _, scalars, fields, bcs = per_split["train"]
        assert bcs == {"PERIODIC"} and fields == {"energy": (0, True), "energy_gradient": (1, True)}
        assert not scalars["noise_sigma"] and scalars["entropy"]
        with h5py.File(layout.split_file(ds, "train"), "r") as f:
            h, w = (f["dimensions"][d].shape[0] for d in f["dimensions"].attrs["spatial_dims"])
            for name in f["scalars"].attrs["field_names"]:  # hdf5_to_xarray: one dim per flag, none for constants
                sc = f["scalars"][name]
                assert sc.ndim == int(sc.attrs["sample_varying"]) + int(sc.attrs["time_varying"]), name
            assert f["scalars/noise_sigma"][()].shape == ()  # a 0-d constant, as the Well's writer makes it
            for i in range(3):
                for name in f[f"t{i}_fields"].attrs["field_names"]:
                    fd = f[f"t{i}_fields"][name]
                    window = fd[(0, slice(0, 2))]  # _reconstruct_fields: sample 0, steps 0..1
                    assert window.shape == (2, h, w, *(2,) * i) and list(fd.attrs["dim_varying"]) == [True, True]
            assert f["dimensions/time"].attrs["sample_varying"] == np.False_ and f["dimensions/time"].shape == (6,)


def _well_statistics(train_files):
    """scripts/compute_statistics.py of the Well (float64, per-file var_mean, mixed by counts), numpy for torch.

    After The Well (github.com/PolymathicAI/the_well, BSD-3-Clause, PolymathicAI).
    """
    acc = {}
    for path in train_files:
        with h5py.File(path, "r") as f:
            for i in range(3):
                g = f[f"t{i}_fields"]
                for field in g.attrs["field_names"]:
                    data = g[field][...].astype(np.float64)
                    parts = [("", data)] + ([("_delta", data[:, 1:] - data[:, :-1])] if g[field].attrs["time_varying"] else [])
                    for tag, x in parts:
                        axes = tuple(range(x.ndim - i))
                        acc.setdefault((tag, field), []).append((math.prod(x.shape[: x.ndim - i]), x.mean(axis=axes), x.var(axis=axes)))
    out = {}
    for (tag, field), rows in acc.items():
        w = np.array([c for c, _, _ in rows], dtype=np.float64)
        w /= w.sum()
        first = sum(wi * m for wi, (_, m, _) in zip(w, rows))
        second = sum(wi * (v + m**2) for wi, (_, m, v) in zip(w, rows))
        out.setdefault("mean" + tag, {})[field] = first
        out.setdefault("std" + tag, {})[field] = np.sqrt(second - first**2)
        out.setdefault("rms" + tag, {})[field] = np.sqrt(second)
    return out


def test_stats_yaml_holds_what_the_normalisations_read_recomputed_from_the_train_split(atlas):
    for ds in _datasets(atlas):
        stats = yaml.safe_load((ds / "stats.yaml").read_text("utf-8"))
        assert {"mean", "std", "mean_delta", "std_delta"} <= set(stats)  # ZScoreNormalization's required keys
        assert {"rms", "rms_delta"} <= set(stats)  # RMSNormalization's
        expected = _well_statistics([layout.split_file(ds, "train")])
        assert sorted(stats) == sorted(expected)
        for key, per_field in expected.items():
            assert sorted(stats[key]) == ["energy", "energy_gradient"]
            for field, value in per_field.items():
                np.testing.assert_allclose(np.asarray(stats[key][field]), value, rtol=1e-12, atol=0, err_msg=f"{ds.name} {key}.{field}")
                assert np.shape(stats[key][field]) == ((2,) if field == "energy_gradient" else ())
                if key.startswith("std"):
                    assert np.all(np.asarray(stats[key][field]) > 1e-4)  # compute_statistics.py asserts this
        others = _well_statistics([layout.split_file(ds, s) for s in ("valid", "test")])
        assert others["mean"]["energy_gradient"].tolist() != stats["mean"]["energy_gradient"]  # train only, not all splits


def test_stats_yaml_is_byte_deterministic_and_sorted():
    rng = np.random.default_rng(3)
    x = rng.random((2, 3, 4, 4)).astype(np.float32)
    a = wellstats.dumps(wellstats.field_stats({"u": (x, 0, True)}))
    assert a == wellstats.dumps(wellstats.field_stats({"u": (x.copy(), 0, True)}))
    keys = [line.rstrip(":") for line in a.decode().splitlines() if line and not line.startswith(("#", " "))]
    assert keys == sorted(wellstats.KEYS)


def test_the_split_is_seeded_stated_and_what_the_files_record(atlas, raw_params):
    raw = raw_params()
    fractions = raw["energy"]["split"]
    assert layout.split_counts(5, fractions) == {"train": 3, "valid": 1, "test": 1}  # the default: every split non-empty
    assert layout.split_counts(100, fractions) == {"train": 80, "valid": 10, "test": 10}
    assert layout.split_counts(2, fractions) == {"train": 1, "valid": 1, "test": 0}
    assert layout.split_counts(1, fractions) == {"train": 1, "valid": 0, "test": 0}
    for n in range(1, 40):
        parts = layout.assign(7, "x", n, fractions)
        assert sorted(s for p in parts.values() for s in p) == list(range(n))
        assert {k: len(v) for k, v in parts.items()} == layout.split_counts(n, fractions)
        assert parts == layout.assign(7, "x", n, fractions)
    assert layout.assign(7, "x", 30, fractions) != layout.assign(8, "x", 30, fractions)
    assert layout.assign(7, "x", 30, fractions) != layout.assign(7, "y", 30, fractions)
    for domain in raw["energy"]["domains"]:
        want = layout.assign(raw["seed"], domain, 3, fractions)
        for h in (128, 64):
            ds = layout.dataset_dir(atlas / domain, domain, h)
            for split, seqs in want.items():
                with h5py.File(layout.split_file(ds, split), "r") as f:
                    assert tuple(f.attrs["sequences"]) == seqs and f.attrs["split"] == split
                    assert list(f.attrs["split_counts"]) == [1, 1, 1] and f.attrs["n_trajectories"] == len(seqs)


# --- the dataset checks, on a tiny dataset written here --------------------------------------

def _file(path, name="tiny", h=8, t=3, b=2, field="u", counts=(2, 2, 2), constant=np.array(0.5)):
    rng = np.random.default_rng(len(str(path)))
    path.parent.mkdir(parents=True, exist_ok=True)
    wellformat.write(path, wellformat.WellContent(
        dataset_name=name, time=np.arange(t, dtype=np.float32),
        coords={"y": np.arange(h, dtype=np.float32), "x": np.arange(h, dtype=np.float32)},
        fields={0: {field: (rng.random((b, t, h, h)), {})}, 1: {"v": (rng.random((b, t, h, h, 2)), {})}},
        scalars={"nu": (constant, False, False)}, simulation_parameters={"nu": 0.5},
        boundary={"x_periodic": ("x", "periodic"), "y_periodic": ("y", "periodic")},
        root_attrs={"split_counts": np.array(counts, np.int64)}))
    return path


def _tiny_dataset(root, counts=(2, 2, 2)):
    ds = root / "tiny"
    for split, n in zip(layout.SPLITS, counts, strict=True):
        if n:
            _file(ds / "data" / split / f"tiny_{split}.h5", counts=counts)
    with h5py.File(ds / "data/train/tiny_train.h5", "r") as f:
        stats = wellstats.field_stats({"u": (f["t0_fields/u"][...], 0, True), "v": (f["t1_fields/v"][...], 1, True)})
    (ds / "stats.yaml").write_bytes(wellstats.dumps(stats))
    return ds


def _edit_stats(fn):
    def mutate(ds):
        stats = yaml.safe_load((ds / "stats.yaml").read_text())
        fn(stats)
        (ds / "stats.yaml").write_text(yaml.safe_dump(stats))
    return mutate


REFUSALS = {
    "no stats.yaml": (lambda ds: (ds / "stats.yaml").unlink(), "{ds}/stats.yaml: missing"),
    "stats key missing": (_edit_stats(lambda s: s.pop("std_delta")), "{ds}/stats.yaml: key 'std_delta' missing"),
    "stats field missing": (_edit_stats(lambda s: s["rms"].pop("u")), "{ds}/stats.yaml: rms.u missing"),
    "stats shape": (_edit_stats(lambda s: s["mean"].update(v=1.0)), "{ds}/stats.yaml: mean.v has shape ()"),
    "missing split": (lambda ds: shutil.rmtree(ds / "data/valid"), "{ds}/data/valid: missing split directory"),
    "empty split": (lambda ds: (ds / "data/test/tiny_test.h5").unlink(), "{ds}/data/test: no *.h5 or *.hdf5 file"),
    "two resolutions": (lambda ds: _file(ds / "data/train/zz_more.h5", h=16),
                        "{ds}/data/train/zz_more.h5:/dimensions: (16, 16) differs from (8, 8)"),
    "two dataset names": (lambda ds: _file(ds / "data/test/other.hdf5", name="other"),
                          "{ds}/data/test/other.hdf5:/@dataset_name: 'other' differs"),
    "field names differ": (lambda ds: _file(ds / "data/test/tiny_test.h5", field="w"),
                           "{ds}/data/test/tiny_test.h5:/t0_fields@field_names: ['w'] differs"),
    "constant scalar (1,)": (lambda ds: _file(ds / "data/train/tiny_train.h5", constant=np.array([0.5])),
                             "{ds}/data/train/tiny_train.h5:/scalars/nu: shape (1,): expected ()"),
    "one step": (lambda ds: _file(ds / "data/valid/tiny_valid.h5", t=1), "{ds}/data/valid/tiny_valid.h5:/dimensions/time: 1 step(s)"),
}


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_each_refusal_of_the_wells_loaders_is_a_line_naming_the_path(tmp_path, name):
    ds = _tiny_dataset(tmp_path)
    assert welldataset.check_dataset(ds) == []
    mutate, start = REFUSALS[name]
    mutate(ds)
    lines = welldataset.check_directory(ds)
    assert any(line.startswith(start.format(ds=ds)) for line in lines), lines
    if name in ("two resolutions", "two dataset names"):
        assert any("found in specified path" in line for line in lines)


def test_a_split_the_files_record_as_empty_may_be_absent(tmp_path):
    ds = _tiny_dataset(tmp_path, counts=(2, 2, 0))
    assert not (ds / "data/test").exists() and welldataset.check_directory(tmp_path) == []
    with h5py.File(ds / "data/train/tiny_train.h5", "r+") as f:
        f.attrs["split_counts"] = np.array([2, 2, 1], np.int64)
    assert any(line.startswith(f"{ds}/data/test: missing split directory (the files record 1")
               for line in welldataset.check_dataset(ds))


def test_the_old_layout_several_resolutions_side_by_side_is_refused(tmp_path):
    for h in (8, 16):
        _file(tmp_path / "old" / f"d_{h}.h5", h=h)
    lines = welldataset.check_directory(tmp_path / "old")
    assert lines[0].startswith(f"{tmp_path / 'old'}: holds HDF5 files directly")
    assert any(line.startswith(f"{tmp_path / 'old'}/d_8.h5:/dimensions:") and "Multiple resolutions" in line for line in lines)
    assert welldataset.check_directory(tmp_path / "old" / "..")[-1].endswith("no Well dataset (stats.yaml, data/train|valid|test/) found")
