"""Each split's NPZ opens with PtychoPINN's own read paths (RawData.from_file, load_data), unchanged.

Their modules need tensorflow, so the read paths are reimplemented line for line in
``ptychopinn_read.py`` (what each reads, with which call, and the checks it makes).
"""

import json

import h5py
import numpy as np
import pytest
from families.ptycho import ptychopinn_read as pp

from synthbank.families.ptycho import VERSION
from synthbank.families.ptycho.layout import NPZ_KEYS


@pytest.fixture(scope="module", params=["train", "test"])
def npz_path(request, tiny_root):
    return tiny_root / "dose_1000" / "split" / f"{request.param}.npz"


def test_from_file_reads_every_key_with_their_dtypes_and_shapes(npz_path):
    raw = pp.from_file(npz_path)
    n, N = len(raw.xcoords), raw.probeGuess.shape[0]
    assert raw.diff3d.shape == (n, N, N) and raw.diff3d.dtype == np.float32  # spec: diff3d (M, N, N) float32
    assert raw.xcoords.dtype == raw.ycoords.dtype == np.float64
    assert raw.probeGuess.dtype == raw.objectGuess.dtype == np.complex64
    assert raw.scan_index.dtype == np.int64 and not raw.scan_index.any()  # one scan, one probe (Ptychodus index 0)
    np.testing.assert_array_equal(raw.xcoords_start, raw.xcoords)  # read from the file, not their default
    assert pp.get_nphotons(raw.metadata) == 1000  # the dose, PtychoPINN's nphotons (not their 1e9 default)
    assert raw.metadata["physics_parameters"] == {"N": N, "gridsize": 2, "nphotons": 1000}
    assert raw.metadata["creation_info"]["synthbank_ptycho_version"] == VERSION


def test_load_data_reads_the_same_arrays_without_pickles(npz_path):
    with np.load(npz_path, allow_pickle=False) as z:  # nothing in it needs pickle
        assert list(z.files) == list(NPZ_KEYS)
        stored = {k: z[k] for k in z.files}
    raw = pp.load_data(npz_path)
    n = len(stored["xcoords"])
    np.testing.assert_array_equal(raw.diff3d, stored["diff3d"])  # diff3d chosen before "diffraction"
    np.testing.assert_array_equal(raw.diff3d, stored["diffraction"])
    assert raw.Y is not None and raw.Y.shape == (n, *stored["probeGuess"].shape)  # per-image Y kept, not dropped
    np.testing.assert_array_equal(raw.ycoords_start, stored["ycoords"])
    assert stored["_metadata"].shape == () and json.loads(str(stored["_metadata"].item()))["physics_parameters"]["nphotons"] == 1000


def test_diff3d_is_the_amplitude_sqrt_counts_and_their_normalisation_is_finite(npz_path):
    raw = pp.from_file(npz_path)
    with np.load(npz_path) as z:
        rows = z["pattern_index"]
    with h5py.File(npz_path.parents[1] / "simulate" / "raw.h5", "r") as f:
        counts = np.moveaxis(f["counts"][...], 2, 0)[rows]
    np.testing.assert_array_equal(np.rint(raw.diff3d.astype(np.float64) ** 2), counts)
    x = pp.normalize_data(raw.diff3d, raw.probeGuess.shape[0])
    assert x.dtype == np.float32 and np.isfinite(x).all()
    N = raw.probeGuess.shape[0]
    assert np.mean(np.sum(x.astype(np.float64) ** 2, axis=(1, 2))) == pytest.approx((N / 2) ** 2, rel=1e-5)


def test_ground_truth_patches_follow_their_centre_convention(npz_path):
    """PtychoPINN's get_image_patches pads by N/2 and crops: the patch centred on (ycoords, xcoords)."""
    raw = pp.load_data(npz_path)
    N = raw.probeGuess.shape[0]
    for i in (0, len(raw.xcoords) // 2, len(raw.xcoords) - 1):
        y, x = int(raw.ycoords[i]) - N // 2, int(raw.xcoords[i]) - N // 2
        np.testing.assert_array_equal(raw.Y[i], raw.objectGuess[y : y + N, x : x + N])


def test_a_file_without_diff3d_or_start_coordinates_is_refused_by_their_readers(npz_path, tmp_path):
    """The keys this export adds are the ones their readers would otherwise fail on (issue 15)."""
    with np.load(npz_path) as z:
        old = {k: z[k] for k in ("diffraction", "Y", "objectGuess", "probeGuess", "xcoords", "ycoords")}
    np.savez(tmp_path / "old.npz", **old)
    with pytest.raises(KeyError, match="diff3d"):
        pp.from_file(tmp_path / "old.npz")
    with pytest.raises(KeyError, match="xcoords_start"):
        pp.load_data(tmp_path / "old.npz")


def test_the_metadata_scales_are_the_raw_h5_attributes_to_the_last_bit(npz_path):
    """photon_scale (~7e-4 at dose 1000, far smaller at low doses) is not rounded in the JSON text."""
    with np.load(npz_path, allow_pickle=False) as z:
        text = str(z["_metadata"].item())
    extra = json.loads(text)["additional_parameters"]
    with h5py.File(npz_path.parents[1] / "simulate" / "raw.h5", "r") as f:
        for key in ("photon_scale", "probe_photons"):
            assert type(extra[key]) is float and extra[key] == float(f.attrs[key]), key
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=2)  # canonical: the same bytes every run
