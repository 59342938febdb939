"""The Well's HDF5 layout (PolymathicAI ``the_well``, ``docs/data_format.md``): writer and checker.

Layout (B trajectories, T steps, D = n_spatial_dims)::

    /                    @dataset_name @grid_type @n_spatial_dims @n_trajectories
                         @simulation_parameters (names) and one attribute per name
    /dimensions          @spatial_dims; time (T,) @sample_varying @time_varying; one (N,)
                         dataset per spatial dim @sample_varying @time_varying
    /boundary_conditions/<name>  @associated_dims @associated_fields @bc_type
                         @sample_varying @time_varying; mask (bool), values
    /scalars             @field_names; each dataset @sample_varying @time_varying
    /t0_fields, /t1_fields, /t2_fields   @field_names; each field float32
                         (B?, T?, *dims, D**order) @dim_varying @sample_varying @time_varying
                         (t2: also @symmetric @antisymmetric)

Axis order: the spatial axes of a field follow ``spatial_dims`` in order. This family
writes ``spatial_dims = ["y", "x"]``, so a field is (trajectories, steps, y, x) as rows and
columns of an image; vector components (t1) follow the same order (d/dy, d/dx).
Constant scalars (neither sample- nor time-varying) are 0-d datasets, as the Well's own
writer (``the_well/utils/dummy_data.py``) and checker (``scripts/check_thewell_formatting.py``)
have them; its ``to_xarray`` (``the_well/utils/export.py``) fails on shape (1,) ("different
number of dimensions on data and dims: 1 vs 0"), so this checker refuses (1,).
A trajectory needs at least 2 steps: ``WellDataset`` refuses fewer ("steps is not enough
steps for file", one input and one output step). Checks that span files (one resolution
per directory, stats.yaml, the split directories) are in :mod:`.welldataset`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from synthbank.io import hdf5

GRID_TYPES = ("cartesian", "spherical")
BC_TYPES = ("periodic", "wall", "open")
#: Steps a trajectory needs for the Well's WellDataset with its defaults (1 input + 1 output step).
MIN_STEPS = 2
REQUIRED_ROOT = ("dataset_name", "grid_type", "n_spatial_dims", "n_trajectories", "simulation_parameters")


def names(values: Sequence[str]) -> np.ndarray:
    """A list of names as an HDF5 variable-length string array (empty lists too)."""
    return np.array(list(values), dtype=h5py.string_dtype())


def flags(sample_varying: bool, time_varying: bool) -> dict[str, np.bool_]:
    return {"sample_varying": np.bool_(sample_varying), "time_varying": np.bool_(time_varying)}


@dataclass
class WellContent:
    """Everything one Well file holds (arrays in the axis order of the module docstring).

    Attributes
    ----------
    dataset_name : str
    time : ndarray (T,) float32
    coords : dict spatial dim name -> ndarray (N,) float32, in ``spatial_dims`` order
    fields : dict order (0, 1, 2) -> dict name -> (array, attrs); arrays (B, T, *dims, D**order)
    scalars : dict name -> (array, sample_varying, time_varying)
    simulation_parameters : dict name -> number (root attributes)
    boundary : dict name -> (associated dim, bc_type); periodic masks mark both ends
    root_attrs : further root attributes (family, generator_version, seed, params ...)
    """

    dataset_name: str
    time: np.ndarray
    coords: dict[str, np.ndarray]
    fields: dict[int, dict[str, tuple[np.ndarray, dict[str, Any]]]]
    scalars: dict[str, tuple[np.ndarray, bool, bool]] = field(default_factory=dict)
    simulation_parameters: dict[str, float] = field(default_factory=dict)
    boundary: dict[str, tuple[str, str]] = field(default_factory=dict)
    root_attrs: dict[str, Any] = field(default_factory=dict)


def write(path: str | Path, c: WellContent, chunk_maps: bool = True) -> None:
    """Write ``c`` deterministically (synthbank.io.hdf5: no timestamps, sorted attributes).

    Fields are chunked one (trajectory, step) map per chunk when ``chunk_maps`` (so one map
    is one read), uncompressed.
    """
    first = next(a for group in c.fields.values() for a, _ in group.values())
    n_traj = int(first.shape[0])
    root = dict(c.root_attrs)
    root.update(c.simulation_parameters)
    root.update(dataset_name=c.dataset_name, grid_type="cartesian", n_spatial_dims=np.int64(len(c.coords)),
                n_trajectories=np.int64(n_traj), simulation_parameters=names(list(c.simulation_parameters)))
    with hdf5.create_file(path, root) as f:
        dims = hdf5.create_group(f, "dimensions", {"spatial_dims": names(list(c.coords))})
        hdf5.create_dataset(dims, "time", shape=c.time.shape, dtype=np.float32, data=c.time, attrs=flags(False, True))
        for name, values in c.coords.items():
            hdf5.create_dataset(dims, name, shape=values.shape, dtype=np.float32, data=values, attrs=flags(False, False))
        bcs = hdf5.create_group(f, "boundary_conditions")
        for name, (dim, bc_type) in c.boundary.items():
            mask = np.zeros(len(c.coords[dim]), dtype=bool)
            mask[[0, -1]] = True
            g = hdf5.create_group(bcs, name, {"associated_dims": names([dim]), "associated_fields": names([]),
                                              "bc_type": bc_type, **flags(False, False)})
            hdf5.create_dataset(g, "mask", shape=mask.shape, dtype=bool, data=mask)
            hdf5.create_dataset(g, "values", shape=(int(mask.sum()),), dtype=np.float32, data=np.zeros(int(mask.sum()), np.float32))
        sc = hdf5.create_group(f, "scalars", {"field_names": names(list(c.scalars))})
        for name, (values, sv, tv) in c.scalars.items():
            values = np.asarray(values, dtype=np.float32)
            hdf5.create_dataset(sc, name, shape=values.shape, dtype=np.float32, data=values, attrs=flags(sv, tv))
        for order in (0, 1, 2):
            group = c.fields.get(order, {})
            g = hdf5.create_group(f, f"t{order}_fields", {"field_names": names(list(group))})
            for name, (values, attrs) in group.items():
                chunks = (1, 1, *values.shape[2:]) if chunk_maps else None
                a = {"dim_varying": np.ones(len(c.coords), dtype=bool), **flags(True, True), **attrs}
                if order == 2:
                    a.setdefault("symmetric", np.bool_(False))
                    a.setdefault("antisymmetric", np.bool_(False))
                hdf5.create_dataset(g, name, shape=values.shape, dtype=np.float32, chunks=chunks,
                                    data=np.asarray(values, dtype=np.float32), attrs=a)


# --- the checker -------------------------------------------------------------------------

def _is_bool(v: Any) -> bool:
    return isinstance(v, (bool, np.bool_))


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not _is_bool(v)


def _str_list(v: Any) -> list[str] | None:
    """The value as a list of str, or None if it is not a list of strings."""
    if isinstance(v, np.ndarray) and v.ndim == 1:
        out = [x.decode() if isinstance(x, bytes) else x for x in v.tolist()]
        return out if all(isinstance(x, str) for x in out) else None
    if isinstance(v, (list, tuple)) and all(isinstance(x, str) for x in v):
        return list(v)
    return None


class _Problems(list):
    def add(self, where: str, message: str) -> None:
        self.append(f"{where}: {message}")


def _flags(obj: h5py.HLObject, where: str, p: _Problems) -> tuple[bool, bool] | None:
    out = []
    attrs = dict(obj.attrs)  # one read of every attribute: h5py's per-attribute access is slow
    for name in ("sample_varying", "time_varying"):
        if name not in attrs:
            p.add(f"{where}@{name}", "missing attribute")
        elif not _is_bool(attrs[name]):
            p.add(f"{where}@{name}", f"must be a bool, got {attrs[name]!r}")
        else:
            out.append(bool(attrs[name]))
    return tuple(out) if len(out) == 2 else None


def _field_names(group: h5py.Group, where: str, p: _Problems) -> list[str]:
    if "field_names" not in group.attrs:
        p.add(f"{where}@field_names", "missing attribute")
        return []
    listed = _str_list(group.attrs["field_names"])
    if listed is None:
        p.add(f"{where}@field_names", f"must be a list of strings, got {group.attrs['field_names']!r}")
        return []
    members = {name: isinstance(obj, h5py.Dataset) for name, obj in group.items()}
    for name in listed:
        if not members.get(name):
            p.add(f"{where}/{name}", "listed in field_names but no such dataset")
    for name in members:
        if name not in listed:
            p.add(f"{where}/{name}", "dataset not listed in field_names")
    return [n for n in listed if members.get(n)]


def check(path: str | Path) -> list[str]:
    """Every way ``path`` departs from the Well's format, one line each naming the HDF5 path.

    Returns
    -------
    list of str
        Lines ``"<hdf5 path>[@attribute]: problem"``; empty for a conforming file.
    """
    p = _Problems()
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        return [f"/: cannot be opened as HDF5 ({exc})"]
    with f:
        _check_root(f, p)
        n_traj = f.attrs.get("n_trajectories")
        n_traj = int(n_traj) if _is_int(n_traj) and n_traj > 0 else None  # else reported by _check_root
        dims = _check_dimensions(f, p)
        sizes = {k: v for k, v in dims.items() if k != "time"} if dims else {}
        n_time = dims.get("time") if dims else None
        _check_boundaries(f, sizes, p)
        _check_scalars(f, n_traj, n_time, p)
        for order in (0, 1, 2):
            _check_fields(f, order, n_traj, n_time, sizes, p)
    return list(p)


def _check_root(f: h5py.File, p: _Problems) -> None:
    a = f.attrs
    for name in REQUIRED_ROOT:
        if name not in a:
            p.add(f"/@{name}", "missing root attribute")
    if "dataset_name" in a and not isinstance(a["dataset_name"], str):
        p.add("/@dataset_name", f"must be a string, got {a['dataset_name']!r}")
    if "grid_type" in a and a["grid_type"] not in GRID_TYPES:
        p.add("/@grid_type", f"is {a['grid_type']!r}: allowed {list(GRID_TYPES)}")
    for name in ("n_spatial_dims", "n_trajectories"):
        if name in a and not (_is_int(a[name]) and a[name] > 0):
            p.add(f"/@{name}", f"must be a positive integer, got {a[name]!r}")
    if "simulation_parameters" in a:
        listed = _str_list(a["simulation_parameters"])
        if listed is None:
            p.add("/@simulation_parameters", f"must be a list of strings, got {a['simulation_parameters']!r}")
        else:
            for name in listed:
                if name not in a:
                    p.add(f"/@{name}", "listed in simulation_parameters but no such root attribute")


def _check_dimensions(f: h5py.File, p: _Problems) -> dict[str, int] | None:
    if "dimensions" not in f or not isinstance(f["dimensions"], h5py.Group):
        p.add("/dimensions", "missing or not a group")
        return None
    g = f["dimensions"]
    out: dict[str, int] = {}
    if not isinstance(g.get("time"), h5py.Dataset):
        p.add("/dimensions/time", "missing dataset")
    else:
        t = g["time"]
        if "sample_varying" not in t.attrs or not _is_bool(t.attrs["sample_varying"]):
            p.add("/dimensions/time@sample_varying", "missing or not a bool")
        out["time"] = int(t.shape[-1]) if t.ndim else 0
        if out["time"] < MIN_STEPS:
            p.add("/dimensions/time", f"{out['time']} step(s): the Well's WellDataset needs at least {MIN_STEPS} "
                                      "(n_steps_input + n_steps_output)")
    spatial = _str_list(g.attrs.get("spatial_dims")) if "spatial_dims" in g.attrs else None
    if spatial is None:
        p.add("/dimensions@spatial_dims", "missing or not a list of strings")
        return out
    if _is_int(f.attrs.get("n_spatial_dims")) and len(spatial) != f.attrs["n_spatial_dims"]:
        p.add("/dimensions@spatial_dims", f"has {len(spatial)} names but /@n_spatial_dims is {f.attrs['n_spatial_dims']}")
    for name in spatial:
        where = f"/dimensions/{name}"
        if not isinstance(g.get(name), h5py.Dataset):
            p.add(where, "named in spatial_dims but no such dataset")
            continue
        fl = _flags(g[name], where, p)
        if fl and fl[1]:
            p.add(f"{where}@time_varying", "True is not supported by the format")
        out[name] = int(g[name].shape[-1]) if g[name].ndim else 0
    return out


def _check_boundaries(f: h5py.File, sizes: Mapping[str, int], p: _Problems) -> None:
    if "boundary_conditions" not in f or not isinstance(f["boundary_conditions"], h5py.Group):
        p.add("/boundary_conditions", "missing or not a group")
        return
    for key, bc in f["boundary_conditions"].items():
        where = f"/boundary_conditions/{key}"
        if not isinstance(bc, h5py.Group):
            p.add(where, "must be a group")
            continue
        bc_type = bc.attrs.get("bc_type")
        if not isinstance(bc_type, str) or bc_type.lower() not in BC_TYPES:
            p.add(f"{where}@bc_type", f"is {bc_type!r}: allowed {list(BC_TYPES)}")
        fl = _flags(bc, where, p)
        if "associated_fields" not in bc.attrs:
            p.add(f"{where}@associated_fields", "missing attribute")
        assoc = _str_list(bc.attrs["associated_dims"]) if "associated_dims" in bc.attrs else None
        if not assoc:
            p.add(f"{where}@associated_dims", "missing, empty or not a list of strings")
            continue
        if "mask" not in bc:
            p.add(f"{where}/mask", "missing dataset")
            continue
        lead = sum(fl) if fl else 0
        for i, dim in enumerate(assoc):
            if dim not in sizes:
                p.add(f"{where}@associated_dims", f"{dim!r} is not in /dimensions@spatial_dims")
            elif bc["mask"].ndim <= lead + i or bc["mask"].shape[lead + i] != sizes[dim]:
                p.add(f"{where}/mask", f"shape {bc['mask'].shape} does not match dimension {dim} of size {sizes[dim]}")
        if bc["mask"].dtype != bool:
            p.add(f"{where}/mask", f"dtype is {bc['mask'].dtype}: allowed bool")
        elif "values" not in bc:
            p.add(f"{where}/values", "missing dataset")
        elif bc["values"].shape[-1:] != (int(np.count_nonzero(bc["mask"][...])),):
            p.add(f"{where}/values", f"shape {bc['values'].shape} does not end in the mask's {int(np.count_nonzero(bc['mask'][...]))} true entries")


def _check_scalars(f: h5py.File, n_traj: int | None, n_time: int | None, p: _Problems) -> None:
    if "scalars" not in f or not isinstance(f["scalars"], h5py.Group):
        p.add("/scalars", "missing or not a group")
        return
    g = f["scalars"]
    for name in _field_names(g, "/scalars", p):
        where, ds = f"/scalars/{name}", g[name]
        fl = _flags(ds, where, p)
        if fl is None:
            continue
        want = tuple(n for n, on in ((n_traj, fl[0]), (n_time, fl[1])) if on)
        if None in want:  # the size it depends on is missing; that is reported where it lives
            continue
        if ds.shape != want:
            hint = " (a 0-d dataset: the Well's to_xarray refuses (1,))" if not want else ""
            p.add(where, f"shape {ds.shape}: expected {want}{hint} from sample_varying={fl[0]}, time_varying={fl[1]}")


def _check_fields(f: h5py.File, order: int, n_traj: int | None, n_time: int | None, sizes: Mapping[str, int], p: _Problems) -> None:
    where_g = f"/t{order}_fields"
    if where_g not in f or not isinstance(f[where_g], h5py.Group):
        p.add(where_g, "missing or not a group")
        return
    g = f[where_g]
    spatial = list(sizes)
    for name in _field_names(g, where_g, p):
        where = f"{where_g}/{name}"
        ds = g[name]
        fl = _flags(ds, where, p)
        dv = ds.attrs.get("dim_varying")
        if dv is None or not (isinstance(dv, np.ndarray) and dv.dtype == bool and dv.shape == (len(spatial),)):
            p.add(f"{where}@dim_varying", f"must be {len(spatial)} bools (one per spatial dim), got {dv!r}")
            dv = None
        if order == 2:
            for a in ("symmetric", "antisymmetric"):
                if not _is_bool(ds.attrs.get(a)):
                    p.add(f"{where}@{a}", "missing or not a bool")
        if ds.dtype != np.float32:
            p.add(where, f"dtype is {ds.dtype}: the format stores fields as float32")
        if fl is None or dv is None:
            continue
        want = [n for n, on in ((n_traj, fl[0]), (n_time, fl[1])) if on]
        want += [sizes[d] for d, on in zip(spatial, dv, strict=True) if on]
        want += [len(spatial)] * order
        if None in want:  # the size it depends on is missing; that is reported where it lives
            continue
        if ds.shape != tuple(int(w) for w in want):
            p.add(where, f"shape {ds.shape}: expected {tuple(int(w) for w in want)} from its attributes and /dimensions")
