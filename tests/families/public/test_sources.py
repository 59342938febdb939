"""The raw sources in git: each file matches its provenance record and is licensed in REUSE.toml."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import tomllib
from pathlib import Path

import pytest

from synthbank.families.public import DEMOS
from synthbank.families.public.sources import LICENSE_IDS

MAIN = Path(__file__).resolve().parents[3]
SOURCES = MAIN / "sources" / "public"
#: Keys every provenance record must have (package: name, version, path inside the package).
REQUIRED = {"demo", "file", "bytes", "sha256", "package", "spdx_license_identifier", "attribution",
            "license_evidence", "origin", "pixels"}


def record(demo: str) -> dict:
    return json.loads((SOURCES / demo / "provenance.json").read_text("utf-8"))


@pytest.mark.parametrize("demo", DEMOS)
def test_source_file_matches_its_provenance(demo: str) -> None:
    rec = record(demo)
    assert REQUIRED <= set(rec), REQUIRED - set(rec)
    assert rec["demo"] == demo
    assert set(rec["package"]) == {"name", "version", "path"} and all(rec["package"].values())
    assert Path(rec["package"]["path"]).name == rec["file"]
    data = (SOURCES / demo / rec["file"]).read_bytes()
    assert len(data) == rec["bytes"]
    assert hashlib.sha256(data).hexdigest() == rec["sha256"]
    assert rec["spdx_license_identifier"] in LICENSE_IDS
    assert (MAIN / "LICENSES" / f"{rec['spdx_license_identifier']}.txt").is_file()


def test_no_unrecorded_file_in_sources() -> None:
    present = sorted(p.relative_to(SOURCES).as_posix() for p in SOURCES.rglob("*") if p.is_file())
    recorded = sorted([f"{d}/provenance.json" for d in DEMOS] + [f"{d}/{record(d)['file']}" for d in DEMOS])
    assert present == recorded
    assert sum((SOURCES / d / record(d)["file"]).stat().st_size for d in DEMOS) < 4_000_000  # "a few MB at most"


def _reuse_licence(path: str) -> str | None:
    """The SPDX identifier REUSE.toml gives ``path`` (the last matching override wins)."""
    found = None
    for ann in tomllib.loads((MAIN / "REUSE.toml").read_text("utf-8"))["annotations"]:
        paths = [ann["path"]] if isinstance(ann["path"], str) else ann["path"]
        if any(fnmatch.fnmatchcase(path, pattern.replace("**", "*")) for pattern in paths):
            if found is None or ann.get("precedence") == "override":
                found = ann["SPDX-License-Identifier"]
    return found


@pytest.mark.parametrize("demo", DEMOS)
def test_reuse_toml_licenses_the_source_and_its_outputs_as_provenance_says(demo: str) -> None:
    rec = record(demo)
    spdx = rec["spdx_license_identifier"]
    assert _reuse_licence(f"sources/public/{demo}/{rec['file']}") == spdx
    outputs = {"mri_brain_demo": ["mri_brain_demo_001.nii.gz", "mri_brain_demo_001_axial.png"],
               "retina_example": ["retina_example_001.png"],
               "xray_chest_demo": ["xray_chest_demo_001.png", "xray_chest_demo_001.nii.gz"]}[demo]
    for name in outputs:
        assert _reuse_licence(f"data/public/{demo}/{name}") == spdx, name
    assert _reuse_licence("src/synthbank/phi.py") == "Apache-2.0"  # the check itself can tell licences apart
