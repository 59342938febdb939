"""Canonicalisation of the native simulate output and of external legacy NPZ inputs."""

import h5py
import numpy as np
import pytest

from synthbank.errors import UsageError
from synthbank.families.ptycho.canonical import canonicalise, from_legacy, to_nhw
from synthbank.families.ptycho.stages import run_canonicalise


def _legacy(n=5, h=8, order="NHW", seed=0):
    rng = np.random.default_rng(seed)
    counts = rng.integers(0, 60000, size=(n, h, h)).astype(np.uint16)
    arrays = {
        "diff3d": counts if order == "NHW" else np.ascontiguousarray(np.moveaxis(counts, 0, 2)),
        "objectGuess": (rng.random((20, 20)) + 1j * rng.random((20, 20))).astype(np.complex128),
        "probeGuess": np.ones((h, h), np.complex128),
        "xcoords": np.arange(n, dtype=np.int32), "ycoords": np.arange(n, dtype=np.float32) * 2,
    }
    return counts, arrays


@pytest.mark.parametrize("order", ["NHW", "HWN"])
def test_legacy_uint16_intensity_in_either_order_becomes_the_contract(order):
    counts, arrays = _legacy(order=order)
    c = from_legacy(arrays)
    assert c["diffraction"].dtype == np.float32 and c["diffraction"].shape == (5, 8, 8)
    np.testing.assert_array_equal(c["diffraction"], np.sqrt(counts.astype(np.float32)))
    assert np.array_equal(np.rint(c["diffraction"].astype(np.float64) ** 2), counts)
    assert c["objectGuess"].dtype == np.complex64 and c["probeGuess"].dtype == np.complex64
    assert c["xcoords"].dtype == np.float64 and c["ycoords"].dtype == np.float64 and c["ycoords"][2] == 4.0


def test_ambiguous_or_wrong_shapes_are_refused():
    counts = np.zeros((8, 8, 8), np.uint16)
    with pytest.raises(ValueError, match="fits both NHW and HWN"):
        to_nhw(counts, 8, (8, 8))
    assert to_nhw(counts, 8, (8, 8), "HWN").shape == (8, 8, 8)
    with pytest.raises(ValueError, match="fits neither"):
        to_nhw(np.zeros((5, 9, 8)), 5, (8, 8))
    with pytest.raises(ValueError, match="is not HWN"):
        to_nhw(np.zeros((5, 8, 8)), 5, (8, 8), "HWN")
    with pytest.raises(ValueError, match="lacks key"):
        from_legacy({"diff3d": counts})
    with pytest.raises(ValueError, match="finite and >= 0"):
        canonicalise(-np.ones((2, 8, 8)), np.ones((9, 9)), np.ones((8, 8)), [0, 1], [0, 1])
    with pytest.raises(ValueError, match="equal lengths"):
        canonicalise(np.ones((2, 8, 8)), np.ones((9, 9)), np.ones((8, 8)), [0, 1], [0])


def test_run_canonicalise_on_a_legacy_npz_file(tmp_path):
    counts, arrays = _legacy(n=6, h=8, order="HWN", seed=3)
    np.savez(tmp_path / "legacy.npz", **arrays)
    out = run_canonicalise(tmp_path / "legacy.npz", tmp_path / "canon", dose=500)
    assert out == {"patterns": 6, "dose": 500}
    with h5py.File(tmp_path / "canon" / "canonical.h5") as f:
        assert f["diffraction"].shape == (6, 8, 8) and f["diffraction"].dtype == np.float32
        assert list(f["diffraction"].attrs["axes"]) == ["frame", "detector_y", "detector_x"]
        assert np.array_equal(np.rint(f["diffraction"][...].astype(np.float64) ** 2), counts)
        assert f.attrs["dose"] == 500 and "legacy npz" in f.attrs["params"]
    with pytest.raises(UsageError, match="fits both"):
        square = dict(arrays, diff3d=np.zeros((8, 8, 8), np.uint16), xcoords=np.arange(8.0), ycoords=np.arange(8.0))
        np.savez(tmp_path / "square.npz", **square)
        run_canonicalise(tmp_path / "square.npz", tmp_path / "canon2")
    assert not (tmp_path / "canon2").exists()


def test_native_output_round_trips_to_the_simulated_counts(tiny_root):
    d = tiny_root / "dose_1000"
    with h5py.File(d / "simulate" / "raw.h5") as raw, h5py.File(d / "canonical" / "canonical.h5") as can:
        assert raw["counts"].dtype == np.uint32 and list(raw["counts"].attrs["axes"])[-1] == "frame"
        counts = np.moveaxis(raw["counts"][...], 2, 0)
        amp = can["diffraction"][...]
        assert np.array_equal(np.rint(amp.astype(np.float64) ** 2), counts)
        assert np.array_equal(can["xcoords"][...], raw["positions"][:, 1])
        assert np.array_equal(can["objectGuess"][...], raw["object"][...])
        assert can.attrs["dose"] == 1000 and '"dose": 1000' in can.attrs["params"]
