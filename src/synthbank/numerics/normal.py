"""The normal law: its CDF (:func:`ndtr`) and normal draws that do not depend on libm.

:func:`standard_normal` wraps numpy's ziggurat sampler, which stores a libm ``log1p``
value only for its tail draws (``|z| >= 3.654``, about 1 draw in 3,700); those draws are
replaced by draws of the same tail made with :func:`~synthbank.numerics.explog.log` here.
Every other libm call in numpy's samplers (the ziggurat wedges, Poisson's PTRS and
multiplication methods) only decides accept/reject: a flip needs a uniform within one ulp
of the bound, probability below 2**-52 per draw.
"""

from __future__ import annotations

import numpy as np

from synthbank.numerics.elementwise import _elementwise
from synthbank.numerics.explog import exp, log


#: ndtr's series: terms for |x| <= _ERF_CLIP (beyond, erf is 1 to within 1e-20).
_ERF_CLIP = 6.5
_ERF_TERMS = 110


@_elementwise
def ndtr(z: np.ndarray | float) -> np.ndarray:
    """The standard normal CDF ``Phi(z) = (1 + erf(z / sqrt 2)) / 2``, float64.

    ``erf(x) = 2/sqrt(pi) exp(-x**2) sum_n 2**n x**(2n+1) / (2n+1)!!``: every term is
    positive, so nothing cancels; a fixed number of terms (110, enough for ``|x| <= 6.5``)
    keeps the operation sequence the same for every element. Absolute error below 2e-15.

    Parameters
    ----------
    z : array_like
        Any shape; converted to float64.

    Returns
    -------
    numpy.ndarray
        float64 in ``[0, 1]``, the shape of ``z``.
    """
    x = np.minimum(np.abs(z) / np.sqrt(2.0), _ERF_CLIP)  # nan stays nan, fixed up below
    x2 = 2.0 * x * x
    term = x.copy()
    total = x.copy()
    for n in range(1, _ERF_TERMS):
        term *= x2
        term /= 2.0 * n + 1.0
        total += term
    erf = np.minimum(total * exp(-x * x) * (2.0 / np.sqrt(np.pi)), 1.0)
    half = 0.5 * erf
    return np.where(np.isnan(z), np.nan, np.where(z < 0, 0.5 - half, 0.5 + half))


#: numpy's ziggurat tail starts here: every |z| >= R came from the libm tail branch.
ZIGGURAT_R = 3.6541528853610088
ZIGGURAT_R_F32 = float(np.float32(3.6541529))


def normal_tail(rng: np.random.Generator, n: int, r: float = ZIGGURAT_R) -> np.ndarray:
    """``n`` draws of ``|Z|`` conditioned on ``|Z| >= r``, with :func:`log` only.

    Marsaglia's tail method: ``x = -log(u1) / r``, ``y = -log(u2)``, accept if
    ``2 y > x**2``; returns ``r + x``. Pairs are drawn in blocks, accepted in order.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` float64, every value ``>= r``.
    """
    out = np.empty(0)
    while out.size < n:
        need = n - out.size
        u = 1.0 - rng.random((2, need + 8))  # (0, 1]
        x = -log(u[0]) / r
        y = -log(u[1])
        out = np.concatenate([out, (r + x)[2.0 * y > x * x]])
    return out[:n]


def standard_normal(rng: np.random.Generator, size: int | tuple[int, ...], dtype: type = np.float64,
                    out: np.ndarray | None = None) -> np.ndarray:
    """numpy's standard normal draws with the libm tail replaced (see the module doc).

    Parameters
    ----------
    rng : numpy.random.Generator
        Consumed: the normals, then the uniforms of the replaced tail draws (their number
        is set by integer comparisons inside numpy, so it is the same on every CPU).
    size : int or tuple of int
        Output shape.
    dtype : numpy.float32 or numpy.float64
        numpy's float32 ziggurat is used for float32.
    out : numpy.ndarray, optional
        C-contiguous array of ``size`` and ``dtype`` to fill (the same draws, no new array).

    Returns
    -------
    numpy.ndarray
        Standard normal values of ``size`` and ``dtype``.
    """
    if out is not None and not (out.flags.c_contiguous and out.shape == np.shape(np.empty(size, dtype=bool))):
        raise ValueError(f"out of shape {out.shape} is invalid: allowed a C-contiguous array of shape {size}")
    z = rng.standard_normal(size, dtype=dtype) if out is None else rng.standard_normal(dtype=dtype, out=out)
    r = ZIGGURAT_R_F32 if np.dtype(dtype) == np.float32 else ZIGGURAT_R
    flat = z.reshape(-1)
    tail = np.flatnonzero(np.abs(flat) >= r)
    if tail.size:
        values = normal_tail(rng, tail.size, r)
        flat[tail] = np.copysign(values, flat[tail]).astype(dtype)
    return z
