"""The exponential family: ``exp``, ``log``, and ``tanh`` and ``power`` built on them.

``exp`` and ``log`` are fdlibm's e_exp.c and e_log.c, vectorised, under its notice:

    Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
    Developed at SunPro, a Sun Microsystems, Inc. business.
    Permission to use, copy, modify, and distribute this
    software is freely granted, provided that this notice
    is preserved.
"""

from __future__ import annotations

import numpy as np

from synthbank import scratch
from synthbank.numerics.elementwise import _BLOCK, _elementwise, _horner

_f64 = np.float64
LN2_HI = _f64(6.93147180369123816490e-01)  # 0x3fe62e42fee00000: 32 bits, k * LN2_HI exact
LN2_LO = _f64(1.90821492927058770002e-10)
INV_LN2 = _f64(1.44269504088896338700e00)

# exp: rational approximation of r (exp(r) + 1) / (exp(r) - 1) on |r| <= ln2 / 2.
_EXP_P = (1.66666666666666019037e-01, -2.77777777770155933842e-03, 6.61375632143793436117e-05,
          -1.65339022054652515390e-06, 4.13813679705723846039e-08)
_EXP_MAX = 7.09782712893383973096e02
_EXP_MIN = -7.45133219101941108420e02
_SQRT_HALF = np.sqrt(0.5)

# log: polynomial in s**2, s = f / (2 + f), f = m - 1, m in [sqrt(2)/2, sqrt(2)).
_LOG_LG = (6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01,
           2.222219843214978396e-01, 1.818357216161805012e-01, 1.531383769920937332e-01,
           1.479819860511658591e-01)


def _pow2(k: np.ndarray) -> np.ndarray:
    """``2.0**k`` for int64 ``-1022 <= k <= 1023``, built from the exponent bits (exact)."""
    return ((k + 1023) << 52).view(np.float64)


@_elementwise
def exp(x: np.ndarray | float) -> np.ndarray:
    """``e**x``, float64, within 1 ulp; ``inf`` above 709.78, ``0`` below -745.13.
    """
    xc = np.clip(x, -746.0, 710.0)  # out-of-range and nan are fixed up at the end
    special = bool(np.isnan(xc).any())
    if special:
        xc[np.isnan(xc)] = 0.0
    k = np.multiply(xc, INV_LN2)
    np.rint(k, out=k)
    hi = np.multiply(k, LN2_HI)
    np.subtract(xc, hi, out=hi)  # exact: k * LN2_HI has 32 bits, and Sterbenz
    lo = np.multiply(k, LN2_LO)
    r = hi - lo
    z = r * r
    c = _horner(z, _EXP_P)
    np.multiply(c, z, out=c)
    np.subtract(r, c, out=c)  # c = r - z P(z)
    y = np.multiply(r, c)
    np.subtract(2.0, c, out=c)
    np.divide(y, c, out=y)
    np.subtract(lo, y, out=y)
    np.subtract(y, hi, out=y)
    np.subtract(1.0, y, out=y)  # exp(r), in [0.7, 1.42]
    # 2**k as two exact factors, so neither overflows before a subnormal result rounds.
    ki = k.astype(np.int64)
    half = ki >> 1
    y *= _pow2(half)
    y *= _pow2(ki - half)
    if special or xc.size and (x.max() > _EXP_MAX or x.min() < _EXP_MIN):
        y = np.where(x > _EXP_MAX, np.inf, y)
        y = np.where(x < _EXP_MIN, 0.0, y)
        y = np.where(np.isnan(x), x, y)
    return y


def log(x: np.ndarray | float) -> np.ndarray:
    """Natural logarithm, float64, within 1 ulp; ``-inf`` at 0, ``nan`` below 0.
    """
    # Blockwise like every elementwise function (see elementwise.py), but into one result
    # array and with this thread's scratch buffers: no temporaries, so no page faults.
    x = np.asarray(x, dtype=np.float64)
    flat = x.reshape(-1)
    out = np.empty(flat.size)
    work = _log_workspace()
    with np.errstate(all="ignore"):
        for i in range(0, flat.size, _BLOCK):
            _log_block(flat[i : i + _BLOCK], out[i : i + _BLOCK], work)
    return out.reshape(x.shape)


def xlogx(x: np.ndarray | float, out: np.ndarray | None = None) -> np.ndarray:
    """``x log x`` elementwise, with ``0 log 0 = 0``: bit for bit ``x * log(where(x > 0, x, 1))``.

    Each block's product is taken while the block's logarithms are still in the cache,
    and a block of positive finite values (the usual case) skips the special-value checks.

    Parameters
    ----------
    x : array_like
        Any shape; converted to float64. Cells that are not ``> 0`` give ``0 * x``
        (``0`` for ``0``, ``nan`` for ``nan``).
    out : numpy.ndarray, optional
        A C-contiguous float64 array of ``x``'s size to write into (not overlapping ``x``).

    Returns
    -------
    numpy.ndarray
        float64 of ``x``'s shape (``out`` reshaped, if given).
    """
    x = np.asarray(x, dtype=np.float64)
    flat = x.reshape(-1)
    if out is None:
        out = np.empty(flat.size)
    elif not (out.dtype == np.float64 and out.size == flat.size and out.flags.c_contiguous):
        raise ValueError(f"out of shape {out.shape} and dtype {out.dtype} is invalid: allowed a C-contiguous float64 array of {flat.size} values")
    elif np.may_share_memory(out, x):  # each block's logs overwrite x before the product reads it
        raise ValueError("out shares memory with x: allowed an out array separate from x")
    y_all = out.reshape(-1)
    work = _log_workspace(_XLOGX_BLOCK)
    with np.errstate(all="ignore"):
        for i in range(0, flat.size, _XLOGX_BLOCK):
            xb, yb = flat[i : i + _XLOGX_BLOCK], y_all[i : i + _XLOGX_BLOCK]
            if xb.min() > 0 and xb.max() < np.inf:  # nan fails both
                _log_block(xb, yb, work, special=False)
            else:
                _log_block(np.where(xb > 0, xb, 1.0), yb, work, special=True)  # cells not > 0 became 1: only +inf is left
            np.multiply(yb, xb, out=yb)
    return y_all.reshape(x.shape)


def _log_workspace(size: int = _BLOCK) -> tuple[np.ndarray, ...]:
    """This thread's scratch for :func:`_log_block` on blocks of ``size``: one int and eight float64 blocks."""
    # one set for every block size (log's, xlogx's): the storage grows to the larger
    return (scratch.buffer("numerics.log.exponent", (size,), np.intc),
            *(scratch.buffer(f"numerics.log.{i}", (size,)) for i in range(8)))


#: :func:`xlogx`'s block: twice the others' (measured about 5 % faster per value on a
#: 256 x 256 map; with no temporaries it has no page faults to trade against).
_XLOGX_BLOCK = 2 * _BLOCK


def _log_block(x: np.ndarray, y: np.ndarray, work: tuple[np.ndarray, ...], special: bool | None = None) -> None:
    """fdlibm's log of the 1-D block ``x`` into ``y``: one ufunc per step, into scratch buffers.

    Products are taken in either order (IEEE rounds ``a * b`` and ``b * a`` alike).
    ``special=False`` says the caller knows every value is positive and finite.
    """
    n = x.size
    e, m, low, k, s, z, w, t1, r = (b[:n] for b in work)
    if special is None:
        special = not (n == 0 or (x.min() > 0 and x.max() < np.inf))  # nan fails both
    safe = np.where((x > 0) & np.isfinite(x), x, 1.0) if special else x
    np.frexp(safe, out=(m, e))  # safe = m * 2**e, m in [0.5, 1): exact
    np.less(m, _SQRT_HALF, out=low, casting="unsafe")  # 1.0 where m < sqrt(1/2), else 0.0
    np.copyto(k, e)
    np.subtract(k, low, out=k)
    np.add(low, 1.0, out=low)
    f = np.multiply(m, low, out=m)  # m * 2 where low: exact, a power of two
    np.subtract(f, 1.0, out=f)  # f = m - 1, exact (Sterbenz)
    np.add(f, 2.0, out=s)
    np.divide(f, s, out=s)  # s = f / (2 + f)
    np.multiply(s, s, out=z)
    np.multiply(z, z, out=w)
    _horner(w, _LOG_LG[1::2], out=t1)
    np.multiply(t1, w, out=t1)
    _horner(w, _LOG_LG[0::2], out=r)
    np.multiply(r, z, out=r)
    np.add(r, t1, out=r)  # r = t2 + t1
    hfsq = np.multiply(f, 0.5, out=w)
    np.multiply(hfsq, f, out=hfsq)  # 0.5 * f * f
    # y = k * LN2_HI - ((hfsq - (s * (hfsq + r) + k * LN2_LO)) - f)
    a = np.add(hfsq, r, out=r)
    np.multiply(a, s, out=a)
    np.add(a, np.multiply(k, LN2_LO, out=t1), out=a)
    np.subtract(hfsq, a, out=a)
    np.subtract(a, f, out=a)
    np.multiply(k, LN2_HI, out=k)
    np.subtract(k, a, out=y)
    if special:
        y[x == 0] = -np.inf
        y[x == np.inf] = np.inf
        y[(x < 0) | np.isnan(x)] = np.nan


@_elementwise
def tanh(x: np.ndarray | float) -> np.ndarray:
    """Hyperbolic tangent, float64: ``(1 - e) / (1 + e)``, ``e = exp(-2|x|)``, sign of ``x``.

    Within 3 ulp for ``|x| >= 0.55``; below, the absolute error stays under 4e-16.
    """
    e = exp(-2.0 * np.minimum(np.abs(x), 40.0))
    return np.copysign((1.0 - e) / (1.0 + e), x)


@_elementwise
def power(x: np.ndarray | float, y: float) -> np.ndarray:
    """``x**y`` for ``x > 0`` as ``exp(y log x)``, float64 (``0`` maps to ``0**y``).

    Parameters
    ----------
    x : array_like
        Non-negative bases, any shape.
    y : float
        The exponent.

    Returns
    -------
    numpy.ndarray
        float64, the shape of ``x``.
    """
    if y == 0:
        return np.ones_like(x)  # x**0 = 1 for every x, as numpy has it
    zero = 0.0 if y > 0 else np.inf
    return np.where(x == 0, zero, exp(y * log(np.where(x == 0, 1.0, x))))
