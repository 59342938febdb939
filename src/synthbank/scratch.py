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
#: Bytes a thread keeps in all: an array that would take its storage past this is made
#: afresh and not kept (its page faults are small next to the work done on so much
#: memory), so a thread never holds more than this between calls, whatever it asked for.
MAX_KEPT_BYTES = 32 << 20


def buffer(name: str, shape: tuple[int, ...], dtype: Any = np.float64) -> np.ndarray:
    """This thread's scratch array ``name``: C-contiguous, of ``shape`` and ``dtype``, contents undefined.

    The storage grows to the largest size asked for and is kept, as long as the thread's
    kept storage stays within :data:`MAX_KEPT_BYTES` (beyond, the array is a fresh one,
    not kept), so ``name`` must be one per use: the array
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
    store = _LOCAL.__dict__.setdefault("buffers", {})
    key = (name, dtype.str)
    flat = store.get(key)
    if flat is None or flat.size < size:
        kept = sum(a.nbytes for k, a in store.items() if k != key)
        if kept + size * dtype.itemsize > MAX_KEPT_BYTES:
            return np.empty(shape, dtype=dtype)
        flat = store[key] = np.empty(size, dtype=dtype)
    return flat[:size].reshape(shape)
