"""``synthbank describe``: read every input first, then write the cards, Croissant files and their manifest together.

Nothing is written unless every input is there and consistent (an unknown family, a
missing or foreign manifest or metrics file, a declared file no manifest lists: one line,
exit 2). The outputs go through one transaction (:mod:`synthbank.io.staging`):
``docs/datasets`` is staged whole, with the output marker of ``describe``, so a
``docs/datasets`` synthbank did not write is refused (:mod:`synthbank.io.guard`), and
``manifests/describe.json`` appears with it or not at all. Families not named on the
command line keep the card they have.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from synthbank import recordsets, registry
from synthbank.describe import DOCS, MANIFEST, NAME, VERSION, card, croissant
from synthbank.describe.inputs import FileEntry, Inputs, problems
from synthbank.errors import UsageError
from synthbank.params import Params, thaw

CARD, CROISSANT, INDEX = "README.md", "croissant.json", "README.md"


def _json(path: Path, what: str) -> Any:
    if not path.is_file():
        raise UsageError(f"describe: {path.as_posix()} does not exist: allowed {what}")
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UsageError(f"describe: {path.as_posix()} cannot be read as JSON ({exc}): allowed {what}") from None


def _manifest(root: Path, rel: str, family: str) -> dict[str, Any]:
    data = _json(root / rel, f"the manifest synthbank wrote for {family} (run its stages: dvc repro)")
    if not isinstance(data, dict) or data.get("family") != family or not isinstance(data.get("entries"), list):
        raise UsageError(f"describe: {rel} is not a synthbank manifest of {family}: allowed the manifest its stages wrote")
    return data


def _entries(root: Path, rel: str, manifest: Mapping[str, Any]) -> list[FileEntry]:
    """Its entries with repository-relative paths (the manifest's ``base`` resolved)."""
    base = posixpath.normpath(posixpath.join(posixpath.dirname(rel), str(manifest.get("base", "."))))
    out = []
    for e in manifest["entries"]:
        path = posixpath.normpath(posixpath.join(base, e["path"]))
        if path.startswith("../"):
            raise UsageError(f"describe: {rel} lists {e['path']} outside the repository: allowed the manifests of this repository")
        out.append(FileEntry(path, int(e["bytes"]), str(e["sha256"]), rel))
    return out


def _digest(root: Path, rel: str) -> FileEntry:
    data = (root / rel).read_bytes()
    return FileEntry(rel, len(data), hashlib.sha256(data).hexdigest(), "")


def gather(root: Path, p: Params, family: str, registry_url: str = "") -> Inputs:
    """Everything one family's card and Croissant file need, read from ``root`` (one-line UsageError if anything is amiss)."""
    fam = registry.get(family)
    if fam.records is None:
        raise UsageError(f"describe: family {family!r} declares no records: allowed a family whose FAMILY names records=")
    data_rel, reports_rel = f"manifests/{family}.json", f"manifests/{family}.reports.json"
    data = _manifest(root, data_rel, family)
    files = _entries(root, data_rel, data) + [_digest(root, data_rel)]
    if (root / reports_rel).exists():
        files += _entries(root, reports_rel, _manifest(root, reports_rel, family)) + [_digest(root, reports_rel)]
    metrics = _json(root / f"metrics/{family}.json", f"the metrics synthbank validate {family} wrote (run its stages: dvc repro)")

    def read(rel: str) -> Any:  # what a declaration may read: repository files, as JSON
        return _json(root / rel, f"the file {family}'s records declare")

    section = thaw(p.family(family))
    try:
        records = recordsets.check(fam.declared_records(section, read))
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"describe: {family}'s records cannot be built from params.yaml: {exc}: allowed the family's params") from None
    base = posixpath.normpath(posixpath.join("manifests", str(data.get("base", "."))))
    inputs = Inputs(
        family=family, version=fam.version, summary=fam.summary, release_notes=dict(fam.release_notes), rules=fam.rules,
        section=section, seed=p.seed, release_date=p.release_date, records=records,
        files=tuple(sorted(files, key=lambda f: f.path)),
        outputs=tuple(posixpath.normpath(posixpath.join(base, o)) for o in data.get("outputs", [])),
        metrics=metrics if isinstance(metrics, dict) else {}, software=dict(data.get("software", {})),
        registry_url=registry_url,
    )
    missing = problems(inputs)
    if missing:
        raise UsageError(f"describe: {missing[0]}: allowed record sets whose files the manifests list (run its stages: dvc repro)")
    return inputs


def families_of(p: Params, names: Sequence[str]) -> list[str]:
    """The families to describe: ``names`` (each in params.yaml), or every family of params.yaml in registry order."""
    known = [n for n in registry.names() if n in p.sections]
    for name in names:
        if name not in known:
            raise UsageError(f"describe: unknown family {name!r}: allowed {', '.join(known)}")
    return [n for n in known if n in names] if names else known


def _previous(root: Path) -> dict[str, Any]:
    """The params the previous describe manifest recorded per family ({} if there is none)."""
    path = root / MANIFEST
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return dict(data.get("params", {})) if isinstance(data, dict) and data.get("family") == NAME else {}


def render(all_inputs: Sequence[Inputs]) -> dict[str, bytes]:
    """The files of each family's docs directory: ``<f>/README.md``, ``<f>/croissant.json`` (relative to docs/datasets)."""
    out = {}
    for inputs in all_inputs:
        out[f"{inputs.family}/{CROISSANT}"] = croissant.dumps(croissant.build(inputs))
        out[f"{inputs.family}/{CARD}"] = card.card(inputs).encode("utf-8")
    return out


def describe(root: Path, p: Params, names: Sequence[str], *, registry_url: str = "", overwrite: bool = False) -> list[str]:
    """Write the docs of ``names`` (every family of params.yaml when empty), the index and the manifest; the families written."""
    from synthbank import manifest as manifest_mod
    from synthbank.io import staging

    chosen = families_of(p, names)
    all_inputs = [gather(root, p, family, registry_url) for family in chosen]  # everything read before anything is written
    files = render(all_inputs)
    previous = _previous(root)
    docs, kept = root / DOCS, {}
    for family in (n for n in registry.names() if n in p.sections and n not in chosen and n in previous):
        if (docs / family / CROISSANT).is_file() and (docs / family / CARD).is_file():
            kept[family] = previous[family]
    order = [n for n in registry.names() if n in chosen or n in kept]
    documents = {n: json.loads(files[f"{n}/{CROISSANT}"]) if n in chosen else json.loads((docs / n / CROISSANT).read_text("utf-8"))
                 for n in order}
    params = {**kept, **{i.family: dict(i.section) for i in all_inputs}}
    # what the transaction checks again, with the words of this command (it has no --output-dir)
    staging.check_output(docs, NAME, overwrite=overwrite, manifest=root / MANIFEST, option="describe: output")
    with staging.transaction(NAME, overwrite=overwrite, manifest=root / MANIFEST) as tx:
        tmp = tx.stage_dir(docs)
        for family in kept:
            shutil.copytree(docs / family, tmp / family)
        for rel, data in files.items():
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp / rel).write_bytes(data)
        (tmp / INDEX).write_bytes(card.index(documents).encode("utf-8"))
        record = manifest_mod.build(
            family=NAME, generator="synthbank.describe", generator_version=VERSION, seed=p.seed,
            params={n: params[n] for n in order}, release_date=p.release_date, root=root,
            manifest_path=root / MANIFEST, outputs=[docs],
        )
        record["role"] = "docs"
        manifest_mod.write(record, root / MANIFEST)
    return chosen
