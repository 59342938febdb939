"""What synthbank may replace, and one run per output at a time.

* :func:`refuse_dangerous` refuses output paths whose replacement would be a disaster
  whatever ``--overwrite`` says: ``/``, the home directory, the current directory or one
  of its parents, the repository root or one of its parents, ``data/`` itself.
* :func:`check_owned` lets an existing output be replaced only if synthbank wrote it:
  a directory holding our marker (:data:`MARKER`) of the same family, or (outputs older
  than the marker) a synthbank manifest of that family; a file that is a synthbank
  manifest. Anything else needs ``--overwrite``.
* :class:`OutputLock` is an exclusive ``flock`` on ``.<name>.lock`` beside the output: a
  second run on the same output refuses at once, naming the first run's PID. The kernel
  drops the lock when its holder dies, so a killed run never blocks the next one.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
from pathlib import Path
from typing import Any

from synthbank.errors import UsageError

#: The marker every output directory synthbank writes holds (listed in manifests like any
#: file). Its bytes depend on the family only, so outputs stay deterministic.
MARKER = ".synthbank-output.json"
MARKER_FORMAT = "synthbank-output/1"


class OutputBusy(UsageError):
    """Another synthbank run holds the output's lock (nothing was written)."""


def marker_bytes(family: str) -> bytes:
    """The marker file's content for ``family`` (canonical JSON, one line)."""
    return (json.dumps({"family": family, "format": MARKER_FORMAT}, sort_keys=True, separators=(",", ":")) + "\n").encode()


def _read_json(path: Path) -> Any:
    try:
        with open(path, "rb") as f:
            return json.loads(f.read(1 << 24).decode("utf-8"))
    except (OSError, ValueError):
        return None


def marker_family(directory: Path) -> str | None:
    """The family named by ``directory``'s marker, or None if there is no valid marker."""
    data = _read_json(directory / MARKER)
    if isinstance(data, dict) and data.get("format") == MARKER_FORMAT and isinstance(data.get("family"), str):
        return data["family"]
    return None


def json_family(path: Path, key: str | None = None) -> str | None:
    """The ``family`` of the synthbank JSON record at ``path`` (one that also has the list
    ``key``, if given), or None if it is not one."""
    data = _read_json(path)
    if isinstance(data, dict) and isinstance(data.get("family"), str) and (key is None or isinstance(data.get(key), list)):
        return data["family"]
    return None


def manifest_family(path: Path) -> str | None:
    """The family of the synthbank manifest at ``path``, or None if it is not one."""
    return json_family(path, "entries")


def project_root(start: Path) -> Path | None:
    """The nearest directory at or above ``start`` holding ``.dvc`` or ``.git``."""
    for candidate in (start, *start.parents):
        if (candidate / ".dvc").is_dir() or (candidate / ".git").exists():
            return candidate
    return None


def _existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _protected_roots(target: Path) -> set[Path]:
    """Repositories an output must never be, contain, or be ``data/`` of: the one we run
    in, the one the target lies in, and the synthbank checkout this code runs from."""
    roots = {project_root(Path.cwd().resolve()), project_root(_existing(target)), project_root(Path(__file__).resolve().parent)}
    return {r for r in roots if r is not None}


def refuse_dangerous(final: Path, option: str = "--output-dir") -> None:
    """Raise UsageError if replacing ``final`` could destroy a home, a repository or ``data/``.

    Refused whatever ``--overwrite`` says: ``''``, ``/``, the home directory or one of its
    parents, the current directory or one of its parents, a repository root (``.git`` or
    ``.dvc``) or one of its parents, and a repository's ``data/`` itself. Symbolic links
    are resolved first, so a link to one of these is refused too.
    """
    if str(final) == "":
        raise UsageError(f"{option}='' is invalid: allowed a directory path below the current directory or elsewhere")
    target = Path(os.path.realpath(final))

    def covers(protected: Path) -> bool:  # replacing target would replace protected
        return target == protected or target in protected.parents

    roots = _protected_roots(target)
    why = None
    if target == Path(target.anchor):
        why = "the file-system root"
    elif covers(Path.home().resolve()):
        why = "the home directory or one of its parents"
    elif covers(Path.cwd().resolve()):
        why = "the current directory or one of its parents"
    elif (target / ".git").exists() or (target / ".dvc").is_dir() or any(covers(r) for r in roots):
        why = "a repository or one of its parents"
    elif any(target == r / "data" for r in roots):
        why = "data/ itself (each family writes below it)"
    if why is not None:
        raise UsageError(f"{option}={str(final)!r} is {why}: allowed a directory of its own, such as data/<family> or datasets/<name>")


def check_owned(final: Path, family: str | None, overwrite: bool, manifest: Path | None = None, option: str = "--output-dir") -> None:
    """Raise UsageError unless ``final`` may be replaced by a ``family`` run.

    Parameters
    ----------
    final : the output directory (or a manifest file) about to be replaced.
    family : the family of this run (None: any family's output is recognised).
    overwrite : ``--overwrite`` was given: replace whatever is there.
    manifest : the manifest this run writes; if it is a ``family`` manifest listing
        ``final`` among its outputs, ``final`` is a previous output of this family.
    """
    if overwrite or not (final.exists() or final.is_symlink()):
        return
    who = f"synthbank {family}" if family else "synthbank"
    rule = f"allowed a new or empty directory, a previous {who} output, or --overwrite"
    if final.is_symlink():
        raise UsageError(f"{option}={str(final)!r} is a symbolic link: {rule}")
    if final.is_dir():
        found = marker_family(final)
        if not any(final.iterdir()) or (found is not None and family in (None, found)):
            return
        if found is not None:
            raise UsageError(f"{option}={str(final)!r} holds a synthbank {found} output, not {family}: {rule}")
        older = manifest_family(final / "manifest.json")
        if (older is not None and family in (None, older)) or _listed_by(manifest, final, family):
            return  # written by a synthbank version older than the marker
        raise UsageError(f"{option}={str(final)!r} exists and was not written by {who} (no {MARKER}): {rule}")
    if manifest_family(final) is not None:
        return  # a manifest file: synthbank wrote it
    raise UsageError(f"{option}={str(final)!r} is an existing file not written by synthbank: allowed a new path, a synthbank manifest, or --overwrite")


def _listed_by(manifest: Path | None, final: Path, family: str | None) -> bool:
    data = None if manifest is None else _read_json(manifest)
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list) or family not in (None, data.get("family")):
        return False
    base = (manifest.absolute().parent / str(data.get("base", "."))).resolve()
    outputs = data.get("outputs", [])
    return isinstance(outputs, list) and any(isinstance(o, str) and (base / o).resolve() == final.resolve() for o in outputs)


class OutputLock:
    """An exclusive, non-blocking lock on one output path (see the module docstring)."""

    def __init__(self, final: Path) -> None:
        final = Path(os.path.abspath(final))
        self.final = final
        self.path = final.parent / f".{final.name}.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise :class:`OutputBusy` naming the holder's PID."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "unknown"
                os.close(fd)
                if exc.errno not in (errno.EWOULDBLOCK, errno.EACCES):
                    raise
                raise OutputBusy(
                    f"{self.final} is being written by another synthbank run (PID {holder}): "
                    f"allowed one run per output at a time; wait for it or stop it"
                ) from None
            try:  # the holder may have removed the file between our open and flock
                if os.fstat(fd).st_ino == os.stat(self.path).st_ino:
                    break
            except FileNotFoundError:
                pass
            os.close(fd)
        self._fd = fd
        try:  # the PID is for the message of a refused run; a full disk must not stop us here
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError:
            pass

    def release(self) -> None:
        """Remove the lock file, then drop the lock (in that order: see :meth:`acquire`)."""
        if self._fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)
        finally:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> OutputLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
