"""verify without blind spots, and the consumer path (issue 12, sections 5 and 6).

The first part is fast: small manifests built with the real code in temporary folders.
The second part is end to end: one tiny reproduction of every family in a throwaway git
copy of the project (module fixture: each stage's command in the order DVC plans them,
then ``dvc commit``), reused by every case. Each case damages the real files in place,
runs ``synthbank verify`` (the CLI's ``main`` in process: the console script's code path
without an interpreter start per case; the 100 flips skip typer's option parsing too) and
restores them.
The remote cases push to a local-directory remote, flip a byte of a remote object and
pull into fresh clones with the real ``dvc`` and ``synthbank pull`` subprocesses.
Counts go to :mod:`tally` (printed at the end of the run).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import random
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import tally
import yaml
from conftest import Project, make_project

from synthbank import cli, coverage, depgraph, manifest
from synthbank.determinism import _merge
from synthbank.errors import SynthbankError

# --- helpers -------------------------------------------------------------------------------


def _dataset(root: Path, name: str = "fam") -> Path:
    out = root / "data" / name
    (out / "sub").mkdir(parents=True)
    (out / "a.bin").write_bytes(bytes(range(256)) * 40)
    (out / "sub" / "b.txt").write_text("hello\n")
    return out


def _manifest(root: Path, outputs: list[Path], name: str = "fam", family: str = "atomic") -> Path:
    path = root / "manifests" / f"{name}.json"
    record = manifest.build(
        family=family, generator="g", generator_version="1.0.0", seed=42, params={"n": 1},
        release_date="2026-11-22", root=root, manifest_path=path, outputs=outputs,
    )
    manifest.write(record, path)
    return path


def verify_cli(project: Path, *args: str) -> tuple[int, list[str]]:
    """``synthbank verify ARGS`` in ``project`` (in process): exit code, stdout lines."""
    out = io.StringIO()
    cwd = Path.cwd()
    os.chdir(project)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()), pytest.raises(SystemExit) as exit_info:
            cli.main(["verify", *args])
    finally:
        os.chdir(cwd)
    return int(exit_info.value.code or 0), out.getvalue().splitlines()


def verify_body(project: Path) -> tuple[int, list[str]]:
    """The body of ``synthbank verify`` (whole project) without typer's option parsing,
    a third of the time per call (for the 100 flips): exit code, stdout lines."""
    out = io.StringIO()
    cwd = Path.cwd()
    os.chdir(project)
    try:
        with contextlib.redirect_stdout(out):
            cli.report_verification(cli.verify_reports(None, Path("params.yaml"), check_params=True))
        code = 0
    except SynthbankError as exc:
        code = exc.exit_code
    finally:
        os.chdir(cwd)
    return code, out.getvalue().splitlines()


def named(lines: list[str], rel: str, prefix: str = "MISMATCH") -> bool:
    """Some problem line of kind ``prefix`` names ``rel`` as its path."""
    return any(line.startswith(f"{prefix} {rel}: ") for line in lines)


@contextlib.contextmanager
def flipped(path: Path, offset: int) -> Iterator[None]:
    """Flip every bit of the byte at ``offset`` of ``path`` in place; restore it after."""
    with open(path, "r+b") as f:
        f.seek(offset)
        old = f.read(1)
        f.seek(offset)
        f.write(bytes([old[0] ^ 0xFF]))
    try:
        yield
    finally:
        with open(path, "r+b") as f:
            f.seek(offset)
            f.write(old)


@contextlib.contextmanager
def moved_aside(*paths: Path) -> Iterator[None]:
    """Move ``paths`` out of the project (they look deleted); put them back after."""
    holder = Path(tempfile.mkdtemp(prefix="aside-"))
    aside = [(p, holder / str(i)) for i, p in enumerate(paths)]
    for p, q in aside:
        shutil.move(p, q)
    try:
        yield
    finally:
        for p, q in aside:
            shutil.move(q, p)
        holder.rmdir()


@contextlib.contextmanager
def replaced_by_link(path: Path, outside: Path) -> Iterator[None]:
    """Replace ``path`` (file or directory) by a symbolic link to an identical copy in ``outside``."""
    copy = outside / f"copy-of-{path.name}"
    (shutil.copytree if path.is_dir() else shutil.copy2)(path, copy)
    with moved_aside(path):
        path.symlink_to(copy)
        try:
            yield
        finally:
            path.unlink()
    shutil.rmtree(copy) if copy.is_dir() else copy.unlink()


@contextlib.contextmanager
def created(path: Path, content: bytes | None = b"not part of the dataset\n") -> Iterator[None]:
    """Create a file (or, with ``content`` None, an empty directory); remove it after."""
    path.write_bytes(content) if content is not None else path.mkdir()
    try:
        yield
    finally:
        path.unlink() if content is not None else path.rmdir()


# --- unit: one manifest --------------------------------------------------------------------


def test_glob_match():
    assert manifest.glob_match("data/.gitignore", "**/.gitignore")
    assert manifest.glob_match(".gitignore", "**/.gitignore")
    assert manifest.glob_match("data/ptycho/dose_1/.gitignore", "**/.gitignore")
    assert not manifest.glob_match("data/x.gitignore", "**/.gitignore")
    assert manifest.glob_match("reports/a.png", "reports/*.png")
    assert not manifest.glob_match("reports/sub/a.png", "reports/*.png")


def test_symlinks_and_empty_directories_are_problems(tmp_path):
    out = _dataset(tmp_path)
    path = _manifest(tmp_path, [out])
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    assert manifest.verify(path).ok
    with replaced_by_link(out / "a.bin", outside):  # identical bytes: only the link is wrong
        report = manifest.verify(path)
        assert report.problems == [f"data/fam/a.bin: symbolic link to {outside / 'copy-of-a.bin'}: allowed only regular files and directories"]
        assert report.exit_code == 1
    with replaced_by_link(out / "sub", outside):
        problems = manifest.verify(path).problems
        assert len(problems) == 1 and problems[0].startswith("data/fam/sub: symbolic link to "), problems
    with replaced_by_link(out, outside):  # the output directory itself
        problems = manifest.verify(path).problems
        assert len(problems) == 1 and problems[0].startswith("data/fam: symbolic link to "), problems
    with created(out / "empty", None):
        assert manifest.verify(path).problems == ["data/fam/empty: empty directory: allowed only directories that hold listed files"]
    (out / "sub" / "b.txt").unlink()  # a directory emptied by a missing file: the file is the problem
    assert manifest.verify(path).problems == ["data/fam/sub/b.txt: missing (listed in fam.json)"]


def test_a_link_into_the_dvc_cache_is_accepted(tmp_path):
    out = _dataset(tmp_path)
    path = _manifest(tmp_path, [out])
    cached = tmp_path / ".dvc" / "cache" / "files" / "md5" / "ab" / "cdef"
    cached.parent.mkdir(parents=True)
    shutil.copy2(out / "a.bin", cached)
    (out / "a.bin").unlink()
    (out / "a.bin").symlink_to(cached)  # what `cache.type = symlink` makes
    assert manifest.verify(path).ok


def test_missing_or_unreadable_manifest_exits_2(tmp_path):
    out = _dataset(tmp_path)
    path = _manifest(tmp_path, [out])
    (tmp_path / "params.yaml").write_text("seed: 1\n")
    code, lines = verify_cli(tmp_path, "manifests/nosuch.json", "--no-check-params")
    assert code == 2 and lines == ["UNREADABLE manifests/nosuch.json: does not exist"]
    path.write_text("{not json")
    code, lines = verify_cli(tmp_path, "manifests/fam.json", "--no-check-params")
    assert code == 2 and len(lines) == 1 and lines[0].startswith("UNREADABLE manifests/fam.json: cannot be read as JSON")
    path.write_text('{"family": "atomic"}')
    code, lines = verify_cli(tmp_path, "manifests/fam.json", "--no-check-params")
    assert code == 2 and lines and all(line.startswith("UNREADABLE manifests/fam.json: schema: ") for line in lines)


def test_file_outputs_and_exclude_rules(tmp_path):
    out = _dataset(tmp_path)
    path = tmp_path / "manifests" / "fam.reports.json"
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "fam.json").write_text("{}\n")
    (out / ".gitignore").write_text("/x\n")
    record = manifest.build(family="atomic", generator="g", generator_version="1.0.0", seed=42, params={},
                            release_date="d", root=tmp_path, manifest_path=path, outputs=[])
    manifest.add_files(record, [out, tmp_path / "metrics" / "fam.json"], root=tmp_path, exclude=manifest.DVC_GITIGNORES)
    manifest.write(record, path)
    assert record["outputs"] == ["data/fam", "metrics/fam.json"] and record["exclude"] == ["**/.gitignore"]
    assert [e["path"] for e in record["entries"]] == ["data/fam/a.bin", "data/fam/sub/b.txt", "metrics/fam.json"]
    assert manifest.verify(path).ok  # the .gitignore is excluded, not an extra file
    with created(out / "stray.txt"):
        assert manifest.verify(path).problems == ["data/fam/stray.txt: extra file not in fam.reports.json"]
    with flipped(tmp_path / "metrics" / "fam.json", 0):
        assert {p.split(":")[0] for p in manifest.verify(path).problems} == {"metrics/fam.json"}


def test_check_params_compares_each_role_with_its_part_of_params(tmp_path):
    out = _dataset(tmp_path)
    data = _manifest(tmp_path, [out])
    reports = tmp_path / "manifests" / "fam.reports.json"
    record = manifest.build(family="atomic", generator="g", generator_version="1.0.0", seed=42,
                            params={"thresholds": {"t": 1}}, release_date="d", root=tmp_path, manifest_path=reports, outputs=[])
    record["role"] = "reports"
    manifest.write(record, reports)
    expected = {"atomic": {"seed": 42, "params": {"n": 1}, "reports_params": {"thresholds": {"t": 1}}}}
    assert manifest.verify(data, expected).ok and manifest.verify(reports, expected).ok
    expected["atomic"]["reports_params"] = {"thresholds": {"t": 2}}
    assert manifest.verify(data, expected).ok
    assert manifest.verify(reports, expected).problems == [f"{reports}: params differs from params.yaml"]


# --- unit: the project-wide check ----------------------------------------------------------


def _lock(root: Path, outs: dict[str, list[str]]) -> None:
    stages = {stage: {"cmd": "x", "outs": [{"path": p, "md5": "0" * 32} for p in paths]} for stage, paths in outs.items()}
    (root / "dvc.lock").write_text(yaml.safe_dump({"schema": "2.0", "stages": stages}))


def test_project_coverage(tmp_path):
    out = _dataset(tmp_path)
    _manifest(tmp_path, [out])
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "plot.csv").write_text("x,y\n")
    (tmp_path / "data" / ".gitignore").write_text("/fam\n")
    _lock(tmp_path, {"gen": ["data/fam", "manifests/fam.json"], "plot": ["reports/plot.csv"], "gone": ["data/gone.bin"]})

    problems = [p for r in coverage.verify_project(tmp_path, ["fam", "other"], None) for p in r.problems]
    assert problems == [
        f"{tmp_path}/manifests/other.json: does not exist: required, params.yaml lists family 'other'",
        "data/.gitignore: in no manifest",
        "reports/plot.csv: in no manifest (an output of stage plot in dvc.lock)",
        "data/gone.bin: missing (an output of stage gone in dvc.lock that no manifest lists)",
    ]


def test_pull_names_each_file_dvc_did_not_fetch(tmp_path):
    cache = tmp_path / ".dvc" / "cache"
    listing = [{"md5": "a" * 32, "relpath": "x.bin"}, {"md5": "b" * 32, "relpath": "sub/y.bin"}]
    for md5, data in (("c" * 32 + ".dir", json.dumps(listing)), ("a" * 32, "x")):
        (cache / "files" / "md5" / md5[:2]).mkdir(parents=True, exist_ok=True)
        (cache / "files" / "md5" / md5[:2] / md5[2:]).write_text(data)
    outs = [{"path": "data/d", "md5": "c" * 32 + ".dir"}, {"path": "reports/r.png", "md5": "d" * 32},
            {"path": "data/present.bin", "md5": "e" * 32}, {"path": "metrics/m.json", "md5": "f" * 32}]
    (tmp_path / "dvc.lock").write_text(yaml.safe_dump({"schema": "2.0", "stages": {"s": {"cmd": "x", "outs": outs}}}))
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "present.bin").write_text("checked out")  # in the workspace: not reported
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "m.json").write_text("{}")  # cache: false, in git: never in the cache

    from synthbank import pull

    found = pull.unfetched(tmp_path, cache, "WARNING: Missing cache files:\nmd5: " + "d" * 32 + "\n")
    assert [(u.path, u.missing, u.listing) for u in found] == [("data/d/sub/y.bin", False, "c" * 32 + ".dir"), ("reports/r.png", True, "")]
    corrupt, missing = (u.line("storage") for u in found)
    assert corrupt.startswith("data/d/sub/y.bin: corrupt in remote storage: object files/md5/bb/") and "Is your cache up to date?" in corrupt
    assert f"delete files/md5/bb/{'b' * 30} and files/md5/cc/{'c' * 30}.dir from the remote" in corrupt
    assert missing.startswith("reports/r.png: missing from remote storage (object files/md5/dd/")
    failed = pull.unfetched(tmp_path, cache, "ERROR: failed to pull data from the cloud - 2 files failed to download")
    assert all(u.line("storage").split(": ")[1].startswith("not fetched from remote storage") for u in failed)


# --- end to end: one tiny repro of every family --------------------------------------------

#: Overrides of params.yaml that make the whole pipeline tiny (one dataset, dose and domain).
TINY = {
    "atomic": {"num_images": 2000},
    "chromatic": {"num_samples": 1, "previews": 1, "shape": [64, 64, 3], "thresholds": {"color_balance_drift_max": 0.1}},
    "signals": {"datasets": {"sine_4ch": {"version": "v3", "channels": 4, "sample_rate_hz": 500, "params": {
        "signal_type": "sine_wave", "duration_s": 2, "amplitude_uv_peak": 50.0, "frequency_hz": 10.0}}}},
    "ptycho": {"doses": [1000], "object": {"size_px": 128}, "probe": {"size_px": 32, "radius_px": 7.0}, "scan": {"step_px": 12}},
    "energy": {"shape": [64, 64], "n_sequences": 1, "n_steps": 3, "scales": [64], "domains": {"fluid_dynamics": {
        "pattern": "vortex", "noise_sigma": 0.1, "blur_sigma": 2.0, "rotation_max_deg": 15.0,
        "translation_max_px": 16, "scale_range": [0.95, 1.05]}}},
}


def repro_in_process(project: Project) -> None:
    """What ``dvc repro`` does, faster: every stage's command in the order DVC plans them
    (its own planner, so its interpolation of dvc.yaml), run by the CLI's ``main`` in this
    process (no interpreter start per stage), then ``dvc commit`` (dvc.lock, the cache,
    the ``.gitignore`` files DVC writes beside its outputs)."""
    from dvc.repo import Repo
    from dvc.repo.reproduce import plan_repro

    with warnings.catch_warnings(), Repo(str(project.path)) as repo:
        warnings.simplefilter("ignore", DeprecationWarning)  # DVC's own internals
        # without a stage's NAME=value environment (OPENBLAS_NUM_THREADS: no byte depends on it)
        commands = [depgraph.command_words(stage.cmd) for stage in plan_repro(repo.index.graph)]
    assert commands and all(cmd[0] == "synthbank" for cmd in commands), commands
    cwd = Path.cwd()
    os.chdir(project.path)
    try:
        for cmd in commands:
            with pytest.raises(SystemExit) as exit_info:
                cli.main(cmd[1:])
            assert exit_info.value.code in (0, None), f"{' '.join(cmd)} exited with {exit_info.value.code}"
    finally:
        os.chdir(cwd)
    project.run("dvc", "commit", "--force")


@pytest.fixture(scope="module")
def tiny(run, tmp_path_factory: pytest.TempPathFactory) -> Project:
    """Every family at a tiny size, reproduced and committed (git and DVC); tests restore
    whatever they damage."""
    project = make_project(tmp_path_factory.mktemp("tiny"), run)
    raw = yaml.safe_load((project.path / "params.yaml").read_text("utf-8"))
    raw["signals"]["datasets"], raw["energy"]["domains"] = {}, {}  # replaced whole, not merged
    (project.path / "params.yaml").write_text(yaml.safe_dump(_merge(raw, TINY), sort_keys=False), "utf-8")
    (project.path / "dvc.lock").unlink()  # the committed lock is of the full-size params
    shutil.rmtree(project.path / "reports" / "signals")  # the full-size datasets' committed reports
    repro_in_process(project)
    project.commit("tiny release")
    code, lines = verify_cli(project.path)
    assert code == 0, "\n".join(lines)
    return project


def _entries(project: Path) -> list[Path]:
    """Every file listed by the project's manifests (data and reports)."""
    files = []
    for path in coverage.default_manifests(project):
        record = json.loads((project / path).read_text("utf-8"))
        base = ((project / path).parent / record["base"]).resolve()
        files += [base / e["path"] for e in record["entries"]]
    return sorted(files)


@pytest.mark.slow
def test_blind_spots_of_issue_12(tiny: Project, tmp_path: Path) -> None:
    p = tiny.path
    catalog, report_png = p / "data/catalogs/catalog.json", p / "reports/atomic/validation_report.png"
    cases = {}  # case -> (exit code, lines, the exit code required, the path that must be named, its prefix)
    with moved_aside(p / "data/atomic", p / "manifests/atomic.json"):
        cases["missing family (data and manifest deleted)"] = (*verify_cli(p), 2, "manifests/atomic.json", "UNREADABLE")
    with flipped(catalog, catalog.stat().st_size // 2):
        cases["catalog byte flip"] = (*verify_cli(p), 1, "data/catalogs/catalog.json", "MISMATCH")
    with created(p / "data/stray.bin"):
        cases["file at the top of data/"] = (*verify_cli(p), 1, "data/stray.bin", "MISMATCH")
    with created(p / "data/atomic/empty", None):
        cases["empty directory inside a dataset"] = (*verify_cli(p), 1, "data/atomic/empty", "MISMATCH")
    with replaced_by_link(p / "data/atomic/train.h5", tmp_path):
        cases["file replaced by a symlink to an identical copy"] = (*verify_cli(p), 1, "data/atomic/train.h5", "MISMATCH")
    with replaced_by_link(p / "data/ptycho/dose_1000/split", tmp_path):
        cases["symlinked directory inside a dataset"] = (*verify_cli(p), 1, "data/ptycho/dose_1000/split", "MISMATCH")
    with flipped(report_png, report_png.stat().st_size // 2):
        cases["reports/ byte flip (PNG)"] = (*verify_cli(p), 1, "reports/atomic/validation_report.png", "MISMATCH")
    csv = p / "reports/signals/sine_4ch/psd.csv"
    with flipped(csv, 10):
        cases["reports/ byte flip (CSV)"] = (*verify_cli(p), 1, "reports/signals/sine_4ch/psd.csv", "MISMATCH")
    with flipped(p / "metrics/energy.json", 5):
        cases["metrics/ byte flip"] = (*verify_cli(p), 1, "metrics/energy.json", "MISMATCH")
    cases["missing manifest (argument)"] = (*verify_cli(p, "manifests/nosuch.json"), 2, "manifests/nosuch.json", "UNREADABLE")
    original = (p / "manifests/public.json").read_bytes()
    (p / "manifests/public.json").write_text("not json\n")
    try:
        cases["non-JSON manifest"] = (*verify_cli(p), 2, "manifests/public.json", "UNREADABLE")
    finally:
        (p / "manifests/public.json").write_bytes(original)
    assert verify_cli(p)[0] == 0  # everything restored

    caught = {name: code == want and named(lines, rel, prefix) for name, (code, lines, want, rel, prefix) in cases.items()}
    tally.record("verify: blind spots of issue 12", len(cases), sum(caught.values()), "caught with the right exit code, path named")
    missed = {name: cases[name][:2] for name, ok in caught.items() if not ok}
    assert not missed, missed


@pytest.mark.slow
def test_random_byte_flips(tiny: Project) -> None:
    rng = random.Random(12)
    files = _entries(tiny.path)
    assert len(files) > 40
    tried = caught = 0
    misses = []
    for _ in range(100):
        path = rng.choice([f for f in files if f.stat().st_size > 0])
        offset = rng.randrange(path.stat().st_size)
        with flipped(path, offset):
            code, lines = verify_body(tiny.path)
        rel = path.relative_to(tiny.path).as_posix()
        tried += 1
        if code == 1 and named(lines, rel) and all(line.startswith(f"MISMATCH {rel}: ") or line.startswith("OK ") for line in lines):
            caught += 1
        else:
            misses.append((rel, offset, code, lines))
    tally.record("verify: byte flips", tried, caught, "caught, exit 1, file named")
    assert not misses, misses[:3]


@pytest.mark.slow
def test_truncation_deletion_extra_symlink_empty_dir(tiny: Project, tmp_path: Path) -> None:
    p = tiny.path
    rng = random.Random(5)
    files = rng.sample(_entries(p), 6)
    results = []  # (case, ok)
    for path in files:
        rel = path.relative_to(p).as_posix()
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
        try:
            code, lines = verify_cli(p)
        finally:
            path.write_bytes(data)
        results.append((f"truncated {rel}", code == 1 and named(lines, rel)))
        with moved_aside(path):
            code, lines = verify_cli(p)
        results.append((f"deleted {rel}", code == 1 and any(line.startswith(f"MISMATCH {rel}: missing") for line in lines)))
        with replaced_by_link(path, tmp_path):
            code, lines = verify_cli(p)
        results.append((f"symlink {rel}", code == 1 and named(lines, rel)))
        extra = path.with_name(".extra-file")
        with created(extra):
            code, lines = verify_cli(p)
        results.append((f"extra {extra.relative_to(p)}", code == 1 and named(lines, extra.relative_to(p).as_posix())))
        empty = path.with_name("empty-dir")
        with created(empty, None):
            code, lines = verify_cli(p)
        results.append((f"empty dir {empty.relative_to(p)}", code == 1 and named(lines, empty.relative_to(p).as_posix())))
    tally.record("verify: truncation/deletion/extra/symlink/empty dir", len(results), sum(ok for _, ok in results), "caught, exit 1, path named")
    assert all(ok for _, ok in results), [case for case, ok in results if not ok]


def _corrupt(obj: Path) -> None:
    obj.chmod(0o644)  # DVC makes its objects read-only
    data = bytearray(obj.read_bytes())
    data[len(data) // 2] ^= 0xFF
    obj.write_bytes(bytes(data))


@pytest.mark.slow
def test_corrupted_remote_object_via_consumer_path(tiny: Project, run) -> None:
    """DVC and a local remote: a corrupt object of a file inside a directory output is
    installed silently without ``verify`` (``dvc status -c``: in sync) and refused with it;
    a corrupt single-file output is refused either way (and DVC deletes that object from
    the remote as it checks it). ``synthbank pull`` names the file in every case."""
    tiny.run("dvc", "push")
    victims = ("data/atomic/train.h5", "reports/atomic/validation_report.png")  # in a directory output; a file output
    objects = []
    for rel in victims:
        md5 = hashlib.md5((tiny.path / rel).read_bytes()).hexdigest()
        objects.append(tiny.path.parent / "synthbank-storage" / "files" / "md5" / md5[:2] / md5[2:])
    originals = [obj.read_bytes() for obj in objects]
    results = {}
    try:
        # Remote verify off: DVC installs the corrupt file and says all is in sync; the manifests catch it.
        _corrupt(objects[0])
        run(["git", "clone", "-q", tiny.path, tiny.path.parent / "clone-noverify"], tiny.path.parent)
        plain = Project(tiny.path.parent / "clone-noverify", run)
        plain.run("dvc", "remote", "modify", "--local", "storage", "verify", "false")
        pulled = plain.run("dvc", "pull", check=False)
        status = plain.run("dvc", "status", "-c", check=False)
        assert pulled.returncode == 0 and status.returncode == 0 and "in sync" in status.stdout  # DVC's blind spot
        consumer = plain.run("synthbank", "pull", check=False)
        results[f"{victims[0]}, remote verify off"] = consumer.returncode == 1 and named(consumer.stdout.splitlines(), victims[0])

        # The project's `verify = true`: DVC refuses both; synthbank pull names each file and the repair.
        _corrupt(objects[1])
        run(["git", "clone", "-q", tiny.path, tiny.path.parent / "clone"], tiny.path.parent)
        clone = Project(tiny.path.parent / "clone", run)
        consumer2 = clone.run("synthbank", "pull", check=False)
        lines = consumer2.stdout.splitlines()
        for rel in victims:
            results[f"{rel}, remote verify on"] = consumer2.returncode == 1 and not (clone.path / rel).exists() and named(lines, rel, "REMOTE")
        assert any(line.startswith(f"REMOTE {victims[0]}: corrupt in remote storage: ") for line in lines), lines
    finally:
        for obj, data in zip(objects, originals, strict=True):
            obj.unlink(missing_ok=True)
            obj.write_bytes(data)
    tally.record("remote: corrupted object via consumer path", len(results), sum(results.values()), "exit 1, file named")
    assert all(results.values()), (results, consumer.stdout, consumer2.stdout, consumer2.stderr[-2000:])
