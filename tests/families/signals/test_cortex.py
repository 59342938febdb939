"""Every signals dataset directory read by CORTEX's rules (tests/families/signals/cortex_reader.py)."""

import shutil

import h5py
import numpy as np
import pytest
import yaml
from families.signals.cortex_reader import calibration_geometry, is_generator_dataset, read_dataset_spec, read_samples
from families.signals.helpers import REPO, spec

from synthbank import checksums
from synthbank.families.signals import cortex, layout
from synthbank.families.signals.build import build
from synthbank.families.signals.static import import_static
from synthbank.families.signals.validate import METRICS_NAME, validate

#: Small datasets of every type; 70 channels, so CORTEX's 64-channel default would misread each.
DATASETS = {
    "sine": spec("sine", "v3", 70, 500, signal_type="sine_wave", duration_s=2, frequency_hz=10.0),
    "chirp_nan": spec("chirp_nan", "v3", 70, 250, signal_type="chirp", duration_s=2, dc_offset_uv=25.0, nan_rate=0.01),
    "white": spec("white", "v2", 70, 1000, signal_type="white_noise", duration_s=1),
    "pink_odd_rate": spec("pink_odd_rate", "v1", 70, 160.5, signal_type="pink_noise", duration_s=2),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("cortex")
    for name, s in DATASETS.items():
        build(s, root / name, "2026-11-22")
    return root


@pytest.mark.parametrize("name", DATASETS)
def test_cortex_reads_the_hdf5_array_through_spec_yaml(built, name):
    s, out = DATASETS[name], built / name
    info = read_dataset_spec(out)
    assert info["data_path"] == out / layout.FLOAT32_NAME
    assert (info["channels"], info["sample_rate_hz"]) == (70, cortex.rate_value(s.sample_rate_hz))
    assert calibration_geometry(info)["samples_per_channel"] == s.n_samples
    assert not is_generator_dataset(out)
    with h5py.File(out / layout.HDF5_NAME) as f:
        stored = f[layout.DATASET][...]
    samples = read_samples(out)
    assert samples.shape == stored.shape == (s.n_samples, 70)
    np.testing.assert_array_equal(samples.view(np.uint32), stored.view(np.uint32))  # bit for bit, NaNs included
    assert cortex.check(out, s.channels, s.sample_rate_hz) == []


def test_spec_yaml_content_and_bytes(built):
    s, out = DATASETS["chirp_nan"], built / "chirp_nan"
    text = (out / cortex.SPEC_NAME).read_text("utf-8")
    digest = checksums.digest_file(out / layout.FLOAT32_NAME)
    assert yaml.safe_load(text) == {
        "dataset": {"name": "chirp_nan", "description": "synthbank signals generator v3: chirp, 70 channels at 250 Hz, "
                    "500 samples per channel", "type": "generated", "license": "CC0-1.0"},
        "format": {"type": "float32", "channels": 70, "sample_rate_hz": 250, "endian": "little", "layout": "interleaved"},
        "recordings": [{"id": "signal", "path": "signal.float32", "file": "signal.float32", "duration_seconds": 2.0,
                        "samples_per_channel": 500, "units": "microvolts (uV)", "checksum": f"sha256:{digest.sha256}"}],
    }
    assert text == cortex.dumps(cortex.generated_spec(s, digest.sha256)) and text.isascii()
    # a rate that is not whole stays exact (CORTEX's own tools take int(rate): 160 for 160.5)
    assert yaml.safe_load((built / "pink_odd_rate" / cortex.SPEC_NAME).read_text())["format"]["sample_rate_hz"] == 160.5


def test_the_old_failure_a_bare_file_is_read_as_64_channels(built):
    """Without spec.yaml CORTEX refuses the directory and reads the bare file as 64 channels (issue 15)."""
    out = built / "white"
    bare = calibration_geometry(read_dataset_spec(out / layout.FLOAT32_NAME))
    assert (bare["channels"], bare["samples_per_channel"]) == (64, 1000 * 70 // 64)  # wrong: 1093 x 64
    assert calibration_geometry(read_dataset_spec(out))["channels"] == 70  # through spec.yaml: right


def test_static_import_is_a_cortex_dataset(tmp_path):
    data = np.random.default_rng(3).standard_normal((480, 70)).astype("<f4")
    data[5, 6] = np.nan
    source = tmp_path / "S001R03.float32"
    data.tofile(source)
    out = tmp_path / "static" / "S001R03"
    import_static(source, out, "S001R03", "float32", 70, 160.0, 42, "2026-11-22")
    info = read_dataset_spec(out)
    assert info["data_path"] == out / "converted" / "S001R03.float32" and (info["channels"], info["sample_rate_hz"]) == (70, 160)
    assert not is_generator_dataset(out)
    np.testing.assert_array_equal(read_samples(out).view(np.uint32), data.view(np.uint32))
    assert yaml.safe_load((out / "spec.yaml").read_text())["dataset"]["type"] == "static"
    assert cortex.check(out, 70, 160.0) == []


@pytest.mark.parametrize(("edit", "words"), [
    (lambda d: (d / "spec.yaml").unlink(), "is missing: CORTEX refuses"),
    (lambda d: _edit(d, lambda s: s.update(recordings=[])), "'recordings' is missing or empty"),
    (lambda d: _edit(d, lambda s: s["format"].update(channels=64)), "format.channels=64, the dataset has 70"),
    (lambda d: _edit(d, lambda s: s["format"].pop("channels")), "allowed a positive integer (CORTEX reads 64 otherwise)"),
    (lambda d: _edit(d, lambda s: s["format"].update(layout="channel-major")), "format.layout='channel-major'"),
    (lambda d: _edit(d, lambda s: s["format"].update(sample_rate_hz=160)), "format.sample_rate_hz=160, the dataset has 500"),
    (lambda d: _edit(d, lambda s: s["dataset"].update(type="generator")), "makes CORTEX run a generator.py"),
    (lambda d: _edit(d, lambda s: s["recordings"][0].update(path="data.float32")), "data.float32 does not exist"),
    (lambda d: (d / layout.FLOAT32_NAME).write_bytes((d / layout.FLOAT32_NAME).read_bytes()[:-4]),
     "is not a whole number of 70-channel float32 samples"),
])
def test_what_cortex_would_refuse_or_misread_fails_validation(built, tmp_path, edit, words):
    s, out = DATASETS["sine"], tmp_path / "sine"
    shutil.copytree(built / "sine", out)
    edit(out)
    problems = cortex.check(out, s.channels, s.sample_rate_hz)
    assert any(words in p for p in problems), problems
    thresholds = yaml.safe_load((REPO / "params.yaml").read_text())["signals"]["thresholds"]
    failures = validate(out, s, tmp_path / "r" / METRICS_NAME, tmp_path / "r", thresholds)
    assert any(f.startswith("signals: sine: cortex_spec_valid = false: allowed true") for f in failures), failures


def _edit(directory, change):
    path = directory / "spec.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(cortex.dumps(data))
