"""Per-thread scratch arrays, reused from call to call.

A fresh array of a few hundred kB or more is new memory for the C library's allocator
more often than not, and every 4 KiB page of it then costs a page fault when first
written (about 2-3 us each on the 2-core hosts here: more than the arithmetic of a
256 x 256 float64 map). Hot loops that need the same temporaries at every call take
them from here instead. Per thread, because a Dask worker runs tasks on several threads
of one process.
"""

from __future__ import annotations

import math
import threading
from typing import Any

import numpy as np

_LOCAL = threading.local()
#: Larger arrays are made afresh and not kept: their page faults are small next to the
#: work done on them, and a thread should not hold that much memory between calls.
MAX_KEPT_BYTES = 16 << 20


def buffer(name: str, shape: tuple[int, ...], dtype: Any = np.float64) -> np.ndarray:
    """This thread's scratch array ``name``: C-contiguous, of ``shape`` and ``dtype``, contents undefined.

    The storage grows to the largest size asked for (up to :data:`MAX_KEPT_BYTES`; a
    larger array is a fresh one) and is kept, so ``name`` must be one per use: the array
    is overwritten by the next call with the same name, in any function; never return it
    or keep it beyond the caller's own computation.

    Parameters
    ----------
    name : str
        The use, for example ``"energy.blur.spectrum"``.
    shape : tuple of int
    dtype : numpy dtype, default float64

    Returns
    -------
    numpy.ndarray
        A view of ``shape`` on this thread's storage for ``(name, dtype)``.
    """
    dtype = np.dtype(dtype)
    size = math.prod(shape)
    if size * dtype.itemsize > MAX_KEPT_BYTES:
        return np.empty(shape, dtype=dtype)
    store = _LOCAL.__dict__.setdefault("buffers", {})
    key = (name, dtype.str)
    flat = store.get(key)
    if flat is None or flat.size < size:
        flat = store[key] = np.empty(size, dtype=dtype)
    return flat[:size].reshape(shape)
