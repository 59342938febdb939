import pytest

from synthbank.errors import UsageError
from synthbank.io.staging import check_writable, staged_dir, write_file_atomic


def test_success_replaces_the_old_directory_whole(tmp_path):
    final = tmp_path / "out"
    final.mkdir()
    (final / "old.txt").write_text("old")
    with staged_dir(final) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".out.")
        (tmp / "new.txt").write_text("new")
        assert (final / "old.txt").exists()  # untouched until the end
    assert sorted(p.name for p in final.iterdir()) == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_failure_leaves_final_untouched_and_no_leftovers(tmp_path):
    final = tmp_path / "out"
    final.mkdir()
    (final / "old.txt").write_text("old")
    with pytest.raises(RuntimeError):
        with staged_dir(final) as tmp:
            (tmp / "half.bin").write_bytes(b"x")
            raise RuntimeError("killed")
    assert [p.name for p in final.iterdir()] == ["old.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_leftovers_of_a_killed_run_are_removed(tmp_path):
    stale = tmp_path / ".out.abc123.tmp"
    stale.mkdir()
    (stale / "partial").write_bytes(b"x")
    with staged_dir(tmp_path / "out") as tmp:
        (tmp / "a").write_text("a")
    assert not stale.exists()


def test_leftover_of_a_run_killed_between_the_two_renames(tmp_path):
    final = tmp_path / "out"
    final.mkdir()
    (tmp_path / ".out.old.tmp").mkdir()  # killed after moving the old output aside
    (tmp_path / ".out.old.tmp" / "stale").write_text("x")
    with staged_dir(final) as tmp:
        (tmp / "new").write_text("n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert [p.name for p in final.iterdir()] == ["new"]


def test_atomic_file_write(tmp_path):
    write_file_atomic(tmp_path / "sub" / "m.json", b"{}\n")
    assert (tmp_path / "sub" / "m.json").read_bytes() == b"{}\n"
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["m.json"]


def test_unwritable_parent_is_a_usage_error_and_nothing_is_created():
    # /proc refuses new directories even to root, for whom os.access says yes.
    with pytest.raises(UsageError, match="cannot be created: /proc is not writable"):
        check_writable("/proc/synthbank-test/out/x")


def test_check_writable_creates_nothing(tmp_path):
    check_writable(tmp_path / "new" / "deeper" / "out")
    assert list(tmp_path.iterdir()) == []


def test_parent_that_is_a_file_is_a_usage_error(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="cannot be created"):
        check_writable(tmp_path / "file" / "out" / "x")
