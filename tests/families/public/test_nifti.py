"""The minimal NIfTI-1 reader/writer: round trips, fixed bytes, no header text."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from synthbank.families.public.nifti import HEADER_SIZE, NiftiImage, encode_nifti, encode_nifti_gz, read_nifti

SOURCE_MRI = Path(__file__).resolve().parents[3] / "sources/public/mri_brain_demo/mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz"


@pytest.mark.parametrize("dtype", ["u1", "i2", "u2", "i4", "f4", "f8"])
def test_round_trip_keeps_values_and_geometry(dtype: str) -> None:
    rng = np.random.default_rng(1)
    data = (rng.random((5, 4, 3)) * 100).astype(dtype)
    image = NiftiImage(data=data, pixdim=(1.5, 2.0, 3.0), sform_code=2,
                       srow=((1.5, 0, 0, -10), (0, 2, 0, -20), (0, 0, 3, -30)), scl_slope=2.0, scl_inter=-5.0)
    back = read_nifti(encode_nifti(image))
    assert back.data.dtype == np.dtype(dtype) and back.data.shape == (5, 4, 3)
    np.testing.assert_array_equal(back.data, data)
    assert back.pixdim == (1.5, 2.0, 3.0) and back.sform_code == 2 and back.srow[2][3] == -30
    assert (back.scl_slope, back.scl_inter) == (2.0, -5.0)


def test_layout_is_x_fastest_with_voxels_at_352() -> None:
    data = np.arange(6, dtype=np.uint8).reshape(3, 2)  # x = 3, y = 2
    raw = encode_nifti(NiftiImage(data=data, pixdim=(1.0, 1.0)))
    assert len(raw) == 352 + 6
    assert struct.unpack_from("<i", raw)[0] == HEADER_SIZE and raw[344:348] == b"n+1\x00"
    assert raw[352:] == bytes([0, 2, 4, 1, 3, 5])  # data[x, y] with x varying fastest
    assert raw[148:228] == bytes(80) and raw[228:252] == bytes(24) and raw[328:344] == bytes(16) and raw[14:32] == bytes(18)


def test_gzip_is_deterministic_without_time_or_name() -> None:
    image = NiftiImage(data=np.ones((4, 4, 4), np.int16), pixdim=(1.0, 1.0, 1.0))
    a, b = encode_nifti_gz(image, 6), encode_nifti_gz(image, 6)
    assert a == b and a[:4] == b"\x1f\x8b\x08\x00" and a[4:8] == bytes(4)  # no FNAME flag, mtime 0
    assert gzip.decompress(a) == encode_nifti(image)


def test_reads_the_shipped_template_like_nibabel() -> None:
    """nibabel's array (sha256 in the provenance record) equals this reader's."""
    import json

    from synthbank.families.public.convert import array_sha256

    image = read_nifti(SOURCE_MRI.read_bytes())
    record = json.loads((SOURCE_MRI.parent / "provenance.json").read_text("utf-8"))["pixels"]
    assert list(image.data.shape) == record["shape"] and str(image.data.dtype) == record["dtype"]
    assert array_sha256(image.data) == record["sha256"]
    assert [list(r) for r in image.srow] == record["affine"][:3]


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda b: b[:100], "shorter than"),
    (lambda b: b[:344] + b"abcd" + b[348:], "not a single-file NIfTI-1"),
    (lambda b: b[:70] + struct.pack("<h", 1) + b[72:], "datatype=1"),
    (lambda b: b[:-1], "voxels need"),
])
def test_malformed_input_is_refused(mutate, message: str) -> None:
    raw = encode_nifti(NiftiImage(data=np.zeros((2, 2), np.uint8), pixdim=(1.0, 1.0)))
    with pytest.raises(ValueError, match=message):
        read_nifti(mutate(raw))


def test_unsupported_dtype_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot be written"):
        encode_nifti(NiftiImage(data=np.zeros((2, 2), np.complex64), pixdim=(1.0, 1.0)))


def test_two_d_slice_carries_a_third_voxel_size() -> None:
    """A 2-D image writes pixdim[3] (its slice thickness, or 1): nibabel reports no zero voxel size."""
    import nibabel as nib

    for given, expected in (((0.5, 0.25), (0.5, 0.25, 1.0)), ((0.5, 0.25, 5.0), (0.5, 0.25, 5.0))):
        raw = encode_nifti(NiftiImage(data=np.zeros((2, 3), np.int16), pixdim=given))
        assert read_nifti(raw).pixdim == expected
        assert nib.Nifti1Header.diagnose_binaryblock(raw[:HEADER_SIZE]) == ""
    with pytest.raises(ValueError, match="do not match"):
        encode_nifti(NiftiImage(data=np.zeros((2, 3), np.int16), pixdim=(1.0, 1.0, 1.0, 1.0)))
