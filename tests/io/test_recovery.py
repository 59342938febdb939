"""Recovery of interrupted commits (:mod:`synthbank.io.recovery`): roll forward, roll back,
and an unreadable journal that stops everything."""

import json

import pytest

from synthbank.errors import UsageError
from synthbank.io import guard
from synthbank.io.recovery import pending_commit, recover


def _names(path):
    return sorted(p.name for p in path.iterdir())


def _interrupted(tmp_path, journals=(".data.commit.json", ".m.json.commit.json"), moved_aside=True):
    """The state of a run killed inside its commit: new data and manifest staged, the old
    data moved aside (or not), journals written beside the outputs named in ``journals``."""
    data, manifest = tmp_path / "data", tmp_path / "m.json"
    staged_data = tmp_path / ".data.synthbank-stage.abcdefgh.tmp"
    staged_manifest = tmp_path / ".m.json.synthbank-stage.ijklmnop.tmp"
    old = tmp_path / ".data.synthbank-old.abcdefgh.tmp"
    staged_data.mkdir()
    (staged_data / "f").write_text("new")
    staged_manifest.write_text("new manifest")
    (old if moved_aside else data).mkdir()
    ((old if moved_aside else data) / "f").write_text("old")
    manifest.write_text("old manifest")
    plan = [
        {"kind": "dir", "final": str(data), "tmp": str(staged_data), "old": str(old)},
        {"kind": "file", "final": str(manifest), "tmp": str(staged_manifest), "old": str(tmp_path / ".m.json.synthbank-old.ijklmnop.tmp")},
    ]
    for name in journals:
        (tmp_path / name).write_text(json.dumps({"format": "synthbank-commit/1", "items": plan}))
    return data, manifest


@pytest.mark.parametrize("first", ["data", "manifest"])
def test_recover_finishes_a_decided_commit_from_either_output(tmp_path, first):
    data, manifest = _interrupted(tmp_path)
    assert pending_commit(data) is not None
    with guard.OutputLock(data if first == "data" else manifest):
        assert recover(data if first == "data" else manifest) is True
    assert (data / "f").read_text() == "new" and manifest.read_text() == "new manifest"
    assert _names(tmp_path) == ["data", "m.json"]
    assert pending_commit(data) is None and recover(data) is False


@pytest.mark.parametrize("first", ["data", "manifest"])
def test_recover_rolls_back_a_commit_killed_while_writing_its_journals(tmp_path, first):
    # Killed after the journal beside the data, before the one beside the manifest: the
    # commit was not decided, whichever output the next run touches first.
    data, manifest = _interrupted(tmp_path, journals=(".data.commit.json",), moved_aside=False)
    recover(data if first == "data" else manifest)
    recover(manifest if first == "data" else data)
    assert (data / "f").read_text() == "old" and manifest.read_text() == "old manifest"
    assert _names(tmp_path) == ["data", "m.json"]


@pytest.mark.parametrize("text", ["", "{", '{"format": "synthbank-commit/9", "items": []}', '{"format": "synthbank-commit/1"}'])
def test_an_unreadable_journal_touches_nothing(tmp_path, text):
    data, manifest = _interrupted(tmp_path)
    (tmp_path / ".data.commit.json").write_text(text)
    before = {p.name for p in tmp_path.iterdir()}
    with pytest.raises(UsageError, match=r"\.data\.commit\.json is the journal of an interrupted commit but cannot be read .*nothing was touched"):
        recover(data)
    assert {p.name for p in tmp_path.iterdir()} == before

