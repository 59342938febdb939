"""The NPZ export of a split: the canonical contract (DATA-001) and PtychoPINN's raw NPZ in one file.

PtychoPINN reads a raw NPZ two ways, both without changes on its side:

* ``ptycho.raw_data.RawData.from_file``: ``diff3d``, ``xcoords``, ``ycoords``,
  ``probeGuess`` required; ``xcoords_start``/``ycoords_start`` (default: xcoords/ycoords),
  ``scan_index`` (default: zeros), ``objectGuess`` and ``_metadata`` (JSON text, its
  ``physics_parameters.nphotons``) optional;
* ``ptycho.workflows.components.load_data``: ``xcoords``, ``ycoords``, ``xcoords_start``,
  ``ycoords_start`` (all required), ``diff3d`` (else ``diffraction``) in (n, N, N) or
  (N, N, n), ``probeGuess``, and optionally ``objectGuess`` and a per-pattern ``Y``.

Normalisation: ``diff3d`` (and ``diffraction``) hold the measured amplitude
``sqrt(counts)`` in float32, not PtychoPINN's ``intensity_scale``-normalised amplitude:
its spec (``docs/specs/spec-ptycho-core.md``, "Raw NPZ") says "diff3d (M, N, N) float32
amplitude (sqrt of counts)", and its loaders normalise after reading. ``scan_index`` has
PtychoPINN's meaning (which scan, hence which probe: all zeros here, one scan);
``pattern_index`` is the row of each pattern in ``raw.h5``/``canonical.h5``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from synthbank.families.ptycho import VERSION

#: PtychoPINN's metadata schema version (ptycho.metadata.MetadataManager.CURRENT_SCHEMA_VERSION).
METADATA_SCHEMA = "1.0.0"


def metadata(dose: int, probe_px: int, gridsize: int, split: str, scales: Mapping[str, float]) -> np.ndarray:
    """``_metadata``: PtychoPINN's JSON metadata as a 0-d unicode array (no pickle, no timestamp).

    ``physics_parameters.nphotons`` is the dose (mean expected photons per pattern over the
    scan: PtychoPINN's meaning of nphotons); 0 (unknown, a legacy input) is left out.
    """
    physics: dict[str, Any] = {"N": int(probe_px), "gridsize": int(gridsize)}
    if dose > 0:
        physics["nphotons"] = int(dose)
    record = {
        "schema_version": METADATA_SCHEMA,
        "creation_info": {"script": "synthbank ptycho split", "synthbank_ptycho_version": VERSION},
        "physics_parameters": physics,
        "data_transformations": [],
        "additional_parameters": {
            "split": split,
            "diff3d": "sqrt(counts), float32 (n, N, N): measured amplitude, not normalised",
            **{k: _finite(k, v) for k, v in sorted(scales.items())},
        },
    }
    # Not jsonio.dumps: it rounds floats to 1e-6, and photon_scale is ~1e-3 to 1e-9. Python's
    # float repr is the shortest text that reads back to the same float: deterministic, exact.
    return np.array(json.dumps(record, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False))


def _finite(key: str, value: float) -> float:
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{key}={v!r} cannot be written to the NPZ metadata: allowed a finite number")
    return v


def split_arrays(
    canonical: Mapping[str, np.ndarray], rows: np.ndarray, patches: np.ndarray, meta: np.ndarray
) -> dict[str, np.ndarray]:
    """Every member of one split's NPZ.

    Parameters
    ----------
    canonical : canonical.h5's ``diffraction`` (n, N, N) float32, ``objectGuess``,
        ``probeGuess`` complex64, ``xcoords``, ``ycoords`` float64, ``scan_index`` int64
        (the row of each pattern).
    rows : (m,) int64, the split's rows of canonical.h5.
    patches : (m, N, N) complex64, the ground-truth object patch of each row.
    meta : the ``_metadata`` array (:func:`metadata`).
    """
    amplitude = canonical["diffraction"][rows]
    x, y = canonical["xcoords"][rows], canonical["ycoords"][rows]
    return {
        "diffraction": amplitude,
        "diff3d": amplitude,  # PtychoPINN's name for the same amplitudes
        "Y": patches,
        "objectGuess": canonical["objectGuess"],
        "probeGuess": canonical["probeGuess"],
        "xcoords": x,
        "ycoords": y,
        "xcoords_start": x,  # no position error is simulated: nominal = true (as PtychoPINN's from_simulation)
        "ycoords_start": y,
        "scan_index": np.zeros(len(rows), dtype=np.int64),
        "pattern_index": canonical["scan_index"][rows].astype(np.int64),
        "_metadata": meta,
    }
