"""``synthbank verify`` of a whole project: every output accounted for, every family present.

Without manifest arguments, ``synthbank verify`` checks the project in the current
directory, not only the manifests it finds:

* every family with a section in params.yaml has ``manifests/<family>.json``, and every
  manifest that ``dvc.lock`` records as a stage output exists (missing: exit 2);
* each manifest passes :func:`synthbank.verify.verify`;
* every file under ``data/``, ``reports/``, ``metrics/`` and ``manifests/`` and every
  output that ``dvc.lock`` records is listed by some manifest, is a manifest itself, or
  matches an ``exclude`` rule of some manifest; no symbolic link, empty directory or
  special file lies there; an output recorded in dvc.lock that no manifest lists exists.

Problems are one line each, naming the path; :attr:`VerifyReport.exit_code` gives 1 for
a mismatch, 2 for a manifest that cannot be read.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from synthbank.filetree import relative_posix, scan
from synthbank.verify import VerifyReport, in_dvc_cache, leftover_hint, tree_problems, verify_all

#: The directories synthbank's pipeline writes into (below the project root).
ROOTS = ("data", "reports", "metrics", "manifests")
MANIFEST_DIR = "manifests"


def lock_outs(root: Path) -> list[tuple[str, dict[str, Any]]]:
    """(stage, output record) of every output in ``root/dvc.lock`` (none without one).
    Raises ValueError if the file is not a DVC lock file."""
    lock = root / "dvc.lock"
    if not lock.is_file():
        return []
    try:
        data = yaml.load(lock.read_text("utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # C: 20x faster
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValueError(f"{lock} cannot be read: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("stages"), dict):
        raise ValueError(f"{lock} is not a DVC lock file (no 'stages' mapping)")
    return [(stage, out) for stage, s in data["stages"].items() for out in (s or {}).get("outs", [])]


#: Outputs that are the pipeline's own bookkeeping, not data: the ``sources`` stage's lists
#: of the code each stage imports (in git; the test suite checks them, see synthbank.depgraph).
BOOKKEEPING = ("pipeline/sources",)


def dvc_outputs(root: Path) -> dict[str, str]:
    """Data output path (relative POSIX) -> the stage that writes it, from ``root/dvc.lock``
    (the :data:`BOOKKEEPING` outputs aside)."""
    return {out["path"]: stage for stage, out in lock_outs(root) if out["path"] not in BOOKKEEPING}


def default_manifests(root: Path) -> list[Path]:
    """The manifests a project-wide verify reads: ``manifests/*.json``, hidden files aside
    (an interrupted run's journal or temporary file is reported, not read as a manifest)."""
    folder = root / MANIFEST_DIR
    return sorted(p.relative_to(root) for p in folder.glob("*.json") if not p.name.startswith(".")) if folder.is_dir() else []


def required_manifests(families: Iterable[str], outputs: Mapping[str, str]) -> dict[Path, str]:
    """Manifest path -> why it must exist: a family of params.yaml, or a dvc.lock output."""
    required = {Path(MANIFEST_DIR) / f"{family}.json": f"params.yaml lists family '{family}'" for family in families}
    for out, stage in outputs.items():
        if Path(out).parent == Path(MANIFEST_DIR) and out.endswith(".json"):
            required.setdefault(Path(out), f"an output of stage {stage} in dvc.lock")
    return required


def verify_project(
    root: Path, families: Iterable[str], expected_by_family: Mapping[str, Mapping[str, Any]] | None
) -> list[VerifyReport]:
    """One report per manifest (found or required), then one for the coverage check.

    Parameters
    ----------
    root : the project root (relative manifest paths are relative to it; the CLI uses ".").
    families : the families params.yaml lists.
    expected_by_family : as for :func:`synthbank.verify.verify`, or None.
    """
    outputs = dvc_outputs(root)
    required = required_manifests(families, outputs)
    paths = sorted({*default_manifests(root), *required})
    reports = verify_all([root / p for p in paths], expected_by_family)
    why = {root / p: reason for p, reason in required.items()}
    for report in reports:
        if report.manifest in why and not os.path.lexists(report.manifest):
            report.problems = [f"{report.manifest}: does not exist: required, {why[report.manifest]}"]
    reports.append(coverage(root, reports, outputs))
    return reports


def coverage(root: Path, reports: list[VerifyReport], outputs: Mapping[str, str]) -> VerifyReport:
    """The files no manifest accounts for under :data:`ROOTS` and the dvc.lock outputs
    (``files`` counts those scanned outside every manifest's outputs)."""
    root = root.resolve()
    report = VerifyReport(Path("(project)"))
    report.listed = set().union(*(r.listed for r in reports))
    owned = frozenset(o for r in reports for o in r.outputs)  # checked by their manifests already
    manifests = {r.manifest.resolve() for r in reports}
    report.links = set().union(*(r.links for r in reports))
    seen: set[Path] = set()
    for top in (*ROOTS, *outputs):
        tree = scan(root / top, prune=owned)
        tree.empty_dirs = [d for d in tree.empty_dirs if d not in seen]
        tree.others = [p for p in tree.others if p not in seen]
        tree_problems(tree, root, report)  # each link once (report.links)
        seen.update(tree.empty_dirs, tree.others)
        for p in tree.files + [link for link in tree.links if in_dvc_cache(link, root)]:
            if p in seen:
                continue
            seen.add(p)
            report.files += 1
            if p in report.listed or p in manifests or any(r.excludes(p) for r in reports):
                continue
            stage = next((s for out, s in outputs.items() if p.is_relative_to(root / out)), None)
            why = f" (an output of stage {stage} in dvc.lock)" if stage else ""
            report.problems.append(f"{relative_posix(p, root)}: in no manifest{why}{leftover_hint(p.name)}")
    report.summary = (
        f"every file under {', '.join(t + '/' for t in ROOTS)} and the {len(outputs)} outputs in dvc.lock"
        f" is in a manifest or excluded by one ({report.files} outside the manifests' outputs)"
    )
    for out, stage in sorted(outputs.items()):
        path = root / out
        if not os.path.lexists(path) and path not in manifests and not any(q.is_relative_to(path) for q in report.listed):
            report.problems.append(f"{out}: missing (an output of stage {stage} in dvc.lock that no manifest lists)")
    return report
