"""Where a DICOM image lies, as a NIfTI sform and qform (pure functions, no file I/O).

DICOM places pixel (row r, column c) of a slice at, in patient LPS millimetres
(PS3.3 C.7.6.2.1.1)::

    P = ImagePositionPatient + c * dc * X + r * dr * Y

with X, Y the row and column direction cosines of ImageOrientationPatient and
``PixelSpacing = (dr, dc)``. The NIfTI array is the DICOM array transposed (x = column,
y = row), so voxel (i, j, k) maps to ``S + i dc X + j dr Y + k t N``, N = X x Y the slice
normal and t the slice thickness; NIfTI's space is RAS, so x and y are negated (LPS to RAS).
Every step is a Python float operation (+, -, *, /, sqrt: correctly rounded in IEEE 754),
so the numbers do not depend on the CPU or on a linear-algebra library.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from synthbank.io.dicom import DicomError

#: NIfTI xform codes: 0 unknown (pixdim only, "method 1"), 1 scanner-based anatomical coordinates.
XFORM_UNKNOWN, XFORM_SCANNER = 0, 1
#: |X . Y| above this: the two cosines are not orthogonal (DICOM writes them to about 6 digits).
ORTHOGONALITY_TOLERANCE = 1e-4
#: The voxel size used when a file states none (NIfTI's own default for a zero pixdim).
DEFAULT_SPACING_MM = 1.0

Vec = tuple[float, float, float]


@dataclass(frozen=True)
class Geometry:
    """The NIfTI geometry of one DICOM slice.

    Attributes
    ----------
    pixdim : (x, y, z) voxel sizes, mm: column spacing, row spacing, slice thickness.
    code : :data:`XFORM_SCANNER` when the file gives position and orientation, else :data:`XFORM_UNKNOWN`.
    affine : 3 x 4 rows of the RAS affine (voxel index -> mm); zeros when ``code`` is unknown.
    quatern : (b, c, d, qoffset_x, qoffset_y, qoffset_z) of the same affine as a qform.
    qfac : -1 when the rotation is improper (a left-handed voxel grid), else 1.
    source : the DICOM keywords the numbers come from.
    """

    pixdim: Vec
    code: int
    affine: tuple[tuple[float, ...], ...]
    quatern: tuple[float, ...]
    qfac: float
    source: tuple[str, ...]


def _unit(v: Vec, name: str) -> Vec:
    norm = math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2])
    if not norm > 0.5:  # cosines are unit vectors; a zero or tiny vector is a broken file
        raise DicomError(f"DICOM ImageOrientationPatient {name} cosines {list(v)} are invalid: allowed unit vectors")
    return (v[0] / norm, v[1] / norm, v[2] / norm)


def orthonormal_axes(orientation: tuple[float, ...]) -> tuple[Vec, Vec, Vec]:
    """Row cosine X, column cosine Y (Gram-Schmidt against X) and normal N = X x Y, LPS.

    Raises
    ------
    DicomError
        If a cosine is not about unit length or the two are not orthogonal.
    """
    x = _unit((orientation[0], orientation[1], orientation[2]), "row")
    y = _unit((orientation[3], orientation[4], orientation[5]), "column")
    dot = x[0] * y[0] + x[1] * y[1] + x[2] * y[2]
    if abs(dot) > ORTHOGONALITY_TOLERANCE:
        raise DicomError(f"DICOM ImageOrientationPatient {list(orientation)} is invalid: allowed orthogonal row and "
                         f"column cosines (|X.Y| = {abs(dot):.2g} > {ORTHOGONALITY_TOLERANCE:g})")
    y = _unit((y[0] - dot * x[0], y[1] - dot * x[1], y[2] - dot * x[2]), "column")
    n = (x[1] * y[2] - x[2] * y[1], x[2] * y[0] - x[0] * y[2], x[0] * y[1] - x[1] * y[0])
    return x, y, n


def quaternion(r: tuple[Vec, Vec, Vec]) -> tuple[float, float, float, float]:
    """(a, b, c, d) of a proper rotation matrix ``r`` (rows), a >= 0: nifti1_io's mat44_to_quatern."""
    (r11, r12, r13), (r21, r22, r23), (r31, r32, r33) = r
    a = r11 + r22 + r33 + 1.0
    if a > 0.5:
        a = 0.5 * math.sqrt(a)
        b, c, d = 0.25 * (r32 - r23) / a, 0.25 * (r13 - r31) / a, 0.25 * (r21 - r12) / a
    else:
        xd, yd, zd = 1.0 + r11 - (r22 + r33), 1.0 + r22 - (r11 + r33), 1.0 + r33 - (r11 + r22)
        if xd > 1.0:
            b = 0.5 * math.sqrt(xd)
            c, d, a = 0.25 * (r12 + r21) / b, 0.25 * (r13 + r31) / b, 0.25 * (r32 - r23) / b
        elif yd > 1.0:
            c = 0.5 * math.sqrt(yd)
            b, d, a = 0.25 * (r12 + r21) / c, 0.25 * (r23 + r32) / c, 0.25 * (r13 - r31) / c
        else:
            d = 0.5 * math.sqrt(zd)
            b, c, a = 0.25 * (r13 + r31) / d, 0.25 * (r23 + r32) / d, 0.25 * (r21 - r12) / d
        if a < 0.0:
            a, b, c, d = -a, -b, -c, -d
    return a, b, c, d


def slice_geometry(
    pixel_spacing: tuple[float, float] | None,
    position: tuple[float, float, float] | None = None,
    orientation: tuple[float, ...] | None = None,
    slice_thickness: float | None = None,
    spacing_between_slices: float | None = None,
    imager_pixel_spacing: tuple[float, float] | None = None,
) -> Geometry:
    """The NIfTI geometry of a 2-D DICOM slice whose array is stored transposed (x = column).

    Parameters
    ----------
    pixel_spacing : PixelSpacing (row spacing, column spacing), mm, or None.
    position : ImagePositionPatient, mm, LPS, or None.
    orientation : ImageOrientationPatient (six cosines, LPS), or None.
    slice_thickness, spacing_between_slices : mm, or None (a value <= 0 counts as absent).
    imager_pixel_spacing : ImagerPixelSpacing (row, column), mm at the detector, or None.

    Returns
    -------
    Geometry
        pixdim from PixelSpacing, else ImagerPixelSpacing, else 1 mm; the third from
        SliceThickness, else SpacingBetweenSlices, else 1 mm. With both position and
        orientation: a scanner-coded (1) sform and qform of the same RAS affine. Without:
        code 0 and no affine, so readers use NIfTI's "method 1", the identity orientation
        scaled by pixdim: nothing says where a bare projection radiograph lies.
    """
    spacing, source = (DEFAULT_SPACING_MM, DEFAULT_SPACING_MM), []
    for name, value in (("PixelSpacing", pixel_spacing), ("ImagerPixelSpacing", imager_pixel_spacing)):
        if value is not None:
            spacing, source = value, [name]
            break
    dr, dc = (float(v) for v in spacing)
    if not (dr > 0 and dc > 0):
        raise DicomError(f"DICOM {source[0]} {[dr, dc]} is invalid: allowed two positive numbers (mm)")
    thickness = DEFAULT_SPACING_MM
    for name, t in (("SliceThickness", slice_thickness), ("SpacingBetweenSlices", spacing_between_slices)):
        if t is not None and t > 0:
            thickness = float(t)
            source.append(name)
            break
    pixdim = (dc, dr, thickness)
    if position is None or orientation is None:
        zeros = ((0.0,) * 4,) * 3
        return Geometry(pixdim, XFORM_UNKNOWN, zeros, (0.0,) * 6, 1.0, tuple(source))
    x, y, n = orthonormal_axes(orientation)
    # LPS -> RAS: negate the x and y components of every axis and of the origin.
    flip = (-1.0, -1.0, 1.0)
    axes = [tuple(f * v + 0.0 for f, v in zip(flip, axis, strict=True)) for axis in (x, y, n)]  # voxel axes i, j, k in RAS
    origin = tuple(f * p + 0.0 for f, p in zip(flip, position, strict=True))  # + 0.0: no -0.0 in the header
    affine = tuple(tuple(axes[k][row] * pixdim[k] for k in range(3)) + (origin[row],) for row in range(3))
    rotation = tuple(tuple(axes[k][row] for k in range(3)) for row in range(3))
    det = (rotation[0][0] * (rotation[1][1] * rotation[2][2] - rotation[1][2] * rotation[2][1])
           - rotation[0][1] * (rotation[1][0] * rotation[2][2] - rotation[1][2] * rotation[2][0])
           + rotation[0][2] * (rotation[1][0] * rotation[2][1] - rotation[1][1] * rotation[2][0]))
    qfac = 1.0 if det > 0 else -1.0
    if qfac < 0:  # NIfTI stores an improper rotation as a proper one and qfac = -1 on the third axis
        rotation = tuple((row[0], row[1], -row[2]) for row in rotation)
    _, b, c, d = quaternion(rotation)  # type: ignore[arg-type]
    source += ["ImagePositionPatient", "ImageOrientationPatient"]
    return Geometry(pixdim, XFORM_SCANNER, affine, (b, c, d, *origin), qfac, tuple(sorted(source)))
