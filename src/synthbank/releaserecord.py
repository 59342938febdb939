"""The release record (``releases/<VERSION>.json``) and its ``CHANGELOG.md`` section.

Both are functions of the repository state only (HEAD, params.yaml, the manifests and
metrics, the family code, the installed dvc), never of the wall clock: the date is
``release.date`` of params.yaml, so the same state gives the same bytes. What changed since
the previous release is read from git at that release's tag (its params.yaml and
manifests), so a tag made by hand before ``synthbank release`` existed still compares.
:mod:`synthbank.release` checks, pushes, writes and tags.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from synthbank import params as params_mod
from synthbank import registry
from synthbank.coverage import MANIFEST_DIR
from synthbank.errors import SynthbankError

RELEASES = Path("releases")
CHANGELOG = Path("CHANGELOG.md")
CHANGELOG_HEADER = (
    "# Changelog\n\n"
    "Every release of this registry, newest first. `synthbank release VERSION` writes each section\n"
    "with the release record `releases/VERSION.json` ([docs/releases.md](docs/releases.md)).\n"
)
RECORD_FORMAT = "synthbank-release/1"


def git(root: Path, *args: str, check: bool = True) -> str:
    """``git args`` in ``root``; its stdout. A failure raises SynthbankError with git's last line."""
    proc = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    if check and proc.returncode != 0:
        last = (proc.stderr.strip() or proc.stdout.strip() or f"exit code {proc.returncode}").splitlines()[-1]
        raise SynthbankError(f"git {args[0]} failed: {last}")
    return proc.stdout


def artifacts(root: Path) -> dict[str, str]:
    """Data path -> artifact name, from the ``artifacts:`` block of ``root/dvc.yaml``."""
    data = yaml.safe_load((root / "dvc.yaml").read_text("utf-8")) or {}
    return {str(a["path"]).rstrip("/"): name for name, a in (data.get("artifacts") or {}).items()}


def _semver_key(text: str) -> tuple[int, ...]:
    """A family's generator version (``"3.0.0"``) as a sortable tuple (unparsable: lowest)."""
    try:
        return tuple(int(p) for p in text.split("."))
    except ValueError:
        return (-1,)


def _flat(data: Any, prefix: str = "") -> dict[str, Any]:
    """Nested mappings as dotted keys (lists and scalars are leaves), as dvc params/metrics diff show them."""
    if isinstance(data, Mapping) and data:
        out: dict[str, Any] = {}
        for key, value in data.items():
            out.update(_flat(value, f"{prefix}{key}."))
        return out
    return {prefix[:-1]: data} if prefix else {}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_at(root: Path, rev: str, path: str) -> bytes | None:
    """The bytes of ``path`` at git revision ``rev`` (None if it was not there)."""
    proc = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=root, capture_output=True)
    return proc.stdout if proc.returncode == 0 else None


def metrics_summary(path: Path) -> dict[str, Any] | None:
    """Thresholds met and every scalar metric (dotted keys) of a family's metrics file."""
    if not path.is_file():
        return None
    values = _flat(json.loads(path.read_text("utf-8")))
    scalars = {k: v for k, v in values.items() if isinstance(v, (bool, int, float)) and k != "thresholds_met"}
    return {"path": path.as_posix(), "thresholds_met": values.get("thresholds_met"), "values": scalars}


def params_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Dotted key -> ``{"old", "new"}`` for every params value that differs (absent: None)."""
    a, b = _flat(old), _flat(new)
    return {k: {"old": a.get(k), "new": b.get(k)} for k in sorted(a.keys() | b.keys()) if a.get(k) != b.get(k) or (k in a) != (k in b)}


def family_record(root: Path, name: str, artifact: str | None, previous: str | None) -> dict[str, Any]:
    """One family's part of the record: generator, manifest digest and counts, metrics, change."""
    family = registry.get(name)
    manifest_path = Path(MANIFEST_DIR) / f"{name}.json"
    raw = (root / manifest_path).read_bytes()
    manifest = json.loads(raw)
    record: dict[str, Any] = {
        "generator_version": family.version,
        "artifact": artifact,
        "outputs": list(manifest.get("outputs", [])),
        "manifest": {
            "path": manifest_path.as_posix(), "sha256": _sha256(raw),
            "files": len(manifest["entries"]), "bytes": sum(int(e["bytes"]) for e in manifest["entries"]),
        },
        "metrics": metrics_summary(root / "metrics" / f"{name}.json"),
        "changed": None,
    }
    if previous is not None:
        old = file_at(root, previous, manifest_path.as_posix())
        old_version = json.loads(old).get("generator_version") if old else None
        record["changed"] = {
            "generator": old_version != family.version, "data": old is None or _sha256(old) != record["manifest"]["sha256"],
            "previous_generator_version": old_version,
        }
    return record


def build_record(root: Path, version: str, previous: str | None, remote: str, p: params_mod.Params) -> dict[str, Any]:
    """The release record (``releases/<VERSION>.json``): a function of the repository state only."""
    by_path = artifacts(root)
    families = [n for n in registry.names() if n in p.sections]
    params_bytes = (root / params_mod.DEFAULT_PATH).read_bytes()
    current = params_mod.parse(params_bytes.decode("utf-8"), str(params_mod.DEFAULT_PATH))
    changes = None
    if previous is not None:
        old = file_at(root, previous, Path(params_mod.DEFAULT_PATH).as_posix())
        changes = params_changes(params_mod.parse(old.decode("utf-8"), f"{previous}:params.yaml") if old else {}, current)
    return {
        "format": RECORD_FORMAT,
        "version": version,
        "date": p.release_date,
        "source_commit": git(root, "rev-parse", "HEAD").strip(),
        "previous_release": previous,
        "dvc_version": importlib.metadata.version("dvc"),
        "synthbank_version": importlib.metadata.version("synthbank"),
        "remote": remote,
        "params": {"path": Path(params_mod.DEFAULT_PATH).as_posix(), "sha256": _sha256(params_bytes), "changed": changes},
        "families": {n: family_record(root, n, by_path.get(f"data/{n}"), previous) for n in families},
    }


def _notes(name: str, since: str | None) -> list[tuple[str, str]]:
    """(version, note) of family ``name``'s release notes above ``since``, up to its version, newest first."""
    family = registry.get(name)
    top, low = _semver_key(family.version), _semver_key(since) if since else None
    keys = [v for v in family.release_notes if _semver_key(v) <= top and (low is None or _semver_key(v) > low)]
    return [(v, family.release_notes[v]) for v in sorted(keys, key=_semver_key, reverse=True)]


def changelog_section(record: Mapping[str, Any]) -> str:
    """The CHANGELOG.md section of a release, from its record alone."""
    version, previous = record["version"], record["previous_release"]
    since = f"since {previous}" if previous else "change"
    lines = [
        f"## {version} ({record['date']})", "",
        f"Release record `releases/{version}.json`; source commit `{record['source_commit']}`; "
        + (f"previous release {previous}." if previous else "the first release."), "",
        f"| family | generator | {since} | artifact | files | bytes | manifest sha256 |",
        "|---|---|---|---|---:|---:|---|",
    ]
    notes = []
    for name, fam in record["families"].items():
        changed = fam["changed"]
        if changed is None:
            what = "first release"
        elif changed["previous_generator_version"] is None:
            what = "new in this release"
        else:
            gen = (f"generator {changed['previous_generator_version']} -> {fam['generator_version']}" if changed["generator"]
                   else "generator unchanged")
            what = f"{gen}; data {'changed' if changed['data'] else 'unchanged'}"
        artifact = f"`{fam['artifact']}`" if fam["artifact"] else "-"
        m = fam["manifest"]
        lines.append(f"| {name} | {fam['generator_version']} | {what} | {artifact} | {m['files']} | {m['bytes']:,} | `{m['sha256']}` |")
        low = changed["previous_generator_version"] if changed else None
        notes += [f"- {name} {v}: {text}" for v, text in _notes(name, low)]
    lines += ["", f"Release notes{' new ' + since if previous else ''}:", "", *(notes or ["- none"]), ""]
    if previous:
        changes = record["params"]["changed"] or {}
        lines += [f"Params changed since {previous} (`dvc params diff {previous} {version}`):", ""]
        lines += [f"- `{k}`: {json.dumps(c['old'])} -> {json.dumps(c['new'])}" for k, c in changes.items()] or ["- none"]
    else:
        lines += [f"Params: `params.yaml` sha256 `{record['params']['sha256']}`."]
    return "\n".join(lines) + "\n"


def prepend(changelog: str | None, section: str) -> str:
    """CHANGELOG.md's text with ``section`` before its first release section."""
    text = changelog if changelog else CHANGELOG_HEADER
    at = text.find("\n## ")
    if at < 0:
        return text.rstrip("\n") + "\n\n" + section
    return text[: at + 1] + section + "\n" + text[at + 1:]
