"""The ``synthbank`` command line, run as a real subprocess (fast).

Each test works in its own temporary folder holding a copy of params.yaml, and checks the
documented contract: one ``synthbank: error: ...`` line and exit code 2 for bad input with
nothing written, no prompt without a terminal, a y/n prompt on one.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from conftest import DATA_FILES, VENV_BIN, listing, make_env



@pytest.fixture
def workdir(tmp_path: Path, params_snapshot: Path) -> Path:
    """An empty folder with only a params.yaml in it (the CLI's cwd)."""
    shutil.copy2(params_snapshot, tmp_path / "params.yaml")
    return tmp_path


def synthbank(run, cwd: Path, *args: str, check: bool = False, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return run([VENV_BIN / "synthbank", *args], cwd, check=check, timeout=timeout)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


# --- 9. bad input: one line, exit 2, nothing written --------------------------------------

BAD_INPUT = [
    pytest.param(["generate", "atomic", "--num-images", "0"], ["--num-images", "0"], id="num-images-0"),
    pytest.param(["generate", "atomic", "--num-images", "-5"], ["--num-images", "-5"], id="num-images-negative"),
    pytest.param(["generate", "atomic", "--num-images", "abc"], ["--num-images", "abc"], id="num-images-abc"),
    pytest.param(["generate", "atomic", "--params", "missing.yaml"], ["missing.yaml", "does not exist"],
                 id="params-missing"),
    pytest.param(["generate", "atomic", "--params", "broken.yaml"], ["broken.yaml", "malformed"],
                 id="params-broken-yaml"),
    pytest.param(["generate", "atomic", "--params", "zero.yaml"], ["atomic.num_images", "0"],
                 id="params-num-images-0"),
    pytest.param(["generate", "nosuch"], ["unknown family", "nosuch", "atomic"], id="unknown-family"),
    pytest.param(["generate", "atomic", "--num-images", "2500", "--output-dir", "/proc/synthbank-test/out"],
                 ["/proc/synthbank-test"], id="unwritable-output-dir"),
    pytest.param(["generate", "atomic", "--workers", "0"], ["--workers", "0"], id="workers-0"),
    pytest.param(["generate", "atomic", "--shard-blocks", "0"], ["--shard-blocks", "0"], id="shard-blocks-0"),
    pytest.param(["generate", "atomic", "--seed", "-1"], ["--seed", "-1"], id="seed-negative"),
    pytest.param(["generate", "atomic", "--scheduler", "nonsense://x:1"], ["--scheduler=nonsense://x:1", "is invalid", "unknown address scheme"],
                 id="scheduler"),
]


@pytest.mark.parametrize(("args", "expected"), BAD_INPUT)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(run, workdir: Path, args: list[str], expected: list[str]) -> None:
    (workdir / "broken.yaml").write_text("seed: [1,\natomic: {\n", "utf-8")
    params = (workdir / "params.yaml").read_text("utf-8")
    zero = params.replace("num_images: 200000", "num_images: 0")
    assert zero != params, "params.yaml no longer has 'num_images: 200000'; update this test"
    (workdir / "zero.yaml").write_text(zero, "utf-8")
    if args[:2] == ["generate", "atomic"] and "--output-dir" not in args:
        args = [*args, "--output-dir", "out", "--yes"]
    before = listing(workdir)

    proc = synthbank(run, workdir, *args)

    lines = error_lines(proc.stderr)
    assert len(lines) == 1, f"expected exactly one line on stderr, got {len(lines)}:\n{proc.stderr}"
    line = lines[0]
    assert line.startswith("synthbank: error: "), line
    for word in expected:
        assert word in line, f"{word!r} not in {line!r}"
    if "/proc/" in " ".join(args):
        assert "cannot be created" in line or "not writable" in line, line
    assert proc.returncode == 2, f"exit code {proc.returncode}, expected 2: {line}"
    assert listing(workdir) == before, f"something was written: {sorted(listing(workdir) - before)}"
    assert not Path("/proc/synthbank-test").exists()


def test_malformed_params_message_names_the_position(run, workdir: Path) -> None:
    (workdir / "params.yaml").write_text("seed: 42\nrelease: [\n", "utf-8")
    proc = synthbank(run, workdir, "generate", "atomic", "--output-dir", "out", "--yes")
    assert proc.returncode == 2
    assert error_lines(proc.stderr) == [proc.stderr.strip()]
    assert "params.yaml is malformed at line" in proc.stderr
    assert not (workdir / "out").exists()


def test_params_value_error_names_key_and_value(run, workdir: Path) -> None:
    path = workdir / "params.yaml"
    path.write_text(path.read_text("utf-8").replace("num_images: 200000", "num_images: 0"), "utf-8")
    proc = synthbank(run, workdir, "generate", "atomic", "--output-dir", "out", "--yes")
    assert proc.returncode == 2
    assert proc.stderr.strip() == "synthbank: error: params.yaml: atomic.num_images=0 is invalid: allowed >= 1"
    assert not (workdir / "out").exists()


# --- 10. no terminal: never waits ----------------------------------------------------------

def test_no_prompt_without_a_terminal(run, workdir: Path) -> None:
    # stdin is /dev/null (not a terminal): --confirm-above 0 must not ask, let alone hang.
    proc = synthbank(run, workdir, "generate", "atomic", "--num-images", "2500", "--output-dir", "out",
                     "--confirm-above", "0", timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "Proceed with generation?" not in proc.stdout + proc.stderr
    assert sorted(p.name for p in (workdir / "out").iterdir()) == sorted([*DATA_FILES, "manifest.json"])


# --- 11. on a terminal: asks y/n -----------------------------------------------------------

def run_on_tty(cwd: Path, args: list[str], answer: str, timeout: float = 60) -> tuple[int, str]:
    """Run synthbank with stdin/stdout/stderr on a pseudo-terminal; answer the y/n prompt.

    Returns the exit code and everything the terminal showed. Fails if no prompt appears
    or the process does not end within ``timeout`` seconds.
    """
    master, slave = os.openpty()
    env = make_env(cwd / ".site-cache")
    env["TERM"] = "dumb"
    try:
        proc = subprocess.Popen([str(VENV_BIN / "synthbank"), *args], cwd=cwd, env=env,
                                stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    finally:
        os.close(slave)
    shown, answered = b"", False
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: the child closed the terminal
                    chunk = b""
                if not chunk:
                    break
                shown += chunk
                if not answered and b"Proceed with generation? (y/n)" in shown:
                    os.write(master, answer.encode())
                    answered = True
            elif proc.poll() is not None:
                break
        else:
            pytest.fail(f"synthbank did not finish within {timeout} s on a terminal; it showed:\n{shown.decode(errors='replace')}")
        code = proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    text = shown.decode(errors="replace").replace("\r\n", "\n")
    assert answered, f"no 'Proceed with generation? (y/n)' prompt; the terminal showed:\n{text}"
    return code, text


def test_tty_prompt_answer_n_cancels(workdir: Path) -> None:
    code, text = run_on_tty(workdir, ["generate", "atomic", "--confirm-above", "0", "--num-images", "100",
                                      "--output-dir", "out"], "n\n")
    assert code == 0, text
    assert "Generation cancelled." in text
    assert not any((workdir / "out" / name).exists() for name in [*DATA_FILES, "manifest.json"])
    assert not list(workdir.glob(".out.*.tmp"))


def test_tty_cancel_leaves_no_output_dir(workdir: Path) -> None:
    before = listing(workdir)
    code, text = run_on_tty(workdir, ["generate", "atomic", "--confirm-above", "0", "--num-images", "100",
                                      "--output-dir", "out"], "n\n")
    assert code == 0 and "Generation cancelled." in text, text
    assert listing(workdir) == before, f"a cancelled run wrote {sorted(listing(workdir) - before)}"


@pytest.mark.parametrize("num_images", [
    100,
    2500,
])
def test_tty_prompt_answer_y_generates(workdir: Path, num_images: int) -> None:
    code, text = run_on_tty(workdir, ["generate", "atomic", "--confirm-above", "0", "--num-images", str(num_images),
                                      "--output-dir", "out"], "y\n")
    assert code == 0, text
    assert "Generation cancelled." not in text
    assert sorted(p.name for p in (workdir / "out").iterdir()) == sorted([*DATA_FILES, "manifest.json"])
    meta = json.loads((workdir / "out" / "metadata.json").read_text("utf-8"))
    assert meta["dataset_info"]["total_count"] == num_images


# --- 12. disk refusal ----------------------------------------------------------------------

HUGE = "1000000000"


def _needs_more_disk_than_free(run, workdir: Path) -> int:
    proc = synthbank(run, workdir, "estimate", "atomic", "--num-images", HUGE, check=True)
    needed = json.loads(proc.stdout)["disk_bytes"]
    free = shutil.disk_usage(workdir).free
    if free >= needed:
        pytest.skip(f"{workdir} has {free:,} bytes free, more than the {needed:,} a 1e9-image dataset needs")
    return needed


def test_not_enough_disk_is_refused(run, workdir: Path) -> None:
    needed = _needs_more_disk_than_free(run, workdir)
    proc = synthbank(run, workdir, "generate", "atomic", "--num-images", HUGE, "--output-dir", "out", "--yes")
    assert proc.returncode == 2, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("synthbank: error: ")]
    assert len(errors) == 1, proc.stderr
    assert "not enough free disk space" in errors[0]
    assert f"{needed:,}" in errors[0]
    assert "Traceback" not in proc.stderr
    assert not list(workdir.rglob("*.h5")) and not list(workdir.rglob("*.npz"))
    assert not list(workdir.glob(".out.*.tmp"))


def test_not_enough_disk_writes_nothing(run, workdir: Path) -> None:
    _needs_more_disk_than_free(run, workdir)
    before = listing(workdir)
    proc = synthbank(run, workdir, "generate", "atomic", "--num-images", HUGE, "--output-dir", "out", "--yes")
    assert proc.returncode == 2, proc.stderr
    assert listing(workdir) == before, f"a refused run wrote {sorted(listing(workdir) - before)}"


def test_not_enough_disk_creates_no_parent_dirs(run, workdir: Path) -> None:
    _needs_more_disk_than_free(run, workdir)
    proc = synthbank(run, workdir, "generate", "atomic", "--num-images", HUGE, "--output-dir", "new/deeper/out",
                     "--manifest", "elsewhere/manifest.json", "--yes")
    assert proc.returncode == 2, proc.stderr
    created = sorted(p for p in ("new", "elsewhere") if (workdir / p).exists())
    assert not created, f"a refused run created {created}"


# --- 13. estimate --------------------------------------------------------------------------

def test_estimate_prints_json(run, workdir: Path) -> None:
    proc = synthbank(run, workdir, "estimate", "atomic", "--num-images", "1000", check=True)
    est = json.loads(proc.stdout)
    assert est["memory_bytes"] == 256000  # the source document's estimate: 16 x 16 bytes an image
    assert est["memory_readable"] == "250.00 KB"
    assert est["bytes_per_image"] == 256
    assert (est["items"], est["unit"]) == (1000, "images")
    assert est["disk_bytes"] >= 2 * est["memory_bytes"]  # HDF5 and npz both hold the images
    assert 0 < est["seconds"] < 1
    assert listing(workdir) == {"params.yaml"}


# --- 14. help ------------------------------------------------------------------------------

def test_top_level_help(run, workdir: Path) -> None:
    proc = synthbank(run, workdir, "--help", check=True)
    for command in ("generate", "validate", "estimate", "verify", "families"):
        assert command in proc.stdout, command


def test_generate_help_mentions_every_option(run, workdir: Path) -> None:
    proc = synthbank(run, workdir, "generate", "atomic", "--help", check=True)
    for option in ("--num-images", "--output-dir", "--seed", "--workers", "--shard-blocks", "--yes",
                   "--params", "--manifest", "--confirm-above"):
        assert option in proc.stdout, option
    assert listing(workdir) == {"params.yaml"}


# --- 15. default output directory ----------------------------------------------------------

@pytest.mark.parametrize("num_images", [
    100,
    2500,
])
def test_default_output_dir_is_dated(run, workdir: Path, num_images: int) -> None:
    dates = {dt.date.today().isoformat()}
    proc = synthbank(run, workdir, "generate", "atomic", "--num-images", str(num_images), "--yes")
    dates.add(dt.date.today().isoformat())  # in case the run straddles midnight
    assert proc.returncode == 0, proc.stderr
    made = sorted(p.name for p in (workdir / "datasets").iterdir())
    assert len(made) == 1 and made[0] in {f"{d}-v1" for d in dates}, made
    out = workdir / "datasets" / made[0]
    assert sorted(p.name for p in out.iterdir()) == sorted([*DATA_FILES, "manifest.json"])
    verify = synthbank(run, workdir, "verify", f"datasets/{made[0]}/manifest.json", "--no-check-params")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert verify.stdout.startswith(f"OK datasets/{made[0]}/manifest.json: 8 files")


# --- 16. a light start ------------------------------------------------------------------------

#: Libraries a command loads only when it needs them: wording a params error (jsonschema), parsing
#: YAML (yaml), starting a worker pool (multiprocessing, concurrent.futures), a family's numpy code.
LAZY = ("jsonschema", "yaml", "multiprocessing", "concurrent.futures", "numpy", "rich", "pydantic")
_LOADED = ("import sys\nfrom synthbank.cli import main\ntry:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
           "print(' '.join(m for m in {lazy!r} if m in sys.modules), file=sys.stderr)\n")


@pytest.mark.parametrize("args", [
    [],  # no command: the usage is printed
    ["--help"],
    ["families"],
    ["generate", "atomic", "--help"],
])
def test_start_loads_no_library_the_command_does_not_use(run, workdir: Path, args: list[str]) -> None:
    proc = run([str(VENV_BIN / "python"), "-c", _LOADED.format(args=args, lazy=LAZY)], workdir, check=False)
    assert proc.stderr.splitlines()[-1] == "", proc.stderr  # the names of the libraries loaded: none


def test_an_output_outside_the_project_is_refused_before_any_work(run, tmp_path: Path, params_snapshot: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy2(params_snapshot, project / "params.yaml")
    proc = synthbank(run, project, "generate", "atomic", "--num-images", "5000", "--output-dir", "../outside",
                     "--manifest", "out.json", "--yes")
    assert proc.returncode == 2
    assert error_lines(proc.stderr) == [f"synthbank: error: ../outside is outside the project directory {project}: "
                                        "a manifest lists paths relative to it; allowed a path inside it"]
    assert "Dataset Generation Plan" not in proc.stderr  # refused before the plan, so before any work
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project"]  # nothing beside the project either
    assert sorted(p.name for p in project.iterdir()) == ["params.yaml"]


@pytest.mark.parametrize(("seed", "loaded"), [("42", "yaml"), ("-1", "jsonschema yaml")])
def test_params_validation_loads_jsonschema_only_to_word_an_error(run, workdir: Path, seed: str, loaded: str) -> None:
    params_file = workdir / "params.yaml"
    params_file.write_text(params_file.read_text().replace("seed: 42", f"seed: {seed}", 1))
    code = ("import sys\nfrom synthbank import params\nfrom synthbank.errors import UsageError\n"
            "try:\n    params.load('params.yaml')\nexcept UsageError as exc:\n    print(exc, file=sys.stderr)\n"
            "print(' '.join(m for m in ('jsonschema', 'yaml') if m in sys.modules))\n")
    proc = run([str(VENV_BIN / "python"), "-c", code], workdir, check=True)
    assert proc.stdout.strip() == loaded
    assert ("seed=-1 is invalid: allowed >= 0" in proc.stderr) == (seed == "-1")


@pytest.mark.parametrize("args", [[], ["generate"], ["validate"], ["ptycho"]])
def test_a_group_without_its_command_prints_its_help_once_and_exits_2(run, workdir: Path, args: list[str]) -> None:
    proc = run([str(VENV_BIN / "synthbank"), *args], workdir, check=False)
    assert proc.returncode == 2
    assert proc.stdout.count("Usage: synthbank") == 1 and proc.stdout.startswith(f"Usage: synthbank {' '.join(args)}".replace("  ", " ")), proc.stdout
    assert "Commands:" in proc.stdout and proc.stderr == ""


def test_root_help_lists_every_command_and_the_families_own_groups(run, workdir: Path) -> None:
    out = run([str(VENV_BIN / "synthbank"), "--help"], workdir).stdout
    commands = {line.split()[0] for line in out.split("Commands:")[1].splitlines() if line.strip()}
    assert commands == {"verify", "pull", "release", "sources", "describe", "verify-no-phi", "families",
                        "generate", "validate", "estimate", "finalize", "signals", "ptycho", "energy"}, out
