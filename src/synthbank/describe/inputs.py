"""What describe builds from, as plain data (:class:`Inputs`)."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from synthbank.describe import DOCS
from synthbank.globs import glob_match
from synthbank.recordsets import Field, Records, RecordSet
from synthbank.thresholds import Rule


@dataclass(frozen=True)
class FileEntry:
    """One file of the family, as a manifest lists it (or a manifest itself)."""

    path: str  #: repository-relative POSIX path
    bytes: int
    sha256: str
    listed_in: str  #: the manifest that lists it; "" for a manifest itself


@dataclass(frozen=True)
class Inputs:
    """Everything a family's Croissant file and card are made of (read by :mod:`synthbank.describe.writer`)."""

    family: str
    version: str  #: the generator's VERSION
    summary: str
    release_notes: Mapping[str, str]
    rules: tuple[Rule, ...]
    section: Mapping[str, Any]  #: the family's params section, thresholds included
    seed: int
    release_date: str
    records: Records
    files: tuple[FileEntry, ...]  #: sorted by path: the manifests' entries and the manifests
    outputs: tuple[str, ...]  #: the data manifest's outputs (the tracked directories and files)
    metrics: Mapping[str, Any]
    software: Mapping[str, str]  #: versions the data manifest records
    registry_url: str = ""  #: the registry's git URL ("" : unknown, the card names a placeholder)

    @property
    def docs_dir(self) -> str:
        """Where the family's card and Croissant file live (repository-relative)."""
        return f"{DOCS}/{self.family}"

    @property
    def thresholds(self) -> Mapping[str, Any]:
        return self.section.get("thresholds", {}) or {}

    def url(self, path: str) -> str:
        """``path`` (repository-relative) as seen from the family's docs directory: ``../../../data/...``."""
        return posixpath.relpath(path, self.docs_dir)

    @property
    def data_manifest(self) -> str:
        return f"manifests/{self.family}.json"

    @property
    def reports_manifest(self) -> str:
        return f"manifests/{self.family}.reports.json"

    @property
    def record_sets(self) -> tuple[RecordSet, ...]:
        """The family's declared record sets, then the file listings of its manifests (one record per file)."""
        listings = tuple(
            RecordSet(name, f"every {what} file of {self.family} as {path} lists it (one record per file)", (path,), "json", (
                Field("path", "the file, relative to the repository root", "str", key="$.entries[*].path"),
                Field("bytes", "its size", "int64", unit="bytes", key="$.entries[*].bytes"),
                Field("sha256", "its sha256", "str", key="$.entries[*].sha256"),
                Field("crc64", "its CRC-64/GO-ISO (docs/manifest.md)", "str", key="$.entries[*].crc64"),
            ))
            for name, what, path in (("files", "data", self.data_manifest), ("report_files", "report", self.reports_manifest))
            if any(f.path == path for f in self.files)
        )
        return self.records.record_sets + listings

    def matched(self, record_set: RecordSet) -> list[FileEntry]:
        """The files a record set reads, in path order."""
        return [f for f in self.files if any(glob_match(f.path, p) for p in record_set.files)]


def is_glob(pattern: str) -> bool:
    return any(ch in pattern for ch in "*?")


def problems(inputs: Inputs) -> list[str]:
    """Declared files the manifests do not list (one line each; empty: all there)."""
    lines = []
    for rs in inputs.records.record_sets:
        for pattern in rs.files:
            if not any(glob_match(f.path, pattern) for f in inputs.files):
                lines.append(f"{inputs.family}: record set {rs.name!r} reads {pattern}, which no manifest of {inputs.family} lists")
    return lines


def metric(metrics: Mapping[str, Any], dotted: str) -> Any:
    """The value at ``dotted`` (``"counts.train"``) in nested metrics, None if absent."""
    node: Any = metrics
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node
