"""The writing contract through the real CLI: nothing lost, nothing half-written.

Each test runs the real ``synthbank`` console script in a subprocess: a user's directory
is never replaced, a run killed at any step (or at a random moment) leaves the old
outputs or the new ones, workers die with their parent, a second run on the same output
is refused, and a full disk is one line with nothing left behind.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import tally

from conftest import MAIN, VENV_BIN, tree_bytes

SYNTHBANK = str(VENV_BIN / "synthbank")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNTHBANK_")}
    env.pop("PYTHONPATH", None)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def _generate(cwd: Path, *args: str, env: dict[str, str] | None = None, **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SYNTHBANK, "generate", "atomic", *args], cwd=cwd, env=env or _env(), stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=300, **kw,
    )


def _error_lines(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in proc.stderr.splitlines() if line.startswith("synthbank: error:")]


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copy2(MAIN / "params.yaml", tmp_path / "params.yaml")
    return tmp_path


def _state(root: Path) -> dict[str, bytes]:
    """Every file of the DVC-layout outputs (data/atomic and its manifest), hidden ones too."""
    state = {f"data/atomic/{k}": v for k, v in tree_bytes(root / "data" / "atomic").items()} if (root / "data" / "atomic").is_dir() else {}
    manifest = root / "manifests" / "atomic.json"
    if manifest.exists():
        state["manifests/atomic.json"] = manifest.read_bytes()
    return state


def _hidden_leftovers(root: Path) -> list[str]:
    return sorted(p.name for d in (root / "data", root / "manifests") if d.is_dir() for p in d.iterdir() if p.name.startswith("."))


DVC_LAYOUT = ("--output-dir", "data/atomic", "--manifest", "manifests/atomic.json", "--num-images", "300")


def _old_and_new(workdir: Path) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The complete state after a run with seed 2 (new), and after seed 1 (old, left in place)."""
    assert _generate(workdir, *DVC_LAYOUT, "--seed", "2").returncode == 0
    new = _state(workdir)
    assert _generate(workdir, *DVC_LAYOUT, "--seed", "1").returncode == 0
    old = _state(workdir)
    assert old != new and "data/atomic/.synthbank-output.json" in old
    return old, new


def _recover(workdir: Path, manifest_first: bool = False) -> None:
    """What the next run on either output does first: settle an interrupted commit, remove leftovers."""
    outputs = ["data/atomic", "manifests/atomic.json"]
    code = (
        "import sys\nfrom synthbank.io.guard import OutputLock\nfrom synthbank.io.recovery import recover\n"
        "for out in sys.argv[1:]:\n    with OutputLock(out):\n        recover(out)\n"
    )
    order = outputs[::-1] if manifest_first else outputs
    subprocess.run([str(VENV_BIN / "python"), "-c", code, *order], cwd=workdir, env=_env(), check=True, timeout=60)


# --- 1. data loss -----------------------------------------------------------------------

def test_a_users_directory_is_never_replaced(workdir):
    docs = workdir / "mydocs"
    docs.mkdir()
    (docs / "thesis.txt").write_text("years of work")
    cases = [
        ("--output-dir", "mydocs"),
        ("--output-dir", "out", "--manifest", "params.yaml"),  # a file that is not a manifest
        ("--output-dir", "out", "--manifest", "out"),  # the manifest is the output directory
        ("--output-dir", "out", "--manifest", "mydocs"),  # a directory as the manifest
    ]
    before = tree_bytes(workdir)
    refused = 0
    for case in cases:
        proc = _generate(workdir, "--num-images", "100", *case)
        lines = _error_lines(proc)
        ok = proc.returncode == 2 and len(lines) == 1 and "Traceback" not in proc.stderr and tree_bytes(workdir) == before
        assert ok, (case, proc.returncode, proc.stderr)
        assert sorted(p.name for p in workdir.iterdir()) == ["mydocs", "params.yaml"]
        refused += ok
    assert "--overwrite" in _error_lines(_generate(workdir, "--num-images", "100", "--output-dir", "mydocs"))[0]
    assert _generate(workdir, "--num-images", "100", "--output-dir", "mydocs", "--overwrite").returncode == 0
    assert not (docs / "thesis.txt").exists()  # only when the user said so
    tally.record("writer: outputs synthbank did not write", len(cases), refused, "refused: one line, exit 2, untouched")


def test_a_users_file_is_never_replaced_by_a_catalog_or_manifest(workdir):
    (workdir / "notes.txt").write_text("mine")
    for option in ("--catalog", "--manifest"):
        args = {"--catalog": "data/catalogs/catalog.json", "--manifest": "manifests/energy.json", option: "notes.txt"}
        proc = subprocess.run([SYNTHBANK, "finalize", "energy", *(x for kv in args.items() for x in kv)], cwd=workdir,
                              env=_env(), capture_output=True, text=True, timeout=120)
        lines = _error_lines(proc)
        assert proc.returncode == 2 and len(lines) == 1 and f"{option}='notes.txt'" in lines[0], proc.stderr
    assert (workdir / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in workdir.iterdir()) == ["notes.txt", "params.yaml"]
    tally.record("writer: outputs synthbank did not write", 2, 2, "refused: one line, exit 2, untouched")


@pytest.mark.parametrize("target", ["", ".", "..", "~", "REPO", "REPO/data", "/"])
def test_dangerous_output_directories_are_refused_even_with_overwrite(workdir, target):
    repo = workdir / "repo"
    (repo / ".dvc").mkdir(parents=True)
    (repo / "data").mkdir()
    shutil.copy2(workdir / "params.yaml", repo / "params.yaml")
    value = {"~": str(workdir), "REPO": str(repo), "REPO/data": str(repo / "data")}.get(target, target)
    before = tree_bytes(workdir)
    proc = _generate(repo, "--num-images", "100", "--output-dir", value, "--overwrite", env=_env(HOME=str(workdir)))
    lines = _error_lines(proc)
    assert proc.returncode == 2 and len(lines) == 1 and "allowed a directory of its own" in lines[0], proc.stderr
    assert tree_bytes(workdir) == before
    tally.record("writer: dangerous --output-dir", 1, 1, "refused even with --overwrite")


# --- 2. the rename/manifest window --------------------------------------------------------

def test_a_kill_at_every_step_leaves_the_old_or_the_new_outputs(workdir):
    old, new = _old_and_new(workdir)
    outcomes = {"old": 0, "new": 0}
    k = 0
    while True:
        k += 1
        proc = _generate(workdir, *DVC_LAYOUT, "--seed", "2", env=_env(SYNTHBANK_KILL_AT_STEP=str(k), SYNTHBANK_TRACE_STEPS="1"))
        if proc.returncode == 0:
            break  # past the last step boundary
        assert proc.returncode == -signal.SIGKILL, proc.stderr
        state = _state(workdir)
        journal = (workdir / "data" / ".atomic.commit.json").exists() or (workdir / "manifests" / ".atomic.json.commit.json").exists()
        # Before recovery: the old state, the new one, or an interrupted commit whose journal says how to finish.
        assert state in (old, new) or journal, f"step {k}: neither old nor new and no journal"
        if journal:  # verify says so rather than passing or listing mismatches only
            verify = subprocess.run([SYNTHBANK, "verify", "--no-check-params", "manifests/atomic.json"], cwd=workdir,
                                    env=_env(), capture_output=True, text=True, timeout=120)
            assert verify.returncode == 1 and "interrupted commit" in verify.stdout, (k, verify.stdout, verify.stderr)
        _recover(workdir, manifest_first=k % 2 == 0)  # the next run may touch either output first
        state = _state(workdir)
        assert state in (old, new), f"step {k}: after recovery neither the old nor the new outputs"
        assert _hidden_leftovers(workdir) == [], f"step {k}: leftovers {_hidden_leftovers(workdir)}"
        outcomes["old" if state == old else "new"] += 1
        if state == new:  # start the next trial from the old state again
            assert _generate(workdir, *DVC_LAYOUT, "--seed", "1").returncode == 0
    assert _state(workdir) == new
    steps = k - 1
    assert steps >= 10 and outcomes["old"] >= 4 and outcomes["new"] >= 3, (steps, outcomes)
    tally.record("writer: kill -9 at every step boundary", steps, steps, f"old or new state ({outcomes['old']} old, {outcomes['new']} new)")


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT"])
def test_an_interrupt_at_every_step_leaves_the_old_or_the_new_outputs_at_once(workdir, sig):
    # A catchable signal needs no recovery: before the commit the run removes what it
    # staged, inside the commit the signal waits for its end.
    old, new = _old_and_new(workdir)
    outcomes = {"old": 0, "new": 0}
    k = 0
    while True:
        k += 1
        proc = _generate(workdir, *DVC_LAYOUT, "--seed", "2", env=_env(SYNTHBANK_KILL_AT_STEP=str(k), SYNTHBANK_KILL_SIGNAL=sig))
        if proc.returncode == 0:
            break
        code = 128 + signal.Signals[sig]
        assert proc.returncode == code and len(_error_lines(proc)) == 1 and "Traceback" not in proc.stderr, (k, proc.returncode, proc.stderr)
        state = _state(workdir)
        assert state in (old, new) and _hidden_leftovers(workdir) == [], f"step {k}: {_hidden_leftovers(workdir)}"
        outcomes["old" if state == old else "new"] += 1
        if state == new:
            assert _generate(workdir, *DVC_LAYOUT, "--seed", "1").returncode == 0
    steps = k - 1
    assert steps >= 10 and outcomes["old"] >= 4 and outcomes["new"] >= 3, (steps, outcomes)
    tally.record(f"writer: {sig} at every step boundary", steps, steps, f"old or new state at once ({outcomes['old']} old, {outcomes['new']} new)")


def test_twenty_random_kills_leave_the_old_or_the_new_outputs(workdir):
    old, new = _old_and_new(workdir)
    command = [SYNTHBANK, "generate", "atomic", *DVC_LAYOUT, "--workers", "2"]
    start = time.monotonic()
    subprocess.run([*command, "--seed", "1"], cwd=workdir, env=_env(), check=True, capture_output=True, timeout=300)
    duration = time.monotonic() - start
    rng = random.Random(12)
    outcomes = {"old": 0, "new": 0}
    for trial in range(20):
        seed = "2" if trial % 2 == 0 else "1"
        target = new if seed == "2" else old
        # half the kills anywhere in the run, half near its end, where the commit is
        when = rng.uniform(0.0, duration) if trial < 10 else rng.uniform(0.8 * duration, 1.1 * duration)
        proc = subprocess.Popen([*command, "--seed", seed], cwd=workdir, env=_env(), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(when)
        proc.kill()
        proc.wait(timeout=60)
        _recover(workdir, manifest_first=trial % 3 == 0)
        state = _state(workdir)
        assert state in (old, new), f"trial {trial}: neither the old nor the new outputs"
        assert _hidden_leftovers(workdir) == []
        outcomes["new" if state == target else "old"] += 1
    tally.record("writer: random kill -9", 20, 20, f"old or new state ({outcomes['old']} unchanged, {outcomes['new']} replaced)")


# --- 3. orphaned workers -------------------------------------------------------------------

def _children(pid: int) -> set[int]:
    try:
        return {int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}
    except FileNotFoundError:
        return set()


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _start_with_workers(workdir: Path) -> tuple[subprocess.Popen, set[int]]:
    proc = subprocess.Popen([SYNTHBANK, "generate", "atomic", "--num-images", "400000", "--output-dir", "big", "--workers", "2",
                             "--shard-blocks", "1", "--yes"], cwd=workdir, env={**_env(), "PYTHONFAULTHANDLER": "1"}, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while len(_children(proc.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    workers = _children(proc.pid)
    assert len(workers) >= 2, "the workers did not start"
    return proc, workers


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_workers_die_with_their_parent(workdir, sig):
    proc, workers = _start_with_workers(workdir)
    proc.send_signal(sig)
    try:
        code = proc.wait(timeout=60)
    except subprocess.TimeoutExpired:  # show where it hangs: faulthandler dumps every thread on SIGABRT
        proc.send_signal(signal.SIGABRT)
        _, err = proc.communicate(timeout=60)
        pytest.fail(f"the parent did not exit within 60 s of {sig.name}:\n{err[-8000:]}")
    deadline = time.monotonic() + 2
    while any(map(_alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.05)
    survivors = [w for w in workers if _alive(w)]
    for w in survivors:  # do not leave them running after a failure
        os.kill(w, signal.SIGKILL)
    assert survivors == [], f"workers {survivors} outlived the parent by 2 s ({sig.name})"
    if sig != signal.SIGKILL:  # a catchable signal: one line, staging removed, exit 128 + n
        assert code in (128 + sig, -sig) and "Traceback" not in proc.stderr, proc.stderr
        assert [p.name for p in workdir.iterdir()] == ["params.yaml"]
    tally.record("writer: workers outliving the parent", len(workers), len(workers), "gone within 2 s of the parent's SIGKILL, SIGTERM or SIGINT")


# --- 4. concurrent runs --------------------------------------------------------------------

def test_a_second_run_on_the_same_output_is_refused_and_the_first_completes(workdir):
    first = subprocess.Popen([SYNTHBANK, "generate", "atomic", "--num-images", "20000", "--output-dir", "out", "--yes"],
                             cwd=workdir, env=_env(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    lock = workdir / ".out.lock"
    deadline = time.monotonic() + 60
    while not (lock.exists() and lock.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.02)
    first.send_signal(signal.SIGSTOP)  # hold the first run mid-way, whatever the machine's speed
    try:
        second = _generate(workdir, "--num-images", "100", "--output-dir", "out")
    finally:
        first.send_signal(signal.SIGCONT)
    lines = _error_lines(second)
    assert second.returncode == 2 and len(lines) == 1 and f"(PID {first.pid})" in lines[0], second.stderr
    assert first.wait(timeout=300) == 0, first.stderr
    verify = subprocess.run([SYNTHBANK, "verify", "--no-check-params", "out/manifest.json"], cwd=workdir, env=_env(),
                            capture_output=True, text=True, timeout=120)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert sorted(p.name for p in workdir.iterdir()) == ["out", "params.yaml"]
    tally.record("writer: concurrent runs on one output", 1, 1, "second refused naming the PID; first completed")


# --- disk full -----------------------------------------------------------------------------

def _in_small_tmpfs(workdir: Path, options: str, script: str) -> subprocess.CompletedProcess[str]:
    """Run ``script`` (sh) in a private mount namespace with a small tmpfs at ``workdir/full``."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare is not available")
    full = workdir / "full"
    full.mkdir()
    wrapped = f"mount -t tmpfs -o {options} tmpfs {full} && cd {workdir} && {script}"
    probe = subprocess.run(["unshare", "-m", "sh", "-c", f"mount -t tmpfs -o size=64k tmpfs {full}"], capture_output=True)
    if probe.returncode != 0:  # no privilege: try a user namespace that maps us to root
        prefix = ["unshare", "-rm"]
        if subprocess.run([*prefix, "sh", "-c", f"mount -t tmpfs -o size=64k tmpfs {full}"], capture_output=True).returncode != 0:
            pytest.skip("cannot mount a tmpfs here (no privilege, no user namespaces)")
    else:
        prefix = ["unshare", "-m"]
    return subprocess.run([*prefix, "sh", "-c", wrapped], env=_env(), capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("case", ["h5py mid-run", "manifest", "public precheck"])
def test_a_full_disk_is_one_line_and_leaves_nothing(workdir, case):
    if case == "h5py mid-run":  # bytes enough, but no inode for the HDF5 files: ENOSPC inside h5py
        options, cmd = "size=64m,nr_inodes=6", f"{SYNTHBANK} generate atomic --num-images 100 --output-dir full/out"
    elif case == "manifest":  # the data fits elsewhere; the manifest's file system is full
        options, cmd = "size=4k", (f"dd if=/dev/zero of=full/filler bs=4k count=1 2>/dev/null; "
                                   f"{SYNTHBANK} generate atomic --num-images 100 --output-dir out --manifest full/atomic.json")
    else:
        shutil.copytree(MAIN / "sources", workdir / "sources")
        shutil.copytree(MAIN / "LICENSES", workdir / "LICENSES")
        options, cmd = "size=1m", f"{SYNTHBANK} generate public --output-dir full/public --manifest full/public.json"
    proc = _in_small_tmpfs(workdir, options, f"{cmd}; echo exit=$?; ls -A full out 2>/dev/null | grep -v filler")
    lines = _error_lines(proc)
    assert "exit=2" in proc.stdout and len(lines) == 1 and "Traceback" not in proc.stderr, proc.stdout + proc.stderr
    assert ("no space left" in lines[0]) or ("not enough free disk space" in lines[0]), lines
    listed = [line for line in proc.stdout.splitlines() if line and not line.startswith(("exit=", "full:", "out:"))]
    assert listed == [], f"left behind: {listed}"
    assert not (workdir / "out").exists()
    tally.record("writer: disk full", 1, 1, "one line, exit 2, staging removed")
