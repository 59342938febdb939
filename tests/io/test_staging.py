import json
import os

import pytest

from synthbank.errors import UsageError
from synthbank.io import guard
from synthbank.io.staging import (
    check_output,
    check_writable,
    staged_dir,
    transaction,
    write_file_atomic,
)


def _names(path):
    return sorted(p.name for p in path.iterdir())


def test_success_replaces_a_previous_output_whole(tmp_path):
    final = tmp_path / "out"
    with staged_dir(final, "atomic") as tmp:
        (tmp / "old.txt").write_text("old")
    with staged_dir(final, "atomic") as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".out.")
        (tmp / "new.txt").write_text("new")
        assert (final / "old.txt").exists()  # untouched until the end
    assert _names(final) == [guard.MARKER, "new.txt"]
    assert _names(tmp_path) == ["out"]  # no lock, journal, staging or old copy left
    assert json.loads((final / guard.MARKER).read_text()) == {"family": "atomic", "format": guard.MARKER_FORMAT}


def test_a_directory_synthbank_did_not_write_is_refused_and_kept(tmp_path):
    final = tmp_path / "mydocs"
    final.mkdir()
    (final / "thesis.txt").write_text("years of work")
    with pytest.raises(UsageError, match=r"mydocs.* exists and was not written by synthbank atomic .*--overwrite"):
        with staged_dir(final, "atomic"):
            pass
    assert _names(final) == ["thesis.txt"] and _names(tmp_path) == ["mydocs"]
    with transaction("atomic", overwrite=True) as tx:  # the user said so
        (tx.stage_dir(final) / "x").write_text("x")
    assert _names(final) == [guard.MARKER, "x"]


def test_another_familys_output_is_refused(tmp_path):
    with staged_dir(tmp_path / "out", "energy"):
        pass
    with pytest.raises(UsageError, match="holds a synthbank energy output, not atomic"):
        check_output(tmp_path / "out", "atomic")


def test_an_output_older_than_the_marker_is_recognised_by_its_manifest(tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    (old / "manifest.json").write_text(json.dumps({"family": "atomic", "entries": []}))
    check_output(old, "atomic")  # no error
    with pytest.raises(UsageError):
        check_output(old, "chromatic")
    # the DVC layout: the manifest is elsewhere and lists the directory among its outputs
    data, manifests = tmp_path / "data" / "atomic", tmp_path / "manifests"
    data.mkdir(parents=True)
    (data / "train.h5").write_bytes(b"x")
    manifests.mkdir()
    (manifests / "atomic.json").write_text(json.dumps({"family": "atomic", "base": "..", "outputs": ["data/atomic"], "entries": []}))
    check_output(data, "atomic", manifest=manifests / "atomic.json")
    with pytest.raises(UsageError):
        check_output(data, "atomic", manifest=None)


@pytest.mark.parametrize("inside", [True, False], ids=["run inside the repo", "run from elsewhere"])
@pytest.mark.parametrize("kind", ["root", "home", "home-parent", "cwd", "cwd-parent", "repo", "repo-parent", "data", "link-to-repo", "empty"])
def test_dangerous_output_paths_are_refused_even_with_overwrite(tmp_path, monkeypatch, kind, inside):
    home = tmp_path / "home" / "me"
    repo = home / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "data").mkdir()
    (repo / "sub").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "link").symlink_to(repo)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(repo / "sub" if inside else tmp_path / "elsewhere")
    target = {
        "root": "/", "home": str(home), "home-parent": str(home.parent), "cwd": ".", "cwd-parent": "..", "repo": str(repo),
        "repo-parent": str(home), "data": str(repo / "data"), "link-to-repo": str(tmp_path / "elsewhere" / "link"), "empty": "",
    }[kind]
    before = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    with pytest.raises(UsageError, match=r"--output-dir=.* is .*: allowed a directory of its own"):
        check_output(target, "atomic", overwrite=True)
    with pytest.raises(UsageError, match=r"is .*: allowed a directory of its own"):
        with staged_dir(target, "atomic"):  # the transaction refuses too, before creating anything
            pass
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == before


def test_failure_leaves_final_untouched_and_no_leftovers(tmp_path):
    final = tmp_path / "out"
    with staged_dir(final, "atomic") as tmp:
        (tmp / "old.txt").write_text("old")
    with pytest.raises(RuntimeError):
        with staged_dir(final, "atomic") as tmp:
            (tmp / "half.bin").write_bytes(b"x")
            raise RuntimeError("killed")
    assert _names(final) == [guard.MARKER, "old.txt"]
    assert _names(tmp_path) == ["out"]


def test_data_and_an_outside_manifest_commit_together(tmp_path):
    data, manifest = tmp_path / "data" / "atomic", tmp_path / "manifests" / "atomic.json"
    with transaction("atomic", manifest=manifest) as tx:
        (tx.stage_dir(data) / "a.h5").write_bytes(b"new")
        write_file_atomic(manifest, b"{}\n")
        assert not data.exists() and not manifest.exists()  # nothing visible before the commit
        assert tx.staged(data / "a.h5").read_bytes() == b"new"
    assert (data / "a.h5").read_bytes() == b"new" and manifest.read_bytes() == b"{}\n"
    assert _names(tmp_path / "data") == ["atomic"] and _names(tmp_path / "manifests") == ["atomic.json"]


def test_a_manifest_inside_the_output_is_staged_with_it(tmp_path):
    out = tmp_path / "out"
    with transaction("atomic", manifest=out / "manifest.json") as tx:
        tx.stage_dir(out)
        write_file_atomic(out / "manifest.json", b"{}\n")
        assert not out.exists()
    assert _names(out) == [guard.MARKER, "manifest.json"]


def test_an_open_transaction_holds_its_outputs_lock(tmp_path):
    final = tmp_path / "out"
    with transaction("atomic") as tx:
        live = tx.stage_dir(final)
        with pytest.raises(guard.OutputBusy, match=rf"being written by another synthbank run \(PID {os.getpid()}\)"):
            guard.OutputLock(final).acquire()
        assert live.is_dir()  # the refused run touched nothing
    assert _names(tmp_path) == ["out"]


def test_the_lock_refuses_a_second_holder_and_is_removed_on_release(tmp_path):
    first = guard.OutputLock(tmp_path / "out")
    first.acquire()
    with pytest.raises(guard.OutputBusy, match=f"PID {os.getpid()}"):
        guard.OutputLock(tmp_path / "out").acquire()
    first.release()
    assert _names(tmp_path) == []
    with guard.OutputLock(tmp_path / "out"):
        pass


def test_atomic_file_write_outside_a_transaction(tmp_path):
    write_file_atomic(tmp_path / "sub" / "m.json", b"{}\n")
    assert (tmp_path / "sub" / "m.json").read_bytes() == b"{}\n"
    assert _names(tmp_path / "sub") == ["m.json"]


def test_unwritable_parent_is_a_usage_error_and_nothing_is_created():
    # /proc refuses new directories even to root, for whom os.access says yes.
    with pytest.raises(UsageError, match="cannot be created: /proc is not writable"):
        check_writable("/proc/synthbank-test/out/x")
