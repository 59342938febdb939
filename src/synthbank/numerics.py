"""Portable numerics: the same bits on every CPU, whatever numpy or libm would pick.

numpy evaluates float32 ``exp/log/sin/cos/tanh`` with different SIMD code per CPU level,
its float64 ``sin/cos/exp/log/tanh`` with its own AVX2 and AVX-512 code (and more
functions with AVX-512 code), and everything else through the C library, whose glibc
variants differ again with and without FMA; its complex multiply fuses multiply-adds
where the CPU has FMA. A stored
value computed that way changes with the machine. The functions here use only
operations IEEE 754 rounds the same everywhere (``+ - * /``, ``sqrt``, ``rint``,
``floor``, ``frexp``/``ldexp``, comparisons and selections), one numpy ufunc at a time,
so no compiler can fuse a multiply and an add. The algorithms and coefficients are
fdlibm's (e_exp.c, e_log.c, k_sin.c, k_cos.c, s_atan.c), vectorised, under its notice:

    Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
    Developed at SunPro, a Sun Microsystems, Inc. business.
    Permission to use, copy, modify, and distribute this
    software is freely granted, provided that this notice
    is preserved.

Every function takes an array_like of any shape (converted to float64) and returns float64
arrays of that shape, unless its docstring says otherwise.

Accuracy (``tests/test_numerics.py`` measures it against the C library (math)):
``exp``, ``log`` within 1 ulp; ``sin``, ``cos`` within 2 ulp for ``|x| <= 2**19 pi``;
``arctan`` within 2 ulp; ``tanh`` within 3 ulp for ``|x| >= 0.55`` and 4e-16 absolute
below (relative accuracy is poor for tiny ``|x|``: the callers square it or add to it);
``power`` within ``(2 + |y log x|) ulp`` of the exact value; ``ndtr`` within 2e-15
absolute. These bounds are about accuracy; determinism does not depend on them.

:func:`standard_normal` wraps numpy's ziggurat sampler, which stores a libm ``log1p``
value only for its tail draws (``|z| >= 3.654``, about 1 draw in 3,700); those draws are
replaced by draws of the same tail made with :func:`log` here. Every other libm call in
numpy's samplers (the ziggurat wedges, Poisson's PTRS and multiplication methods) only
decides accept/reject: a flip needs a uniform within one ulp of the bound, probability
below 2**-52 per draw.
"""

from __future__ import annotations

import functools

import numpy as np

#: Bumped whenever a function here changes a single output bit; manifests record it.
NUMERICS_VERSION = "1"

_f64 = np.float64
LN2_HI = _f64(6.93147180369123816490e-01)  # 0x3fe62e42fee00000: 32 bits, k * LN2_HI exact
LN2_LO = _f64(1.90821492927058770002e-10)
INV_LN2 = _f64(1.44269504088896338700e00)
PI = _f64(np.pi)
HALF_PI = _f64(np.pi / 2)

# exp: rational approximation of r (exp(r) + 1) / (exp(r) - 1) on |r| <= ln2 / 2.
_EXP_P = (1.66666666666666019037e-01, -2.77777777770155933842e-03, 6.61375632143793436117e-05,
          -1.65339022054652515390e-06, 4.13813679705723846039e-08)
_EXP_MAX = 7.09782712893383973096e02
_EXP_MIN = -7.45133219101941108420e02

# log: polynomial in s**2, s = f / (2 + f), f = m - 1, m in [sqrt(2)/2, sqrt(2)).
_LOG_LG = (6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01,
           2.222219843214978396e-01, 1.818357216161805012e-01, 1.531383769920937332e-01,
           1.479819860511658591e-01)

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


def _horner(z: np.ndarray, coeffs: tuple[float, ...]) -> np.ndarray:
    """``c0 + z (c1 + z (c2 + ...))`` with one rounding per operation (no FMA), in place."""
    acc = np.full_like(z, coeffs[-1])
    for c in coeffs[-2::-1]:
        np.multiply(acc, z, out=acc)
        np.add(acc, c, out=acc)
    return acc


def _pow2(k: np.ndarray) -> np.ndarray:
    """``2.0**k`` for int64 ``-1022 <= k <= 1023``, built from the exponent bits (exact)."""
    return ((k + 1023) << 52).view(np.float64)


#: Elements per block of an elementwise function: a dozen float64 temporaries of this size
#: stay in the L2 cache and are reused by the allocator instead of faulted in anew.
_BLOCK = 1 << 14


def _elementwise(func):  # noqa: ANN001, ANN202
    """Run ``func`` on 1-D float64 blocks of its first argument; results get its shape back.

    Internally every array is 1-D (in-place ufuncs never meet numpy's 0-d scalars) and at
    most :data:`_BLOCK` long: the functions are elementwise, so blocking changes no bit,
    and it makes arrays of 1e5-1e7 values about twice as fast (fewer page faults).
    Floating-point warnings are off inside: lanes that overflow or divide by zero are
    computed and then replaced by selections.
    """

    @functools.wraps(func)
    @np.errstate(all="ignore")
    def wrapper(x, *args):  # noqa: ANN001, ANN202
        x = np.asarray(x, dtype=np.float64)
        flat = x.reshape(-1)
        blocks = [func(flat[i : i + _BLOCK], *args) for i in range(0, max(flat.size, 1), _BLOCK)]
        if isinstance(blocks[0], tuple):  # sincos
            return tuple(np.concatenate(part).reshape(x.shape) for part in zip(*blocks, strict=True))
        return np.concatenate(blocks).reshape(x.shape)

    return wrapper


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


@_elementwise
def log(x: np.ndarray | float) -> np.ndarray:
    """Natural logarithm, float64, within 1 ulp; ``-inf`` at 0, ``nan`` below 0.
    """
    safe = np.where((x > 0) & np.isfinite(x), x, 1.0)
    m, e = np.frexp(safe)  # safe = m * 2**e, m in [0.5, 1): exact
    low = m < np.sqrt(0.5)
    m = np.where(low, m * 2.0, m)  # exact: a power of two
    k = (e - low).astype(np.float64)
    f = m - 1.0  # exact (Sterbenz)
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * _horner(w, _LOG_LG[1::2])
    t2 = z * _horner(w, _LOG_LG[0::2])
    r = t2 + t1
    hfsq = 0.5 * f * f
    y = k * LN2_HI - ((hfsq - (s * (hfsq + r) + k * LN2_LO)) - f)
    y = np.where(x == 0, -np.inf, y)
    y = np.where(x == np.inf, np.inf, y)
    return np.where((x < 0) | np.isnan(x), np.nan, y)


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


def standard_normal(rng: np.random.Generator, size: int | tuple[int, ...], dtype: type = np.float64) -> np.ndarray:
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

    Returns
    -------
    numpy.ndarray
        Standard normal values of ``size`` and ``dtype``.
    """
    z = rng.standard_normal(size, dtype=dtype)
    r = ZIGGURAT_R_F32 if np.dtype(dtype) == np.float32 else ZIGGURAT_R
    flat = z.reshape(-1)
    tail = np.flatnonzero(np.abs(flat) >= r)
    if tail.size:
        values = normal_tail(rng, tail.size, r)
        flat[tail] = np.copysign(values, flat[tail]).astype(dtype)
    return z
