"""Fixtures of the energy tests: a small atlas built once per session with the real code."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from synthbank import params

REPO = Path(__file__).resolve().parents[3]
PARAMS = params.load(REPO / "params.yaml")
SECTION = params.thaw(PARAMS.family("energy"))
THRESHOLDS = SECTION["thresholds"]
DOMAINS = sorted(SECTION["domains"])


def small_section(**overrides):
    """The repository's energy section at test size (128 x 128, 3 sequences x 6 steps)."""
    s = copy.deepcopy(SECTION)
    s.update({"shape": [128, 128], "n_sequences": 3, "n_steps": 6, "scales": [128, 64]})
    s.update(overrides)
    return s


@pytest.fixture(scope="session")
def atlas(tmp_path_factory) -> Path:
    """``data/energy`` of a small atlas: every domain at scales 128 and 64."""
    from synthbank.families.energy.build import DomainConfig, build

    root = tmp_path_factory.mktemp("atlas") / "energy"
    section = small_section()
    for domain in DOMAINS:
        build(DomainConfig.from_params(PARAMS.seed, PARAMS.release_date, section, domain), root / domain)
    return root


@pytest.fixture(scope="session")
def make_section():
    """:func:`small_section` (test modules cannot import this conftest by name)."""
    return small_section


@pytest.fixture(scope="session")
def raw_params():
    """params.yaml of the repository as parsed YAML (a fresh copy per call)."""
    import yaml

    return lambda: yaml.safe_load((REPO / "params.yaml").read_text("utf-8"))
