"""``synthbank release VERSION``: check, push, record and tag a release of the registry.

A release is a git commit holding ``releases/<VERSION>.json`` (the release record) and a new
section at the top of ``CHANGELOG.md``, tagged ``VERSION`` (annotated) and, for every family
whose dataset is a DVC artifact of ``dvc.yaml``, ``<artifact>@VERSION``: the tag through which
``dvc artifacts get REPO <artifact> --rev VERSION`` finds it without DVC Studio (GTO's
registration tag). Before anything is written, in this order:

1. VERSION is ``vMAJOR.MINOR.PATCH`` and greater than every release tag;
2. none of the tags it would create, nor its record, exists;
3. the git work tree is clean (nothing modified, staged or untracked) and HEAD is a branch;
4. ``dvc status`` is clean (every stage reproduced);
5. the DVC remote exists, ``release.date`` is not earlier than the previous release's, and
   ``synthbank verify`` of the whole project passes.

Then ``dvc push`` sends the data to the remote, and the record, the changelog, the commit and
the tags follow; if any of those fails, every one is undone (the pushed objects stay on the
remote: they are content-addressed and harmless). The record and the changelog section
(:mod:`synthbank.releaserecord`) depend only on the repository state, never on the wall
clock: their date is ``release.date`` of params.yaml.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthbank import params as params_mod
from synthbank import registry
from synthbank.coverage import verify_project
from synthbank.errors import SynthbankError, UsageError, ValidationFailed
from synthbank.manifest import expected_from
from synthbank.pull import dvc
from synthbank.releaserecord import CHANGELOG, RELEASES, artifacts, build_record, changelog_section, file_at, git, prepend

#: What a release version looks like: SemVer's core with a ``v``, no leading zeros.
VERSION_RE = re.compile(r"^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
ALLOWED_VERSION = "v followed by MAJOR.MINOR.PATCH, three integers without leading zeros (v0.1.0, v1.12.3)"
#: How many dirty paths, stale stages or verify problems one error line names.
SHOWN = 3


def parse_version(text: str) -> tuple[int, int, int] | None:
    """``"v1.2.3"`` -> ``(1, 2, 3)``; None for anything else."""
    m = VERSION_RE.match(text)
    return (int(m[1]), int(m[2]), int(m[3])) if m else None


def _some(items: list[str]) -> str:
    """At most :data:`SHOWN` items, then how many more."""
    more = f" and {len(items) - SHOWN} more" if len(items) > SHOWN else ""
    return ", ".join(items[:SHOWN]) + more


def _tag_exists(root: Path, tag: str) -> bool:
    """Whether the git tag ``tag`` exists in the repository at ``root``."""
    return bool(git(root, "rev-parse", "-q", "--verify", f"refs/tags/{tag}", check=False).strip())


def release_tags(root: Path) -> list[str]:
    """Every tag that is a release version, oldest version first."""
    tags = [t for t in git(root, "tag", "--list", "v*").split() if parse_version(t)]
    return sorted(tags, key=parse_version)


# --- the checks, in order -------------------------------------------------------------------

def check_version(root: Path, version: str) -> str | None:
    """Step 1: VERSION's form and order; returns the latest release tag (None: the first release)."""
    wanted = parse_version(version)
    if wanted is None:
        raise UsageError(f"release: version {version!r} is not a release version: allowed {ALLOWED_VERSION}")
    tags = release_tags(root)
    latest = tags[-1] if tags else None
    if latest is not None and wanted <= parse_version(latest):
        already = f" (tag {version} exists)" if version in tags else ""
        raise UsageError(f"release: version {version} is not greater than the latest release {latest}{already}: "
                         f"allowed a version above {latest}")
    return latest


def check_free(root: Path, version: str, tags: list[str]) -> None:
    """Step 2: none of the tags the release creates, nor its record, exists yet."""
    taken = [t for t in tags if _tag_exists(root, t)]
    if taken:
        raise UsageError(f"release: tag {_some(taken)} already exists: allowed a version none of whose tags "
                         f"({', '.join(tags)}) exists (git tag -d removes a stray one)")
    record = RELEASES / f"{version}.json"
    if (root / record).exists():
        raise UsageError(f"release: {record} already exists: allowed a version without a release record")


def check_clean_tree(root: Path) -> None:
    """Step 3: nothing modified, staged or untracked (ignored files aside), HEAD on a branch."""
    out = git(root, "status", "--porcelain=v1", "-z", "--untracked-files=all")
    fields = out.split("\0")
    paths, i = [], 0
    while i < len(fields):
        entry = fields[i]
        i += 1
        if not entry:
            continue
        paths.append(entry[3:])
        if entry[0] in "RC":  # a rename or copy: its source path follows
            i += 1
    if paths:
        raise UsageError(f"release: the git work tree is not clean ({len(paths)} path(s): {_some(paths)}): "
                         "allowed a clean tree (commit or remove them first)")
    if not git(root, "symbolic-ref", "-q", "HEAD", check=False).strip():
        raise UsageError("release: HEAD is detached: allowed a branch checked out (git switch main)")
    # The release commit and tags need an identity: without one, git would refuse only after the push.
    if not git(root, "var", "GIT_COMMITTER_IDENT", check=False).strip():
        raise UsageError("release: git has no committer identity here: allowed user.name and user.email set "
                         "(git config user.name ...; git config user.email ...)")


def check_dvc_status(root: Path) -> None:
    """Step 4: ``dvc status`` says every stage is up to date."""
    proc = dvc(["status", "--json"], root)
    if proc.returncode != 0:
        last = (proc.stderr.strip() or proc.stdout.strip() or "no output").splitlines()[-1]
        raise UsageError(f"release: dvc status failed (exit code {proc.returncode}): {last}: allowed a valid DVC project")
    try:
        status = json.loads(proc.stdout or "{}")
    except json.JSONDecodeError:
        raise UsageError(f"release: dvc status printed no JSON: {proc.stdout.strip()[:200]!r}") from None
    if status:
        stages = []
        for stage, changes in status.items():
            # [{"changed deps": {"params.yaml": {...}}}, "always changed", ...] -> "changed deps: params.yaml"
            kinds = [f"{k}: {', '.join(v)}" if isinstance(v, dict) else k
                     for c in changes if isinstance(c, dict) for k, v in c.items()]
            kinds += [c for c in changes if isinstance(c, str)]
            stages.append(f"{stage} ({'; '.join(kinds)})" if kinds else stage)
        raise UsageError(f"release: dvc status is not clean: {len(stages)} stage(s) not up to date: {_some(stages)}: "
                         "allowed a reproduced pipeline (dvc repro, then commit dvc.lock and the outputs in git)")


def check_remote(root: Path, remote: str | None) -> str:
    """Step 5a: the remote to push to exists; returns its name.

    Read from ``dvc config --list`` (every level merged): ``dvc remote list`` wraps long
    lines at the console width, so its lines cannot be split reliably.
    """
    listed = dvc(["config", "--list"], root).stdout.splitlines()  # system, global, repo, local: the last wins
    names = sorted({m[1] for m in (re.match(r"^remote\.(.+)\.url=", line) for line in listed) if m})
    if remote is None:
        remote = ([line.split("=", 1)[1] for line in listed if line.startswith("core.remote=")] or [""])[-1]
        if not remote:
            raise UsageError(f"release: no --remote and no default DVC remote (core.remote): allowed --remote with one of "
                             f"{', '.join(names) or '(none: dvc remote add -d NAME URL)'}")
    if remote not in names:
        raise UsageError(f"release: --remote {remote!r} is not a DVC remote of this repository: allowed "
                         f"{', '.join(names) or '(none: dvc remote add -d NAME URL)'}")
    return remote


def check_date(root: Path, previous: str | None, p: params_mod.Params) -> None:
    """Step 5c: ``release.date`` is not earlier than the previous release's.

    The date is the data's: every generate stage stamps it into its files, so a release
    dated before its predecessor would misorder the registry's history.
    """
    if previous is None:
        return
    old = file_at(root, previous, Path(params_mod.DEFAULT_PATH).as_posix())
    if old is None:
        return
    before = str(params_mod.parse(old.decode("utf-8"), f"{previous}:params.yaml").get("release", {}).get("date", ""))
    now = str(p.release_date)
    if now < before:  # ISO dates (the schema's format) order as text
        raise UsageError(f"release: release.date = {now} is earlier than {previous}'s {before}: allowed {before} or later")


def committed_remote(root: Path) -> tuple[str, str]:
    """The default remote committed in ``.dvc/config`` and its URL ("" when none): what every clone,
    ``dvc get``, ``dvc import`` and ``dvc.api`` read at a tag, whatever the maintainer pushes to."""
    name = dvc(["config", "--project", "core.remote"], root).stdout.strip()
    url = dvc(["config", "--project", f"remote.{name}.url"], root).stdout.strip() if name else ""
    return name, url


def local_remote_warning(root: Path) -> str | None:
    """A warning when the committed default remote is a local path (or missing): consumers on other
    machines, and ``dvc get``/``dvc import`` from a temporary clone, cannot reach it
    (docs/remotes.md); None for a network URL."""
    name, url = committed_remote(root)
    if re.match(r"^[a-z][a-z0-9+.-]*://", url) and not url.startswith("file://"):
        return None
    what = f"remote {name!r} is a local path ({url})" if name else "no default remote"
    return (f"warning: the committed default {what}: consumers on other machines, and dvc get/import/artifacts get, "
            "cannot reach it; commit a network remote as the default (docs/remotes.md)")


def check_verify(root: Path, p: params_mod.Params) -> None:
    """Step 5b: ``synthbank verify`` of the whole project (in-process) passes."""
    try:
        reports = verify_project(root, p.sections, expected_from(p))
    except ValueError as exc:  # dvc.lock unreadable
        raise UsageError(f"release: {exc}") from None
    bad = [r for r in reports if not r.ok]
    if bad:
        problems = [q for r in bad for q in r.problems]
        error = UsageError if any(r.unreadable for r in bad) else ValidationFailed
        raise error(f"release: synthbank verify found {len(problems)} problem(s) in {len(bad)} manifest(s), first: "
                    f"{problems[0]}: allowed a project where synthbank verify passes (see `synthbank verify`)")


# --- push, write, commit, tag ---------------------------------------------------------------

def push(root: Path, remote: str) -> str:
    """``dvc push --remote REMOTE``; DVC's last line (what it pushed)."""
    proc = dvc(["push", "--remote", remote], root)
    last = (proc.stdout.strip() or proc.stderr.strip() or "no output").splitlines()[-1]
    if proc.returncode != 0:
        error = (proc.stderr.strip() or proc.stdout.strip() or "no output").splitlines()[-1]
        raise UsageError(f"release: dvc push --remote {remote} failed (exit code {proc.returncode}): {error}: "
                         "nothing released (no record, commit or tag)")
    return last


@dataclass(frozen=True)
class Released:
    """What a release wrote: its record, commit and tags."""

    version: str
    record: Path
    commit: str
    tags: tuple[str, ...]
    pushed: str


def publish(root: Path, version: str, record: Mapping[str, Any], tags: list[str]) -> str:
    """Write the record and the changelog, commit them and create ``tags``; returns the commit.

    All or nothing: on any failure (a hook refusing the commit, an interrupt) the tags made
    are deleted, the branch goes back to where it was, and both files are as before.
    """
    from synthbank.io.staging import write_file_atomic
    from synthbank.jsonio import dumps

    record_path = RELEASES / f"{version}.json"
    log = root / CHANGELOG
    before = log.read_bytes() if log.exists() else None
    releases_existed = (root / RELEASES).is_dir()
    head = git(root, "rev-parse", "HEAD").strip()
    branch = git(root, "symbolic-ref", "-q", "HEAD").strip()
    made: list[str] = []
    paths = [record_path.as_posix(), CHANGELOG.as_posix()]
    try:
        (root / RELEASES).mkdir(exist_ok=True)
        write_file_atomic(root / record_path, dumps(record).encode("utf-8"))
        write_file_atomic(log, prepend(before.decode("utf-8") if before else None, changelog_section(record)).encode("utf-8"))
        git(root, "add", "--", *paths)
        git(root, "commit", "-q", "-m", f"Release {version}",
            "-m", f"synthbank release {version}: {record_path.as_posix()} and {CHANGELOG.as_posix()} (date {record['date']}).")
        commit = git(root, "rev-parse", "HEAD").strip()
        for tag in tags:
            what = f"synthbank {version}" if tag == version else f"Registering artifact {tag.split('@')[0]} version {version}"
            git(root, "tag", "-a", tag, "-m", what, commit)
            made.append(tag)
        return commit
    except BaseException as exc:
        for tag in made:
            git(root, "tag", "-d", tag, check=False)
        if git(root, "rev-parse", "HEAD", check=False).strip() != head:
            git(root, "update-ref", "-m", f"synthbank release {version}: undone", branch, head, check=False)
        git(root, "reset", "-q", "--", *paths, check=False)
        (root / record_path).unlink(missing_ok=True)
        if before is None:
            log.unlink(missing_ok=True)
        else:
            write_file_atomic(log, before)
        if not releases_existed and (root / RELEASES).is_dir() and not any((root / RELEASES).iterdir()):
            (root / RELEASES).rmdir()
        if isinstance(exc, SynthbankError):
            raise SynthbankError(f"release: {exc}: undone, no release commit, tag or file remains (the objects "
                                 "dvc push sent stay on the remote, where they are harmless)") from None
        raise


def release(root: Path, version: str, remote: str | None = None, say: Callable[[str], None] = print) -> Released:
    """Check, push, record, commit and tag release ``version`` of the project at ``root``.

    Raises
    ------
    UsageError
        A check refused (exit 2): bad or used version, dirty tree, stale pipeline, unknown
        remote, failed push. Nothing was written.
    ValidationFailed
        ``synthbank verify`` found a mismatch (exit 1). Nothing was written.
    SynthbankError
        Writing the record, committing or tagging failed: all of it was undone.
    """
    if not (root / "dvc.yaml").is_file() or not (root / ".git").exists():
        raise UsageError(f"release: {root.resolve()} holds no dvc.yaml and .git: allowed the root of the registry's git repository")
    previous = check_version(root, version)
    p = params_mod.load(root / params_mod.DEFAULT_PATH)
    by_path = artifacts(root)
    names = [by_path[f"data/{n}"] for n in registry.names() if n in p.sections and f"data/{n}" in by_path]
    tags = [version, *(f"{a}@{version}" for a in names)]
    check_free(root, version, tags)
    check_clean_tree(root)
    check_dvc_status(root)
    remote = check_remote(root, remote)
    check_date(root, previous, p)
    check_verify(root, p)
    record = build_record(root, version, previous, remote, p)  # before the push: a broken record writes nothing
    pushed = push(root, remote)
    say(f"dvc push --remote {remote}: {pushed}")
    warning = local_remote_warning(root)
    if warning:
        say(warning)
    commit = publish(root, version, record, tags)
    return Released(version, RELEASES / f"{version}.json", commit, tuple(tags), pushed)
