"""dvc.yaml source deps cannot drift: each stage depends on its list of the modules its command imports."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from synthbank import depgraph
from synthbank.depgraph import SOURCES, Source

ROOT = Path(__file__).resolve().parents[1]


def _copy(tmp_path: Path) -> Source:
    shutil.copytree(ROOT / "src" / "synthbank", tmp_path / "src" / "synthbank", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "dvc.yaml", tmp_path / "dvc.yaml")
    shutil.copytree(ROOT / SOURCES, tmp_path / SOURCES)
    return Source(tmp_path)


def test_committed_source_lists_match_the_import_graph() -> None:
    assert depgraph.check(Source(ROOT), ROOT / "dvc.yaml") == []


def test_check_fails_when_a_stage_imports_a_module_its_list_lacks(tmp_path: Path) -> None:
    source = _copy(tmp_path)
    build = source.package_dir / "families" / "atomic" / "build.py"
    build.write_text(build.read_text() + "\n\ndef _later() -> None:\n    from synthbank import pull  # noqa: F401\n")
    problems = depgraph.check(source, tmp_path / "dvc.yaml")
    line = next(line for line in problems if line.startswith(f"{tmp_path / 'dvc.yaml'}: stage generate_atomic: "))
    assert "`synthbank generate atomic` imports " in line and "src/synthbank/pull.py" in line, line
    assert line.endswith(f"not in {tmp_path / SOURCES / 'generate_atomic.txt'} (run dvc repro, commit dvc.lock and {SOURCES})")
    # only atomic commands import build.py: no other family's list is out of date
    assert problems and all(" atomic` " in line for line in problems), problems
    # the sources stage's command brings the list up to date: the check passes again
    depgraph.write_sources(source, tmp_path / SOURCES)
    assert depgraph.check(source, tmp_path / "dvc.yaml") == []
    assert "src/synthbank/pull.py" in (tmp_path / SOURCES / "generate_atomic.txt").read_text()


def test_check_fails_on_an_edited_file_and_on_hand_listed_deps(tmp_path: Path) -> None:
    source = _copy(tmp_path)
    (source.package_dir / "thresholds.py").write_text((source.package_dir / "thresholds.py").read_text() + "\n# edited\n")
    problems = depgraph.check(source, tmp_path / "dvc.yaml")
    assert any("stage validate_atomic: `synthbank validate atomic` reads a source file that changed since the last dvc repro" in line
               for line in problems), problems
    text = (tmp_path / "dvc.yaml").read_text()
    hand = text.replace("      - pipeline/sources/generate_atomic.txt\n", "      - src/synthbank/families/atomic/build.py\n", 1)
    (tmp_path / "dvc.yaml").write_text(hand)
    problems = depgraph.check(source, tmp_path / "dvc.yaml")
    assert any("stage generate_atomic: lists src/synthbank/families/atomic/build.py by hand" in line for line in problems)
    assert any("stage generate_atomic: does not depend on pipeline/sources/generate_atomic.txt" in line for line in problems)
    # --rewrite puts the list back in place of hand-written deps, keeping the others
    (tmp_path / "dvc.yaml").write_text(depgraph.rewrite(hand))
    stage = yaml.safe_load((tmp_path / "dvc.yaml").read_text())["stages"]["generate_atomic"]
    assert stage["deps"] == ["pipeline/sources/generate_atomic.txt", "requirements.lock"]


def test_a_hook_counts_with_its_own_imports_only() -> None:
    source = Source(ROOT)
    generate = depgraph.expected(source, "synthbank generate atomic --workers 2")
    validate = depgraph.expected(source, "synthbank validate atomic")
    assert "src/synthbank/families/atomic/build.py" in generate
    assert not any("atomic/metrics" in f or "atomic/validate" in f for f in generate)  # validation code does not rerun generation
    assert "src/synthbank/families/atomic/validate.py" in validate
    # the registry dispatches by name: no other family's code is a dep
    assert not any("/families/" in f and "/families/atomic/" not in f and not f.endswith("families/__init__.py") for f in generate | validate)
    # the entry point's other commands (verify, pull) are not deps of a stage
    assert "src/synthbank/pull.py" not in generate and "src/synthbank/coverage.py" not in generate
    # public generation does not read the PHI rules; its validation does
    assert not any("/phi/" in f for f in depgraph.expected(source, "synthbank generate public"))
    assert "src/synthbank/phi/rules.py" in depgraph.expected(source, "synthbank validate public")


def test_command_of_reads_both_shapes() -> None:
    assert depgraph.command_of("synthbank generate energy --domain x") == ("energy", "generate", False)
    split = depgraph.command_of("synthbank ptycho split --dose 1000")
    assert split == ("ptycho", "split", True) and split.list_name == "ptycho_split"
    # a family's own verbs get a list each, from the function that implements the verb
    lists = depgraph.commands(Source(ROOT))
    assert {"ptycho_canonicalise", "ptycho_patch", "ptycho_split", "ptycho_views", "energy_check", "signals_import"} <= set(lists)


def test_a_root_command_has_its_own_list_with_every_familys_declared_records(tmp_path: Path) -> None:
    source = Source(ROOT)
    assert depgraph.command_of("synthbank describe") == ("", "describe", False)
    assert depgraph.command_of("OPENBLAS_NUM_THREADS=2 synthbank validate atomic --workers 1") == ("atomic", "validate", False)
    assert depgraph.command_of("synthbank describe atomic --registry-url x").list_name == "describe"
    files = depgraph.expected(source, "synthbank describe")
    assert "src/synthbank/describe/croissant.py" in files and "src/synthbank/recordsets.py" in files
    for family in ("atomic", "chromatic", "public", "signals", "ptycho", "energy"):
        assert {f"src/synthbank/families/{family}/records.py", f"src/synthbank/families/{family}/params.schema.json"} <= files
    assert not any(f.endswith(("/hooks.py", "/build.py")) for f in files)  # records, not the generators: no rerun for their code
    assert "src/synthbank/recordsets.py" not in depgraph.expected(source, "synthbank generate atomic")  # nor the other way round
    assert "describe" in depgraph.commands(source)
    # dvc.yaml's describe stage must depend on its list, like any stage
    copy = _copy(tmp_path)
    text = (tmp_path / "dvc.yaml").read_text()
    (tmp_path / "dvc.yaml").write_text(text.replace("      - pipeline/sources/describe.txt\n", "", 1))
    assert any("stage describe: does not depend on pipeline/sources/describe.txt" in line for line in depgraph.check(copy, tmp_path / "dvc.yaml"))


def test_the_lock_has_an_entry_for_each_stage_and_no_other() -> None:
    """A stage removed from dvc.yaml leaves its entry in dvc.lock (DVC only updates entries);
    a stale one costs every later stage a longer lock to rewrite and misleads readers."""
    from dvc.repo import Repo

    with Repo(str(ROOT)) as repo:
        stages = {s.addressing for s in repo.index.stages}
    locked = set(yaml.safe_load((ROOT / "dvc.lock").read_text("utf-8"))["stages"])
    assert locked == stages, {"stale in dvc.lock": sorted(locked - stages), "missing": sorted(stages - locked)}
