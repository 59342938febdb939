"""`make interop`'s discovery (scripts/interop/common.py): which directories each reader is given.

The readers themselves (torch, TensorFlow) are not in the test venv; this covers only the
standard-library part that decides what they read, on the new and the old energy layouts.
"""

import importlib.util
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
INTEROP = REPO / "scripts" / "interop"


def _common():
    spec = importlib.util.spec_from_file_location("interop_common", INTEROP / "common.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")


def test_well_layout_gives_one_dataset_per_resolution_and_no_loose_files(tmp_path):
    common = _common()
    energy = tmp_path / "energy"
    for h in (64, 128):
        d = energy / "plasma" / f"synthbank_energy_plasma_{h}"
        _touch(d / "stats.yaml")
        for split in ("train", "valid", "test"):
            _touch(d / "data" / split / f"{d.name}_{split}.h5")
    assert common.find_well_datasets(energy) == [energy / "plasma" / "synthbank_energy_plasma_128",
                                                 energy / "plasma" / "synthbank_energy_plasma_64"]
    # Split directories hold files but are not loose-file directories.
    assert common.find_flat_hdf5_dirs(energy) == []


def test_old_layout_gives_the_domain_directories_as_loose_files(tmp_path):
    common = _common()
    energy = tmp_path / "energy"
    for res in (64, 128):
        _touch(energy / "active_matter" / f"active_matter_{res}.h5")
    _touch(energy / "astrophysics" / "astrophysics_64.hdf5")
    assert common.find_well_datasets(energy) == []
    assert common.find_flat_hdf5_dirs(energy) == [energy / "active_matter", energy / "astrophysics"]


def test_signal_datasets_are_directories_with_a_recording_or_a_spec(tmp_path):
    common = _common()
    signals = tmp_path / "signals"
    _touch(signals / "a_64ch" / "signal.float32")
    _touch(signals / "b_128ch" / "spec.yaml")
    _touch(signals / "notes" / "README.md")
    assert common.find_signal_datasets(signals) == [signals / "a_64ch", signals / "b_128ch"]
    assert common.find_signal_datasets(tmp_path / "absent") == []


def test_runner_refuses_an_unknown_family_with_one_line_and_exit_2(tmp_path):
    result = subprocess.run([sys.executable, str(INTEROP / "run.py"), "--data", str(tmp_path),
                             "--only", "energy", "nosuch"], capture_output=True, text=True)
    assert result.returncode == 2
    assert "unknown family nosuch" in result.stderr and "allowed: hdf5" in result.stderr
    assert result.stdout == ""
