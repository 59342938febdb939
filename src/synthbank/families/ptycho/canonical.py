"""Convert diffraction data to the canonical contract (DATA-001 of the ptycho source document,
docs/families/ptycho.md).

Canonical: ``diffraction`` amplitude = sqrt(counts), float32, NHW; ``objectGuess`` and
``probeGuess`` complex64; ``xcoords`` and ``ycoords`` float64 of length n. The input is
either this family's detector-native form (counts, axes (H, W, N)) or an external legacy
NPZ (``diff3d`` intensity, usually uint16, in NHW or HWN order).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

AXIS_ORDERS = ("auto", "NHW", "HWN")
LEGACY_KEYS = ("diff3d", "objectGuess", "probeGuess", "xcoords", "ycoords")


def to_nhw(intensity: np.ndarray, n: int, frame_shape: tuple[int, int], axes: str = "auto") -> np.ndarray:
    """Return ``intensity`` as (n, H, W), detecting or applying its axis order.

    Parameters
    ----------
    intensity : 3-D array of counts, NHW or HWN.
    n : number of patterns (the length of the coordinates).
    frame_shape : (H, W), the probe's shape.
    axes : "NHW", "HWN" or "auto" (detected from ``n`` and ``frame_shape``; refused when
        both orders fit, as for a stack of 64 patterns of 64 x 64).
    """
    if axes not in AXIS_ORDERS:
        raise ValueError(f"axes={axes!r} is invalid: allowed one of {list(AXIS_ORDERS)}")
    if intensity.ndim != 3:
        raise ValueError(f"diffraction has shape {intensity.shape}: allowed a 3-D stack (NHW or HWN)")
    nhw = intensity.shape == (n, *frame_shape)
    hwn = intensity.shape == (*frame_shape, n)
    if axes == "auto":
        if nhw and hwn:
            raise ValueError(
                f"diffraction shape {intensity.shape} fits both NHW and HWN for n={n}: pass the axis order explicitly"
            )
        if not (nhw or hwn):
            raise ValueError(
                f"diffraction shape {intensity.shape} fits neither NHW {(n, *frame_shape)} nor HWN {(*frame_shape, n)}"
            )
        axes = "NHW" if nhw else "HWN"
    if (axes == "NHW" and not nhw) or (axes == "HWN" and not hwn):
        raise ValueError(f"diffraction shape {intensity.shape} is not {axes} for n={n} and frames {frame_shape}")
    return intensity if axes == "NHW" else np.moveaxis(intensity, 2, 0)


def canonicalise(
    intensity: np.ndarray,
    object_guess: np.ndarray,
    probe_guess: np.ndarray,
    xcoords: np.ndarray,
    ycoords: np.ndarray,
    axes: str = "auto",
) -> dict[str, np.ndarray]:
    """The canonical arrays of one dataset.

    Parameters
    ----------
    intensity : (n, H, W) or (H, W, n) non-negative counts (any integer or float dtype).
    object_guess : (S, S') complex object.
    probe_guess : (H, W) complex probe.
    xcoords, ycoords : (n,) patch centres in object pixels.

    Returns
    -------
    dict
        ``diffraction`` (n, H, W) float32 amplitude, ``objectGuess``/``probeGuess``
        complex64, ``xcoords``/``ycoords`` (n,) float64.
    """
    xcoords = np.asarray(xcoords, dtype=np.float64).reshape(-1)
    ycoords = np.asarray(ycoords, dtype=np.float64).reshape(-1)
    if xcoords.shape != ycoords.shape:
        raise ValueError(f"xcoords has length {xcoords.size} but ycoords {ycoords.size}: allowed equal lengths")
    probe = np.asarray(probe_guess)
    if probe.ndim != 2:
        raise ValueError(f"probeGuess has shape {probe.shape}: allowed a 2-D array")
    stack = to_nhw(np.asarray(intensity), xcoords.size, probe.shape, axes)
    if stack.dtype.kind not in "uif":
        raise ValueError(f"diffraction dtype {stack.dtype} is invalid: allowed integer or float intensities")
    if stack.dtype.kind != "u" and (not np.isfinite(stack).all() or (stack < 0).any()):
        raise ValueError("diffraction intensities must be finite and >= 0")
    return {
        "diffraction": np.ascontiguousarray(np.sqrt(stack, dtype=np.float32)),
        "objectGuess": np.asarray(object_guess).astype(np.complex64),
        "probeGuess": probe.astype(np.complex64),
        "xcoords": xcoords,
        "ycoords": ycoords,
    }


def from_legacy(arrays: Mapping[str, Any], axes: str = "auto") -> dict[str, np.ndarray]:
    """Canonicalise a legacy mapping (an opened NPZ) with keys :data:`LEGACY_KEYS`."""
    missing = [k for k in LEGACY_KEYS if k not in arrays]
    if missing:
        raise ValueError(f"legacy input lacks key(s) {missing}: allowed inputs hold {list(LEGACY_KEYS)}")
    return canonicalise(
        arrays["diff3d"], arrays["objectGuess"], arrays["probeGuess"], arrays["xcoords"], arrays["ycoords"], axes
    )
