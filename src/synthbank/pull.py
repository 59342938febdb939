"""``synthbank pull``: the consumer path, ``dvc pull`` then ``synthbank verify``.

What DVC 3 does with a corrupt object in a local-directory remote (tests/test_verify.py):

* a file inside a directory output (most of our data): without the remote's ``verify``,
  ``dvc pull`` installs the corrupt file and exits 0, and ``dvc status`` and ``dvc status
  -c`` say all is in sync (they compare names, not contents). With ``verify = true``
  (this project's ``.dvc/config``) DVC hashes what it fetched, drops the object, removes
  the whole output directory and fails with "Checkout failed for following targets:
  <directory> ... Is your cache up to date?", naming the directory, not the file;
* a single-file output: DVC checks the remote object even without ``verify``, deletes it
  from a writable remote when it is corrupt, and fails the same way; the next pull finds
  it missing ("Some of the cache files do not exist neither locally nor on remote");
* ``dvc push`` skips objects the remote has, and every file of a directory whose listing
  (``<md5>.dir``) the remote has: a corrupt object is repaired by deleting it (and that
  listing) from the remote, then pushing from a checkout whose files verify.

:func:`pull` runs ``dvc pull``; when it fails, :func:`unfetched` finds the files behind
DVC's message (their objects are absent from the local cache) and names each one, what is
wrong in the remote and the repair; when it succeeds, ``synthbank verify`` checks every
file against the manifests, which catches what DVC let through. Exit codes are verify's.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from synthbank.coverage import lock_outs
from synthbank.errors import UsageError

#: DVC's "Missing cache files:" warning lists objects the remote does not have.
MISSING_RE = re.compile(r"\bmd5: ([0-9a-f]{32}(?:\.dir)?)")
#: DVC's summary when downloads failed (network, permissions), not a hash mismatch.
DOWNLOAD_FAILED_RE = re.compile(r"\bfiles? failed to (?:download|fetch)")


def _object_name(md5: str) -> str:
    return f"files/md5/{md5[:2]}/{md5[2:]}"


@dataclass(frozen=True)
class Unfetched:
    """A tracked file (or a directory's listing) whose object did not reach the cache."""

    path: str  # the workspace path (POSIX, relative to the project)
    md5: str  # the object's name, as in dvc.lock or the directory listing
    missing: bool  # DVC reported it absent from the remote (else: dropped as corrupt)
    listing: str = ""  # for a file of a directory output: that directory's <md5>.dir
    download_failed: bool = False  # DVC also reported failed downloads: corrupt or not fetched

    def line(self, remote: str) -> str:
        """One line: which file, what is wrong in the remote, and how to repair it.

        ``dvc push`` skips an object the remote has, and every file of a directory whose
        listing (``.dir`` object) the remote has, so a repair deletes those first.
        """
        objects = " and ".join(_object_name(m) for m in (self.md5, self.listing) if m)
        push = "dvc push from a checkout where synthbank verify passes (or dvc repro there first), then pull again"
        if self.missing:  # never pushed, or found corrupt and deleted by DVC (see the module docstring)
            return (f"{self.path}: missing from remote {remote} (object {_object_name(self.md5)}: never pushed, or "
                    f"corrupt and deleted by DVC as it checked it): {push}")
        if self.download_failed:
            return (f"{self.path}: not fetched from remote {remote} (object {_object_name(self.md5)}): a download failed "
                    f"(see DVC's message above) or the object is corrupt there; pull again, and if this line stays, "
                    f"delete {objects} from the remote, then {push}")
        return (f"{self.path}: corrupt in remote {remote}: object {_object_name(self.md5)} does not match its md5 "
                f"(DVC refused it: that is its 'Is your cache up to date?'); delete {objects} from the remote, "
                f"then {push}")


def dvc_exe() -> str:
    """The ``dvc`` of this environment (the project venv's, next to ``synthbank``)."""
    exe = Path(sys.executable).with_name("dvc")
    return str(exe) if exe.exists() else "dvc"


def dvc(args: list[str], cwd: Path = Path(".")) -> subprocess.CompletedProcess[str]:
    """Run ``dvc args`` in ``cwd``, output captured."""
    return subprocess.run([dvc_exe(), *args], cwd=cwd, capture_output=True, text=True)


def cache_dir(cwd: Path = Path(".")) -> Path:
    """The project's DVC cache directory (``dvc cache dir``)."""
    proc = dvc(["cache", "dir"], cwd)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise UsageError(f"dvc cache dir failed: {(proc.stderr or proc.stdout).strip()}")
    return (cwd / proc.stdout.strip()).resolve()


def _object(cache: Path, md5: str) -> Path:
    return cache / "files" / "md5" / md5[:2] / md5[2:]


def family_stages(root: Path, families: list[str]) -> list[str]:
    """The dvc.lock stages of ``families``: ``<verb>_<family>`` and its items (``generate_ptycho@1000``).

    Raises UsageError naming a family with no stage in dvc.lock, and the families it has.
    """
    stages = sorted({stage for stage, _ in lock_outs(root)})
    family_of = {stage: stage.split("@", 1)[0].rsplit("_", 1)[-1] for stage in stages if "_" in stage.split("@", 1)[0]}
    known = sorted(set(family_of.values()) - {"sources"})
    for name in families:
        if name not in known:
            raise UsageError(f"family {name!r} has no stage in dvc.lock: allowed {', '.join(known)}")
    return [stage for stage in stages if family_of.get(stage) in families]


def family_manifests(root: Path, families: list[str]) -> list[Path]:
    """The manifests the stages of ``families`` write (dvc.lock outputs under manifests/), once each, in lock order."""
    stages = set(family_stages(root, families))
    return list(dict.fromkeys(Path(out["path"]) for stage, out in lock_outs(root)
                              if stage in stages and out["path"].startswith("manifests/") and out["path"].endswith(".json")))


def unfetched(root: Path, cache: Path, dvc_output: str, stages: list[str] | None = None) -> list[Unfetched]:
    """The files of dvc.lock outputs absent from the workspace whose objects are not in
    ``cache`` after a failed pull (``dvc_output``: what the pull printed); only the outputs
    of ``stages`` when given (what a targeted pull asked for)."""
    missing = set(MISSING_RE.findall(dvc_output))
    failed = DOWNLOAD_FAILED_RE.search(dvc_output) is not None
    found = []
    for stage, out in lock_outs(root):
        if stages is not None and stage not in stages:
            continue
        path, md5 = out["path"], out.get("md5", "")
        if not md5 or (root / path).exists():
            continue
        obj = _object(cache, md5)
        if not obj.is_file():
            found.append(Unfetched(path, md5, md5 in missing, "", failed))
        elif md5.endswith(".dir"):
            for item in json.loads(obj.read_text("utf-8")):
                if not _object(cache, item["md5"]).is_file():
                    found.append(Unfetched(f"{path}/{item['relpath']}", item["md5"], item["md5"] in missing, md5, failed))
    return sorted(found, key=lambda u: u.path)


def default_remote(root: Path) -> str:
    """The name of the remote ``dvc pull`` uses (``core.remote``), or '(default)'."""
    proc = dvc(["config", "core.remote"], root)
    return proc.stdout.strip() or "(default)"


def pull(root: Path, remote: str | None, jobs: int | None, families: list[str] | None = None) -> tuple[int, list[str]]:
    """Run ``dvc pull`` (of the stages of ``families`` only, when given), its output passed on to
    stderr as it comes; return its exit code and one line per file it could not fetch intact
    (none if it succeeded, or failed for another reason, which its own output then says)."""
    if not (root / "dvc.lock").is_file():
        raise UsageError(f"{root / 'dvc.lock'} does not exist: allowed the root of a synthbank checkout")
    try:
        stages = family_stages(root, families) if families else None  # a malformed dvc.lock: usage error, nothing fetched
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    args = [dvc_exe(), "pull", *(["--remote", remote] if remote else []), *(["--jobs", str(jobs)] if jobs else []),
            *(stages or [])]
    lines = []
    try:
        proc = subprocess.Popen(args, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    except OSError as exc:
        raise UsageError(f"cannot run {args[0]} ({exc.strerror}): allowed the project venv, where `make venv` installs dvc") from None
    with proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            sys.stderr.write(line)
            lines.append(line)
    if proc.returncode == 0:
        return 0, []
    name = remote or default_remote(root)
    return proc.returncode, [u.line(name) for u in unfetched(root, cache_dir(root), "".join(lines), stages)]
