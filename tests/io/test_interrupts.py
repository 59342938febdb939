"""Signals at step boundaries (:mod:`synthbank.io.interrupts`): an interrupt during a commit
waits for its end."""

import pytest

from synthbank.io.staging import staged_dir, transaction, write_file_atomic


def _names(path):
    return sorted(p.name for p in path.iterdir())


@pytest.mark.parametrize("at", ["moved old data aside", "renamed data into place", "renamed m.json into place"])
def test_an_interrupt_during_the_commit_waits_for_its_end(tmp_path, monkeypatch, capfd, at):
    # SIGINT raised between the renames is delivered after the commit: the outputs are
    # switched completely, and nothing staged is removed.
    from synthbank.io import interrupts

    data, manifest = tmp_path / "data", tmp_path / "m.json"
    with staged_dir(data, "atomic") as tmp:
        (tmp / "f").write_text("old")
    monkeypatch.setenv(interrupts.TRACE_ENV, "1")
    monkeypatch.setattr(interrupts, "_steps", 0)
    with transaction("atomic", manifest=manifest) as tx:
        (tx.stage_dir(data) / "f").write_text("new")
        write_file_atomic(manifest, b'{"family": "atomic", "entries": [], "run": 1}')
    steps = [line.split(": ", 2)[2] for line in capfd.readouterr().err.splitlines()]
    monkeypatch.setattr(interrupts, "_steps", 0)
    monkeypatch.setenv(interrupts.KILL_ENV, str(steps.index(at) + 1))
    monkeypatch.setenv(interrupts.KILL_SIGNAL_ENV, "SIGINT")
    with pytest.raises(KeyboardInterrupt):
        with transaction("atomic", manifest=manifest) as tx:
            (tx.stage_dir(data) / "f").write_text("newer")
            write_file_atomic(manifest, b'{"family": "atomic", "entries": [], "run": 2}')
    assert (data / "f").read_text() == "newer" and manifest.read_bytes() == b'{"family": "atomic", "entries": [], "run": 2}'
    assert _names(tmp_path) == ["data", "m.json"]

