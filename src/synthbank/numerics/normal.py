"""The normal law: its CDF (:func:`ndtr`) and normal draws that do not depend on libm.

:func:`standard_normal` wraps numpy's ziggurat sampler, which stores a libm ``log1p``
value only for its tail draws (``|z| >= 3.654``, about 1 draw in 3,700); those draws are
replaced by draws of the same tail made with :func:`~synthbank.numerics.explog.log` here.
Every other libm call in numpy's samplers (the ziggurat wedges, Poisson's PTRS and
multiplication methods) only decides accept/reject: a flip needs a uniform within one ulp
of the bound, probability below 2**-52 per draw.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from synthbank import scratch
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
    return _more_tail(rng, np.empty(0), n, r)


def _tail_uniforms(rng: np.random.Generator, need: int) -> np.ndarray:
    """One block of :func:`normal_tail`'s uniform pairs: (2, need + 8) float64 in (0, 1]."""
    return 1.0 - rng.random((2, need + 8))


def _accepted(logs: np.ndarray, r: float) -> np.ndarray:
    """The tail values ``r + x`` of the accepted pairs, from ``log`` of a block of uniforms."""
    x = -logs[0] / r
    y = -logs[1]
    return (r + x)[2.0 * y > x * x]


def _more_tail(rng: np.random.Generator, out: np.ndarray, n: int, r: float) -> np.ndarray:
    """:func:`normal_tail`'s loop from ``out`` (values accepted so far): blocks until ``n``."""
    while out.size < n:
        out = np.concatenate([out, _accepted(log(_tail_uniforms(rng, n - out.size)), r)])
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
    z = np.empty(size, dtype=dtype) if out is None else out
    standard_normal_rows([rng], z.size, dtype, out=z.reshape(1, -1))  # one row: the same draws, in place
    return z


def standard_normal_rows(rngs: Sequence[np.random.Generator], width: int, dtype: type = np.float32,
                         out: np.ndarray | None = None) -> np.ndarray:
    """Row ``c`` is ``standard_normal(rngs[c], width, dtype)``, bit for bit, with the tails batched.

    Each row's draws come from its own Generator in :func:`standard_normal`'s order (the
    normals, then the uniforms of its tail draws), so the values are the same; the
    portable ``log`` of every row's first block of tail uniforms is one call (``log`` is
    elementwise: batching changes no bit) instead of two small calls per row.

    Parameters
    ----------
    rngs : one Generator per row, each consumed as :func:`standard_normal` would.
    width : draws per row.
    dtype : numpy.float32 or numpy.float64.
    out : optional C-contiguous (len(rngs), width) array of ``dtype`` to fill.

    Returns
    -------
    numpy.ndarray
        (len(rngs), width) standard normal values of ``dtype``.
    """
    if out is None:
        out = np.empty((len(rngs), width), dtype=dtype)
    elif not (out.flags.c_contiguous and out.shape == (len(rngs), width) and out.dtype == np.dtype(dtype)):
        raise ValueError(f"out of shape {out.shape} is invalid: allowed a C-contiguous {np.dtype(dtype)} array of shape {(len(rngs), width)}")
    r = ZIGGURAT_R_F32 if np.dtype(dtype) == np.float32 else ZIGGURAT_R
    pending = []  # (row, its tail positions, its first block of tail uniforms)
    magnitude = scratch.buffer("numerics.normal.magnitude", (width,), dtype)  # reused: no fresh pages per row
    for c, (row, rng) in enumerate(zip(out, rngs, strict=True)):
        rng.standard_normal(dtype=dtype, out=row)
        tail = np.flatnonzero(np.abs(row, out=magnitude) >= r)
        if tail.size:
            pending.append((c, tail, _tail_uniforms(rng, tail.size)))
    if not pending:
        return out
    logs = log(np.concatenate([u for _, _, u in pending], axis=1))
    start = 0
    for c, tail, u in pending:
        block = logs[:, start : start + u.shape[1]]
        start += u.shape[1]
        values = _more_tail(rngs[c], _accepted(block, r), tail.size, r)  # more from row c's own stream
        row = out[c]
        row[tail] = np.copysign(values, row[tail]).astype(dtype)
    return out
