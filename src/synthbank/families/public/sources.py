"""The raw source files in ``sources/public/<demo>/`` and their provenance records."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthbank.errors import UsageError

#: SPDX identifiers the family may ship, each with its text in ``LICENSES/<id>.txt``.
LICENSE_IDS = ("CC0-1.0", "LicenseRef-MNI-ICBM152", "MIT")
PROVENANCE = "provenance.json"


@dataclass(frozen=True)
class Source:
    """One demo's raw file: its bytes (sha256 checked) and provenance record."""

    demo: str
    data: bytes
    provenance: dict[str, Any]

    @property
    def spdx(self) -> str:
        return self.provenance["spdx_license_identifier"]


def load_source(sources_dir: Path, demo: str) -> Source:
    """Read ``<sources_dir>/<demo>/provenance.json`` and the file it names; check the sha256.

    Raises
    ------
    UsageError
        If a file is missing, or the bytes or licence differ from the record.
    """
    folder = Path(sources_dir) / demo
    record_path = folder / PROVENANCE
    if not record_path.is_file():
        raise UsageError(f"{record_path} does not exist: run scripts/extract_public_sources.py (see its docstring)")
    record = json.loads(record_path.read_text("utf-8"))
    path = folder / record["file"]
    if not path.is_file():
        raise UsageError(f"{path} (named by {record_path}) does not exist")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != record["sha256"]:
        raise UsageError(f"{path}: sha256 is {digest}, {record_path} says {record['sha256']}")
    if record["spdx_license_identifier"] not in LICENSE_IDS:
        raise UsageError(f"{record_path}: spdx_license_identifier={record['spdx_license_identifier']!r} is invalid: allowed {list(LICENSE_IDS)}")
    return Source(demo, data, record)


def license_text(licenses_dir: Path, spdx: str) -> str:
    """The text of ``LICENSES/<spdx>.txt``."""
    path = Path(licenses_dir) / f"{spdx}.txt"
    if not path.is_file():
        raise UsageError(f"{path} does not exist: the licence text of {spdx} must be in the LICENSES directory")
    return path.read_text("utf-8")
