"""Trigonometry: ``sincos``, ``sin``, ``cos``, ``arctan`` and ``arctan2``.

The kernels and the arc tangent are fdlibm's k_sin.c, k_cos.c and s_atan.c, vectorised,
under its notice:

    Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
    Developed at SunPro, a Sun Microsystems, Inc. business.
    Permission to use, copy, modify, and distribute this
    software is freely granted, provided that this notice
    is preserved.

The argument reduction uses a three-part ``pi / 2``, exact up to ``|x| = 2**19 pi``
(:data:`SIN_COS_MAX`); larger finite arguments are refused.
"""

from __future__ import annotations

import numpy as np

from synthbank.numerics.elementwise import _elementwise, _horner

_f64 = np.float64
PI = _f64(np.pi)
HALF_PI = _f64(np.pi / 2)

# sin/cos on |r| <= pi / 4 (fdlibm's __kernel_sin / __kernel_cos).
_SIN_S = (-1.66666666666666324348e-01, 8.33333333332248946124e-03, -1.98412698298579493134e-04,
          2.75573137070700676789e-06, -2.50507602534068634195e-08, 1.58969099521155010221e-10)
_COS_C = (4.16666666666666019037e-02, -1.38888888888741095749e-03, 2.48015872894767294178e-05,
          -2.75573143513906633035e-07, 2.08757232129817482790e-09, -1.13596475577881948265e-11)
# pi / 2 in three 33-bit parts: n * part is exact for |n| < 2**20.
_PIO2_1 = _f64(1.57079632673412561417e00)
_PIO2_2 = _f64(6.07710050630396597660e-11)
_PIO2_3 = _f64(2.02226624871116645580e-21)
_INV_PIO2 = _f64(6.36619772367581382433e-01)
SIN_COS_MAX = float(2**19 * np.pi)

# arctan (fdlibm s_atan.c).
_ATAN_HI = (4.63647609000806093515e-01, 7.85398163397448278999e-01, 9.82793723247329054082e-01,
            1.57079632679489655800e00)
_ATAN_LO = (2.26987774529616870924e-17, 3.06161699786838301793e-17, 1.39033110312309984516e-17,
            6.12323399573676603587e-17)
_ATAN_T = (3.33333333333329318027e-01, -1.99999999998764832476e-01, 1.42857142725034663711e-01,
           -1.11111104054623557880e-01, 9.09088713343650656196e-02, -7.69187620504482999495e-02,
           6.66107313738753120669e-02, -5.83357013379057348645e-02, 4.97687799461593236017e-02,
           -3.65315727442169155270e-02, 1.62858201153657823623e-02)


def _reduce_half_pi(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``x = n pi/2 + r``, ``|r| <= pi/4`` (about), ``n`` mod 4 as int64."""
    n = np.rint(x * _INV_PIO2)
    r = x - n * _PIO2_1
    r -= n * _PIO2_2
    r -= n * _PIO2_3
    return r, n.astype(np.int64) & 3


def _kernel_sin(r: np.ndarray) -> np.ndarray:
    z = r * r
    return r + (r * z) * _horner(z, _SIN_S)


def _kernel_cos(r: np.ndarray) -> np.ndarray:
    z = r * r
    hz = 0.5 * z
    w = 1.0 - hz
    return w + (((1.0 - w) - hz) + (z * z) * _horner(z, _COS_C))


def _check_sin_cos_range(x: np.ndarray) -> None:
    finite = x[np.isfinite(x)]
    if finite.size and float(np.max(np.abs(finite))) > SIN_COS_MAX:
        raise ValueError(f"|x| = {float(np.max(np.abs(finite))):g} is out of range: allowed |x| <= 2**19 pi")


@_elementwise
def sincos(x: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """``(sin x, cos x)``, float64, each within 2 ulp, for ``|x| <= 2**19 pi``.

    Parameters
    ----------
    x : array_like
        Radians, any shape; converted to float64.

    Returns
    -------
    tuple of numpy.ndarray
        Two float64 arrays of the shape of ``x`` (``nan`` where ``x`` is not finite).

    Raises
    ------
    ValueError
        If a finite ``|x|`` exceeds ``2**19 pi`` (the three-part reduction's range).
    """
    _check_sin_cos_range(x)
    r, q = _reduce_half_pi(np.where(np.isfinite(x), x, 0.0))
    s, c = _kernel_sin(r), _kernel_cos(r)
    # quadrant q: sin = (s, c, -s, -c)[q], cos = (c, -s, -c, s)[q]
    sin = np.where(q & 1, c, s)
    cos = np.where(q & 1, s, c)
    sin = np.where((q == 2) | (q == 3), -sin, sin)
    cos = np.where((q == 1) | (q == 2), -cos, cos)
    sin = np.where(x == 0, x, sin)  # sin(-0) = -0
    bad = ~np.isfinite(x)
    return np.where(bad, np.nan, sin), np.where(bad, np.nan, cos)


def sin(x: np.ndarray | float) -> np.ndarray:
    """Sine of radians, float64, within 2 ulp for ``|x| <= 2**19 pi`` (see :func:`sincos`)."""
    return sincos(x)[0]


def cos(x: np.ndarray | float) -> np.ndarray:
    """Cosine of radians, float64, within 2 ulp for ``|x| <= 2**19 pi`` (see :func:`sincos`)."""
    return sincos(x)[1]


@_elementwise
def arctan(x: np.ndarray | float) -> np.ndarray:
    """Arc tangent, radians in ``[-pi/2, pi/2]``, float64, within 2 ulp.
    """
    a = np.abs(x)
    # fdlibm's breakpoints 7/16, 11/16, 19/16, 39/16: atan(a) = atan(c) + atan((a - c) / (1 + a c)).
    i = np.full(a.shape, -1, dtype=np.int64)
    i = np.where(a >= 0.4375, 0, i)
    i = np.where(a >= 0.6875, 1, i)
    i = np.where(a >= 1.1875, 2, i)
    i = np.where(a >= 2.4375, 3, i)
    big = np.where(np.isfinite(a) & (a > 0), a, 1.0)
    t = a.copy()
    t = np.where(i == 0, (2.0 * big - 1.0) / (2.0 + big), t)
    t = np.where(i == 1, (big - 1.0) / (big + 1.0), t)
    t = np.where(i == 2, (big - 1.5) / (1.0 + 1.5 * big), t)
    t = np.where(i == 3, -1.0 / big, t)
    z = t * t
    w = z * z
    s1 = z * _horner(w, _ATAN_T[0::2])
    s2 = w * _horner(w, _ATAN_T[1::2])
    poly = t * (s1 + s2)
    hi = np.take(np.array(_ATAN_HI), np.maximum(i, 0))
    lo = np.take(np.array(_ATAN_LO), np.maximum(i, 0))
    y = np.where(i < 0, t - poly, hi - ((poly - lo) - t))
    y = np.where(a == np.inf, _ATAN_HI[3], y)
    y = np.where(np.isnan(x), np.nan, y)
    return np.copysign(y, x)


def arctan2(y: np.ndarray | float, x: np.ndarray | float) -> np.ndarray:
    """Angle of the point ``(x, y)``, radians in ``[-pi, pi]``, float64, from :func:`arctan`.

    ``arctan(y / x)`` moved to the right quadrant (the division adds up to half an ulp
    to the argument: within 3 ulp of the exact angle away from the axes). ``(0, 0)``
    gives 0, as numpy does for ``+0``.

    Parameters
    ----------
    y, x : array_like
        Broadcastable; converted to float64.

    Returns
    -------
    numpy.ndarray
        float64, the broadcast shape.
    """
    y, x = np.broadcast_arrays(np.asarray(y, dtype=np.float64), np.asarray(x, dtype=np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        base = arctan(np.where(x != 0, y / np.where(x != 0, x, 1.0), 0.0))
    on_axis = np.where(y > 0, HALF_PI, np.where(y < 0, -HALF_PI, 0.0))  # x == 0
    return np.where(x > 0, base, np.where(x < 0, base + np.where(y >= 0, PI, -PI), on_axis))
