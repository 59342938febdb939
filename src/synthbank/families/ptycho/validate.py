"""Validate one dose: contract, split separation, photon statistics, group spacing.

Each check is a function of arrays, so tests can feed it data built to violate it.
:func:`validate_dose` reads the files of one dose, runs every check and the family's
threshold rules (:data:`synthbank.families.ptycho.FAMILY`), writes the metrics JSON
(before deciding) and returns the failures; :func:`aggregate` nests the per-dose
metrics for ``metrics/ptycho.json``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.fft

from synthbank import jsonio, parallel, thresholds
from synthbank.errors import UsageError
from synthbank.families.ptycho import FAMILY as PTYCHO
from synthbank.families.ptycho.files import read_attrs, read_h5
from synthbank.families.ptycho.layout import NPZ_KEYS, SPLITS, VIEWS, dose_key
from synthbank.families.ptycho.photons import forward_totals, photon_statistics, predicted_totals
from synthbank.families.ptycho.views import min_pairwise_distance
from synthbank.io.staging import staged_dir

EXPECTED_DTYPES = {
    "diffraction": np.dtype(np.float32), "diff3d": np.dtype(np.float32), "Y": np.dtype(np.complex64),
    "objectGuess": np.dtype(np.complex64), "probeGuess": np.dtype(np.complex64), "xcoords": np.dtype(np.float64),
    "ycoords": np.dtype(np.float64), "xcoords_start": np.dtype(np.float64), "ycoords_start": np.dtype(np.float64),
    "scan_index": np.dtype(np.int64), "pattern_index": np.dtype(np.int64),
}
#: Members of the NPZ with one entry per pattern (their length is n, from xcoords).
PER_PATTERN = ("xcoords_start", "ycoords_start", "scan_index", "pattern_index")


def check_contract(arrays: Mapping[str, np.ndarray], where: str) -> list[str]:
    """Keys, dtypes, shapes (NHW, 3-D Y, coordinate lengths), finite non-negative amplitudes.

    Returns the problems found (empty when the split meets the contract).
    """
    missing = [k for k in NPZ_KEYS if k not in arrays]
    if missing:
        return [f"{where}: missing key(s) {missing}"]
    problems = [
        f"{where}: {k} has dtype {arrays[k].dtype}, expected {dt}"
        for k, dt in EXPECTED_DTYPES.items() if arrays[k].dtype != dt
    ]
    d, y, probe = arrays["diffraction"], arrays["Y"], arrays["probeGuess"]
    if probe.ndim != 2 or arrays["objectGuess"].ndim != 2:
        problems.append(f"{where}: probeGuess {probe.shape} and objectGuess {arrays['objectGuess'].shape} must be 2-D")
        return problems
    n = arrays["xcoords"].shape[0] if arrays["xcoords"].ndim == 1 else -1
    if arrays["xcoords"].ndim != 1 or arrays["ycoords"].shape != arrays["xcoords"].shape:
        problems.append(f"{where}: xcoords {arrays['xcoords'].shape} and ycoords {arrays['ycoords'].shape} must be equal 1-D")
    if d.shape != (n, *probe.shape):
        problems.append(f"{where}: diffraction shape {d.shape} is not NHW {(n, *probe.shape)} (n from the coordinates)")
    if not np.array_equal(arrays["diff3d"], d):
        problems.append(f"{where}: diff3d differs from diffraction (allowed: the same sqrt(counts) amplitudes)")
    problems += [f"{where}: {k} shape {arrays[k].shape} is not ({n},)" for k in PER_PATTERN if arrays[k].shape != (n,)]
    if arrays["_metadata"].ndim != 0 or arrays["_metadata"].dtype.kind != "U":
        problems.append(f"{where}: _metadata is {arrays['_metadata'].dtype} {arrays['_metadata'].shape}: allowed 0-d JSON text")
    if y.shape != (n, *probe.shape):
        problems.append(f"{where}: Y shape {y.shape} is not 3-D {(n, *probe.shape)}")
    if d.dtype.kind == "f" and not (np.isfinite(d).all() and (d >= 0).all()):
        problems.append(f"{where}: diffraction amplitudes must be finite and >= 0")
    if not (np.isfinite(arrays["xcoords"]).all() and np.isfinite(arrays["ycoords"]).all()):
        problems.append(f"{where}: coordinates must be finite")
    return problems


def separation(train_y: np.ndarray, test_y: np.ndarray) -> dict[str, Any]:
    """Max train y, min test y and whether every train y is below every test y."""
    top, bottom = float(np.max(train_y, initial=-np.inf)), float(np.min(test_y, initial=np.inf))
    return {"train_y_max": top, "test_y_min": bottom, "separated": bool(top < bottom)}


def view_spacing(centres: np.ndarray, spacing: float) -> dict[str, Any]:
    """Groups of a view, their smallest centre distance, and whether it is at least S."""
    d = min_pairwise_distance(centres)
    return {"groups": int(len(centres)), "min_distance_px": d if math.isfinite(d) else 0.0, "spaced": bool(d >= spacing)}


def group_problems(groups: np.ndarray, n_rows: int, group_size: int, where: str) -> list[str]:
    """Groups must be (g, C) indices into the split's rows."""
    if groups.ndim != 2 or groups.shape[1] != group_size:
        return [f"{where}: groups shape {groups.shape} is not (g, C={group_size})"]
    if groups.size and (groups.min() < 0 or groups.max() >= n_rows):
        return [f"{where}: group indices outside [0, {n_rows})"]
    return []


def read_raw(dose_dir: Path) -> dict[str, Any]:
    """The simulate stage's ``counts`` (uint32, H x W x patterns), ``intensity_expected`` (float32),
    ``object``, ``probe``, ``positions`` and its recorded ``photon_scale`` (root attribute, NaN if absent)."""
    path = dose_dir / "simulate" / "raw.h5"
    raw: dict[str, Any] = read_h5(path, ["counts", "intensity_expected", "object", "probe", "positions"])
    raw["photon_scale"] = float(read_attrs(path).get("photon_scale", math.nan))
    return raw


def scale_metrics(raw: Mapping[str, Any], dose: float) -> tuple[np.ndarray, dict[str, float]]:
    """Lambda_i of every raw pattern (float64 forward model of object x probe, one scale for the dose)
    and how the recorded photon scale and transmission compare.

    Returns
    -------
    (predicted, metrics) : (n,) float64 Lambda_i in raw.h5's order; ``photon_scale``
        recomputed as dose / mean(F), ``photon_scale_rel_error`` of the recorded one,
        ``transmission_mean`` = mean(F) / F of the unobstructed probe.
    """
    unit = forward_totals(raw["object"], raw["probe"], raw["positions"])
    far = scipy.fft.fft2(np.asarray(raw["probe"], dtype=np.complex128))  # the probe through a transmission of 1
    free = float((far.real**2 + far.imag**2).sum())
    scale = float(dose) / float(unit.mean())
    return predicted_totals(unit, dose), {
        "photon_scale": scale,
        "photon_scale_rel_error": abs(raw["photon_scale"] - scale) / scale if math.isfinite(raw["photon_scale"]) else math.inf,
        "transmission_mean": float(unit.mean()) / free if free > 0 else 0.0,
    }


def read_split(dose_dir: Path, name: str) -> dict[str, Any]:
    """One split's NPZ arrays and the HDF5 arrays the validator needs: ``{"npz": ..., "h5": ...}``."""
    npz_path = dose_dir / "split" / f"{name}.npz"
    if not npz_path.is_file():
        raise UsageError(f"{npz_path} does not exist: run the ptycho split stage first")
    with np.load(npz_path, allow_pickle=False) as npz:
        npz_arrays = {k: npz[k] for k in npz.files}
    h5 = read_h5(dose_dir / "split" / f"{name}.h5", ["diffraction", "scan_index", "groups", "ycoords"])
    return {"npz": npz_arrays, "h5": h5}


def read_views(dose_dir: Path) -> dict[str, dict[str, dict[str, np.ndarray]]]:
    """Every view's ``groups`` and ``centres`` per split: ``{view: {split: {name: array}}}``."""
    return {v: {s: read_h5(dose_dir / "views" / f"{v}.h5", ["groups", "centres"], group=s) for s in SPLITS} for v in VIEWS}


def read_dose(dose_dir: Path) -> dict[str, Any]:
    """Every array the validator needs from one dose directory."""
    return {"raw": read_raw(dose_dir), "splits": {n: read_split(dose_dir, n) for n in SPLITS}, "views": read_views(dose_dir)}


def split_problems(name: str, split: Mapping[str, Any], group_size: int) -> list[str]:
    """The contract of one split's NPZ, its HDF5 copy of the diffraction and its groups."""
    h5 = split["h5"]
    problems = check_contract(split["npz"], f"{name}.npz")
    if not np.array_equal(h5["diffraction"], split["npz"].get("diffraction")):
        problems.append(f"{name}: HDF5 and NPZ diffraction differ")
    return problems + group_problems(h5["groups"], len(h5["scan_index"]), group_size, f"{name}.h5")


@dataclass(frozen=True)
class SplitTask:
    """One worker task: read and check one split (``dose_dir`` absolute, for any worker's cwd)."""

    dose_dir: str
    name: str
    group_size: int


def check_split(task: SplitTask) -> tuple[dict[str, np.ndarray], list[str]]:
    """One split's HDF5 arrays (the NPZ stays in the task) and its problems (:func:`split_problems`)."""
    split = read_split(Path(task.dose_dir), task.name)
    return split["h5"], split_problems(task.name, split, task.group_size)


def compute(data: Mapping[str, Any], dose: int, group_size: int, spacings: Mapping[str, float]) -> tuple[dict[str, Any], list[str]]:
    """Metrics of one dose and the structural problems found (contract, split, groups, views)."""
    checked = {name: split_problems(name, data["splits"][name], group_size) for name in SPLITS}
    h5s = {name: data["splits"][name]["h5"] for name in SPLITS}
    return dose_metrics(data["raw"], h5s, checked, data["views"], dose, group_size, spacings)


def dose_metrics(
    raw: Mapping[str, Any], h5s: Mapping[str, Mapping[str, np.ndarray]], checked: Mapping[str, list[str]],
    views: Mapping[str, Any], dose: int, group_size: int, spacings: Mapping[str, float],
) -> tuple[dict[str, Any], list[str]]:
    """:func:`compute` from the splits already checked (``checked``: each split's problems)."""
    problems = [p for name in SPLITS for p in checked[name]]
    sep = separation(h5s["train"]["ycoords"], h5s["test"]["ycoords"])
    if not sep["separated"]:
        problems.append(f"split: train y max {sep['train_y_max']} is not below test y min {sep['test_y_min']}")
    counts_hwn, lam_hwn = raw["counts"], raw["intensity_expected"]
    rows = np.concatenate([h5s[s]["scan_index"] for s in SPLITS])
    amp = np.concatenate([h5s[s]["diffraction"] for s in SPLITS]).astype(np.float64)
    counts = np.rint(amp**2)
    if (np.abs(amp**2 - counts) > 1e-3 + 1e-6 * counts).any():
        problems.append("diffraction**2 is not integral: amplitudes are not sqrt(counts)")
    if np.unique(rows).size != rows.size or rows.size != counts_hwn.shape[2]:
        problems.append(f"splits cover {np.unique(rows).size} distinct of {counts_hwn.shape[2]} patterns (allowed: all, once)")
        rows = rows[rows < counts_hwn.shape[2]]
        counts = counts[: len(rows)]
    native = np.moveaxis(counts_hwn[:, :, rows], 2, 0)
    if native.shape == counts.shape and not np.array_equal(native, counts):
        problems.append("diffraction**2 differs from the simulated counts of the same scan positions")
    predicted, scales = scale_metrics(raw, dose)
    photons = photon_statistics(counts, np.moveaxis(lam_hwn[:, :, rows], 2, 0), dose, predicted[rows]) | scales
    view_metrics = {}
    for view, per_split in views.items():
        for name, arrays in per_split.items():
            vm = view_spacing(arrays["centres"], spacings[view])
            view_metrics[f"{view}_{name}"] = vm
            if not vm["spaced"]:
                problems.append(f"view {view}/{name}: centres {vm['min_distance_px']:.3f} px apart (allowed >= {spacings[view]})")
            problems += group_problems(arrays["groups"], len(h5s[name]["scan_index"]), group_size, f"{view}.h5/{name}")
    metrics = {
        "dose": int(dose),
        "patterns": {s: int(len(h5s[s]["scan_index"])) for s in SPLITS},
        "groups": {s: int(len(h5s[s]["groups"])) for s in SPLITS},
        "photons": photons,
        "split": sep,
        "views": view_metrics,
    }
    return metrics, problems


def validate_dose(
    dose_dir: Path, metrics_path: Path, dose: int, group_size: int, spacings: Mapping[str, float], bounds: Mapping[str, Any],
    backend: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """Validate one dose; write ``metrics_path`` (its directory staged whole); return (metrics, failures).

    Each split is read and checked in a task (:func:`synthbank.parallel.run_ordered` with
    ``backend``); the photon statistics are float sums over every pattern, so they stay
    whole in this process (a split of them would change the last digits of the metrics).

    The failures are the structural problems, then the violated :data:`FAMILY.rules`
    (``bounds``: the ``ptycho.thresholds`` params block).
    """
    dose_dir = Path(dose_dir).resolve()
    tasks = [SplitTask(str(dose_dir), name, group_size) for name in SPLITS]
    h5s, checked = {}, {}
    for name, (h5, found) in zip(SPLITS, parallel.run_ordered(check_split, tasks, **dict(backend or {})), strict=True):
        h5s[name], checked[name] = h5, found
    metrics, problems = dose_metrics(read_raw(dose_dir), h5s, checked, read_views(dose_dir), dose, group_size, spacings)
    failures = problems + thresholds.check(metrics, PTYCHO.rules, bounds)
    metrics["structure_ok"] = not problems
    metrics["thresholds_met"] = not failures
    with staged_dir(metrics_path.parent, "ptycho") as tmp:
        (tmp / metrics_path.name).write_text(jsonio.dumps(metrics), "utf-8")
    return metrics, failures


def aggregate(per_dose: Mapping[int, Mapping[str, Any]]) -> dict[str, Any]:
    """``{"dose_<d>": metrics, ..., "thresholds_met": all}`` for ``metrics/ptycho.json``."""
    out: dict[str, Any] = {dose_key(d): dict(m) for d, m in sorted(per_dose.items())}
    out["thresholds_met"] = all(bool(m.get("thresholds_met")) for m in per_dose.values())
    return out

