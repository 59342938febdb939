"""Fixtures of the ptycho tests: a tiny design run through the real stages once per session."""

from __future__ import annotations

from pathlib import Path

import pytest
from families.ptycho.helpers import PARAMS, TINY_DOSES, tiny_section


@pytest.fixture(scope="session")
def tiny_root(tmp_path_factory) -> Path:
    """``data/ptycho`` of the tiny sweep: every stage of both doses, validated."""
    from synthbank.families.ptycho.config import SweepConfig
    from synthbank.families.ptycho.pipeline import run_dose

    root = tmp_path_factory.mktemp("ptycho") / "ptycho"
    section = tiny_section()
    cfg = SweepConfig.from_params(PARAMS.seed, PARAMS.release_date, section)
    for dose in TINY_DOSES:
        _, failures = run_dose(cfg, dose, root, section["thresholds"])
        assert failures == [], failures
    return root
