"""Complex values without fused multiply-adds: ``amplitude * exp(1j * phase)`` and products."""

from __future__ import annotations

import numpy as np

from synthbank.numerics.trig import sincos


def expi(phase: np.ndarray, amplitude: np.ndarray | float = 1.0, dtype: type = np.complex128) -> np.ndarray:
    """``amplitude * exp(1j * phase)`` from :func:`sincos`, rounded once to ``dtype``.

    Parameters
    ----------
    phase : array_like
        Radians, float64, ``|phase| <= 2**19 pi``.
    amplitude : array_like or float
        Broadcast against ``phase``.
    dtype : numpy.complex64 or numpy.complex128
        Result type; the real and imaginary parts are each rounded from float64.

    Returns
    -------
    numpy.ndarray
        Complex, the broadcast shape.
    """
    s, c = sincos(phase)
    re, im = np.broadcast_arrays(amplitude * c, amplitude * s)
    out = np.empty(re.shape, dtype=dtype)
    out.real = re
    out.imag = im
    return out


def multiply_complex(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``a * b`` for complex arrays, each part rounded separately (no FMA).

    numpy's complex loops use fused multiply-add where the CPU has it, so
    ``re = a.re b.re - a.im b.im`` rounds once there and twice elsewhere. Here every
    product and sum is its own ufunc call: the same rounding on every CPU.

    Parameters
    ----------
    a, b : numpy.ndarray
        complex64 or complex128, broadcastable to ``out``.
    out : numpy.ndarray, optional
        Receives the product (may be ``a``); a new array of the broadcast shape otherwise.

    Returns
    -------
    numpy.ndarray
        ``out``.
    """
    if out is None:
        out = np.empty(np.broadcast_shapes(a.shape, b.shape), dtype=np.result_type(a, b))
    re = a.real * b.real
    re -= a.imag * b.imag
    im = a.real * b.imag
    im += a.imag * b.real
    out.real = re
    out.imag = im
    return out
