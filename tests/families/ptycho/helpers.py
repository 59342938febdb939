"""Shared helpers of the ptycho tests (``from families.ptycho.helpers import ...``)."""

from __future__ import annotations

import copy
from pathlib import Path

from synthbank import params

REPO = Path(__file__).resolve().parents[3]
PARAMS = params.load(REPO / "params.yaml")
SECTION = params.thaw(PARAMS.family("ptycho"))
THRESHOLDS = SECTION["thresholds"]
TINY_DOSES = [1000, 100000]


def tiny_section(**overrides):
    """The repository's ptycho section at test size: 96 px object, 16 px probe, 196 positions."""
    s = copy.deepcopy(SECTION)
    s["doses"] = list(TINY_DOSES)
    s["object"].update(size_px=96, correlation_px=3.0)
    s["probe"].update(size_px=16, radius_px=5.0, edge_px=1.0, defocus_rad=2.0)
    s["scan"].update(step_px=6, jitter_px=1.0, n_positions=150)
    s["views"].update(dense_spacing_px=12.0, sparse_spacing_px=30.0)
    for key, value in overrides.items():
        s[key] = value
    return s


def write_params(path: Path, section: dict) -> Path:
    """A copy of the repository's params.yaml whose ptycho section is ``section``."""
    import yaml

    data = yaml.safe_load((REPO / "params.yaml").read_text("utf-8"))
    data["ptycho"] = section
    path.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    return path
