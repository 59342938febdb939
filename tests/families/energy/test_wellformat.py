"""The Well's format: the family's files pass; each violation is caught and names its HDF5 path."""

import h5py
import numpy as np
import pytest

from synthbank.families.energy import wellformat


def tiny(path, b=2, t=3, h=8, w=12):
    """The tiny writer: a valid Well file with one t0, one t1 and one t2 field."""
    rng = np.random.default_rng(0)
    content = wellformat.WellContent(
        dataset_name="tiny", time=np.arange(t, dtype=np.float32),
        coords={"y": np.arange(h, dtype=np.float32), "x": np.arange(w, dtype=np.float32)},
        fields={0: {"energy": (rng.random((b, t, h, w)), {})}, 1: {"grad": (rng.random((b, t, h, w, 2)), {})},
                2: {"stress": (rng.random((b, t, h, w, 2, 2)).reshape(b, t, h, w, 4)[..., :4].reshape(b, t, h, w, 2, 2), {"symmetric": np.bool_(True)})}},
        scalars={"total_energy": (rng.random((b, t)), True, True), "viscosity": (np.array(0.1), False, False)},
        simulation_parameters={"viscosity": 0.1},
        boundary={"x_periodic": ("x", "periodic"), "y_wall": ("y", "wall")},
        root_attrs={"family": "energy"},
    )
    wellformat.write(path, content)
    return path


def test_tiny_file_and_every_atlas_file_pass(tmp_path, atlas):
    assert wellformat.check(tiny(tmp_path / "t.h5")) == []
    files = sorted(atlas.rglob("*.h5"))
    assert len(files) == 5 * 2 * 3  # domains x scales x splits
    for path in files:
        assert wellformat.check(path) == [], path


def _set(name, value):
    def mutate(f):
        obj, _, attr = name.partition("@")
        f[obj or "/"].attrs[attr] = value
    return mutate


def _del(name):
    def mutate(f):
        obj, _, attr = name.partition("@")
        if attr:
            del f[obj or "/"].attrs[attr]
        else:
            del f[obj]
    return mutate


def _replace(name, data):
    def mutate(f):
        attrs = dict(f[name].attrs)
        del f[name]
        f[name] = data
        for k, v in attrs.items():
            f[name].attrs[k] = v
    return mutate


def _add(name, data):
    def mutate(f):
        f[name] = data
    return mutate


def _regroup(name, as_dataset=False):
    """Replace ``name`` by an empty group (or, with ``as_dataset``, a dataset)."""
    def mutate(f):
        del f[name]
        f.create_dataset(name, data=np.zeros(1)) if as_dataset else f.create_group(name)
    return mutate


VIOLATIONS = {
    "no dataset_name": (_del("@dataset_name"), "/@dataset_name"),
    "bad grid_type": (_set("@grid_type", "hexagonal"), "/@grid_type"),
    "n_trajectories not positive": (_set("@n_trajectories", np.int64(0)), "/@n_trajectories"),
    "listed parameter missing": (_set("@simulation_parameters", wellformat.names(["viscosity", "ghost"])), "/@ghost"),
    "no dimensions": (_del("dimensions"), "/dimensions"),
    "spatial dim dataset missing": (_del("dimensions/x"), "/dimensions/x"),
    "spatial_dims count": (_set("dimensions@spatial_dims", wellformat.names(["y"])), "/dimensions@spatial_dims"),
    "time without sample_varying": (_del("dimensions/time@sample_varying"), "/dimensions/time@sample_varying"),
    "coordinate time_varying": (_set("dimensions/x@time_varying", np.bool_(True)), "/dimensions/x@time_varying"),
    "flag not bool": (_set("dimensions/y@sample_varying", 1), "/dimensions/y@sample_varying"),
    "no boundary_conditions": (_del("boundary_conditions"), "/boundary_conditions"),
    "bad bc_type": (_set("boundary_conditions/x_periodic@bc_type", "sticky"), "/boundary_conditions/x_periodic@bc_type"),
    "mask size": (_replace("boundary_conditions/x_periodic/mask", np.zeros(5, bool)), "/boundary_conditions/x_periodic/mask"),
    "values size": (_replace("boundary_conditions/y_wall/values", np.zeros(7, np.float32)), "/boundary_conditions/y_wall/values"),
    "no associated_fields": (_del("boundary_conditions/y_wall@associated_fields"), "/boundary_conditions/y_wall@associated_fields"),
    "scalar listed but missing": (_set("scalars@field_names", wellformat.names(["total_energy", "viscosity", "ghost"])), "/scalars/ghost"),
    "scalar shape": (_replace("scalars/total_energy", np.zeros((2, 4), np.float32)), "/scalars/total_energy"),
    "scalar not listed": (_add("scalars/extra", np.zeros(1, np.float32)), "/scalars/extra"),
    "constant scalar of shape (1,)": (_replace("scalars/viscosity", np.array([0.1], np.float32)), "/scalars/viscosity"),
    "one step": (_replace("dimensions/time", np.zeros(1, np.float32)), "/dimensions/time"),
    "no t2_fields": (_del("t2_fields"), "/t2_fields"),
    "field shape": (_replace("t0_fields/energy", np.zeros((2, 3, 8, 11), np.float32)), "/t0_fields/energy"),
    "field dtype": (_replace("t0_fields/energy", np.zeros((2, 3, 8, 12), np.float64)), "/t0_fields/energy"),
    "field without dim_varying": (_del("t0_fields/energy@dim_varying"), "/t0_fields/energy@dim_varying"),
    "field not listed": (_add("t0_fields/extra", np.zeros((2, 3, 8, 12), np.float32)), "/t0_fields/extra"),
    "vector field components": (_replace("t1_fields/grad", np.zeros((2, 3, 8, 12, 3), np.float32)), "/t1_fields/grad"),
    "tensor without symmetric": (_del("t2_fields/stress@symmetric"), "/t2_fields/stress@symmetric"),
    "trajectories disagree": (_set("@n_trajectories", np.int64(5)), "/t0_fields/energy"),
    "no field_names": (_del("t1_fields@field_names"), "/t1_fields@field_names"),
    "dataset_name not a string": (_set("@dataset_name", np.int64(3)), "/@dataset_name"),
    "n_spatial_dims not positive": (_set("@n_spatial_dims", np.int64(0)), "/@n_spatial_dims"),
    "no n_trajectories": (_del("@n_trajectories"), "/@n_trajectories"),
    "n_trajectories not an integer": (_set("@n_trajectories", "two"), "/@n_trajectories"),
    "simulation_parameters not a list": (_set("@simulation_parameters", np.int64(3)), "/@simulation_parameters"),
    "no time": (_del("dimensions/time"), "/dimensions/time"),
    "no spatial_dims": (_del("dimensions@spatial_dims"), "/dimensions@spatial_dims"),
    "coordinate is a group": (_regroup("dimensions/x"), "/dimensions/x"),
    "boundary not a group": (_add("boundary_conditions/zz", np.zeros(1)), "/boundary_conditions/zz"),
    "no associated_dims": (_del("boundary_conditions/y_wall@associated_dims"), "/boundary_conditions/y_wall@associated_dims"),
    "associated dim unknown": (_set("boundary_conditions/y_wall@associated_dims", wellformat.names(["z"])), "/boundary_conditions/y_wall@associated_dims"),
    "no mask": (_del("boundary_conditions/y_wall/mask"), "/boundary_conditions/y_wall/mask"),
    "mask not bool": (_replace("boundary_conditions/y_wall/mask", np.zeros(8, np.int8)), "/boundary_conditions/y_wall/mask"),
    "no values": (_del("boundary_conditions/y_wall/values"), "/boundary_conditions/y_wall/values"),
    "no scalars": (_del("scalars"), "/scalars"),
    "field_names not a list": (_set("scalars@field_names", np.int64(3)), "/scalars@field_names"),
    "fields group is a dataset": (_regroup("t2_fields", as_dataset=True), "/t2_fields"),
}


@pytest.mark.parametrize("name", sorted(VIOLATIONS))
def test_each_violation_is_reported_with_its_hdf5_path(tmp_path, name):
    mutate, where = VIOLATIONS[name]
    path = tiny(tmp_path / "t.h5")
    with h5py.File(path, "r+") as f:
        mutate(f)
    problems = wellformat.check(path)
    assert problems, name
    assert all(line.startswith("/") and ": " in line for line in problems), problems
    assert any(line.split(": ", 1)[0] == where for line in problems), (where, problems)


def test_a_file_that_is_not_hdf5_is_one_problem_at_the_root(tmp_path):
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"not hdf5")
    [line] = wellformat.check(bad)
    assert line.startswith("/: cannot be opened")


def test_writer_is_byte_deterministic(tmp_path):
    a, b = tiny(tmp_path / "a.h5"), tiny(tmp_path / "b.h5")
    assert a.read_bytes() == b.read_bytes()
