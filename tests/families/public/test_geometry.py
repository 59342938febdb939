"""The CT NIfTI's placement, read back with nibabel and compared with the DICOM tags read by pydicom."""

from __future__ import annotations

import io
import json
import math
import struct
import sys
from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom
import pytest

from synthbank.errors import UsageError
from synthbank.families.public.build import PublicConfig, convert_xray
from synthbank.families.public.dicom import read_pixels
from synthbank.families.public.geometry import XFORM_SCANNER, XFORM_UNKNOWN, slice_geometry
from synthbank.families.public.nifti import NiftiImage, encode_nifti
from synthbank.families.public.sources import Source, load_source

MAIN = Path(__file__).resolve().parents[3]
CT = MAIN / "sources/public/xray_chest_demo/CT_small.dcm"
sys.path.insert(0, str(MAIN / "tests"))
from phi.helpers import dicom_file  # noqa: E402

LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])


def dicom_affine(ds: pydicom.Dataset) -> np.ndarray:
    """The RAS affine of a slice stored transposed (i = column, j = row), straight from PS3.3 C.7.6.2.1.1."""
    iop = np.array(ds.ImageOrientationPatient, dtype=float)
    x, y = iop[:3], iop[3:]
    dr, dc = (float(v) for v in ds.PixelSpacing)
    lps = np.eye(4)
    lps[:3, 0], lps[:3, 1], lps[:3, 2] = x * dc, y * dr, np.cross(x, y) * float(ds.SliceThickness)
    lps[:3, 3] = np.array(ds.ImagePositionPatient, dtype=float)
    return LPS_TO_RAS @ lps


def assert_clean_header(img: nib.Nifti1Image) -> None:
    """nibabel's own header checks: nothing to report, nothing to fix."""
    hdr = img.header
    assert nib.Nifti1Header.diagnose_binaryblock(hdr.binaryblock) == ""
    fixed = hdr.copy()
    fixed.check_fix(error_level=0)  # raises at any problem level >= 0 (a fix it would have to make)
    assert fixed.binaryblock == hdr.binaryblock


def test_ct_nifti_affine_is_the_dicom_geometry(built: Path) -> None:
    ds = pydicom.dcmread(CT)
    img = nib.load(built / "data/public/xray_chest_demo/xray_chest_demo_001.nii.gz")
    expected = dicom_affine(ds)
    np.testing.assert_allclose(img.affine, expected, atol=1e-4)
    sform, scode = img.header.get_sform(coded=True)
    qform, qcode = img.header.get_qform(coded=True)
    assert (int(scode), int(qcode)) == (1, 1)  # scanner
    np.testing.assert_allclose(sform, expected, atol=1e-4)
    np.testing.assert_allclose(qform, expected, atol=1e-4)
    assert img.header["pixdim"][1:4] == pytest.approx([float(ds.PixelSpacing[1]), float(ds.PixelSpacing[0]), float(ds.SliceThickness)])
    assert img.header["pixdim"][3] == 5.0 and img.header.get_xyzt_units() == ("mm", "unknown")
    assert_clean_header(img)
    # pixel (row 3, column 7), placed by DICOM's own formula, is voxel (7, 3, 0) in RAS
    iop = np.array(ds.ImageOrientationPatient, dtype=float)
    lps = np.array(ds.ImagePositionPatient, dtype=float) + 7 * float(ds.PixelSpacing[1]) * iop[:3] + 3 * float(ds.PixelSpacing[0]) * iop[3:]
    np.testing.assert_allclose(nib.affines.apply_affine(img.affine, (7, 3, 0)), lps * [-1, -1, 1], atol=1e-4)
    np.testing.assert_array_equal(np.asanyarray(img.dataobj).T, ds.pixel_array * 1.0 - 1024)  # HU through scl_*


def test_provenance_states_the_geometry(built: Path) -> None:
    record = json.loads((built / "data/public/xray_chest_demo/provenance.json").read_text("utf-8"))
    geo = record["files"]["xray_chest_demo_001.nii.gz"]["geometry"]
    img = nib.load(built / "data/public/xray_chest_demo/xray_chest_demo_001.nii.gz")
    assert geo["xform_code"] == 1 and geo["from"] == ["ImageOrientationPatient", "ImagePositionPatient", "PixelSpacing", "SliceThickness"]
    np.testing.assert_allclose(np.array(geo["affine_ras"]), img.header.get_sform()[:3], atol=1e-5)
    assert geo["pixdim_mm"] == pytest.approx(img.header["pixdim"][1:4])


def _oblique(degrees: float, axis: str) -> tuple[float, ...]:
    """ImageOrientationPatient of an axial slice rotated about ``axis`` (LPS)."""
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    rot = {"z": np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]), "x": np.array([[1, 0, 0], [0, c, -s], [0, s, c]]),
           "y": np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])}[axis]
    return (*rot @ [1, 0, 0], *rot @ [0, 1, 0])


@pytest.mark.parametrize("iop", [
    (1, 0, 0, 0, 1, 0),    # axial
    (1, 0, 0, 0, 0, -1),   # coronal
    (0, 1, 0, 0, 0, -1),   # sagittal
    (-1, 0, 0, 0, 1, 0),   # axial, mirrored rows
    (0, -1, 0, -1, 0, 0),  # the quaternion's small-trace branches
    _oblique(30, "z"), _oblique(-75, "x"), _oblique(170, "y"), _oblique(100, "z"),
])
def test_qform_quaternion_gives_the_sform(iop: tuple[float, ...]) -> None:
    """Every orientation: nibabel's qform (from our quaternion) equals the sform and the DICOM formula."""
    geo = slice_geometry((0.7, 0.8), (10.0, -20.0, 30.0), tuple(float(v) for v in iop), 2.5)
    image = NiftiImage(data=np.zeros((3, 4), np.int16), pixdim=geo.pixdim, sform_code=geo.code, srow=geo.affine,
                       qform_code=geo.code, quatern=geo.quatern, qfac=geo.qfac)
    img = nib.Nifti1Image.from_bytes(encode_nifti(image))
    x, y = np.array(iop[:3], float), np.array(iop[3:], float)
    lps = np.eye(4)
    lps[:3, 0], lps[:3, 1], lps[:3, 2], lps[:3, 3] = x * 0.8, y * 0.7, np.cross(x, y) * 2.5, (10, -20, 30)
    np.testing.assert_allclose(img.header.get_sform(), LPS_TO_RAS @ lps, atol=1e-5)
    np.testing.assert_allclose(img.header.get_qform(), LPS_TO_RAS @ lps, atol=1e-5)
    assert geo.qfac == 1.0 and geo.code == XFORM_SCANNER
    assert_clean_header(img)


def test_radiograph_without_position_gets_no_scanner_coordinates() -> None:
    """A projection radiograph: ImagerPixelSpacing for the size, codes 0 (identity orientation by pixdim)."""
    geo = slice_geometry(None, None, None, None, None, imager_pixel_spacing=(0.15, 0.14))
    assert geo.code == XFORM_UNKNOWN and geo.pixdim == (0.14, 0.15, 1.0) and geo.source == ("ImagerPixelSpacing",)
    image = NiftiImage(data=np.zeros((3, 4), np.uint16), pixdim=geo.pixdim, sform_code=geo.code, srow=geo.affine,
                       qform_code=geo.code, quatern=geo.quatern)
    img = nib.Nifti1Image.from_bytes(encode_nifti(image))
    assert int(img.header["sform_code"]) == int(img.header["qform_code"]) == 0
    assert_clean_header(img)
    # position without orientation is no placement either; thickness falls back to SpacingBetweenSlices
    geo = slice_geometry((0.5, 0.5), (1.0, 2.0, 3.0), None, None, 3.0)
    assert geo.code == XFORM_UNKNOWN and geo.pixdim == (0.5, 0.5, 3.0)


def ds(text: str) -> bytes:
    return text.encode("ascii")


def ct_with(**replace: bytes) -> Source:
    """The shipped CT with geometry elements replaced (explicit VR: rewrite the element in place)."""
    ds_ = pydicom.dcmread(CT)
    for keyword, value in replace.items():
        setattr(ds_, keyword, value.decode())
    buf = io.BytesIO()
    ds_.save_as(buf, enforce_file_format=True)
    source = load_source(MAIN / "sources/public", "xray_chest_demo")
    return Source(source.demo, buf.getvalue(), source.provenance)


@pytest.mark.parametrize(("replace", "message"), [
    ({"ImageOrientationPatient": ds("1\\0\\0\\0.5\\0.866\\0")}, r"ImageOrientationPatient \[1.0, 0.0, 0.0, 0.5, 0.866, 0.0\] is invalid: allowed orthogonal"),
    ({"ImageOrientationPatient": ds("0\\0\\0\\0\\1\\0")}, r"ImageOrientationPatient row cosines \[0.0, 0.0, 0.0\] are invalid: allowed unit vectors"),
    ({"ImagePositionPatient": ds("1\\2")}, "ImagePositionPatient .* allowed 3 finite numbers"),
])
def test_bad_geometry_is_one_line(replace: dict, message: str) -> None:
    with pytest.raises(UsageError, match=f"^xray_chest_demo: DICOM {message}") as info:
        convert_xray(ct_with(**replace), PublicConfig(("xray_chest_demo",), (-160.0, 240.0), ("axial",), 0.5, 6))
    assert "\n" not in str(info.value)


def test_geometry_elements_of_an_implicit_vr_file() -> None:
    values = [(0x0020, 0x0032, ds("1.5\\-2\\3 ")), (0x0020, 0x0037, ds("0\\1\\0\\0\\0\\-1")), (0x0018, 0x0050, ds("2.5 ")),
              (0x0028, 0x0010, struct.pack("<H", 1)), (0x0028, 0x0011, struct.pack("<H", 2)),
              (0x0028, 0x0100, struct.pack("<H", 8)), (0x0028, 0x0101, struct.pack("<H", 8)),
              (0x0028, 0x0103, struct.pack("<H", 0)), (0x7FE0, 0x0010, bytes([7, 9]))]
    body = b"".join(struct.pack("<HHI", g, e, len(v)) + v for g, e, v in sorted(values))
    px = read_pixels(dicom_file(body, syntax=b"1.2.840.10008.1.2\x00"))
    assert px.image_position == (1.5, -2.0, 3.0) and px.image_orientation == (0, 1, 0, 0, 0, -1)
    assert px.slice_thickness_mm == 2.5 and px.spacing_between_slices_mm is None


def test_shipped_ct_geometry_is_pydicoms() -> None:
    ref = pydicom.dcmread(CT)
    px = read_pixels(CT.read_bytes())
    assert px.image_position == tuple(float(v) for v in ref.ImagePositionPatient)
    assert px.image_orientation == tuple(float(v) for v in ref.ImageOrientationPatient)
    assert (px.slice_thickness_mm, px.spacing_between_slices_mm) == (float(ref.SliceThickness), float(ref.SpacingBetweenSlices))
