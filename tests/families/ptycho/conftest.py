"""Fixtures of the ptycho tests: a tiny design run through the real stages once per session."""

from __future__ import annotations

from pathlib import Path

import pytest
from families.ptycho.helpers import PARAMS, TINY_DOSES, tiny_section


@pytest.fixture(scope="session")
def tiny_root(tmp_path_factory) -> Path:
    """``data/ptycho`` of the tiny sweep: every stage of both doses, validated."""
    from synthbank.families.ptycho.pipeline import run_dose

    root = tmp_path_factory.mktemp("ptycho") / "ptycho"
    for dose in TINY_DOSES:
        _, failures = run_dose(PARAMS.seed, tiny_section(), dose, root)
        assert failures == [], failures
    return root
