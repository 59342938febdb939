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
fdlibm's (e_exp.c, e_log.c, k_sin.c, k_cos.c, s_atan.c), vectorised; the modules that hold
them carry its notice.

Every function takes an array_like of any shape (converted to float64) and returns float64
arrays of that shape, unless its docstring says otherwise.

Accuracy (``tests/test_numerics.py`` measures it against the C library (math)):
``exp``, ``log`` within 1 ulp; ``sin``, ``cos`` within 2 ulp for ``|x| <= 2**19 pi``;
``arctan`` within 2 ulp; ``tanh`` within 3 ulp for ``|x| >= 0.55`` and 4e-16 absolute
below (relative accuracy is poor for tiny ``|x|``: the callers square it or add to it);
``power`` within ``(2 + |y log x|) ulp`` of the exact value; ``ndtr`` within 2e-15
absolute. These bounds are about accuracy; determinism does not depend on them.

The functions live in one module per family and, but for ``discrete``, are importable from here:

- :mod:`~synthbank.numerics.elementwise`: how each runs (no FMA, 1-D float64 blocks);
- :mod:`~synthbank.numerics.explog`: ``exp``, ``log``, ``xlogx``, ``tanh``, ``power``;
- :mod:`~synthbank.numerics.trig`: ``sincos``, ``sin``, ``cos``, ``arctan``, ``arctan2``;
- :mod:`~synthbank.numerics.complexes`: ``expi``, ``multiply_complex``;
- :mod:`~synthbank.numerics.normal`: ``ndtr``, and ``standard_normal`` with its libm tail
  draws replaced (``normal_tail``), ``standard_normal_rows`` (one Generator per row);
- :mod:`~synthbank.numerics.discrete`: ``poisson``, exact Poisson draws (imported from its
  module only: ptycho alone uses it, so no other family's stages depend on it).
"""

from __future__ import annotations

from synthbank.numerics.complexes import expi, multiply_complex
from synthbank.numerics.elementwise import _BLOCK  # noqa: F401  (tests cut inputs at its edges)
from synthbank.numerics.explog import INV_LN2, LN2_HI, LN2_LO, exp, log, power, tanh, xlogx
from synthbank.numerics.normal import ZIGGURAT_R, ZIGGURAT_R_F32, ndtr, normal_tail, standard_normal, standard_normal_rows
from synthbank.numerics.trig import HALF_PI, PI, SIN_COS_MAX, arctan, arctan2, cos, sin, sincos

#: Bumped whenever a function here changes a single output bit; manifests record it.
NUMERICS_VERSION = "1"

__all__ = [
    "HALF_PI", "INV_LN2", "LN2_HI", "LN2_LO", "NUMERICS_VERSION", "PI", "SIN_COS_MAX", "ZIGGURAT_R", "ZIGGURAT_R_F32",
    "arctan", "arctan2", "cos", "exp", "expi", "log", "multiply_complex", "ndtr", "normal_tail", "power", "sin",
    "sincos", "standard_normal", "standard_normal_rows", "tanh", "xlogx",
]
