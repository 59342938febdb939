"""Checks of a Well dataset directory: what The Well's loaders refuse beyond one file's layout.

A dataset directory (``WellDataset(path=<dir>, well_split_name=...)``, or
``<well_base_path>/<well_dataset_name>``) holds ``stats.yaml`` and ``data/<split>/*.h5|*.hdf5``.
From ``the_well/data/datasets.py`` (v1.2.0) ``WellDataset.__init__`` and ``_build_metadata``:

* a split directory without ``*.h5``/``*.hdf5`` files: "No HDF5 files found in path";
* files of one split with different ``dataset_name``, ``n_spatial_dims`` or spatial sizes:
  "Multiple dataset names / ndims / resolutions found in specified path";
* field and scalar names come from the first file only, so every file must list the same;
* ``use_normalization``: ``stats.yaml`` beside ``data/``, with ``mean``, ``std``,
  ``mean_delta``, ``std_delta`` (``ZScoreNormalization``) or ``rms``, ``rms_delta``
  (``RMSNormalization``), each naming every field (``the_well/data/normalization.py``).

Stricter than the Well on purpose: names, dims and resolution must agree across all splits
of a dataset (one ``stats.yaml`` serves them all), every statistic's shape must fit its
field's tensor order, and the three splits must exist unless the files record that a split
is empty (root attribute ``split_counts``: train, valid, test). Every problem line starts
with the file or directory it concerns, then the HDF5 path where there is one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import h5py
import numpy as np
import yaml

from synthbank.families.energy import wellformat
from synthbank.families.energy.layout import SPLITS, STATS, WELL_SUFFIXES
from synthbank.families.energy.wellstats import KEYS

#: The Well's refusal when one path mixes resolutions (datasets.py, _build_metadata).
MULTIPLE = "the Well's WellDataset refuses 'Multiple {what} found in specified path'"


def is_dataset(path: Path) -> bool:
    return (path / "data").is_dir() or (path / STATS).is_file()


def well_files(folder: Path) -> list[Path]:
    """The files WellDataset globs in ``folder`` (``*.h5`` and ``*.hdf5``), sorted."""
    return sorted(p for p in folder.glob("*") if p.suffix in WELL_SUFFIXES and p.is_file())


def check_directory(folder: str | Path) -> list[str]:
    """Problems of a dataset directory, or of every dataset directory in ``folder``."""
    folder = Path(folder)
    if is_dataset(folder):
        return check_dataset(folder)
    lines = []
    loose = well_files(folder)
    if loose:  # e.g. the old layout: <domain>_256.h5, <domain>_128.h5 ... side by side
        lines.append(f"{folder}: holds HDF5 files directly: allowed a Well dataset directory "
                     f"({STATS}, data/train|valid|test/) or a directory of them")
        lines += _agreement(loose)
        lines += [f"{p}:{line}" for p in loose for line in wellformat.check(p)]
    datasets = sorted(d for d in folder.iterdir() if d.is_dir() and is_dataset(d))
    for d in datasets:
        lines += check_dataset(d)
    if not loose and not datasets:
        lines.append(f"{folder}: no Well dataset ({STATS}, data/train|valid|test/) found")
    return lines


def _summary(path: Path) -> dict[str, Any] | None:
    """What must agree across a dataset's files (None: the file cannot be read that far)."""
    try:
        with h5py.File(path, "r") as f:
            dims = [d.decode() if isinstance(d, bytes) else str(d) for d in f["dimensions"].attrs["spatial_dims"]]
            names = {g: tuple(str(n) for n in f[g].attrs["field_names"]) for g in ("t0_fields", "t1_fields", "t2_fields", "scalars")}
            return {
                "dataset_name": f.attrs["dataset_name"], "n_spatial_dims": int(f.attrs["n_spatial_dims"]),
                "resolution": tuple(int(f["dimensions"][d].shape[-1]) for d in dims), "names": names,
                "fields": {(g, n): (i, bool(f[g][n].attrs["time_varying"]))
                           for i, g in enumerate(("t0_fields", "t1_fields", "t2_fields")) for n in names[g]},
                "split_counts": tuple(int(x) for x in f.attrs["split_counts"]) if "split_counts" in f.attrs else None,
            }
    except (OSError, KeyError, TypeError, ValueError):
        return None  # wellformat.check names what is missing


def _agreement(files: list[Path]) -> list[str]:
    """One line per file whose name, dims, resolution or field lists differ from the first file's."""
    lines, first = [], None
    for path in files:
        s = _summary(path)
        if s is None:
            continue
        if first is None:
            first = (path, s)
            continue
        ref, r = first
        for key, where, what in (("dataset_name", "/@dataset_name", "dataset names"), ("n_spatial_dims", "/@n_spatial_dims", "ndims"),
                                 ("resolution", "/dimensions", "resolutions")):
            if s[key] != r[key]:
                lines.append(f"{path}:{where}: {s[key]!r} differs from {r[key]!r} of {ref}: one per dataset ("
                             + MULTIPLE.format(what=what) + ")")
        for group in s["names"]:
            if s["names"][group] != r["names"][group]:
                lines.append(f"{path}:/{group}@field_names: {list(s['names'][group])} differs from {list(r['names'][group])} "
                             f"of {ref}: the Well reads the names of the first file only")
    return lines


def check_dataset(dataset: str | Path) -> list[str]:
    """Every problem of one Well dataset directory; empty for one the Well's loaders accept."""
    dataset = Path(dataset)
    lines: list[str] = []
    files: list[Path] = []
    present = {s: (dataset / "data" / s) for s in SPLITS if (dataset / "data" / s).is_dir()}
    for folder in present.values():
        found = well_files(folder)
        if not found:
            lines.append(f"{folder}: no *.h5 or *.hdf5 file: the Well's WellDataset refuses 'No HDF5 files found in path'")
        files += found
    summaries = [s for s in map(_summary, files) if s is not None]
    counts = next((s["split_counts"] for s in summaries if s["split_counts"] is not None), None)
    for i, split in enumerate(SPLITS):
        if split not in present and (counts is None or len(counts) != len(SPLITS) or counts[i] > 0):
            said = f" (the files record {counts[i]} sequences for it)" if counts is not None and len(counts) == len(SPLITS) else ""
            lines.append(f"{dataset / 'data' / split}: missing split directory{said}: "
                         f"allowed {dataset}/data/train, valid and test, each with its Well files")
    lines += _agreement(files)
    for path in files:
        lines += [f"{path}:{line}" for line in wellformat.check(path)]
    lines += _check_stats(dataset / STATS, summaries[0] if summaries else None)
    return lines


def _check_stats(path: Path, first: dict[str, Any] | None) -> list[str]:
    """Problems of ``stats.yaml`` against the fields of the dataset's first file."""
    if not path.is_file():
        return [f"{path}: missing: the Well's use_normalization=True reads it (keys {list(KEYS)})"]
    try:
        stats = yaml.safe_load(path.read_text("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        return [f"{path}: not YAML ({str(exc).splitlines()[0]})"]
    if not isinstance(stats, dict):
        return [f"{path}: must be a mapping with keys {list(KEYS)}"]
    lines = [f"{path}: key {k!r} missing: the Well's normalisations read {list(KEYS)}" for k in KEYS if not isinstance(stats.get(k), dict)]
    if first is None:
        return lines
    d = first["n_spatial_dims"]
    for (_, name), (order, time_varying) in first["fields"].items():
        for key in KEYS:
            if not isinstance(stats.get(key), dict) or (key.endswith("_delta") and not time_varying):
                continue
            if name not in stats[key]:
                lines.append(f"{path}: {key}.{name} missing: every field needs its statistics")
                continue
            try:
                value = np.asarray(stats[key][name], dtype=np.float64)
            except (TypeError, ValueError):
                lines.append(f"{path}: {key}.{name} is not numeric")
                continue
            if value.shape != (d,) * order:
                lines.append(f"{path}: {key}.{name} has shape {value.shape}: expected {(d,) * order} for a t{order} field in {d} dims")
            elif not np.isfinite(value).all() or (key != "mean" and key != "mean_delta" and (value < 0).any()):
                lines.append(f"{path}: {key}.{name} = {stats[key][name]!r}: allowed finite values (std and rms >= 0)")
    return lines
