"""Build and write manifests (docs/manifest.md).

A manifest lists every file a family wrote with its size, CRC-64/GO-ISO and sha256,
next to the seed, params and software versions that produced it. Entry paths are POSIX
and relative to ``base``, which is itself relative to the manifest's own directory (so
``manifests/atomic.json`` has base ``..`` and paths like ``data/atomic/train.h5``).

Verifying them is :mod:`synthbank.verify`'s job; :func:`verify`, :func:`verify_all` and
:class:`VerifyReport` stay importable from here.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import zlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import PIL

import synthbank
from synthbank import jsonio
from synthbank.errors import UsageError
from synthbank.filetree import digest_files, digest_written, glob_match, relative_posix, scan  # noqa: F401  (digest_files re-exported)
from synthbank.numerics import NUMERICS_VERSION
from synthbank.io import staging
from synthbank.io.staging import write_file_atomic
from synthbank.params import VALIDATION_ONLY_KEYS, Params, thaw
from synthbank.verify import VerifyReport, schema_problems, verify, verify_all  # noqa: F401  (re-exported)


@functools.cache
def installed_version(dist: str) -> str:
    """The installed version of ``dist``, read from its dist-info folder name without
    importing it (``importlib.metadata`` scans every path entry: ~70 ms per CLI run)."""
    spec = importlib.util.find_spec(dist)
    if spec is not None and spec.origin is not None:
        infos = list(Path(spec.origin).parent.parent.glob(f"{dist}-*.dist-info"))
        if len(infos) == 1:  # several (a stale copy): let importlib.metadata decide
            return infos[0].name[len(dist) + 1 : -len(".dist-info")]
    from importlib import metadata  # only here: it loads email, zipfile, csv... (~15 ms)

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


def _output_files(outputs: Sequence[Path]) -> Iterator[tuple[Path, Path]]:
    """(final path, path to read) of every file below ``outputs``; an output being
    written in the open transaction is read from its staged directory."""
    for out in outputs:
        source = staging.visible(out)
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
    recorded = [output_path(Path(o), root) for o in outputs]
    pairs = sorted(
        ((final, on_disk) for final, on_disk in _output_files(outputs) if final.absolute() != manifest_path.absolute()),
        key=lambda pair: relative_posix(pair[0], root),
    )
    digests = digest_written([on_disk for _, on_disk in pairs])  # a writer's own digests are not read again
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
        "outputs": recorded,
        "entries": entries,
    }


def output_path(path: Path, root: Path) -> str:
    """``path`` relative to ``root``, as a manifest records an output.

    Parameters
    ----------
    path : Path
        An output (file or directory), relative to the working directory or absolute.
    root : Path
        What the manifest's paths are relative to: the project directory (``.``) or a
        generate command's output directory.

    Returns
    -------
    str
        The POSIX relative path, never starting with ``..``.

    Raises
    ------
    UsageError
        ``path`` lies outside ``root``: one line naming both.
    """
    rel = relative_posix(path, root)
    if rel == ".." or rel.startswith("../"):
        where = f"the project directory {Path(root).absolute()}" if Path(root) == Path(".") else f"{root}"
        raise UsageError(f"{path} is outside {where}: a manifest lists paths relative to it; allowed a path inside it")
    return rel


def write(manifest: Mapping[str, Any], path: Path) -> None:
    """Validate against the schema, then write canonical JSON atomically."""
    problems = schema_problems(manifest)
    if problems:
        raise ValueError(f"refusing to write an invalid manifest: {problems[0]}")
    write_file_atomic(path, jsonio.dumps(manifest).encode())


#: The ``exclude`` rule of the manifests synthbank writes for DVC stages: the ``.gitignore``
#: files DVC writes beside each cached output (git's bookkeeping, tracked by git, not data).
DVC_GITIGNORES = ("**/.gitignore",)


def reports_params(section: Mapping[str, Any]) -> dict[str, Any]:
    """What a reports manifest records as ``params``: the family's validation-only keys
    (its thresholds), the params its validation stage depends on besides the data."""
    return {key: thaw(section[key]) for key in VALIDATION_ONLY_KEYS if key in section}


def expected_from(p: Params) -> dict[str, dict[str, Any]]:
    """family -> the seed and params its manifests must record (for :func:`~synthbank.verify.verify`)."""
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
        record["outputs"].append(output_path(path, root))
        found = {*scan(Path(path).absolute()).files, *(tx.staged_files(path) if tx is not None else ())}
        found -= tx.own_hidden() if tx is not None else set()
        files += [p for p in sorted(found) if not any(glob_match(relative_posix(p, root), x) for x in exclude)]
    on_disk = [staging.visible(p) for p in files]
    given = {relative_posix(p, root): d for p, d in zip(files, digest_written(on_disk), strict=True)}
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
