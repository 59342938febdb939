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


def sequence_file(data_dir: Path, domain: str, scale: int, sequence: int) -> tuple[Path, int]:
    """(split file, row) that hold ``sequence`` of ``domain`` at ``scale``, from each file's ``sequences`` attribute."""
    import h5py

    from synthbank.families.energy import layout

    for path in layout.split_files(layout.dataset_dir(Path(data_dir) / domain, domain, scale)):
        with h5py.File(path, "r") as f:
            rows = [i for i, s in enumerate(f.attrs["sequences"]) if s == sequence]
        if rows:
            return path, rows[0]
    raise AssertionError(f"sequence {sequence} of {domain} at {scale} is in no split file")


@pytest.fixture(scope="session")
def where():
    """:func:`sequence_file`: the split file and row of one sequence."""
    return sequence_file


@pytest.fixture(scope="session")
def split_files():
    """The split files (train, valid, test) of one domain at one scale."""
    from synthbank.families.energy import layout

    return lambda data_dir, domain, scale: layout.split_files(layout.dataset_dir(Path(data_dir) / domain, domain, scale))
