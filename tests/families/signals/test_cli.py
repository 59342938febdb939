"""The signals commands as users run them: pregeneration, static import, one-line refusals."""

import json
import stat

import numpy as np
import yaml

from conftest import MAIN


def sb(run, cwd, *args, check=True):
    return run(["synthbank", *args], cwd, check=check)


def test_pregenerate_writes_a_dataset_and_refuses_bad_values(run, tmp_path):
    out = tmp_path / "pink"
    sb(run, tmp_path, "signals", "generate", "pink_noise", "--channels", "40", "--sample-rate", "160",
       "--duration", "5", "--amplitude-uv-rms", "100", "--seed", "42", "--output-dir", str(out))
    assert sorted(p.name for p in out.iterdir()) == [".synthbank-output.json", "generation_manifest.yaml", "signal.float32", "signal.h5", "spec.yaml"]
    record = yaml.safe_load((out / "generation_manifest.yaml").read_text())
    assert record["dataset"]["channels"] == 40 and record["output"]["samples"] == 800
    assert np.fromfile(out / "signal.float32", dtype="<f4").size == 40 * 800
    # where the files go does not change them: the default name is fixed, not the directory's
    elsewhere = tmp_path / "other_place"
    sb(run, tmp_path, "signals", "generate", "pink_noise", "--channels", "40", "--sample-rate", "160",
       "--duration", "5", "--amplitude-uv-rms", "100", "--seed", "42", "--output-dir", str(elsewhere))
    assert (elsewhere / "signal.float32").read_bytes() == (out / "signal.float32").read_bytes()
    assert record["dataset"]["name"] == "synthetic"
    for args, words in (
        (["pink_noise", "--channels", "5000"], "--channels='5000' is invalid: allowed an integer from 1 to 4096"),
        (["chirp", "--channels", "4"], "signal_type='chirp' is invalid for generator v1"),
        (["pink_noise", "--channels", "4", "--duration", "0.05"], "allowed at least 16 for pink_noise"),
        (["pink_noise", "--channels", "4", "--sample-rate", "fast"], "--sample-rate='fast' is invalid: allowed a number from 1 to 50000"),
    ):
        base = {"--sample-rate": "160", "--duration": "5"}
        extra = [x for k, v in base.items() if k not in args for x in (k, v)]
        proc = sb(run, tmp_path, "signals", "generate", *args, *extra, "--output-dir", str(tmp_path / "bad"), check=False)
        assert proc.returncode == 2, proc.stderr
        assert words in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
        assert not (tmp_path / "bad").exists()


def test_import_makes_an_immutable_checksummed_static_dataset(run, tmp_path):
    rec = tmp_path / "S001R03.float32"
    data = np.random.default_rng(0).standard_normal((480, 8)).astype("<f4")
    data.tofile(rec)
    sb(run, tmp_path, "signals", "import", str(rec), "--format", "float32", "--channels", "8", "--sample-rate", "160")
    out = tmp_path / "static" / "S001R03"
    copied = out / "converted" / "S001R03.float32"
    assert copied.read_bytes() == rec.read_bytes() and not copied.stat().st_mode & stat.S_IWUSR
    spec = yaml.safe_load((out / "spec.yaml").read_text())
    assert spec["format"] == {"type": "float32", "channels": 8, "sample_rate_hz": 160, "endian": "little", "layout": "interleaved"}
    assert spec["recordings"][0]["path"] == "converted/S001R03.float32" and spec["recordings"][0]["samples_per_channel"] == 480
    assert str(tmp_path) not in (out / "spec.yaml").read_text()
    manifest = json.loads((out / "manifest.json").read_text())
    assert [e["path"] for e in manifest["entries"]] == [".synthbank-output.json", "converted/S001R03.float32", "spec.yaml"]
    assert "OK" in sb(run, tmp_path, "verify", str(out / "manifest.json"), "--no-check-params").stdout
    again = sb(run, tmp_path, "signals", "import", str(rec), "--format", "float32", "--channels", "8", "--sample-rate", "160")
    assert "nothing to do" in again.stderr
    rec.write_bytes(rec.read_bytes()[:-32] + bytes(32))
    proc = sb(run, tmp_path, "signals", "import", str(rec), "--format", "float32", "--channels", "8", "--sample-rate", "160", check=False)
    assert proc.returncode == 2 and "static datasets are immutable" in proc.stderr
    proc = sb(run, tmp_path, "signals", "import", str(rec), "--format", "float32", "--channels", "7", "--sample-rate", "160",
              "--name", "other", check=False)
    assert proc.returncode == 2 and "not a positive multiple of 28" in proc.stderr
    proc = sb(run, tmp_path, "signals", "import", str(rec), "--format", "int16", "--channels", "8", "--sample-rate", "160",
              "--name", "other", check=False)
    assert proc.returncode == 2 and "--format='int16' is invalid: allowed one of ['float32']" in proc.stderr
    assert not (tmp_path / "static" / "other").exists()


def _params(tmp_path, mutate):
    data = yaml.safe_load((MAIN / "params.yaml").read_text())
    data["signals"]["datasets"] = {"tiny": {"version": "v2", "channels": 4, "sample_rate_hz": 200,
                                            "params": {"signal_type": "white_noise", "duration_s": 2}}}
    mutate(data["signals"]["datasets"]["tiny"])
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_pipeline_commands_read_params_and_refuse_a_channels_mismatch(run, tmp_path):
    good = _params(tmp_path, lambda d: None)
    sb(run, tmp_path, "generate", "signals", "--dataset", "tiny", "--params", str(good), "--output-dir", "data/signals/tiny")
    sb(run, tmp_path, "validate", "signals", "--dataset", "tiny", "--params", str(good))
    sb(run, tmp_path, "finalize", "signals", "--params", str(good))
    assert json.loads((tmp_path / "metrics" / "signals.json").read_text())["tiny"]["thresholds_met"] is True
    assert "OK" in sb(run, tmp_path, "verify", "manifests/signals.json", "--params", str(good)).stdout
    proc = sb(run, tmp_path, "generate", "signals", "--dataset", "nope", "--params", str(good), check=False)
    assert proc.returncode == 2 and "--dataset='nope' is invalid: allowed one of tiny" in proc.stderr
    bad = _params(tmp_path, lambda d: d["params"].update(channels=1024))
    proc = sb(run, tmp_path, "generate", "signals", "--dataset", "tiny", "--params", str(bad), "--output-dir", "elsewhere", check=False)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "Channels mismatch: params.channels=1024 != dataset.channels=4" in proc.stderr
    assert not (tmp_path / "elsewhere").exists()


def test_validate_exits_1_on_a_violated_threshold(run, tmp_path):
    good = _params(tmp_path, lambda d: None)
    sb(run, tmp_path, "generate", "signals", "--dataset", "tiny", "--params", str(good))
    louder = _params(tmp_path, lambda d: d["params"].update(amplitude_uv_rms=150.0))  # data says 100
    proc = sb(run, tmp_path, "validate", "signals", "--dataset", "tiny", "--params", str(louder), check=False)
    assert proc.returncode == 1 and "rms_rel_error" in proc.stderr
    assert json.loads((tmp_path / "reports/signals/tiny/metrics.json").read_text())["thresholds_met"] is False


SHARED_GENERATE = ("--dataset", "--params", "--output-dir", "--seed", "--workers", "--scheduler", "--progress", "--no-progress",
                   "--yes", "--confirm-above", "--overwrite")


def test_generate_help_lists_every_shared_option(run, tmp_path):
    text = sb(run, tmp_path, "generate", "signals", "--help").stdout
    assert all(flag in text for flag in SHARED_GENERATE), text
    assert "--manifest" not in text  # the family manifest is written by finalize


def test_estimate_prints_json_that_bounds_what_generate_writes(run, tmp_path):
    good = _params(tmp_path, lambda d: None)
    plan = json.loads(sb(run, tmp_path, "estimate", "signals", "--dataset", "tiny", "--params", str(good)).stdout)
    assert (plan["items"], plan["unit"], plan["samples_per_channel"]) == (4, "channels", 400)
    assert not (tmp_path / "data").exists()  # estimate writes nothing
    sb(run, tmp_path, "generate", "signals", "--dataset", "tiny", "--params", str(good))
    written = sum(p.stat().st_size for p in (tmp_path / "data/signals/tiny").iterdir())
    assert written <= plan["disk_bytes"] and plan["memory_bytes"] > 0 and plan["seconds"] >= 0
    every = json.loads(sb(run, tmp_path, "estimate", "signals", "--params", str(good)).stdout)
    assert every["disk_bytes"] == plan["disk_bytes"]  # one dataset: the sum over every dataset is its own


def test_finalize_refuses_one_dataset(run, tmp_path):
    good = _params(tmp_path, lambda d: None)
    proc = sb(run, tmp_path, "finalize", "signals", "--dataset", "tiny", "--params", str(good), check=False)
    # finalize covers every dataset: it has no --dataset option (one line, exit 2, nothing written)
    assert proc.returncode == 2 and proc.stderr.strip().startswith("synthbank: error: No such option: --dataset")
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "manifests").exists() and not (tmp_path / "metrics").exists()
