"""Shared helpers for the end-to-end and CLI tests.

Everything here runs the real ``synthbank`` and ``dvc`` console scripts of the project
venv in subprocesses, inside temporary directories: a throwaway copy of the project as a
real git repository (:func:`make_project`), or a bare folder with a params.yaml.
Nothing is written outside pytest's temporary directories (``DVC_SITE_CACHE_DIR`` too).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

#: The repository under test (the working tree, including uncommitted files).
MAIN = Path(__file__).resolve().parents[1]
#: The project venv's bin directory: ``synthbank`` and ``dvc`` live here.
VENV_BIN = Path(sys.executable).parent
#: What ``synthbank generate atomic`` writes into its output directory (besides a manifest).
DATA_FILES = (".synthbank-output.json", "metadata.json", "test.h5", "test.npz", "train.h5", "train.npz", "val.h5", "val.npz")
#: The marker every output directory synthbank writes holds (synthbank.io.guard.MARKER).
MARKER = ".synthbank-output.json"
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "synthbank tests",
    "GIT_AUTHOR_EMAIL": "tests@synthbank.invalid",
    "GIT_COMMITTER_NAME": "synthbank tests",
    "GIT_COMMITTER_EMAIL": "tests@synthbank.invalid",
}
#: A generous limit for any single command, so a hang fails instead of blocking CI.
TIMEOUT = 900


#: The suite's test-only seventh family (tests/toy_family), joined through SYNTHBANK_EXTRA_FAMILIES.
TOY = Path(__file__).resolve().parent / "toy_family"


def toy_params(samples: int, std_rel_error_max: float) -> str:
    """A params.yaml for the toy family alone: two Gaussian sets, ``samples`` draws each."""
    return f"""\
seed: 7
release:
  date: "2026-01-02"
toy:
  samples: {samples}
  sets:
    narrow: {{mean: 5.0, std: 0.5}}
    wide: {{mean: -3.0, std: 4.0}}
  thresholds:
    mean_z_max: 5.0
    std_rel_error_max: {std_rel_error_max}
"""


def make_env(site_cache_dir: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of every subprocess: venv first on PATH, no analytics, no stray caches."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["DVC_NO_ANALYTICS"] = "1"
    env["DVC_SITE_CACHE_DIR"] = str(site_cache_dir)
    env.update(GIT_IDENTITY)
    env.update(extra or {})
    return env


class Runner:
    """``run(cmd, cwd, check=True, input=None)``: a subprocess with the test environment.

    Returns the CompletedProcess (text stdout/stderr). stdin is /dev/null unless ``input``
    is given. ``env`` adds or overrides variables (for example PYTHONPATH of a project copy).
    """

    def __init__(self, site_cache_dir: Path) -> None:
        self.site_cache_dir = site_cache_dir

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return make_env(self.site_cache_dir, extra)

    def __call__(
        self,
        cmd: Sequence[str | os.PathLike[str]],
        cwd: str | os.PathLike[str],
        check: bool = True,
        input: str | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = TIMEOUT,
    ) -> subprocess.CompletedProcess[str]:
        args = [str(c) for c in cmd]
        proc = subprocess.run(
            args,
            cwd=cwd,
            env=self.env(env),
            input=input,
            stdin=subprocess.DEVNULL if input is None else None,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"command failed with exit code {proc.returncode}: {' '.join(args)} (cwd {cwd})\n"
                f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
            )
        return proc


@pytest.fixture(scope="session")
def run(tmp_path_factory: pytest.TempPathFactory) -> Runner:
    """The subprocess helper, with one DVC site cache directory for the whole session."""
    return Runner(tmp_path_factory.mktemp("dvc-site-cache"))


def project_files(root: Path = MAIN) -> list[str]:
    """Files of the repository as git sees them (tracked or not ignored), that exist."""
    out = subprocess.run(
        ["git", "-C", str(root), "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        check=True, capture_output=True,
    ).stdout.decode()
    files = []
    for rel in filter(None, out.split("\0")):
        parts = Path(rel).parts
        if parts[0] == ".venv":
            continue
        if parts[0] == "data" and parts[-1] != ".gitignore":  # never data, only its .gitignore
            continue
        if (root / rel).is_file():
            files.append(rel)
    return sorted(files)


def set_num_images(project: Path, num_images: int) -> None:
    """Rewrite ``atomic.num_images`` in the project's params.yaml (keeping its comments)."""
    path = project / "params.yaml"
    # Only inside the top-level `atomic:` block (other families may have a num_images too).
    pattern = r"(?ms)(^atomic:\n(?:[ \t#].*\n|\n)*?[ \t]+num_images:[ \t]*)\d+"
    text, n = re.subn(pattern, rf"\g<1>{num_images}", path.read_text("utf-8"))
    assert n == 1, f"expected exactly one atomic.num_images in {path}, found {n}"
    path.write_text(text, "utf-8")


class Project:
    """A throwaway git repository: a copy of the project, or a clone of one.

    ``run`` executes with cwd = the repository and PYTHONPATH = its ``src``, so the stages
    run the code that ``dvc.lock`` hashes (the copy's), not the live working tree.
    """

    def __init__(self, path: Path, runner: Runner) -> None:
        self.path = path
        self.runner = runner
        #: Extra environment of every command (for example an emulated CPU).
        self.extra_env: dict[str, str] = {}

    @property
    def env(self) -> dict[str, str]:
        return {**self.extra_env, "PYTHONPATH": str(self.path / "src")}

    def run(self, *cmd: str | os.PathLike[str], check: bool = True, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return self.runner(cmd, self.path, check=check, input=input, env=self.env)

    def commit(self, message: str) -> str:
        """``git add -A`` and commit everything; returns the commit SHA."""
        self.run("git", "add", "-A")
        self.run("git", "-c", "commit.gpgsign=false", "commit", "-q", "--allow-empty", "-m", message)
        return self.run("git", "rev-parse", "HEAD").stdout.strip()

    def set_num_images(self, num_images: int) -> None:
        set_num_images(self.path, num_images)


def make_project(parent: Path, runner: Runner, num_images: int | None = None, name: str = "project") -> Project:
    """Copy the project into ``parent/name`` as a fresh git repository with one commit.

    With ``num_images``, params.yaml's ``atomic.num_images`` is rewritten first (and
    committed). The default remote (``../synthbank-storage`` beside the repository)
    resolves to ``parent/synthbank-storage``.
    """
    dest = parent / name
    for rel in project_files():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(MAIN / rel, target)
    if num_images is not None:
        set_num_images(dest, num_images)
    project = Project(dest, runner)
    project.run("git", "-c", "init.defaultBranch=main", "init", "-q")
    project.commit("snapshot of the project under test")
    return project


@pytest.fixture(scope="session")
def params_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project's params.yaml taken once per session (immune to live edits)."""
    path = tmp_path_factory.mktemp("params") / "params.yaml"
    shutil.copy2(MAIN / "params.yaml", path)
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Blob(bytes):
    """A file's bytes that print as their size and digest: a failed comparison of two trees
    names the files that differ in a few lines instead of printing megabytes."""

    def __repr__(self) -> str:
        return f"<{len(self):,} bytes, sha256 {hashlib.sha256(self).hexdigest()[:16]}>"


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` (relative POSIX path -> bytes, as :class:`Blob`)."""
    return {p.relative_to(root).as_posix(): Blob(p.read_bytes()) for p in sorted(root.rglob("*")) if p.is_file()}


def listing(root: Path) -> set[str]:
    """Every entry below ``root`` (files and directories, hidden ones too)."""
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}



#: The longest scopes, longest first (the two full default pipelines take about two minutes
#: each, the others 1-2 minutes of tests each). `make test` runs xdist with
#: ``--dist loadscope --no-loadscope-reorder``, which hands scopes out in collection order:
#: starting with the longest keeps one worker from being left alone with them at the end.
LONGEST_FIRST = (
    "tests/test_lock_reproduced.py::TestOnThisHost",
    "tests/test_lock_reproduced.py::TestOnTheMostDifferentCpu",
    "tests/test_pipeline_e2e.py",
    "tests/test_writer.py",
    "tests/test_cluster.py",
    "tests/test_verify.py",
    "tests/test_determinism.py",
    "tests/test_bad_input.py",
    "tests/families/ptycho/test_dvc_e2e.py",
    "tests/test_registry.py",  # two releases and their consumers: about a minute
)


def _rank(item: pytest.Item) -> int:
    return next((i for i, prefix in enumerate(LONGEST_FIRST) if item.nodeid.startswith(prefix)), len(LONGEST_FIRST))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_rank)  # stable: the rest keep their order


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In an xdist worker, hand the reliability counts to the controller."""
    import tally

    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["tally"] = tally.dumps()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:  # noqa: ANN001 (xdist's hook)
    """In the xdist controller, add a finished worker's reliability counts."""
    import tally

    tally.merge(getattr(node, "workeroutput", {}).get("tally", "{}"))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the reliability suite's counts (see tests/tally.py)."""
    import tally

    lines = tally.table()
    if lines:
        terminalreporter.section("reliability counts")
        for line in lines:
            terminalreporter.write_line(line)
