"""Validate and verify manifests (docs/verify.md): the schema, then the files on disk.

:func:`verify` checks one manifest: every entry must be a regular file of the listed size,
CRC-64 and sha256, and below its outputs there must be nothing it does not account for.
:mod:`synthbank.coverage` builds the project-wide check on the same pieces.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthbank import jsonio, schemacheck
from synthbank.filetree import Tree, digest_files, glob_match, relative_posix, scan
from synthbank.io.recovery import pending_commit
from synthbank.params import load_schema, thaw

def schema_problems(manifest: Any) -> list[str]:
    """One line per schema violation, each naming the JSON path."""
    return schemacheck.problems(load_schema("manifest.schema.json"), manifest)


def in_dvc_cache(link: Path, root: Path) -> bool:
    """A symbolic link DVC made (``cache.type = symlink``): to a file in ``root``'s DVC cache."""
    target = link.resolve()
    return target.is_file() and target.is_relative_to(root / ".dvc" / "cache")


def leftover_hint(name: str) -> str:
    """Why a synthbank run may have left a file named ``name`` (an extra file), or ''."""
    if name.startswith(".") and name.endswith(".commit.json"):
        return ": the journal of an interrupted commit; run the same command (or dvc repro) again to finish it"
    if name.startswith(".") and (name.endswith(".lock") or name.endswith(".tmp")):
        return ": left by a synthbank run that is still running or was killed; the next run removes it"
    return ""


def tree_problems(tree: Tree, root: Path, report: VerifyReport) -> None:
    """One problem per symbolic link (except into the DVC cache), empty directory or
    special file of ``tree``; the links are also recorded in ``report.links``. An empty
    directory meant to hold listed files is left out: its missing files are the problems."""
    for link in tree.links:
        if not in_dvc_cache(link, root):
            report.link_problem(link, root)
    for p in tree.empty_dirs:
        if not any(q.is_relative_to(p) for q in report.listed):
            report.problems.append(f"{relative_posix(p, root)}: empty directory: allowed only directories that hold listed files")
    for p in tree.others:
        report.problems.append(f"{relative_posix(p, root)}: not a regular file")


@dataclass
class VerifyReport:
    """What :func:`verify` found for one manifest.

    ``unreadable`` means the manifest itself is missing, not JSON or not a manifest (exit
    code 2); any other problem is a mismatch (exit code 1). ``listed``, ``outputs`` and
    ``exclude`` say what the manifest accounts for (absolute paths; (root, pattern) pairs),
    for the project-wide check of :mod:`synthbank.coverage`.
    """

    manifest: Path
    problems: list[str] = field(default_factory=list)
    files: int = 0
    bytes: int = 0
    unreadable: bool = False
    listed: set[Path] = field(default_factory=set)
    outputs: list[Path] = field(default_factory=list)
    exclude: list[tuple[Path, str]] = field(default_factory=list)
    links: set[Path] = field(default_factory=set)
    summary: str = ""  # the OK line's text, if not "<files> files, <bytes> bytes"

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def exit_code(self) -> int:
        """0 ok, 1 mismatch, 2 unreadable manifest."""
        return 0 if self.ok else 2 if self.unreadable else 1

    def link_problem(self, link: Path, root: Path) -> None:
        """Report the symbolic link ``link`` (once)."""
        if link not in self.links:
            self.links.add(link)
            self.problems.append(f"{relative_posix(link, root)}: symbolic link to {os.readlink(link)}: allowed only regular files and directories")

    def excludes(self, path: Path) -> bool:
        """Whether one of this manifest's ``exclude`` rules covers ``path`` (absolute)."""
        return any(path.is_relative_to(root) and glob_match(relative_posix(path, root), pattern) for root, pattern in self.exclude)


def _read(manifest_path: Path, report: VerifyReport) -> dict[str, Any] | None:
    """The manifest as a dict, or None with the reason in ``report`` (unreadable)."""
    problems: list[str] = []
    if not os.path.lexists(manifest_path):
        problems = ["does not exist"]
    else:
        try:
            manifest = json.loads(manifest_path.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            problems = [f"cannot be read as JSON: {exc}"]
        else:
            problems = [f"schema: {p}" for p in schema_problems(manifest)]
    if problems:
        report.unreadable = True
        report.problems += [f"{manifest_path}: {p}" for p in problems]
        return None
    return manifest


def _check_params(manifest: Mapping[str, Any], report: VerifyReport, expected_by_family: Mapping[str, Mapping[str, Any]] | None) -> None:
    if expected_by_family is None:
        return
    if manifest.get("role") == "docs":  # synthbank describe: every family's whole section
        _check_docs_params(manifest, report, expected_by_family)
        return
    expected = expected_by_family.get(manifest["family"])
    if expected is None:
        report.problems.append(f"{report.manifest}: family '{manifest['family']}' has no section in params.yaml")
        return
    params_key = "reports_params" if manifest.get("role") == "reports" else "params"
    for key, wanted in (("seed", "seed"), ("params", params_key)):
        if wanted in expected and jsonio.canonical(manifest[key]) != jsonio.canonical(thaw(expected[wanted])):
            report.problems.append(f"{report.manifest}: {key} differs from params.yaml")


def _check_docs_params(manifest: Mapping[str, Any], report: VerifyReport, expected_by_family: Mapping[str, Mapping[str, Any]]) -> None:
    """A docs manifest (``synthbank describe``) records each family's whole section: it must be params.yaml's, for every family."""
    recorded = manifest["params"]
    for family, expected in sorted(expected_by_family.items()):
        if family not in recorded:
            report.problems.append(f"{report.manifest}: has no docs of family '{family}' (run synthbank describe)")
            continue
        whole = {**thaw(expected.get("params", {})), **thaw(expected.get("reports_params", {}))}
        if jsonio.canonical(recorded[family]) != jsonio.canonical(whole):
            report.problems.append(f"{report.manifest}: params of family '{family}' differ from params.yaml (run synthbank describe)")
    for family in sorted(set(recorded) - set(expected_by_family)):
        report.problems.append(f"{report.manifest}: family '{family}' has no section in params.yaml")
    seeds = {e["seed"] for e in expected_by_family.values() if "seed" in e}  # one root seed
    if seeds and manifest["seed"] not in seeds:
        report.problems.append(f"{report.manifest}: seed differs from params.yaml")


def verify(manifest_path: Path, expected_by_family: Mapping[str, Mapping[str, Any]] | None = None) -> VerifyReport:
    """Check one manifest against the files and (optionally) against params.yaml.

    Every entry must be a regular file with the listed size, CRC-64 and sha256; below
    every output (a directory or a file) there must be nothing but entries and files its
    ``exclude`` rules name: no extra file, symbolic link (except DVC's own into its
    cache), empty directory or special file. One problem per line, each naming its path.

    Parameters
    ----------
    manifest_path : the manifest JSON file.
    expected_by_family : family -> ``{"seed": ..., "params": ..., "reports_params": ...}``
        from params.yaml (see :func:`~synthbank.manifest.expected_from`), or None to skip
        that comparison. A data manifest is compared with ``params``, a reports manifest
        (``role`` ``reports``) with ``reports_params``. A family missing from it is a problem.
    """
    report = VerifyReport(manifest_path)
    manifest = _read(manifest_path, report)
    if manifest is None:
        return report
    root = (manifest_path.parent / manifest["base"]).resolve()
    itself = manifest_path.resolve()
    _check_params(manifest, report, expected_by_family)
    listed = {e["path"]: e for e in manifest["entries"]}
    report.listed = {root / p for p in listed}
    report.outputs = [root / out for out in manifest["outputs"]]
    report.exclude = [(root, pattern) for pattern in manifest.get("exclude", [])]
    for out in report.outputs:
        journal = pending_commit(out)
        if journal is not None:
            report.problems.append(f"{relative_posix(journal, root)}{leftover_hint(journal.name)}")
        if not os.path.lexists(out) and not any(p.is_relative_to(out) for p in report.listed):
            report.problems.append(f"{relative_posix(out, root)}: missing (an output of {manifest_path.name})")
        tree = scan(out)
        tree_problems(tree, root, report)
        for p in tree.files + [link for link in tree.links if in_dvc_cache(link, root)]:
            if p not in report.listed and p != itself and not report.excludes(p):
                rel = relative_posix(p, root)
                report.problems.append(f"{rel}: extra file not in {manifest_path.name}{leftover_hint(p.name)}")
    present = []
    for rel in sorted(listed):
        path = root / rel
        link = next((q for q in (path, *path.parents) if q.is_relative_to(root) and q != root and q.is_symlink()), None)
        if link is not None and not (link == path and in_dvc_cache(link, root)):
            report.link_problem(link, root)  # once, if not below an output already
        elif not os.path.lexists(path):
            report.problems.append(f"{rel}: missing (listed in {manifest_path.name})")
        elif not path.is_file():
            report.problems.append(f"{rel}: not a regular file (listed in {manifest_path.name})")
        else:
            present.append(rel)
    digests = digest_files([root / p for p in present])
    for rel, d in zip(present, digests, strict=True):
        e = listed[rel]
        report.files += 1
        report.bytes += d.bytes
        for key in ("bytes", "crc64", "sha256"):
            if getattr(d, key) != e[key]:
                report.problems.append(f"{rel}: {key} is {getattr(d, key)}, manifest says {e[key]}")
    return report


def verify_all(paths: Iterable[Path], expected_by_family: Mapping[str, Mapping[str, Any]] | None) -> list[VerifyReport]:
    """Verify several manifests, in sorted order (see :func:`verify`)."""
    return [verify(path, expected_by_family) for path in sorted(paths)]
