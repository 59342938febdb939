"""The files of a user's energy map: one Well-format file per pyramid scale, under ``user_dir``.

Written by :meth:`~synthbank.families.energy.loader.EnergyAtlasLoader.save_map`, never into
the DVC-tracked ``data_dir``; each file goes to a temporary sibling and is renamed.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from synthbank.families.energy import pyramid, thermo, wellformat


def _write_user_map(path: Path, domain: str, scale: int, m: np.ndarray, extra: dict[str, Any], scales: list[int]) -> None:
    """One scale of a user map; ``extra``: timestamp (or None), perturbations, user_metadata."""
    from synthbank import jsonio

    h, w = m.shape
    gx, gy = pyramid.compute_gradients(m, 1.0 / h)
    content = wellformat.WellContent(
        dataset_name=f"energy_user_{domain}", time=np.zeros(1, np.float32),
        coords={"y": ((np.arange(h) + 0.5) / h).astype(np.float32), "x": ((np.arange(w) + 0.5) / h).astype(np.float32)},
        fields={0: {"energy": (m[None, None], {})}, 1: {"energy_gradient": (np.stack([gy, gx], -1)[None, None], {})}},
        scalars={"total_energy": (np.array([[m.sum()]]), True, True), "entropy": (np.array([[thermo.entropy(m)]]), True, True)},
        boundary={"y_periodic": ("y", "periodic"), "x_periodic": ("x", "periodic")},
        root_attrs={"family": "energy", "domain": domain, "scale": np.int64(scale), "scales": np.array(scales, np.int64),
                    "user_metadata": jsonio.dumps(extra["user_metadata"]).strip(),
                    "perturbations": jsonio.dumps(extra["perturbations"]).strip(),
                    **({} if extra["timestamp"] is None else {"timestamp": extra["timestamp"]})},
    )
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        wellformat.write(tmp, content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
