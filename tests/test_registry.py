"""The registry end to end: ``synthbank release`` twice, then consumers in other repositories.

One module-scoped registry (a copy of the project trimmed to the atomic family, 5000 then
10000 images) gets two releases by ``synthbank release`` with a params change between them
(``atomic.num_images`` and ``release.date``). Consumers reach it by a ``file://`` git URL,
which DVC clones into a temporary directory as it clones a registry on a server; so its DVC
remote is a directory given by an absolute path in the committed ``.dvc/config``, where a
relative path would point elsewhere (a real registry commits a network URL, docs/releases.md).
Then, with real git and dvc:
the release records, tags and CHANGELOG; ``dvc metrics diff``/``params diff`` between the
tags; a fresh clone, ``git checkout v0.1.0 && dvc pull`` and ``synthbank verify``; a
separate empty repository using ``dvc get``, ``dvc artifacts get``, ``dvc import`` and
``dvc update``, ``dvc ls`` and ``dvc.api``; and every refusal of ``synthbank release``
(each on a copy of the registry), which must write nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from conftest import MAIN, Project, Runner, make_project, sha256

pytestmark = pytest.mark.slow

FAMILY = "atomic"
ATOMIC_FILES = (".synthbank-output.json", "metadata.json", "test.h5", "test.npz", "train.h5", "train.npz", "val.h5", "val.npz")
V1, V2, V3 = "v0.1.0", "v0.2.0", "v0.3.0"
DATE1, DATE2 = "2026-11-22", "2026-11-29"
#: Where released bytes live: everything the pipeline writes (data, manifests, metrics, reports).
OUTPUT_ROOTS = ("data", "manifests", "metrics", "reports")


def trim_to(project: Project, families: tuple[str, ...]) -> None:
    """Make ``project`` a registry of ``families`` only, consistently for DVC and synthbank.

    params.yaml keeps seed, release and their sections (so ``synthbank verify`` requires their
    manifests only); dvc.yaml keeps the ``sources`` stage, their stages and their artifacts
    (a stage over every family, ``describe``, goes too); the other manifests, metrics,
    reports and data folders go, and so do dvc.lock (``dvc repro`` writes it again) and the
    project's own release records and CHANGELOG. The other families are too slow for a test.
    """
    root = project.path
    params = yaml.safe_load((root / "params.yaml").read_text("utf-8"))
    kept = {k: v for k, v in params.items() if k in ("seed", "release", *families)}
    (root / "params.yaml").write_text(yaml.safe_dump(kept, sort_keys=False), "utf-8")
    pipeline = yaml.safe_load((root / "dvc.yaml").read_text("utf-8"))
    pipeline["stages"] = {name: stage for name, stage in pipeline["stages"].items()
                          if name == "sources" or name.rsplit("_", 1)[-1] in families}
    pipeline["artifacts"] = {name: a for name, a in pipeline.get("artifacts", {}).items()
                             if a["path"] in {f"data/{f}" for f in families}}
    (root / "dvc.yaml").write_text(yaml.safe_dump(pipeline, sort_keys=False), "utf-8")
    (root / "dvc.lock").unlink()
    # The project's own releases are another registry's history: this one starts without any.
    shutil.rmtree(root / "releases", ignore_errors=True)
    (root / "CHANGELOG.md").unlink(missing_ok=True)
    for top in OUTPUT_ROOTS:
        for path in (root / top).iterdir() if (root / top).is_dir() else ():
            if path.name.split(".")[0] not in families and path.name != ".gitignore":
                shutil.rmtree(path) if path.is_dir() else path.unlink()


def set_release_date(project: Project, date: str) -> None:
    params = yaml.safe_load((project.path / "params.yaml").read_text("utf-8"))
    params["release"]["date"] = date
    (project.path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False), "utf-8")


def output_hashes(root: Path) -> dict[str, str]:
    """sha256 of every file under the output roots (relative POSIX path -> hex)."""
    return {p.relative_to(root).as_posix(): sha256(p)
            for top in OUTPUT_ROOTS for p in sorted((root / top).rglob("*")) if p.is_file()}


def tree_hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): sha256(p) for p in sorted(root.rglob("*")) if p.is_file()}


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def atomic_hashes(hashes: dict[str, str]) -> dict[str, str]:
    """The files of data/atomic, relative to it."""
    return {k.removeprefix("data/atomic/"): v for k, v in hashes.items() if k.startswith("data/atomic/")}


@dataclass
class Registry:
    project: Project
    storage: Path
    released: dict[str, dict[str, str]]  # version -> output_hashes at release time
    stdout: dict[str, str]  # version -> what synthbank release printed
    stderr: dict[str, str]  # version -> its progress lines and warnings

    @property
    def path(self) -> Path:
        return self.project.path

    @property
    def url(self) -> str:
        """A git URL (``file://``): DVC clones it, as it clones a registry on a server, and
        reads the remote from the committed ``.dvc/config`` at the revision (a local path is
        opened in place instead, with the remote of its working tree)."""
        return self.path.as_uri()

    def show(self, rev: str, path: str) -> bytes:
        return subprocess.run(["git", "show", f"{rev}:{path}"], cwd=self.path, check=True, capture_output=True).stdout

    def record(self, version: str) -> dict:
        return json.loads(self.show(version, f"releases/{version}.json"))

    def tags(self) -> list[str]:
        return sorted(self.project.run("git", "tag", "--list").stdout.split())


@pytest.fixture(scope="module")
def registry(run: Runner, tmp_path_factory: pytest.TempPathFactory) -> Registry:
    """An atomic-only registry with releases v0.1.0 (5000 images, 2026-11-22) and v0.2.0 (10000, 2026-11-29)."""
    parent = tmp_path_factory.mktemp("registry")
    project = make_project(parent, run, num_images=5000, name="registry")
    trim_to(project, (FAMILY,))
    storage = parent / "storage"
    project.run("dvc", "remote", "modify", "storage", "url", str(storage))  # absolute: see the module docstring
    project.run("dvc", "repro")
    project.commit("registry of the atomic family, 5000 images")
    released, procs = {}, {}
    released[V1], procs[V1] = output_hashes(project.path), project.run("synthbank", "release", V1)
    project.set_num_images(10000)
    set_release_date(project, DATE2)
    project.run("dvc", "repro")
    project.commit("10000 images, release date 2026-11-29")
    released[V2], procs[V2] = output_hashes(project.path), project.run("synthbank", "release", V2)
    return Registry(project, storage, released, {v: p.stdout for v, p in procs.items()}, {v: p.stderr for v, p in procs.items()})


def test_every_family_is_an_artifact_named_after_it() -> None:
    """The dataset cards name `dvc artifacts get REPO <family>`: dvc.yaml must agree."""
    from synthbank import registry as families
    from synthbank.releaserecord import artifacts

    built_in = [n for n in families.names() if n in families.BUILTIN_ORDER]
    assert artifacts(MAIN) == {f"data/{n}": n for n in built_in}


# --- the releases themselves --------------------------------------------------------------

def test_release_tags_commits_and_records(registry: Registry) -> None:
    assert registry.tags() == sorted([V1, V2, f"atomic@{V1}", f"atomic@{V2}"])
    for version in (V1, V2):
        assert registry.stdout[version].splitlines()[0].startswith(
            f"released {version}: releases/{version}.json and CHANGELOG.md in commit ")
        commit = registry.project.run("git", "rev-parse", f"{version}^{{commit}}").stdout.strip()
        for tag in (version, f"atomic@{version}"):  # annotated (GTO ignores lightweight tags), on the release commit
            assert registry.project.run("git", "cat-file", "-t", tag).stdout.strip() == "tag"
            assert registry.project.run("git", "rev-parse", f"{tag}^{{commit}}").stdout.strip() == commit
        changed = registry.project.run("git", "diff-tree", "--no-commit-id", "--name-only", "-r", commit).stdout.split()
        assert sorted(changed) == ["CHANGELOG.md", f"releases/{version}.json"]
        record = registry.record(version)
        assert record["source_commit"] == registry.project.run("git", "rev-parse", f"{commit}^").stdout.strip()
        manifest = registry.show(version, "manifests/atomic.json")
        entries = json.loads(manifest)["entries"]
        atomic = record["families"]["atomic"]
        assert atomic["manifest"] == {"path": "manifests/atomic.json", "sha256": sha256_bytes(manifest),
                                      "files": 8, "bytes": sum(e["bytes"] for e in entries)}
        assert atomic["artifact"] == "atomic" and atomic["outputs"] == ["data/atomic"]
        assert atomic["generator_version"] == json.loads(manifest)["generator_version"]
        assert atomic["metrics"]["thresholds_met"] is True
        assert record["dvc_version"] == registry.project.run("dvc", "--version").stdout.strip()
        assert record["params"]["sha256"] == sha256_bytes(registry.show(version, "params.yaml"))
    one, two = registry.record(V1), registry.record(V2)
    assert (one["version"], one["date"], one["previous_release"]) == (V1, DATE1, None)
    assert (two["version"], two["date"], two["previous_release"]) == (V2, DATE2, V1)
    assert one["families"]["atomic"]["metrics"]["values"]["counts.total"] == 5000
    assert two["families"]["atomic"]["metrics"]["values"]["counts.total"] == 10000
    assert one["params"]["changed"] is None and one["families"]["atomic"]["changed"] is None
    assert two["params"]["changed"] == {"atomic.num_images": {"old": 5000, "new": 10000},
                                        "release.date": {"old": DATE1, "new": DATE2}}
    assert two["families"]["atomic"]["changed"] == {"generator": False, "data": True, "previous_generator_version": "3.0.0"}


def test_changelog_sections(registry: Registry) -> None:
    first = registry.show(V1, "CHANGELOG.md").decode()
    latest = (registry.path / "CHANGELOG.md").read_text("utf-8")
    assert latest.startswith("# Changelog\n")
    assert latest.index(f"## {V2} ({DATE2})") < latest.index(f"## {V1} ({DATE1})")
    head, v1_section = first.split(f"## {V1}", 1)
    assert latest.startswith(head) and latest.endswith(f"## {V1}" + v1_section)  # v0.2.0's section went before it
    v2_section = latest[latest.index(f"## {V2}"):latest.index(f"## {V1}")]
    for version, section in ((V1, f"## {V1}" + v1_section), (V2, v2_section)):
        digest = registry.record(version)["families"]["atomic"]["manifest"]["sha256"]
        assert f"| atomic | 3.0.0 |" in section and f"`{digest}`" in section
    assert "| atomic | 3.0.0 | first release | `atomic` | 8 |" in v1_section
    assert "- atomic 3.0.0: " in v1_section  # the first release lists the family's notes
    assert "| atomic | 3.0.0 | generator unchanged; data changed | `atomic` | 8 |" in v2_section
    assert "Release notes new since v0.1.0:\n\n- none\n" in v2_section
    assert (f"Params changed since {V1} (`dvc params diff {V1} {V2}`):\n\n"
            f"- `atomic.num_images`: 5000 -> 10000\n- `release.date`: \"{DATE1}\" -> \"{DATE2}\"\n") in v2_section


def test_metrics_and_params_diff_between_releases(registry: Registry) -> None:
    metrics = json.loads(registry.project.run("dvc", "metrics", "diff", V1, V2, "--json").stdout)["metrics/atomic.json"]
    total, train = metrics["counts.total"], metrics["counts.train"]
    assert (total["old"], total["new"], total["diff"]) == (5000, 10000, 5000)
    assert (train["old"], train["new"]) == (4000, 8000)  # whole blocks split exactly 80/10/10
    old = registry.record(V1)["families"]["atomic"]["metrics"]["values"]
    new = registry.record(V2)["families"]["atomic"]["metrics"]["values"]
    assert set(metrics) == {k for k in old if old[k] != new[k]}  # exactly the metrics that changed
    assert all((metrics[k]["old"], metrics[k]["new"]) == (old[k], new[k]) for k in metrics)

    params = json.loads(registry.project.run("dvc", "params", "diff", V1, V2, "--json").stdout)
    assert params == {"params.yaml": {"atomic.num_images": {"old": 5000, "new": 10000, "diff": 5000},
                                      "release.date": {"old": DATE1, "new": DATE2}}}


def test_clone_checkout_pull_gives_the_release_bytes(registry: Registry, run: Runner, tmp_path: Path) -> None:
    run(["git", "clone", "-q", registry.path, tmp_path / "clone"], tmp_path)
    clone = Project(tmp_path / "clone", run)
    clone.run("git", "-c", "advice.detachedHead=false", "checkout", "-q", V1)
    assert not (clone.path / "data" / "atomic").exists()
    clone.run("dvc", "pull")
    assert output_hashes(clone.path) == registry.released[V1]
    assert atomic_hashes(registry.released[V1]) != atomic_hashes(registry.released[V2])
    verify = clone.run("synthbank", "verify")
    assert "OK manifests/atomic.json: 8 files" in verify.stdout and "MISMATCH" not in verify.stdout
    assert json.loads(clone.run("dvc", "status", "--json").stdout) == {}


# --- consumers in another repository ------------------------------------------------------

@pytest.fixture
def consumer(run: Runner, tmp_path: Path) -> Project:
    """An empty git + DVC repository."""
    project = Project(tmp_path / "consumer", run)
    project.path.mkdir()
    project.run("git", "-c", "init.defaultBranch=main", "init", "-q")
    project.run("dvc", "init", "-q")
    project.commit("empty consumer")
    return project


def test_dvc_get_and_artifacts_get_at_a_release(registry: Registry, consumer: Project) -> None:
    for source, out in ((registry.url, "got"), (registry.path, "got-by-path")):
        consumer.run("dvc", "get", source, "data/atomic", "--rev", V1, "-o", out)
        assert tree_hashes(consumer.path / out) == atomic_hashes(registry.released[V1])
    for version in (V1, V2):
        out = consumer.run("dvc", "artifacts", "get", registry.url, "atomic", "--rev", version, "-o", f"art-{version}")
        assert out.stdout.strip() == f"Downloaded 8 file(s) to 'art-{version}'"
        assert tree_hashes(consumer.path / f"art-{version}") == atomic_hashes(registry.released[version])
    missing = consumer.run("dvc", "artifacts", "get", registry.url, "atomic", "--rev", "v9.9.9", check=False)
    assert missing.returncode == 1
    assert "Unable to find artifact 'atomic @ v9.9.9'" in missing.stderr


def test_dvc_import_then_update_to_the_next_release(registry: Registry, consumer: Project) -> None:
    (consumer.path / "data").mkdir()
    consumer.run("dvc", "import", registry.url, "data/atomic", "--rev", V1, "-o", "data/atomic")
    lock = yaml.safe_load((consumer.path / "data/atomic.dvc").read_text("utf-8"))
    assert (lock["deps"][0]["repo"]["url"], lock["deps"][0]["repo"]["rev"]) == (registry.url, V1)
    assert lock["deps"][0]["repo"]["rev_lock"] == registry.project.run("git", "rev-parse", f"{V1}^{{commit}}").stdout.strip()
    assert tree_hashes(consumer.path / "data/atomic") == atomic_hashes(registry.released[V1])
    consumer.commit("import atomic v0.1.0")

    consumer.run("dvc", "update", "--rev", V2, "data/atomic.dvc")
    lock = yaml.safe_load((consumer.path / "data/atomic.dvc").read_text("utf-8"))
    assert lock["deps"][0]["repo"]["rev"] == V2
    assert tree_hashes(consumer.path / "data/atomic") == atomic_hashes(registry.released[V2])
    assert json.loads(consumer.run("dvc", "status", "--json").stdout) == {}


def test_dvc_ls_of_a_release(registry: Registry, consumer: Project) -> None:
    top = consumer.run("dvc", "ls", registry.url, "--rev", V1).stdout.split()
    assert {"data", "dvc.yaml", "params.yaml", "releases", "CHANGELOG.md"} <= set(top)
    assert consumer.run("dvc", "ls", registry.url, "data", "--rev", V1).stdout.split() == [".gitignore", "atomic"]
    files = consumer.run("dvc", "ls", registry.url, "data/atomic", "--dvc-only", "-R", "--rev", V1).stdout.split()
    assert sorted(files) == sorted(ATOMIC_FILES)
    listed = {rev: {e["path"]: e["md5"] for e in json.loads(
        consumer.run("dvc", "ls", "--json", registry.url, "data/atomic", "--rev", rev).stdout)} for rev in (V1, V2)}
    assert sorted(listed[V1]) == sorted(listed[V2]) == sorted(ATOMIC_FILES)
    assert listed[V1]["train.h5"] != listed[V2]["train.h5"]


API_SCRIPT = """
import hashlib, json, sys
import dvc.api
repo, rev = sys.argv[1], sys.argv[2]
with dvc.api.open("data/atomic/test.h5", repo=repo, rev=rev, mode="rb") as f:
    opened = hashlib.sha256(f.read()).hexdigest()
read = hashlib.sha256(dvc.api.read("data/atomic/metadata.json", repo=repo, rev=rev, mode="rb")).hexdigest()
print(json.dumps({"open": opened, "read": read, "params": dvc.api.params_show(repo=repo, rev=rev)}))
"""


@pytest.mark.parametrize("version", [V1, V2])
def test_python_api_reads_a_release(registry: Registry, consumer: Project, version: str) -> None:
    proc = consumer.runner([sys.executable, "-c", API_SCRIPT, registry.url, version], consumer.path)
    got = json.loads(proc.stdout)
    assert got["open"] == registry.released[version]["data/atomic/test.h5"]
    assert got["read"] == registry.released[version]["data/atomic/metadata.json"]
    assert got["params"] == yaml.safe_load(registry.show(version, "params.yaml"))
    assert got["params"]["atomic"]["num_images"] == {V1: 5000, V2: 10000}[version]


# --- refusals: each on a copy of the registry, and nothing written -------------------------

def copy_of(registry: Registry, tmp_path: Path) -> Project:
    """A copy of the registry (git, DVC cache, workspace); its remote is the registry's."""
    dest = tmp_path / "registry"
    shutil.copytree(registry.path, dest, symlinks=True)
    return Project(dest, registry.project.runner)


def state(project: Project, storage: Path) -> dict[str, object]:
    """What a release could write: tags, HEAD, the release files, the work tree, the remote."""
    return {
        "tags": sorted(project.run("git", "tag", "--list").stdout.split()),
        "head": project.run("git", "rev-parse", "HEAD").stdout.strip(),
        "changelog": (project.path / "CHANGELOG.md").read_bytes(),
        "releases": sorted(p.name for p in (project.path / "releases").iterdir()),
        "status": project.run("git", "status", "--porcelain", "--untracked-files=all").stdout,
        "remote": sorted(p.relative_to(storage).as_posix() for p in storage.rglob("*")),
    }


def refused(project: Project, storage: Path, *args: str) -> tuple[int, str]:
    """Run ``synthbank release ARGS``, check it wrote nothing, return (exit code, its one line)."""
    before = state(project, storage)
    proc = project.run("synthbank", "release", *args, check=False)
    assert state(project, storage) == before
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("synthbank: error: release: "), proc.stderr
    return proc.returncode, lines[0].removeprefix("synthbank: error: release: ")


@pytest.mark.parametrize("version", ["0.3.0", "v0.3", "v0.03.0", "v0.3.0-rc1", "V0.3.0", ""])
def test_refuses_a_malformed_version(registry: Registry, version: str) -> None:
    code, line = refused(registry.project, registry.storage, version)
    assert code == 2
    assert line == (f"version {version!r} is not a release version: allowed v followed by MAJOR.MINOR.PATCH, "
                    "three integers without leading zeros (v0.1.0, v1.12.3)")


@pytest.mark.parametrize("version", ["v0.1.5", V1, V2])
def test_refuses_a_version_not_above_the_latest(registry: Registry, version: str) -> None:
    code, line = refused(registry.project, registry.storage, version)
    assert code == 2
    exists = f" (tag {version} exists)" if version in (V1, V2) else ""
    assert line == f"version {version} is not greater than the latest release {V2}{exists}: allowed a version above {V2}"


def test_refuses_an_existing_tag(registry: Registry, tmp_path: Path) -> None:
    project = copy_of(registry, tmp_path)
    project.run("git", "tag", "-a", f"atomic@{V3}", "-m", "registered by hand")
    code, line = refused(project, registry.storage, V3)
    assert code == 2
    assert line.startswith(f"tag atomic@{V3} already exists: allowed a version none of whose tags ({V3}, atomic@{V3}) exists")


def test_refuses_a_dirty_tree(registry: Registry, tmp_path: Path) -> None:
    project = copy_of(registry, tmp_path)
    (project.path / "notes.txt").write_text("not committed\n")
    with (project.path / "README.md").open("a") as f:
        f.write("edited\n")
    code, line = refused(project, registry.storage, V3)
    assert code == 2
    assert line == "the git work tree is not clean (2 path(s): README.md, notes.txt): allowed a clean tree (commit or remove them first)"


def test_refuses_without_a_git_identity(registry: Registry) -> None:
    """Checked before the push: git would otherwise refuse the release commit only afterwards."""
    project = Project(registry.path, registry.project.runner)
    project.extra_env = {"GIT_COMMITTER_NAME": "", "GIT_COMMITTER_EMAIL": ""}  # empty: git var refuses
    code, line = refused(project, registry.storage, V3)
    assert code == 2
    assert line == ("git has no committer identity here: allowed user.name and user.email set "
                    "(git config user.name ...; git config user.email ...)")


def test_refuses_a_stale_pipeline(registry: Registry, tmp_path: Path) -> None:
    project = copy_of(registry, tmp_path)
    project.set_num_images(15000)
    project.commit("params changed, not reproduced")
    code, line = refused(project, registry.storage, V3)
    assert code == 2
    assert line == ("dvc status is not clean: 1 stage(s) not up to date: generate_atomic (changed deps: params.yaml): "
                    "allowed a reproduced pipeline (dvc repro, then commit dvc.lock and the outputs in git)")


def test_a_local_remote_is_released_with_a_warning(registry: Registry) -> None:
    """The test registry's committed remote is a local path: released, and told it is out of consumers' reach."""
    for version in (V1, V2):
        assert (f"warning: the committed default remote 'storage' is a local path ({registry.storage}): consumers on "
                "other machines, and dvc get/import/artifacts get, cannot reach it; commit a network remote as the "
                "default (docs/remotes.md)") in registry.stderr[version].splitlines()


def test_refuses_a_date_before_the_previous_release(registry: Registry, tmp_path: Path) -> None:
    project = copy_of(registry, tmp_path)
    set_release_date(project, "2026-11-25")  # v0.2.0 is dated 2026-11-29
    project.run("dvc", "repro")
    project.commit("dated before the previous release")
    code, line = refused(project, registry.storage, V3)
    assert code == 2
    assert line == f"release.date = 2026-11-25 is earlier than {V2}'s 2026-11-29: allowed 2026-11-29 or later"


def test_refuses_an_unknown_remote(registry: Registry) -> None:
    code, line = refused(registry.project, registry.storage, V3, "--remote", "elsewhere")
    assert code == 2
    assert line == "--remote 'elsewhere' is not a DVC remote of this repository: allowed storage"


def test_refuses_when_verify_fails(registry: Registry, tmp_path: Path) -> None:
    """A byte flipped in place with size and mtime kept: dvc status trusts its cached hash
    and stays clean, synthbank verify hashes the file and refuses the release (exit 1)."""
    project = copy_of(registry, tmp_path)
    assert json.loads(project.run("dvc", "status", "--json").stdout) == {}  # DVC records the files' state
    path = project.path / "data/atomic/train.h5"
    st = path.stat()
    with path.open("r+b") as f:
        f.seek(st.st_size // 2)
        byte = f.read(1)[0]
        f.seek(st.st_size // 2)
        f.write(bytes([byte ^ 0xFF]))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert json.loads(project.run("dvc", "status", "--json").stdout) == {}
    code, line = refused(project, registry.storage, V3)
    assert code == 1
    assert line.startswith("synthbank verify found 2 problem(s) in 1 manifest(s), first: data/atomic/train.h5: crc64 is ")
    assert line.endswith(": allowed a project where synthbank verify passes (see `synthbank verify`)")


def test_a_failed_commit_is_undone_and_a_release_is_deterministic(registry: Registry, tmp_path: Path) -> None:
    """A pre-commit hook refuses the release commit after the push: no commit, tag or file
    stays. Then the same release in this copy and in another one gives the same bytes."""
    project = copy_of(registry, tmp_path / "a")
    hook = project.path / ".git/hooks/pre-commit"
    hook.write_text("#!/bin/sh\necho 'refused by the hook' >&2\nexit 1\n")
    hook.chmod(0o755)
    before = state(project, registry.storage)
    proc = project.run("synthbank", "release", V3, check=False)
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[-1] == (
        "synthbank: error: release: git commit failed: refused by the hook: undone, no release commit, tag or file "
        "remains (the objects dvc push sent stay on the remote, where they are harmless)")
    assert state(project, registry.storage) == before

    hook.unlink()

    # A tag refused after the release commit (the second tag, the artifact's): the commit goes
    # back off the branch and the first tag is deleted again.
    tag_hook = project.path / ".git/hooks/reference-transaction"
    tag_hook.write_text(f"#!/bin/sh\n[ \"$1\" = prepared ] || exit 0\n"
                        f"if grep -q 'refs/tags/atomic@{V3}$'; then echo 'tag refused by the hook' >&2; exit 1; fi\nexit 0\n")
    tag_hook.chmod(0o755)
    proc = project.run("synthbank", "release", V3, check=False)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.splitlines()[-1].endswith(
        "undone, no release commit, tag or file remains (the objects dvc push sent stay on the remote, where they are harmless)"
    ), proc.stderr
    assert state(project, registry.storage) == before
    tag_hook.unlink()

    project.run("synthbank", "release", V3)
    other = copy_of(registry, tmp_path / "b")
    other.run("synthbank", "release", V3)
    for rel in (f"releases/{V3}.json", "CHANGELOG.md"):
        assert (project.path / rel).read_bytes() == (other.path / rel).read_bytes(), rel
    record = json.loads((project.path / f"releases/{V3}.json").read_text("utf-8"))
    assert record["previous_release"] == V2 and record["params"]["changed"] == {}
    assert record["families"]["atomic"]["changed"] == {"generator": False, "data": False, "previous_generator_version": "3.0.0"}
