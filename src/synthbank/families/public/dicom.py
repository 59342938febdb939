"""Pixels (and their geometry) of an uncompressed little-endian DICOM file, without pydicom.

The element walk is the core reader :func:`synthbank.io.dicom.parse_dicom` (the no-PHI
scanner reads DICOM with it too; it holds no PHI rule, so editing one does not touch
this). Only the few elements that describe the pixel matrix and where it lies
(:data:`GEOMETRY_TAGS`: position, orientation, spacing, thickness) are used; nothing
else of the header leaves this module. Checked against pydicom 3.0.2's ``pixel_array``
by the sha256 stored in ``sources/public/xray_chest_demo/provenance.json``. Not pydicom
itself: it gives the same array for that file, but reads a truncated file without an
error and refuses a data set without PhotometricInterpretation, so it is no better here.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from synthbank.io.dicom import EXPLICIT_LE, IMPLICIT_LE, PIXEL_DATA, PIXEL_VRS, DicomError, parse_dicom

UNCOMPRESSED = (EXPLICIT_LE, IMPLICIT_LE)
#: The geometry elements read besides the pixel module (all DS), tag -> keyword.
GEOMETRY_TAGS = {
    0x00200032: "ImagePositionPatient", 0x00200037: "ImageOrientationPatient", 0x00180050: "SliceThickness",
    0x00180088: "SpacingBetweenSlices", 0x00181164: "ImagerPixelSpacing",
}
#: VRs for implicit-VR files: the pixel module's and the geometry's.
VRS = {**PIXEL_VRS, **{tag: "DS" for tag in GEOMETRY_TAGS}}


@dataclass(frozen=True)
class DicomPixels:
    """The pixel matrix and what is needed to read it in physical units.

    Attributes
    ----------
    array : ndarray, (rows, cols) or (frames, rows, cols[, samples]), the stored values
        (as pydicom's ``pixel_array``: masked/sign-extended to BitsStored).
    rescale_slope, rescale_intercept : physical value = stored * slope + intercept
        (Hounsfield units for CT).
    pixel_spacing_mm : (row spacing, column spacing), or None if absent.
    image_position : ImagePositionPatient, (x, y, z) of the first pixel's centre, mm, patient
        LPS coordinates; None if absent.
    image_orientation : ImageOrientationPatient, the row direction (along a row, column index
        increasing) then the column direction, six LPS cosines; None if absent.
    slice_thickness_mm, spacing_between_slices_mm : SliceThickness and SpacingBetweenSlices, None if absent.
    imager_pixel_spacing_mm : ImagerPixelSpacing (row, column) at the detector (projection
        radiographs), None if absent.
    """

    array: np.ndarray
    rescale_slope: float
    rescale_intercept: float
    pixel_spacing_mm: tuple[float, float] | None
    image_position: tuple[float, float, float] | None = None
    image_orientation: tuple[float, ...] | None = None
    slice_thickness_mm: float | None = None
    spacing_between_slices_mm: float | None = None
    imager_pixel_spacing_mm: tuple[float, float] | None = None


def _us(v: bytes) -> int:
    return struct.unpack("<H", v[:2])[0]


def _ds(v: bytes) -> list[float]:
    return [float(x) for x in v.decode("ascii").strip("\x00 ").split("\\") if x.strip()]


def _ds_values(top: dict[int, bytes], tag: int, count: int) -> tuple[float, ...] | None:
    """The ``count`` numbers of DS element ``tag``, None if absent or empty (DicomError if malformed)."""
    if tag not in top:
        return None
    try:
        values = _ds(top[tag])
    except (UnicodeDecodeError, ValueError):
        values = []
    if not values:
        return None
    name = GEOMETRY_TAGS[tag]
    if len(values) != count or not all(np.isfinite(values)):
        raise DicomError(f"DICOM {name} ({tag >> 16:04X},{tag & 0xFFFF:04X}) holds {values}: allowed {count} finite numbers")
    return tuple(values)


def read_pixels(data: bytes) -> DicomPixels:
    """Decode the pixels of a DICOM file in an uncompressed little-endian transfer syntax.

    Raises
    ------
    DicomError
        For another transfer syntax, a missing element or a pixel data length mismatch.
    """
    dcm = parse_dicom(data, VRS)
    if dcm.transfer_syntax not in UNCOMPRESSED:
        raise DicomError(f"transfer syntax {dcm.transfer_syntax} is not supported: allowed {UNCOMPRESSED}")
    top = {e.tag: e.value for e in dcm.elements if not e.path}

    def need(tag: int, name: str) -> bytes:
        if tag not in top:
            raise DicomError(f"DICOM element {name} ({tag >> 16:04X},{tag & 0xFFFF:04X}) is missing")
        return top[tag]

    rows, cols = _us(need(0x00280010, "Rows")), _us(need(0x00280011, "Columns"))
    allocated, stored = _us(need(0x00280100, "BitsAllocated")), _us(need(0x00280101, "BitsStored"))
    signed = _us(need(0x00280103, "PixelRepresentation")) == 1
    samples = _us(top.get(0x00280002, b"\x01\x00"))
    frames = int(_ds(top[0x00280008])[0]) if 0x00280008 in top else 1
    planar = _us(top.get(0x00280006, b"\x00\x00"))
    if allocated not in (8, 16, 32):
        raise DicomError(f"BitsAllocated={allocated} is not supported: allowed 8, 16, 32")
    dtype = np.dtype(f"<{'i' if signed else 'u'}{allocated // 8}")
    count = rows * cols * samples * frames
    raw = need(PIXEL_DATA, "PixelData")
    if len(raw) < count * dtype.itemsize:
        raise DicomError(f"PixelData holds {len(raw)} bytes, {count * dtype.itemsize} needed for {frames}x{rows}x{cols}x{samples}")
    a = np.frombuffer(raw, dtype=dtype, count=count).astype(dtype.newbyteorder("="))
    if stored < allocated:
        shift = allocated - stored
        a = (a << shift) >> shift if signed else a & ((1 << stored) - 1)
    if samples > 1 and planar == 1:
        a = a.reshape(frames, samples, rows, cols).transpose(0, 2, 3, 1)
    else:
        a = a.reshape(frames, rows, cols, samples)
    if samples == 1:
        a = a[..., 0]
    if frames == 1:
        a = a[0]
    slope = _ds(top[0x00281053])[0] if 0x00281053 in top else 1.0
    intercept = _ds(top[0x00281052])[0] if 0x00281052 in top else 0.0
    spacing = tuple(_ds(top[0x00280030])[:2]) if 0x00280030 in top else None
    one = lambda tag: (v[0] if (v := _ds_values(top, tag, 1)) else None)  # noqa: E731
    return DicomPixels(np.ascontiguousarray(a), slope, intercept, spacing,
                       image_position=_ds_values(top, 0x00200032, 3), image_orientation=_ds_values(top, 0x00200037, 6),
                       slice_thickness_mm=one(0x00180050), spacing_between_slices_mm=one(0x00180088),
                       imager_pixel_spacing_mm=_ds_values(top, 0x00181164, 2))
