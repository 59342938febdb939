"""The per-dose steps: each reads its input files, calls the pure functions, writes one directory.

:func:`run_generate` runs simulate to views in one process (the ``generate_ptycho`` stage).

Every stage writes into a staged temporary directory renamed into place when complete
(``synthbank.io.staging``), and records in its files the parameters of its own step and
those carried by its inputs, so each file describes everything that shaped it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from synthbank import seeding
from synthbank.errors import UsageError
from synthbank.families.ptycho import canonical, export, patch, split, views
from synthbank.families.ptycho.config import PatchConfig, SimulationConfig, SweepConfig, ViewsConfig
from synthbank.families.ptycho.files import read_attrs, read_h5, root_attrs, write_h5, write_npz
from synthbank.families.ptycho.layout import FAMILY, GROUP_STREAM, NPZ_KEYS, SPLITS, VIEW_STREAM, VIEWS
from synthbank.families.ptycho.simulate import object_patches, simulate
from synthbank.io.staging import staged_dir, visible

NATIVE_AXES = ["detector_y", "detector_x", "frame"]
NHW_AXES = ["frame", "detector_y", "detector_x"]
PX = "object pixels (patch centre)"


def _coords_attrs(axis: str) -> dict[str, Any]:
    return {"axes": ["frame"], "units": PX, "description": f"{axis} of the patch centre"}


def run_simulate(cfg: SimulationConfig, out_dir: Path, backend: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Simulate one dose (its noise blocks as tasks on ``backend``) and write ``raw.h5`` in the detector's native form.

    ``counts`` (H, W, n) uint32 photons and ``intensity_expected`` (H, W, n) float32 (the
    noise-free intensity the validator compares against), detector axis order HWN;
    ``object`` (H, W) and ``probe`` (N, N) complex64; ``positions`` (n, 2) float64 (y, x).
    Root attributes ``photon_scale`` (photons per unit of ``|fft2(probe * patch)|**2``, one
    per dose) and ``probe_photons`` (the unobstructed probe's expected photons).
    """
    sim = simulate(cfg, backend)
    hwn = lambda a: np.moveaxis(a, 0, 2)  # noqa: E731  (the detector writes frames last)
    attrs = root_attrs("simulate", cfg.dose, cfg.record(), "detector-native simulated ptychography scan")
    attrs |= {"detector_axis_order": "HWN", **scale_attrs(sim.photon_scale, sim.probe_photons)}
    with staged_dir(out_dir, "ptycho") as tmp:
        write_h5(tmp / "raw.h5", attrs, {
            "counts": (hwn(sim.counts), {"axes": NATIVE_AXES, "units": "photons"}),
            "intensity_expected": (hwn(sim.intensity), {"axes": NATIVE_AXES, "units": "photons (expected, noise-free)"}),
            "object": (sim.object, {"axes": ["y", "x"], "units": "transmission (unitless)"}),
            "probe": (sim.probe, {"axes": ["detector_y", "detector_x"],
                                  "units": "unitless (photons: photon_scale * N*N * sum |probe|^2, root attribute probe_photons)"}),
            "positions": (sim.positions, {"axes": ["frame", "yx"], "units": PX, "columns": ["y", "x"]}),
        })
    return {"patterns": len(sim.positions), "dose": cfg.dose, "photon_scale": sim.photon_scale}


SCALE_ATTRS = ("photon_scale", "probe_photons")


def scale_attrs(photon_scale: float, probe_photons: float) -> dict[str, float]:
    """The dose's photon scale as root attributes (carried from raw.h5 to canonical.h5 and the splits)."""
    return {"photon_scale": float(photon_scale), "probe_photons": float(probe_photons)}


def run_canonicalise(source: Path, out_dir: Path, axes: str = "auto", dose: int = 0) -> dict[str, Any]:
    """Convert ``raw.h5`` (native) or a legacy ``.npz`` to ``canonical.h5``.

    A legacy NPZ (``diff3d`` intensity in NHW or HWN, ``objectGuess``, ``probeGuess``,
    ``xcoords``, ``ycoords``) records ``dose`` as given (0: unknown) and its file name.
    """
    if not source.is_file():
        raise UsageError(f"{source} does not exist: allowed a raw.h5 from 'synthbank generate ptycho' or a legacy .npz")
    try:
        if source.suffix == ".npz":
            with np.load(source, allow_pickle=False) as npz:
                arrays = canonical.from_legacy(npz, axes)
            params = {"source": {"kind": "legacy npz", "name": source.name, "axes": axes}}
            scales = {}
        else:
            raw = read_h5(source, ["counts", "object", "probe", "positions"])
            info = read_attrs(source)
            arrays = canonical.canonicalise(
                raw["counts"], raw["object"], raw["probe"], raw["positions"][:, 1], raw["positions"][:, 0],
                axes="HWN" if info.get("detector_axis_order") == "HWN" else axes,
            )
            dose = int(info.get("dose", dose))
            params = {"simulation": info.get("params", {})}
            scales = {k: float(info[k]) for k in SCALE_ATTRS if k in info}
    except ValueError as exc:
        raise UsageError(f"{source}: {exc}") from None
    n = len(arrays["xcoords"])
    attrs = root_attrs("canonical", dose, params, "canonical contract (DATA-001): NHW amplitudes") | scales
    with staged_dir(out_dir, "ptycho") as tmp:
        write_h5(tmp / "canonical.h5", attrs, {
            "diffraction": (arrays["diffraction"], {"axes": NHW_AXES, "units": "sqrt(photons) (amplitude)"}),
            "objectGuess": (arrays["objectGuess"], {"axes": ["y", "x"], "units": "transmission (unitless)"}),
            "probeGuess": (arrays["probeGuess"], {"axes": ["detector_y", "detector_x"], "units": "unitless"}),
            "xcoords": (arrays["xcoords"], _coords_attrs("x")),
            "ycoords": (arrays["ycoords"], _coords_attrs("y")),
            "scan_index": (np.arange(n, dtype=np.int64), {"axes": ["frame"], "description": "row in the simulate output"}),
        })
    return {"patterns": n, "dose": dose}


def run_patch(cfg: PatchConfig, canonical_path: Path, out_dir: Path) -> dict[str, Any]:
    """K-nearest-neighbour groups of every position, written as index arrays with coordinates."""
    c = read_h5(canonical_path, ["xcoords", "ycoords"])
    info = read_attrs(canonical_path)
    if cfg.neighbours > len(c["xcoords"]):
        raise UsageError(f"ptycho.patch.neighbours={cfg.neighbours} is invalid: only {len(c['xcoords'])} scan positions")
    nbrs = patch.nearest_neighbours(c["xcoords"], c["ycoords"], cfg.neighbours)
    groups = patch.draw_groups(seeding.stream(cfg.seed, FAMILY, GROUP_STREAM), nbrs, cfg.group_size)
    params = {**info["params"], "patch": cfg.record()}
    idx = {"units": "row index into canonical.h5", "axes": ["group", "member"]}
    with staged_dir(out_dir, "ptycho") as tmp:
        write_h5(tmp / "groups.h5", root_attrs("patch", info["dose"], params, "K-nearest-neighbour groups"), {
            "neighbours": (nbrs, {"units": "row index into canonical.h5", "axes": ["frame", "rank"],
                                  "description": "K nearest positions, the position itself first"}),
            "groups": (groups, idx | {"description": "anchor (the group's own position) then C-1 drawn neighbours"}),
            "group_centres": (patch.group_centres(groups, c["xcoords"], c["ycoords"]),
                              {"units": "object pixels", "axes": ["group", "yx"], "columns": ["y", "x"]}),
            "xcoords": (c["xcoords"], _coords_attrs("x")),
            "ycoords": (c["ycoords"], _coords_attrs("y")),
        })
    return {"groups": len(groups)}


def run_split(canonical_path: Path, groups_path: Path, out_dir: Path) -> dict[str, Any]:
    """Train/test by halves along y: HDF5 (with groups) and the NPZ export of each split.

    The NPZ is the canonical contract and PtychoPINN's raw NPZ at once
    (:mod:`synthbank.families.ptycho.export`).
    """
    c = read_h5(canonical_path, ["diffraction", "objectGuess", "probeGuess", "xcoords", "ycoords", "scan_index"])
    scales = {k: v for k, v in read_attrs(canonical_path).items() if k in SCALE_ATTRS}
    g = read_h5(groups_path, ["groups"])["groups"]
    info = read_attrs(groups_path)
    train, test, cut = split.split_by_y(c["ycoords"])
    params = {**info["params"], "split": {"axis": "y", "rule": "y < cut: train; y >= cut: test", "cut_px": cut}}
    n_probe = c["probeGuess"].shape[0]
    gridsize = int(info["params"].get("patch", {}).get("gridsize", 1))
    sizes = {}
    with staged_dir(out_dir, "ptycho") as tmp:
        for name, rows in zip(SPLITS, (train, test), strict=True):
            pos = np.stack([c["ycoords"][rows], c["xcoords"][rows]], axis=1)
            meta = export.metadata(int(info["dose"]), n_probe, gridsize, name, scales)
            arrays = export.split_arrays(c, rows, object_patches(c["objectGuess"], pos, n_probe), meta)
            local, kept = split.local_groups(g, rows, len(c["xcoords"]))
            attrs = root_attrs("split", info["dose"], params, f"{name} split: spatial half along y")
            attrs |= {"split": name, "y_cut_px": cut, **scales}
            write_h5(tmp / f"{name}.h5", attrs, {
                "diffraction": (arrays["diffraction"], {"axes": NHW_AXES, "units": "sqrt(photons) (amplitude)"}),
                "Y": (arrays["Y"], {"axes": NHW_AXES[:1] + ["y", "x"], "units": "transmission (unitless)",
                                    "description": "ground-truth object patch at each scan position"}),
                "objectGuess": (arrays["objectGuess"], {"axes": ["y", "x"], "units": "transmission (unitless)"}),
                "probeGuess": (arrays["probeGuess"], {"axes": ["detector_y", "detector_x"], "units": "unitless"}),
                "xcoords": (arrays["xcoords"], _coords_attrs("x")),
                "ycoords": (arrays["ycoords"], _coords_attrs("y")),
                "scan_index": (arrays["pattern_index"], {"axes": ["frame"], "description": "row in canonical.h5 / raw.h5"}),
                "groups": (local, {"axes": ["group", "member"], "units": "row index into this split",
                                   "description": "groups of groups.h5 whose members all lie in this split"}),
                "group_index": (kept, {"axes": ["group"], "units": "row index into groups.h5"}),
            })
            write_npz(tmp / f"{name}.npz", arrays, NPZ_KEYS)
            sizes[name] = {"patterns": int(len(rows)), "groups": int(len(kept))}
    return sizes


def run_views(cfg: ViewsConfig, split_dir: Path, out_dir: Path) -> dict[str, Any]:
    """Dense and sparse views of each split's groups (centres at least S apart)."""
    data = {s: read_h5(split_dir / f"{s}.h5", ["groups", "group_index", "xcoords", "ycoords"]) for s in SPLITS}
    info = read_attrs(split_dir / "train.h5")
    sizes: dict[str, Any] = {}
    with staged_dir(out_dir, "ptycho") as tmp:
        for v, view in enumerate(VIEWS):
            spacing = cfg.spacing(view)
            per_split = {}
            for s, name in enumerate(SPLITS):
                d = data[name]
                centres = patch.group_centres(d["groups"], d["xcoords"], d["ycoords"])
                order = seeding.stream(cfg.seed, FAMILY, VIEW_STREAM, v, s).permutation(len(centres))
                keep = views.select_spaced(centres, spacing, order)
                per_split[name] = {
                    "groups": (d["groups"][keep], {"axes": ["group", "member"], "units": f"row index into {name}.h5"}),
                    "group_index": (d["group_index"][keep], {"axes": ["group"], "units": "row index into groups.h5"}),
                    "split_group": (keep, {"axes": ["group"], "units": f"row index into /groups of {name}.h5"}),
                    "centres": (centres[keep], {"axes": ["group", "yx"], "units": "object pixels", "columns": ["y", "x"]}),
                }
                sizes[f"{view}_{name}"] = int(len(keep))
            params = {**info["params"], "views": cfg.record()}
            attrs = root_attrs("views", info["dose"], params, f"{view} view: group centres at least {spacing} px apart")
            attrs |= {"view": view, "min_spacing_px": spacing, "selection": "greedy in a seeded random order"}
            write_h5(tmp / f"{view}.h5", attrs, {}, groups=per_split)
    return sizes


def load_json(path: Path) -> Any:
    if not path.is_file():
        raise UsageError(f"{path} does not exist: run 'synthbank validate ptycho' for that dose first")
    return json.loads(path.read_text("utf-8"))


def run_generate(cfg: SweepConfig, dose: int, simulate_dir: Path, backend: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Simulate one dose into ``simulate_dir``, then canonicalise, patch, split and views beside it.

    Inside a transaction each step reads what the previous one staged (not yet visible at
    its final path). Returns :func:`run_simulate`'s summary.
    """
    d = simulate_dir.parent
    written = run_simulate(cfg.simulation(dose), simulate_dir, backend)
    run_canonicalise(visible(simulate_dir / "raw.h5"), d / "canonical")
    canonical_h5 = visible(d / "canonical" / "canonical.h5")
    run_patch(cfg.patch, canonical_h5, d / "patch")
    run_split(canonical_h5, visible(d / "patch" / "groups.h5"), d / "split")
    run_views(cfg.views, visible(d / "split"), d / "views")
    return written
