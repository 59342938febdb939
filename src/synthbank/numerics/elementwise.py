"""How every portable function runs: one rounding per operation, blockwise on 1-D float64.

:func:`_horner` evaluates a polynomial one ufunc call at a time (no compiler can fuse a
multiply and an add); :func:`_elementwise` feeds a function 1-D float64 blocks of at most
:data:`_BLOCK` values and gives its results the input's shape back.
"""

from __future__ import annotations

import functools

import numpy as np


def _horner(z: np.ndarray, coeffs: tuple[float, ...], out: np.ndarray | None = None) -> np.ndarray:
    """``c0 + z (c1 + z (c2 + ...))`` with one rounding per operation (no FMA), in place (in ``out`` if given)."""
    if len(coeffs) == 1:
        return np.full_like(z, coeffs[0]) if out is None else np.copyto(out, coeffs[0]) or out
    acc = np.multiply(z, coeffs[-1], out=out)  # = c_n z: IEEE products do not depend on the order
    np.add(acc, coeffs[-2], out=acc)
    for c in coeffs[-3::-1]:
        np.multiply(acc, z, out=acc)
        np.add(acc, c, out=acc)
    return acc


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
        if flat.size <= _BLOCK:  # one block: no copy into a result array
            first = func(flat, *args)
            return tuple(p.reshape(x.shape) for p in first) if isinstance(first, tuple) else first.reshape(x.shape)
        out = None
        for i in range(0, flat.size, _BLOCK):
            part = func(flat[i : i + _BLOCK], *args)
            parts = part if isinstance(part, tuple) else (part,)  # sincos gives two
            if out is None:
                out = tuple(np.empty(flat.size, dtype=p.dtype) for p in parts)
            for o, p in zip(out, parts, strict=True):
                o[i : i + _BLOCK] = p
        return tuple(o.reshape(x.shape) for o in out) if isinstance(part, tuple) else out[0].reshape(x.shape)

    return wrapper
