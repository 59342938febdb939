"""End to end in a throwaway copy of the project: the signals stages under real dvc."""

import json
import re

import numpy as np
import pytest

from conftest import make_project

SMALL = """signals:
  datasets:
    sine_small:
      version: v1
      channels: 8
      sample_rate_hz: 250
      params: {signal_type: sine_wave, duration_s: 4, frequency_hz: 10.0}
    pink_small:
      version: v1
      channels: 40
      sample_rate_hz: 160
      params: {signal_type: pink_noise, duration_s: 60}
    chirp_small:
      version: v2
      channels: 8
      sample_rate_hz: 250
      params: {signal_type: chirp, duration_s: 8, dc_offset_uv: 10.0, nan_rate: 0.01}
  thresholds:
"""


def shrink(project):
    """Replace the signals datasets of the copy's params.yaml by small ones (thresholds kept)."""
    path = project.path / "params.yaml"
    text = path.read_text()
    text, n = re.subn(r"(?ms)^signals:\n.*?^  thresholds:\n", SMALL, text)
    assert n == 1
    path.write_text(text)
    project.commit("small signals datasets")


@pytest.mark.slow
def test_signals_stages_repro_verify_plots_and_static_import(tmp_path, run):
    project = make_project(tmp_path, run)
    shrink(project)
    out = project.run("dvc", "repro", "finalize_signals").stdout
    assert "generate_signals@pink_small" in out and "validate_signals@chirp_small" in out
    again = project.run("dvc", "repro", "finalize_signals").stdout
    assert "Running stage" not in again
    assert "OK manifests/signals.json: 15 files" in project.run("synthbank", "verify", "manifests/signals.json").stdout
    metrics = json.loads((project.path / "metrics/signals.json").read_text())
    assert metrics["thresholds_met"] is True and set(metrics) == {"sine_small", "pink_small", "chirp_small", "thresholds_met"}
    assert abs(metrics["pink_small"]["psd_slope"] + 1) < 0.05
    plots = json.loads(project.run("dvc", "plots", "show", "--json", "reports/signals/pink_small/psd.csv").stdout)
    content = plots["data"]["reports/signals/pink_small/psd.csv"][0]["content"]
    assert content["encoding"]["x"]["scale"] == {"type": "log"} and content["encoding"]["y"]["scale"] == {"type": "log"}
    # a static recording: imported, checksummed, tracked by dvc
    np.arange(160 * 8, dtype="<f4").tofile(project.path / "rec.float32")
    project.run("synthbank", "signals", "import", "rec.float32", "--format", "float32", "--channels", "8", "--sample-rate", "160")
    project.run("dvc", "add", "static/rec")
    assert (project.path / "static/rec.dvc").is_file()
    assert "OK" in project.run("synthbank", "verify", "static/rec/manifest.json", "--no-check-params").stdout
