"""Generation and validation as tasks: the same files for every worker count; tasks that can
travel to another process or machine (module-level functions, picklable, absolute paths)."""

import pickle
import re

import pytest

from conftest import MAIN, tree_bytes
from families.signals.helpers import spec
from synthbank.families.signals.build import ChannelBlock, generate_channels
from synthbank.families.signals.generate import channel_block
from synthbank.families.signals.validate import ReadBlock, read_block_stats

#: Small datasets: 40 channels are two validation blocks of 32 channels and a partial one of 8.
SMALL = """signals:
  datasets:
    sine_small:
      version: v3
      channels: 8
      sample_rate_hz: 250
      params: {signal_type: sine_wave, duration_s: 4, amplitude_uv_peak: 50.0, frequency_hz: 10.0}
    pink_small:
      version: v3
      channels: 40
      sample_rate_hz: 160
      params: {signal_type: pink_noise, duration_s: 30, amplitude_uv_rms: 100.0}
    chirp_small:
      version: v3
      channels: 40
      sample_rate_hz: 250
      params: {signal_type: chirp, duration_s: 8, amplitude_uv_peak: 80.0, chirp_start_hz: 1.0, chirp_end_hz: 40.0,
               dc_offset_uv: 10.0, nan_rate: 0.01}
  thresholds:
"""


def _project(root):
    text, n = re.subn(r"(?ms)^signals:\n.*?^  thresholds:\n", SMALL, (MAIN / "params.yaml").read_text())
    assert n == 1
    root.mkdir()
    (root / "params.yaml").write_text(text)
    return root


@pytest.mark.parametrize("dataset", ["sine_small", "pink_small", "chirp_small"])
def test_generate_and_validate_give_the_same_files_for_1_and_2_workers(run, tmp_path, dataset):
    outputs = []
    for workers in ("1", "2"):
        cwd = _project(tmp_path / f"w{workers}")
        run(["synthbank", "generate", "signals", "--dataset", dataset, "--output-dir", f"data/signals/{dataset}",
             "--workers", workers, "--yes"], cwd)
        run(["synthbank", "validate", "signals", "--dataset", dataset, "--data-dir", f"data/signals/{dataset}",
             "--report-dir", f"reports/signals/{dataset}", "--workers", workers], cwd)
        outputs.append({**tree_bytes(cwd / "data"), **tree_bytes(cwd / "reports")})
    assert sorted(outputs[0]) == [f"signals/{dataset}/{name}" for name in (
        ".synthbank-output.json", "generation_manifest.yaml", "metrics.json", "psd.csv", "signal.float32", "signal.h5",
        "spec.yaml")]
    assert outputs[0] == outputs[1]


def test_tasks_are_picklable_and_carry_absolute_paths(tmp_path, monkeypatch):
    from synthbank.families.signals.build import build

    s = spec(channels=8, rate=160, duration_s=2)
    task = ChannelBlock(s, 2, 5)
    assert (generate_channels(pickle.loads(pickle.dumps(task))) == channel_block(s, 2, 5)).all()
    monkeypatch.chdir(tmp_path)
    build(s, tmp_path / "out", "2026-11-22")
    block = ReadBlock(s, str(tmp_path / "out" / "signal.h5"), 0, 8)
    monkeypatch.chdir("/")  # a worker's cwd is not the driver's
    stats = read_block_stats(pickle.loads(pickle.dumps(block)))
    assert (stats.first, stats.channels, stats.finite) == (0, 8, 8 * s.n_samples)
    assert pickle.loads(pickle.dumps(stats)).power.tolist() == stats.power.tolist()
