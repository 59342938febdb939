"""Pure conversions from decoded source pixels to the arrays that are written (no file I/O)."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence

import numpy as np

#: Plane name -> the volume axis it cuts (x = left-right, y = posterior-anterior, z = inferior-superior).
PLANE_AXES = {"sagittal": 0, "coronal": 1, "axial": 2}


def window_to_uint8(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """Map ``[low, high]`` linearly onto 0..255 (rounded half up), clipping outside.

    Parameters
    ----------
    values : ndarray of any real dtype and shape (for CT: Hounsfield units).
    low, high : the window, ``low < high``, in the units of ``values``.

    Returns
    -------
    ndarray, uint8, same shape.
    """
    if not high > low:
        raise ValueError(f"window=[{low}, {high}] is invalid: allowed low < high")
    scaled = (np.asarray(values, dtype=np.float64) - low) * 255.0 / (high - low)
    return np.clip(np.floor(scaled + 0.5), 0, 255).astype(np.uint8)


def slice_index(length: int, fraction: float) -> int:
    """The index at ``fraction`` of an axis of ``length`` voxels (0.5 -> the mid-plane)."""
    if not 0.0 <= fraction <= 1.0 or length < 1:
        raise ValueError(f"slice fraction={fraction} on an axis of {length} voxels is invalid: allowed 0..1 and length >= 1")
    return int(np.floor(fraction * (length - 1) + 0.5))


def plane_slices(volume: np.ndarray, planes: Sequence[str], fraction: float) -> dict[str, tuple[int, np.ndarray]]:
    """Slices of an RAS-aligned volume, oriented for display (superior or anterior up).

    Parameters
    ----------
    volume : ndarray, shape (X, Y, Z), axes increasing to the right, anterior and superior.
    planes : names from :data:`PLANE_AXES`.
    fraction : position of each slice along its axis (0.5 = mid-plane).

    Returns
    -------
    dict plane -> (index, 2-D array). Axial: (Y, X), anterior at the top, subject's right
    on the image's right. Coronal: (Z, X), superior at the top. Sagittal: (Z, Y), superior
    at the top, anterior on the right.
    """
    if volume.ndim != 3:
        raise ValueError(f"volume shape {volume.shape} is invalid: allowed 3 axes (X, Y, Z)")
    out = {}
    for plane in planes:
        if plane not in PLANE_AXES:
            raise ValueError(f"plane={plane!r} is unknown: allowed {sorted(PLANE_AXES)}")
        k = slice_index(volume.shape[PLANE_AXES[plane]], fraction)
        if plane == "axial":
            image = volume[:, ::-1, k].T
        elif plane == "coronal":
            image = volume[:, k, ::-1].T
        else:
            image = volume[k, :, ::-1].T
        out[plane] = (k, np.ascontiguousarray(image))
    return out


def decode_rgb(data: bytes) -> np.ndarray:
    """Decode an image file (JPEG, PNG...) with Pillow into an (H, W, 3) uint8 RGB array."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"))


def array_sha256(array: np.ndarray) -> str:
    """sha256 of the array's C-ordered little-endian bytes (as the provenance records state)."""
    a = np.ascontiguousarray(array)
    return hashlib.sha256(a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()).hexdigest()
