"""Build, write, validate and verify manifests (docs/verify.md).

A manifest lists every file a family wrote with its size, CRC-64/GO-ISO and sha256,
next to the seed, params and software versions that produced it. Entry paths are POSIX
and relative to ``base``, which is itself relative to the manifest's own directory (so
``manifests/atomic.json`` has base ``..`` and paths like ``data/atomic/train.h5``).
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import json
import os
import re
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import h5py
import jsonschema
import numpy as np
import PIL

import synthbank
from synthbank import checksums, jsonio
from synthbank.numerics import NUMERICS_VERSION
from synthbank.io import staging
from synthbank.io.staging import write_file_atomic
from synthbank.params import VALIDATION_ONLY_KEYS, Params, load_schema, thaw

# hashlib releases the GIL on large buffers, so two threads hash two files at once.
HASH_THREADS = 2


@functools.cache
def installed_version(dist: str) -> str:
    """The installed version of ``dist``, read from its dist-info folder name without
    importing it (``importlib.metadata`` scans every path entry: ~70 ms per CLI run)."""
    spec = importlib.util.find_spec(dist)
    if spec is not None and spec.origin is not None:
        infos = list(Path(spec.origin).parent.parent.glob(f"{dist}-*.dist-info"))
        if len(infos) == 1:  # several (a stale copy): let importlib.metadata decide
            return infos[0].name[len(dist) + 1 : -len(".dist-info")]
    return metadata.version(dist)


def software_versions() -> dict[str, str]:
    """Versions of everything that shapes output bytes (recorded in each manifest).

    Not the interpreter: its patch version changes no byte, and recording it would make
    a manifest differ between two machines of the same kind whose outputs are identical.
    Nothing about the CPU either: with :mod:`synthbank.numerics` the bytes do not depend
    on it, and ``numerics`` names the version of those functions.
    """
    return {
        "synthbank": synthbank.__version__,
        "numerics": NUMERICS_VERSION,  # synthbank.numerics: the portable functions' bits
        "numpy": np.__version__,
        "scipy": installed_version("scipy"),  # FFTs and the pyramids' spline zoom
        "h5py": h5py.version.version,
        "hdf5": h5py.version.hdf5_version,
        "pillow": PIL.__version__,
        "zlib": zlib.ZLIB_RUNTIME_VERSION,
    }


def relative_posix(path: Path, start: Path) -> str:
    """``path`` relative to ``start`` as a POSIX string (manifest entry paths, `base`)."""
    return Path(os.path.relpath(path.absolute(), start.absolute())).as_posix()


def digest_files(paths: Sequence[Path]) -> list[checksums.FileDigest]:
    """Digest files in parallel threads, results in the order given."""
    with ThreadPoolExecutor(HASH_THREADS) as pool:
        return list(pool.map(checksums.digest_file, paths))


def _output_files(outputs: Sequence[Path]) -> Iterator[tuple[Path, Path]]:
    """(final path, path to read) of every file below ``outputs``; an output being
    written in the open transaction is read from its staged directory."""
    tx = staging.current()
    for out in outputs:
        source = (tx.staged(out) if tx is not None else None) or Path(out)
        for p in source.rglob("*"):
            if p.is_file():
                yield Path(out) / p.relative_to(source), p


def build(
    *,
    family: str,
    generator: str,
    generator_version: str,
    seed: int,
    params: Mapping[str, Any],
    release_date: str,
    root: Path,
    manifest_path: Path,
    outputs: Sequence[Path],
    extra_entry_fields: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Digest every file below ``outputs`` and return the manifest as a dict.

    Parameters
    ----------
    root : directory entry paths are relative to (the repository root for DVC stages).
    manifest_path : where the manifest will be written; ``base`` is computed from it.
    outputs : directories owned by this manifest.
    extra_entry_fields : optional per-path (relative to root) ``uid``, ``params``, ``paired_with``,
        ``index`` and ``content_crc64``.
    """
    pairs = sorted(
        ((final, on_disk) for final, on_disk in _output_files(outputs) if final.absolute() != manifest_path.absolute()),
        key=lambda pair: relative_posix(pair[0], root),
    )
    digests = digest_files([on_disk for _, on_disk in pairs])
    entries = []
    for (path, _), d in zip(pairs, digests, strict=True):
        rel = relative_posix(path, root)
        entry = {"uid": f"{family}:{rel}", "path": rel, "bytes": d.bytes, "crc64": d.crc64, "sha256": d.sha256}
        entry.update((extra_entry_fields or {}).get(rel, {}))
        entries.append(entry)
    return {
        "family": family,
        "generator": generator,
        "generator_version": generator_version,
        "seed": seed,
        "params": thaw(params),
        "release_date": release_date,
        "software": software_versions(),
        "base": relative_posix(root, manifest_path.absolute().parent),
        "outputs": [relative_posix(Path(o), root) for o in outputs],
        "entries": entries,
    }


def write(manifest: Mapping[str, Any], path: Path) -> None:
    """Validate against the schema, then write canonical JSON atomically."""
    problems = schema_problems(manifest)
    if problems:
        raise ValueError(f"refusing to write an invalid manifest: {problems[0]}")
    write_file_atomic(path, jsonio.dumps(manifest).encode())


def schema_problems(manifest: Any) -> list[str]:
    """One line per schema violation, each naming the JSON path."""
    validator = jsonschema.Draft202012Validator(load_schema("manifest.schema.json"))
    out = []
    for err in sorted(validator.iter_errors(manifest), key=lambda e: list(map(str, e.absolute_path))):
        where = "/".join(str(p) for p in err.absolute_path) or "(top level)"
        out.append(f"{where}: {err.message}")
    return out


#: The ``exclude`` rule of the manifests synthbank writes for DVC stages: the ``.gitignore``
#: files DVC writes beside each cached output (git's bookkeeping, tracked by git, not data).
DVC_GITIGNORES = ("**/.gitignore",)


@functools.cache
def _glob_regex(pattern: str) -> re.Pattern[str]:
    parts, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            parts.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            parts.append(".*")
            i += 2
        else:
            parts.append({"*": "[^/]*", "?": "[^/]"}.get(pattern[i], re.escape(pattern[i])))
            i += 1
    return re.compile("".join(parts))


def glob_match(rel: str, pattern: str) -> bool:
    """Whether the POSIX path ``rel`` matches ``pattern`` (an ``exclude`` rule): ``*`` and
    ``?`` stay within one path component, ``**/`` stands for any number of leading ones."""
    return _glob_regex(pattern).fullmatch(rel) is not None


@dataclass
class Tree:
    """What lies at and below a path, symbolic links not followed (see :func:`scan`)."""

    files: list[Path] = field(default_factory=list)
    links: list[Path] = field(default_factory=list)
    empty_dirs: list[Path] = field(default_factory=list)
    others: list[Path] = field(default_factory=list)  # sockets, FIFOs, devices


def scan(path: Path, prune: frozenset[Path] = frozenset()) -> Tree:
    """Regular files, symbolic links, empty directories and anything else at or below
    ``path`` (absolute), without entering ``prune`` or following a link. Nothing if
    ``path`` does not exist."""
    tree = Tree()

    def walk(p: Path) -> None:
        if p in prune:
            return
        if p.is_symlink():
            tree.links.append(p)
        elif p.is_dir():
            children = sorted(p.iterdir())
            if not children:
                tree.empty_dirs.append(p)
            for child in children:
                walk(child)
        elif p.is_file():
            tree.files.append(p)
        elif os.path.lexists(p):
            tree.others.append(p)

    walk(path)
    return tree


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
    expected = expected_by_family.get(manifest["family"])
    if expected is None:
        report.problems.append(f"{report.manifest}: family '{manifest['family']}' has no section in params.yaml")
        return
    params_key = "reports_params" if manifest.get("role") == "reports" else "params"
    for key, wanted in (("seed", "seed"), ("params", params_key)):
        if wanted in expected and jsonio.canonical(manifest[key]) != jsonio.canonical(thaw(expected[wanted])):
            report.problems.append(f"{report.manifest}: {key} differs from params.yaml")


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
        from params.yaml (see :func:`expected_from`), or None to skip that comparison.
        A data manifest is compared with ``params``, a reports manifest (``role``
        ``reports``) with ``reports_params``. A family missing from it is a problem.
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
        journal = staging.pending_commit(out)
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


def reports_params(section: Mapping[str, Any]) -> dict[str, Any]:
    """What a reports manifest records as ``params``: the family's validation-only keys
    (its thresholds), the params its validation stage depends on besides the data."""
    return {key: thaw(section[key]) for key in VALIDATION_ONLY_KEYS if key in section}


def expected_from(p: Params) -> dict[str, dict[str, Any]]:
    """family -> the seed and params its manifests must record (for :func:`verify`)."""
    return {
        name: {"seed": p.seed, "params": p.generation_params(name), "reports_params": reports_params(p.family(name))}
        for name in p.sections
    }


def add_files(record: dict[str, Any], paths: Sequence[Path], *, root: Path, exclude: Sequence[str] = ()) -> dict[str, Any]:
    """Add ``paths`` (files, or directories: every file below them) to the outputs and
    entries of ``record`` (a manifest from :func:`build`), leaving out files that match
    ``exclude`` (recorded as the manifest's ``exclude`` rules). A file written in the open
    transaction is read where it is staged (it is not at its path yet). Returns ``record``."""
    if exclude:
        record["exclude"] = sorted({*record.get("exclude", []), *exclude})
    tx = staging.current()
    files: list[Path] = []
    for path in paths:
        record["outputs"].append(relative_posix(path, root))
        found = {*scan(Path(path).absolute()).files, *(tx.staged_files(path) if tx is not None else ())}
        found -= tx.own_hidden() if tx is not None else set()
        files += [p for p in sorted(found) if not any(glob_match(relative_posix(p, root), x) for x in exclude)]
    on_disk = [(tx.staged(p) if tx is not None else None) or p for p in files]
    given = {relative_posix(p, root): d for p, d in zip(files, digest_files(on_disk), strict=True)}
    for rel, d in given.items():
        record["entries"].append({"uid": f"{record['family']}:{rel}", "path": rel, "bytes": d.bytes, "crc64": d.crc64, "sha256": d.sha256})
    record["entries"].sort(key=lambda e: e["path"])
    return record


def write_reports(manifest_path: Path | None, family: str, p: Params, paths: Sequence[Path], root: Path = Path(".")) -> None:
    """Write the manifest of what a family's validation wrote (metrics, reports), unless
    ``manifest_path`` is None: ``role`` ``reports``, ``params`` = :func:`reports_params`,
    the ``.gitignore`` files DVC writes excluded. Called by the validation stage that owns
    ``paths``, after writing them and before exiting on a violated threshold."""
    if manifest_path is None:
        return
    from synthbank import registry

    package = registry.package(family)
    record = build(
        family=family, generator=f"{package}.validate",
        generator_version=importlib.import_module(package).VERSION,
        seed=p.seed, params=reports_params(p.family(family)), release_date=p.release_date, root=root,
        manifest_path=manifest_path, outputs=[],
    )
    record["role"] = "reports"
    write(add_files(record, paths, root=root, exclude=DVC_GITIGNORES), manifest_path)
