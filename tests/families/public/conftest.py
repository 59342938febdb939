"""Fixtures of the `public` family tests: the repository's sources, one built dataset."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from synthbank import manifest as manifest_mod
from synthbank.families.public import VERSION
from synthbank.families.public.build import GENERATOR, PublicConfig, build

MAIN = Path(__file__).resolve().parents[3]
SOURCES = MAIN / "sources" / "public"
LICENSES = MAIN / "LICENSES"


@pytest.fixture(scope="session")
def section() -> dict:
    """The `public` section of the repository's params.yaml (thresholds included)."""
    return yaml.safe_load((MAIN / "params.yaml").read_text("utf-8"))["public"]


def write_manifest(root: Path, section: dict) -> Path:
    """(Re)write ``root/manifests/public.json`` for ``root/data/public``."""
    path = root / "manifests" / "public.json"
    params = {k: v for k, v in section.items() if k != "thresholds"}
    record = manifest_mod.build(
        family="public", generator=GENERATOR, generator_version=VERSION, seed=42, params=params,
        release_date="2026-11-22", root=root, manifest_path=path, outputs=[root / "data" / "public"],
    )
    manifest_mod.write(record, path)
    return path


def build_dataset(root: Path, section: dict) -> tuple[Path, Path]:
    """Build data/public and its manifest below ``root``; return (data dir, manifest)."""
    out = root / "data" / "public"
    build(PublicConfig.from_params(42, "2026-11-22", section), SOURCES, LICENSES, out)
    return out, write_manifest(root, section)


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory, section: dict) -> Path:
    """A dataset built once per session (root directory; never modify it: copy it)."""
    root = tmp_path_factory.mktemp("public-built")
    build_dataset(root, section)
    return root


@pytest.fixture
def built_copy(built: Path, tmp_path: Path) -> Path:
    """A private copy of :func:`built` that a test may tamper with."""
    dest = tmp_path / "root"
    shutil.copytree(built, dest)
    return dest


@pytest.fixture
def rewrite_manifest(section: dict):
    """``rewrite_manifest(root)``: make the manifest match tampered data again."""
    return lambda root: write_manifest(root, section)
