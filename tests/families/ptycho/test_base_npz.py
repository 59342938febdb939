"""A user's PtychoPINN-style NPZ as the object, probe and scan: round trip, refusals, records."""

import hashlib
import json
import shutil

import h5py
import numpy as np
import pytest
import yaml
from conftest import VENV_BIN
from families.ptycho.helpers import PARAMS, REPO, THRESHOLDS, tiny_section, write_params

from synthbank.families.ptycho.config import SimulationConfig, SweepConfig
from synthbank.families.ptycho.pipeline import base_entry_fields, run_dose
from synthbank.families.ptycho.simulate import design
from synthbank.families.ptycho.stages import run_simulate

SYNTHBANK = VENV_BIN / "synthbank"
BASE = "sources/ptycho/base.npz"


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A working directory with sources/ptycho/ (the path params.yaml may name)."""
    (tmp_path / "sources" / "ptycho").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _save(path, **arrays):
    np.savez(path, **arrays)
    return path


def _good(rng=None, shape=(48, 40), n=16):
    rng = rng or np.random.default_rng(0)
    obj = (rng.uniform(0.5, 1, shape) * np.exp(1j * rng.uniform(-1, 1, shape))).astype(np.complex64)
    probe = np.zeros((n, n), np.complex64)
    probe[4:12, 4:12] = 1
    return {"objectGuess": obj, "probeGuess": probe}


def _dark(rows):
    """A (48, 40) object that transmits only in ``rows``."""
    obj = np.zeros((48, 40), np.complex64)
    obj[rows] = 0.5 + 0.5j
    return obj


def test_an_exported_split_fed_back_gives_the_same_object_probe_and_positions(project, tiny_root):
    shutil.copy(tiny_root / "dose_1000" / "split" / "test.npz", project / BASE)
    with np.load(BASE) as z:
        exported = {k: z[k] for k in ("objectGuess", "probeGuess", "xcoords", "ycoords")}
    section = tiny_section(base_npz=BASE)
    cfg = SimulationConfig.from_params(PARAMS.seed, 1000, section)
    assert cfg.n_positions == len(exported["xcoords"]) and cfg.object_shape == exported["objectGuess"].shape
    d = design(cfg)
    np.testing.assert_array_equal(d.object, exported["objectGuess"])
    np.testing.assert_array_equal(d.probe, exported["probeGuess"])
    np.testing.assert_array_equal(d.positions, np.stack([exported["ycoords"], exported["xcoords"]], axis=1))
    # Every stage runs on it and validates; the split exports give the same positions back.
    sweep = SweepConfig.from_params(PARAMS.seed, PARAMS.release_date, section)
    _, failures = run_dose(sweep, 1000, project / "out", THRESHOLDS)
    assert failures == [], failures
    split = project / "out" / "dose_1000" / "split"
    back = [np.load(split / f"{s}.npz") for s in ("train", "test")]
    got = sorted(zip(np.concatenate([b["ycoords"] for b in back]), np.concatenate([b["xcoords"] for b in back]), strict=True))
    assert got == sorted(zip(exported["ycoords"], exported["xcoords"], strict=True))
    np.testing.assert_array_equal(back[0]["objectGuess"], exported["objectGuess"])
    # Recorded: the path and sha256 in raw.h5, and as a manifest field of raw.h5.
    digest = hashlib.sha256((project / BASE).read_bytes()).hexdigest()
    with h5py.File(project / "out" / "dose_1000" / "simulate" / "raw.h5", "r") as f:
        assert json.loads(f.attrs["params"])["base_npz"] == {"path": BASE, "sha256": digest}
    fields = base_entry_fields(project / "out", [1000], project)
    assert fields == {"out/dose_1000/simulate/raw.h5": {"params": {"base_npz": {"path": BASE, "sha256": digest}}}}


def test_without_positions_the_scan_params_cover_a_rectangular_object(project):
    _save(BASE, **_good())
    cfg = SimulationConfig.from_params(PARAMS.seed, 1000, tiny_section(base_npz=BASE))
    d = design(cfg)
    assert d.object.shape == (48, 40) and len(d.positions) == cfg.n_positions == 6 * 5  # step 6 over 8..40 and 8..32
    assert d.positions[:, 0].max() <= 40 and d.positions[:, 1].max() <= 32 and d.positions.min() >= 8


def test_start_coordinates_are_used_when_the_true_ones_are_absent_and_pickles_are_ignored(project):
    arrays = _good()
    meta = np.array(json.dumps({"physics_parameters": {"nphotons": 1e9}}), dtype=object)  # as PtychoPINN saves it
    _save(BASE, **arrays, xcoords_start=np.array([8.4, 20.0, 31.6]), ycoords_start=np.array([8.0, 24.0, 39.5]),
          diff3d=np.zeros((3, 16, 16), np.float32), _metadata=meta)
    d = design(SimulationConfig.from_params(PARAMS.seed, 1000, tiny_section(base_npz=BASE)))
    np.testing.assert_array_equal(d.positions, [[8, 8], [24, 20], [40, 32]])  # rounded to whole pixels


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a: a.pop("objectGuess"), "key 'objectGuess' is missing"),
        (lambda a: a.update(probeGuess=np.ones((16, 16), np.int32)), "'probeGuess' has dtype int32: allowed complex64"),
        (lambda a: a.update(probeGuess=np.ones((1, 16, 16), np.complex64)), "'probeGuess' has shape (1, 16, 16): allowed a 2-D"),
        (lambda a: a.update(probeGuess=np.ones((15, 15), np.complex64)), "allowed a square N x N probe with N even"),
        (lambda a: a.update(probeGuess=np.zeros((16, 16), np.complex64)), "zero everywhere"),
        (lambda a: a.update(probeGuess=np.ones((48, 48), np.complex64)), "is not smaller than 'objectGuess' (48, 40)"),
        (lambda a: a.update(objectGuess=np.full((48, 40), np.nan, np.complex64)), "NaN or infinite"),
        (lambda a: a.update(objectGuess=np.array([None, 1], dtype=object)), "pickled object array"),
        (lambda a: a.update(xcoords=np.array([8.0, 10.0])), "'xcoords' without 'ycoords'"),
        (lambda a: a.update(xcoords=np.array([8.0, 10.0]), ycoords=np.array([8.0])), "two 1-D arrays of equal length"),
        (lambda a: a.update(xcoords=np.array([8.0, 33.0]), ycoords=np.array([8.0, 9.0])),
         "scan position 1 (x=33.0, y=9.0) puts its patch outside the object: allowed 8 <= x <= 32 and 8 <= y <= 40"),
        (lambda a: a.update(xcoords=np.array([8.0]), ycoords=np.array([8.0])), "1 scan position(s)"),
        (lambda a: a.update(xcoords=np.array(["a", "b"]), ycoords=np.array([8.0, 9.0])), "'xcoords' has dtype <U1"),
        (lambda a: a.update(objectGuess=np.zeros((48, 40), np.complex64)),
         "no transmitted photons under the probe at any scan position ('objectGuess' is zero wherever 'probeGuess' can"),
        (lambda a: a.update(objectGuess=_dark(rows=slice(44, 48))),  # the probe's support (4..11) reaches row 43 at most
         "allowed an object that is non-zero under the probe somewhere"),
        (lambda a: a.update(objectGuess=_dark(rows=slice(20, 48)), xcoords=np.array([8.0, 30.0]), ycoords=np.array([8.0, 8.4])),
         "no transmitted photons under the probe at the 2 scan positions"),
    ],
)
def test_a_bad_base_file_is_refused_with_one_line(project, change, message):
    arrays = _good()
    change(arrays)
    _save(BASE, **arrays)
    with pytest.raises(ValueError) as info:
        SimulationConfig.from_params(PARAMS.seed, 1000, tiny_section(base_npz=BASE))
    text = str(info.value)
    assert text.startswith(f"base_npz={BASE} is invalid: ") and message in text and "\n" not in text, text


def test_a_base_object_the_probe_sees_through_only_where_the_scan_misses_is_refused(project):
    """Reachable rows 42..43 (corner 32, probe rows 4..11) but the raster (no jitter) stops at y=38: rows <= 41."""
    _save(BASE, objectGuess=_dark(rows=slice(42, 44)), probeGuess=_good()["probeGuess"])
    section = tiny_section(base_npz=BASE)
    section["scan"]["jitter_px"] = 0.0
    with pytest.raises(ValueError) as info:
        SimulationConfig.from_params(PARAMS.seed, 1000, section)
    assert str(info.value) == (
        f"base_npz={BASE} is invalid: no transmitted photons under the probe at the 30 scan positions ('objectGuess' is "
        "zero wherever 'probeGuess' is not): allowed an object that is non-zero under the probe at some scan position"
    )
    _save(BASE, objectGuess=_dark(rows=slice(41, 42)), probeGuess=_good()["probeGuess"])  # row 41: seen at y=38
    d = design(SimulationConfig.from_params(PARAMS.seed, 1000, section))
    assert d.unit_mean > 0


def test_not_a_zip_and_a_path_outside_sources_are_refused(project):
    (project / BASE).write_bytes(b"not an npz")
    with pytest.raises(ValueError) as info:
        SimulationConfig.from_params(PARAMS.seed, 1000, tiny_section(base_npz=BASE))
    assert str(info.value) == f"base_npz={BASE} is invalid: is not an NPZ (zip) file: allowed a file written by numpy.savez"
    np.save(project / BASE, np.zeros(3))  # np.save keeps the name when it ends in .npy only: BASE + ".npy"
    (project / (BASE + ".npy")).replace(project / BASE)
    with pytest.raises(ValueError, match="a single .npy array, not an NPZ: allowed a file written by numpy.savez"):
        SimulationConfig.from_params(PARAMS.seed, 1000, tiny_section(base_npz=BASE))
    with pytest.raises(ValueError, match=r"allowed a string matching \^sources/ptycho/"):
        SimulationConfig.from_params(PARAMS.seed, 1000, tiny_section(base_npz="elsewhere/base.npz"))


def test_a_file_changed_after_the_config_read_it_is_refused(project, tmp_path):
    _save(BASE, **_good())
    cfg = SimulationConfig.from_params(PARAMS.seed, 1000, tiny_section(base_npz=BASE))
    _save(BASE, **_good(np.random.default_rng(1)))
    with pytest.raises(ValueError, match="changed during the run"):
        run_simulate(cfg, tmp_path / "simulate")
    assert not (tmp_path / "simulate").exists()


def test_the_cli_option_and_the_dvc_dependency(run, project):
    params = write_params(project / "params.yaml", tiny_section())
    _save(BASE, **_good())
    out = project / "sim" / "simulate"
    run([SYNTHBANK, "generate", "ptycho", "--dose", "1000", "--base-npz", BASE, "--output-dir", out, "--params", params], project)
    with h5py.File(out / "raw.h5", "r") as f:
        assert f["object"].shape == (48, 40) and json.loads(f.attrs["params"])["base_npz"]["path"] == BASE
        assert f.attrs["photon_scale"] > 0 and f.attrs["probe_photons"] > 1000
    bad = run([SYNTHBANK, "generate", "ptycho", "--dose", "1000", "--base-npz", "sources/ptycho/none.npz",
               "--output-dir", project / "sim2" / "simulate", "--params", params], project, check=False)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "does not exist" in bad.stderr
    assert not (project / "sim2").exists()
    _save(BASE, **{**_good(), "objectGuess": np.zeros((48, 40), np.complex64)})  # no transmission: refused up front
    for args in (["estimate", "ptycho"], ["generate", "ptycho", "--dose", "1000", "--output-dir", project / "sim3" / "simulate"]):
        dark = run([SYNTHBANK, *args, "--base-npz", BASE, "--params", params], project, check=False)
        assert dark.returncode == 2 and len(dark.stderr.strip().splitlines()) == 1, dark.stderr
        assert "no transmitted photons under the probe" in dark.stderr and "Traceback" not in dark.stderr
    assert not (project / "sim3").exists()
    # DVC reruns the simulation when a file in sources/ptycho changes: the stage depends on the directory.
    stages = yaml.safe_load((REPO / "dvc.yaml").read_text("utf-8"))["stages"]
    assert "sources/ptycho" in stages["generate_ptycho"]["deps"] and "ptycho.base_npz" in stages["generate_ptycho"]["params"]
    assert (REPO / "sources" / "ptycho" / "README.md").is_file()
