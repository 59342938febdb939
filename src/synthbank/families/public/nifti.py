"""A minimal, deterministic NIfTI-1 reader and writer (single file, ``.nii`` / ``.nii.gz``).

The header is the fixed 348-byte NIfTI-1 struct, followed by a 4-byte extension flag
(always 0 when writing) and the voxels at byte 352, x fastest (Fortran order). Writing
rebuilds the header from scratch: geometry, data type and scaling only; every text field
(``db_name``, ``descrip``, ``aux_file``, ``intent_name``) is empty. ``.nii.gz`` is gzip
with mtime 0 and no file name, so the same array gives the same bytes.
"""

from __future__ import annotations

import gzip
import struct
from dataclasses import dataclass, field

import numpy as np

HEADER_SIZE = 348
VOX_OFFSET = 352
#: The header, little-endian; field names in :data:`FIELDS` order.
HEADER_FORMAT = "i10s18sihcB8h3fhhhh8ffffhBB4f2i80s24shh6f12f16s4s"
FIELDS = (
    "sizeof_hdr", "data_type", "db_name", "extents", "session_error", "regular", "dim_info",
    *(f"dim{i}" for i in range(8)), "intent_p1", "intent_p2", "intent_p3", "intent_code",
    "datatype", "bitpix", "slice_start", *(f"pixdim{i}" for i in range(8)), "vox_offset",
    "scl_slope", "scl_inter", "slice_end", "slice_code", "xyzt_units", "cal_max", "cal_min",
    "slice_duration", "toffset", "glmax", "glmin", "descrip", "aux_file", "qform_code",
    "sform_code", "quatern_b", "quatern_c", "quatern_d", "qoffset_x", "qoffset_y", "qoffset_z",
    *(f"srow_{a}{i}" for a in "xyz" for i in range(4)), "intent_name", "magic",
)
assert struct.calcsize("<" + HEADER_FORMAT) == HEADER_SIZE

#: NIfTI datatype code -> numpy dtype (without byte order).
DTYPES = {2: "u1", 4: "i2", 8: "i4", 16: "f4", 64: "f8", 256: "i1", 512: "u2", 768: "u4"}
CODES = {np.dtype(v).str[1:]: k for k, v in DTYPES.items()}
XYZ_MM = 2  # xyzt_units: spatial unit millimetre, no time unit


@dataclass(frozen=True)
class NiftiImage:
    """Voxels and the geometry that goes with them.

    Attributes
    ----------
    data : ndarray, shape (X, Y[, Z[, T]]), the stored values (before scaling).
    pixdim : voxel sizes along each axis (mm); a 2-D image may give a third, its slice
        thickness (pixdim[3], which a qform scales the slice normal by). Spatial sizes not
        given are written as 1 (NIfTI readers treat 0 as unset and replace it by 1).
    sform_code, srow : the sform (code and its 3 x 4 matrix, voxel -> mm), 0 and zeros if absent.
    qform_code, quatern : the qform (code; b, c, d, offset x, y, z; qfac in pixdim[0]).
    scl_slope, scl_inter : value = stored * slope + inter when slope is neither 0 nor NaN.
    text : the header text fields as read (empty when written).
    """

    data: np.ndarray
    pixdim: tuple[float, ...]
    sform_code: int = 0
    srow: tuple[tuple[float, ...], ...] = ((0.0,) * 4,) * 3
    qform_code: int = 0
    quatern: tuple[float, ...] = (0.0,) * 6
    qfac: float = 1.0
    scl_slope: float = 0.0
    scl_inter: float = 0.0
    text: dict[str, str] = field(default_factory=dict)

    @property
    def scaled(self) -> bool:
        return bool(self.scl_slope) and not np.isnan(self.scl_slope)


def read_nifti(raw: bytes) -> NiftiImage:
    """Parse a ``.nii`` or ``.nii.gz`` (gzip is detected by its magic bytes).

    Raises
    ------
    ValueError
        If the bytes are not a single-file NIfTI-1 image of a supported data type.
    """
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < VOX_OFFSET:
        raise ValueError(f"NIfTI file is {len(raw)} bytes, shorter than its {VOX_OFFSET}-byte header")
    endian = "<" if struct.unpack_from("<i", raw)[0] == HEADER_SIZE else ">"
    h = dict(zip(FIELDS, struct.unpack_from(endian + HEADER_FORMAT, raw), strict=True))
    if h["sizeof_hdr"] != HEADER_SIZE or h["magic"] != b"n+1\x00":
        raise ValueError(f"not a single-file NIfTI-1 image: sizeof_hdr={h['sizeof_hdr']}, magic={h['magic']!r}")
    if h["datatype"] not in DTYPES:
        raise ValueError(f"NIfTI datatype={h['datatype']} is not supported: allowed {sorted(DTYPES)}")
    ndim = h["dim0"]
    if not 1 <= ndim <= 7:
        raise ValueError(f"NIfTI dim[0]={ndim} is invalid: allowed 1..7")
    shape = tuple(h[f"dim{i}"] for i in range(1, ndim + 1))
    dtype = np.dtype(endian + DTYPES[h["datatype"]])
    offset = max(int(h["vox_offset"]), VOX_OFFSET)
    count = int(np.prod(shape))
    if offset + count * dtype.itemsize > len(raw):
        raise ValueError(f"NIfTI voxels need {offset + count * dtype.itemsize} bytes, file has {len(raw)}")
    flat = np.frombuffer(raw, dtype=dtype, count=count, offset=offset)
    data = flat.reshape(shape[::-1]).T.astype(dtype.newbyteorder("="), copy=True)
    return NiftiImage(
        data=data,
        pixdim=tuple(float(h[f"pixdim{i}"]) for i in range(1, max(ndim, 3) + 1)),
        sform_code=h["sform_code"],
        srow=tuple(tuple(float(h[f"srow_{a}{i}"]) for i in range(4)) for a in "xyz"),
        qform_code=h["qform_code"],
        quatern=tuple(float(h[k]) for k in ("quatern_b", "quatern_c", "quatern_d", "qoffset_x", "qoffset_y", "qoffset_z")),
        qfac=-1.0 if h["pixdim0"] < 0 else 1.0,
        scl_slope=float(h["scl_slope"]),
        scl_inter=float(h["scl_inter"]),
        text={k: h[k].split(b"\x00", 1)[0].decode("latin-1") for k in ("db_name", "descrip", "aux_file", "intent_name")},
    )


def encode_nifti(image: NiftiImage) -> bytes:
    """The ``.nii`` bytes of ``image``: a fresh little-endian header (no text) and the voxels."""
    data = np.asarray(image.data)
    code = CODES.get(data.dtype.str[1:])
    if code is None:
        raise ValueError(f"dtype {data.dtype} cannot be written to NIfTI: allowed {sorted(DTYPES.values())}")
    spatial = max(data.ndim, 3)
    if not 1 <= data.ndim <= 7 or not data.ndim <= len(image.pixdim) <= spatial:
        raise ValueError(f"shape {data.shape} and pixdim {image.pixdim} do not match (1..7 axes, one size per axis, "
                         "a third for a 2-D slice)")
    dims = [data.ndim, *data.shape] + [1] * (7 - data.ndim)
    given = list(image.pixdim)
    pixdim = [image.qfac, *given, *[1.0] * (spatial - len(given))] + [0.0] * (7 - spatial)
    values = {
        "sizeof_hdr": HEADER_SIZE, "data_type": b"", "db_name": b"", "extents": 0, "session_error": 0,
        "regular": b"r", "dim_info": 0, **{f"dim{i}": d for i, d in enumerate(dims)},
        "intent_p1": 0.0, "intent_p2": 0.0, "intent_p3": 0.0, "intent_code": 0, "datatype": code,
        "bitpix": data.dtype.itemsize * 8, "slice_start": 0, **{f"pixdim{i}": p for i, p in enumerate(pixdim)},
        "vox_offset": float(VOX_OFFSET), "scl_slope": image.scl_slope, "scl_inter": image.scl_inter,
        "slice_end": 0, "slice_code": 0, "xyzt_units": XYZ_MM, "cal_max": 0.0, "cal_min": 0.0,
        "slice_duration": 0.0, "toffset": 0.0, "glmax": 0, "glmin": 0, "descrip": b"", "aux_file": b"",
        "qform_code": image.qform_code, "sform_code": image.sform_code,
        **dict(zip(("quatern_b", "quatern_c", "quatern_d", "qoffset_x", "qoffset_y", "qoffset_z"), image.quatern, strict=True)),
        **{f"srow_{a}{i}": image.srow["xyz".index(a)][i] for a in "xyz" for i in range(4)},
        "intent_name": b"", "magic": b"n+1\x00",
    }
    header = struct.pack("<" + HEADER_FORMAT, *(values[k] for k in FIELDS))
    voxels = np.ascontiguousarray(data.T).astype(data.dtype.newbyteorder("<"), copy=False).tobytes()
    return header + b"\x00\x00\x00\x00" + voxels


def encode_nifti_gz(image: NiftiImage, level: int) -> bytes:
    """``.nii.gz`` bytes: :func:`encode_nifti` gzipped at ``level`` with mtime 0."""
    return gzip.compress(encode_nifti(image), compresslevel=level, mtime=0)
