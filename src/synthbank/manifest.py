"""Build, write, validate and verify manifests (DESIGN.md, "Manifests").

A manifest lists every file a family wrote with its size, CRC-64/GO-ISO and sha256,
next to the seed, params and software versions that produced it. Entry paths are POSIX
and relative to ``base``, which is itself relative to the manifest's own directory (so
``manifests/atomic.json`` has base ``..`` and paths like ``data/atomic/train.h5``).
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import zlib
from collections.abc import Iterable, Mapping, Sequence
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
from synthbank.io.staging import write_file_atomic
from synthbank.params import load_schema, thaw

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
    files = sorted(
        (p for out in outputs for p in Path(out).rglob("*") if p.is_file() and p.absolute() != manifest_path.absolute()),
        key=lambda p: relative_posix(p, root),
    )
    digests = digest_files(files)
    entries = []
    for path, d in zip(files, digests, strict=True):
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


@dataclass
class VerifyReport:
    """What :func:`verify` found for one manifest."""

    manifest: Path
    problems: list[str] = field(default_factory=list)
    files: int = 0
    bytes: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(manifest_path: Path, expected_by_family: Mapping[str, Mapping[str, Any]] | None = None) -> VerifyReport:
    """Check one manifest against the files and (optionally) against params.yaml.

    Parameters
    ----------
    manifest_path : the manifest JSON file.
    expected_by_family : family -> ``{"seed": ..., "params": ...}`` from params.yaml,
        or None to skip that comparison. A family missing from it is a problem.
    """
    report = VerifyReport(manifest_path)
    try:
        manifest = json.loads(manifest_path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        report.problems.append(f"{manifest_path}: cannot be read as JSON: {exc}")
        return report
    problems = schema_problems(manifest)
    if problems:
        report.problems += [f"{manifest_path}: schema: {p}" for p in problems]
        return report
    root = (manifest_path.parent / manifest["base"]).resolve()
    expected = None if expected_by_family is None else expected_by_family.get(manifest["family"])
    if expected_by_family is not None and expected is None:
        report.problems.append(f"{manifest_path}: family '{manifest['family']}' has no section in params.yaml")
    if expected is not None:
        for key in ("seed", "params"):
            if jsonio.canonical(manifest[key]) != jsonio.canonical(thaw(expected[key])):
                report.problems.append(f"{manifest_path}: {key} differs from params.yaml")
    listed = {e["path"]: e for e in manifest["entries"]}
    present = [p for p in listed if (root / p).is_file()]
    for missing in sorted(set(listed) - set(present)):
        report.problems.append(f"{missing}: missing (listed in {manifest_path.name})")
    for out in manifest["outputs"]:
        for p in sorted((root / out).rglob("*")):
            rel = relative_posix(p, root)
            if p.is_file() and rel not in listed and p.resolve() != manifest_path.resolve():
                report.problems.append(f"{rel}: extra file not in {manifest_path.name}")
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
