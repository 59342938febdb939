"""Discrete laws: exact Poisson draws, vectorised and portable (table-guided inversion and PTRS).

numpy's ``Generator.poisson`` draws one value at a time in C, with libm's ``exp``, ``log``
and ``lgamma`` in its accept/reject decisions. :func:`poisson` draws the same law
(exactly: no normal approximation) for whole arrays with numpy ufuncs and
:mod:`synthbank.numerics` only, so its bits do not depend on the CPU or the C library.

Two methods, chosen per value by ``lam`` (a partition by ``lam``, not by the draw, so each
value still follows Poisson(lam) exactly):

- ``lam < LAM_TABLE`` (16): **inversion**, ``k = min{k : u < F(k; lam)}`` with ``F`` the
  Poisson CDF, guided by a table. The float32 bits of ``lam`` (sign, exponent and the top
  :data:`ROW_BITS` mantissa bits) name a *row*, a cell ``[lam_lo, lam_hi)`` with 128 cells
  an octave; the top 8 bits of ``u`` name a *bin*, ``[b/256, (b+1)/256)``. The CDF falls as
  lam grows, so every (lam, u) of the cell gives ``k`` between the inversions of the
  cell's corners (``lam_lo`` with the bin's bottom, ``lam_hi`` with its top); where the
  two agree (98-99 % of the default ptycho sweep's values below 16) the table holds ``k``
  and one gather draws it.
  The rest get the remaining bits of ``u`` and an exact CDF at their own lam, from the
  row's CDF at ``lam_lo`` convolved with Poisson(``lam - lam_lo``) (``lam - lam_lo < 1/16``:
  ten terms reach 1e-19), stepping up from the table's lower bound.
- ``lam >= LAM_TABLE``: Hormann's transformed rejection with squeeze (PTRS, 1993), the
  method numpy uses for ``lam >= 10``, run over all not-yet-accepted values at once;
  ``log`` from :mod:`synthbank.numerics` and ``log(k!)`` from an exact-sum table
  (``k < 256``) or the Stirling series.

Draws from ``rng``, in this order: one byte per value (the bins, from
``bit_generator.random_raw``, little-endian), one ``random()`` per inverted value the
table left open (in flat order), then PTRS's ``random()`` pairs, pass by pass over the
values still open (in flat order, in parts of :data:`CHUNK`: see :func:`ptrs`). So the
draws, and the result, are a function of the generator's state and ``lam`` alone.

Accuracy: the inversion compares a 53-bit ``u`` with the CDF computed in float64 (error
below 1e-14; the table keeps a margin of 1e-12 from its corners' CDF values), so a
probability is exact to about 1e-14 absolute, as for any float64 sampler; ``lam`` below
2**-54 gives 0, as exact float64 inversion does (``exp(-lam)`` rounds to 1).
"""

from __future__ import annotations

import functools

import numpy as np

from synthbank.numerics.explog import exp, log

#: Values at or above this use PTRS (valid for lam >= 10), below it the table.
LAM_TABLE = 16.0
#: The largest lam accepted: counts must fit the uint32 result with room to spare.
LAM_MAX = 1e9
#: Mantissa bits of lam's float32 pattern in the row index: 2**ROW_BITS rows an octave.
ROW_BITS = 7
#: Bins of u (its top 8 bits: one byte of the generator's output per value).
BINS = 256
#: Table entry of a (row, bin) the table does not decide (also every row of lam >= LAM_TABLE).
OPEN = 255
#: Columns of the per-row CDF tables: F(63; 16) is 1 in float64.
K_COLUMNS = 64
#: Terms of the convolution with Poisson(delta), delta < 1/16: the rest sum below 1e-19.
CONV_TERMS = 10
#: Margin between the table's bin edges and its corners' CDF values (the CDF's float64
#: error is below 1e-14): a bin is decided only if no CDF value of the cell comes closer.
MARGIN = 1e-12

_SHIFT = 23 - ROW_BITS  # float32 bits >> _SHIFT = row index (sign 0, exponent, top mantissa bits)
_ROWS = 1 << (8 + ROW_BITS)  # every non-negative float32 pattern has a row
_BIN_SHIFT = 8  # idx = row << 8 | bin


def _row_lo(rows: np.ndarray) -> np.ndarray:
    """The smallest float32 value of each row (its cell's ``lam_lo``), as float64."""
    return (rows.astype(np.int64) << _SHIFT).astype(np.int32).view(np.float32).astype(np.float64)


def _row_of(lam: float) -> int:
    """The row of a float32-representable ``lam``."""
    return int(np.array(lam, dtype=np.float32).view(np.int32)) >> _SHIFT


#: Rows of the inverted range: below FIRST every value is under 2**-54 (always 0);
#: from LAST on, lam >= LAM_TABLE (PTRS).
_FIRST = _row_of(2.0**-54)
_LAST = _row_of(LAM_TABLE)
#: Rows from here on get the general table rule; below, lam < 2**-16 (see _tables).
_FAINT = _row_of(2.0**-16)


def _cdf_pmf(lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Poisson CDF and pmf at k = 0 .. K_COLUMNS - 1 for each ``lam`` (float64, 0 <= lam <= 16).

    ``p(0) = exp(-lam)`` (portable), ``p(k) = p(k-1) lam / k``, summed in k order: every
    operation rounds once, the same on every CPU. Shapes (len(lam), K_COLUMNS).
    """
    pmf = np.empty((lam.size, K_COLUMNS))
    pmf[:, 0] = exp(-lam)
    for k in range(1, K_COLUMNS):
        pmf[:, k] = pmf[:, k - 1] * lam / k
    return np.cumsum(pmf, axis=1), pmf


def _bin_counts(first_bin: np.ndarray) -> np.ndarray:
    """``#{k : first_bin[r, k] <= b}`` for every row r and bin b: shape (rows, BINS), int64."""
    rows = first_bin.shape[0]
    flat = (np.arange(rows)[:, None] * (BINS + 1) + np.clip(first_bin, 0, BINS)).reshape(-1)
    counts = np.bincount(flat, minlength=rows * (BINS + 1)).astype(np.int32).reshape(rows, BINS + 1)
    return np.cumsum(counts, axis=1, dtype=np.int32)[:, :BINS]


@functools.lru_cache(maxsize=1)
def _tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The inversion's tables (built once per process, a few ms).

    Returns
    -------
    decided : (_ROWS * BINS,) uint8, ``k`` where (row, bin) decides it, else OPEN
    lower : (_LAST - _FIRST, BINS) uint8, a lower bound of ``k`` for (row, bin)
    lam_lo : (_LAST - _FIRST,) float64, each inverted row's smallest lam
    cdf, pmf : (_LAST - _FIRST, CONV_TERMS + K_COLUMNS) float64, at lam_lo, with
        CONV_TERMS leading zero columns (for k - m < 0 in the convolution)
    """
    rows = np.arange(_FIRST, _LAST)
    lo = _row_lo(rows)
    cdf_lo, pmf_lo = _cdf_pmf(lo)
    lower = np.zeros((rows.size, BINS), dtype=np.uint8)
    decided = np.zeros((_ROWS, BINS), dtype=np.uint8)  # rows below _FIRST: lam < 2**-54, always 0
    # Rows below _FAINT: F(0; lam_hi) > 1 - 2**-16 decides 0 in every bin but the last, which
    # holds every k >= 0 (lower bound 0). The general rule below gives the same.
    decided[_FIRST:_LAST, BINS - 1] = OPEN
    g = slice(_FAINT - _FIRST, None)
    # k_lo(b) = min{k: F(k; lam_lo) > b/B - MARGIN} = #{k: F(k; lam_lo) <= b/B - MARGIN}: every
    # smaller k has F(k; lam) <= u for the whole cell. F(k) <= b/B - MARGIN iff b >= ceil((F + MARGIN) B).
    k_lo = _bin_counts(np.ceil((cdf_lo[g] + MARGIN) * BINS).astype(np.int32))
    # k_hi(b) = #{k: F(k; lam_hi) < (b+1)/B + MARGIN}: u < F(k_hi; lam) for the whole cell.
    # F(k) < (b+1)/B + MARGIN iff b >= floor((F - MARGIN) B).
    cdf_hi, _ = _cdf_pmf(_row_lo(rows[g] + 1))
    k_hi = _bin_counts(np.floor((cdf_hi - MARGIN) * BINS).astype(np.int32))
    lower[g] = np.minimum(k_lo, OPEN)
    decided[_FAINT:_LAST] = np.where((k_lo == k_hi) & (k_lo < OPEN), k_lo, OPEN)
    decided[_LAST : _row_of(LAM_MAX) + 1] = OPEN  # PTRS; rows above LAM_MAX are refused before
    pad = np.zeros((rows.size, CONV_TERMS))
    return (decided.reshape(-1), lower, lo,
            np.concatenate([pad, cdf_lo], axis=1), np.concatenate([pad, pmf_lo], axis=1))


def poisson(rng: np.random.Generator, lam: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Poisson(lam) counts of every element of ``lam``, exactly and with portable bits.

    Parameters
    ----------
    rng : numpy.random.Generator
        Consumed in the order the module docstring gives.
    lam : array_like
        Expected counts, any shape; float32 or float64 (other types are converted to
        float64), finite, ``0 <= lam <= LAM_MAX``. float32 and float64 inputs holding the
        same values give the same counts.
    out : numpy.ndarray, optional
        uint32 array of ``lam``'s shape to fill.

    Returns
    -------
    numpy.ndarray
        uint32, the shape of ``lam``.

    Raises
    ------
    ValueError
        ``lam`` holds a negative, NaN or infinite value, or one above LAM_MAX.
    """
    lam = np.asarray(lam)
    if lam.dtype not in (np.float32, np.float64):
        lam = lam.astype(np.float64)
    if out is None:
        out = np.empty(lam.shape, dtype=np.uint32)
    elif out.shape != lam.shape or out.dtype != np.uint32:
        raise ValueError(f"out of shape {out.shape} and dtype {out.dtype} is invalid: allowed uint32 of shape {lam.shape}")
    flat = lam.reshape(-1)
    if flat.size == 0:
        return out
    low, high = flat.min(), flat.max()
    if not (low >= 0 and high <= LAM_MAX):  # NaN fails both
        bad = "NaN" if np.isnan(low) or np.isnan(high) else f"{low if low < 0 else high:g}"
        raise ValueError(f"lam holds {bad}: allowed finite expected counts 0 <= lam <= {LAM_MAX:g}")
    if out.flags.c_contiguous:
        _draw(rng, flat, out.reshape(-1))  # a view: filled in place
    else:
        out[...] = _draw(rng, flat, np.empty(flat.size, dtype=np.uint32)).reshape(out.shape)
    return out


def _rows(flat: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Row index of each value into the int32 ``out``: float32 bits >> _SHIFT; float64 mapped onto it."""
    if flat.dtype == np.float32:
        return np.right_shift(np.ascontiguousarray(flat).view(np.int32), _SHIFT, out=out)
    bits = np.ascontiguousarray(flat).view(np.int64) >> (52 - ROW_BITS)
    bits -= (1023 - 127) << ROW_BITS  # float64 exponent bias to float32's: same cells
    np.clip(bits, 0, _ROWS - 1, out=bits)  # below float32's range: row 0 (always 0)
    out[...] = bits
    return out


#: Values per chunk of the table pass, the exact inversion and PTRS: every temporary stays
#: in the L2 cache and below malloc's mmap threshold (fresh pages cost a fault each). The
#: table pass and the inversion give the same draws however they are cut; PTRS's passes
#: run chunk by chunk, so this constant is part of what its draws are.
CHUNK = 1 << 14


def _draw(rng: np.random.Generator, lam: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Fill the 1-D uint32 ``out`` with Poisson(lam) draws (the module docstring's order); return it."""
    n = lam.size
    decided, lower, lam_lo, cdf, pmf = _tables()
    idx = np.empty(min(n, CHUNK), dtype=np.int32)
    k = np.empty(idx.size, dtype=np.uint8)
    opened, opened_cells = [], []  # where the table left a value open, and its (row << 8 | byte)
    for s in range(0, n, CHUNK):  # CHUNK is a multiple of 8: the bytes are one stream
        m = min(CHUNK, n - s)
        bins = rng.bit_generator.random_raw(-(-m // 8)).astype("<u8", copy=False).view(np.uint8)[:m]
        i = _rows(lam[s : s + m], idx[:m])
        np.left_shift(i, _BIN_SHIFT, out=i)
        np.bitwise_or(i, bins, out=i)
        decided.take(i, mode="clip", out=k[:m])
        np.copyto(out[s : s + m], k[:m])
        o = np.flatnonzero(k[:m] == OPEN)
        if o.size:
            opened.append(o + s)
            opened_cells.append(i[o])
    if not opened:
        return out
    open_ = np.concatenate(opened)
    cells = np.concatenate(opened_cells)
    lam_open = lam[open_].astype(np.float64)
    bright = lam_open >= LAM_TABLE  # the rows below _FIRST (lam < 2**-54) are never open
    inv = np.flatnonzero(~bright)
    for c in range(0, inv.size, CHUNK):
        j = inv[c : c + CHUNK]
        row, byte = (cells[j] >> _BIN_SHIFT) - _FIRST, (cells[j] & 0xFF).astype(np.uint8)
        out[open_[j]] = _invert(rng, lam_open[j], row, byte, lower, lam_lo, cdf, pmf)
    if bright.any():
        out[open_[bright]] = ptrs(rng, lam_open[bright])
    return out


def _invert(rng: np.random.Generator, lam: np.ndarray, row: np.ndarray, b: np.ndarray, lower: np.ndarray,
            lam_lo: np.ndarray, cdf: np.ndarray, pmf: np.ndarray) -> np.ndarray:
    """Exact inversion for the values the table left open: ``min{k >= lower : u < F(k; lam)}``.

    ``u = (b + v) / 256`` with ``v`` the top 45 bits of one ``random()`` each (exact: the
    sum has at most 53 bits, and stays below 1). ``F(k; lam)`` and ``p(k; lam)`` at the
    table's lower bound come from the row's values at ``lam_lo`` convolved with
    Poisson(delta), ``delta = lam - lam_lo`` (exact: Sterbenz); then ``k`` steps up.
    """
    v = rng.random(lam.size)
    v *= 2.0**45
    np.floor(v, out=v)
    v *= 2.0**-45
    u = (b + v) / BINS
    k = lower[row, b].astype(np.int64)
    delta = lam - lam_lo[row]
    q = exp(-delta)  # Poisson(delta) pmf at m = 0, 1, ...
    at = row * cdf.shape[1]  # flat index of (row, k + CONV_TERMS - m): one take per term
    at += k
    at += CONV_TERMS
    f = cdf.take(at)
    f *= q
    p = pmf.take(at)
    p *= q
    for m in range(1, CONV_TERMS):
        q *= delta
        q /= m
        at -= 1
        f += q * cdf.take(at)
        p += q * pmf.take(at)
    todo = np.flatnonzero(u >= f)
    while todo.size:  # step up: F(k+1) = F(k) + p(k) lam / (k + 1); rarely more than twice
        k[todo] += 1
        p[todo] *= lam[todo] / k[todo]
        before = f[todo]
        f[todo] += p[todo]
        # u reaches 1 - 2**-53 while the summed F may level off just below it (rounding): a
        # value whose F stops growing stays at this k (the law's mass beyond is below 1e-15)
        todo = todo[(u[todo] >= f[todo]) & (f[todo] > before)]
    return k


# --- PTRS (lam >= 10) -------------------------------------------------------------------------

#: log(k!) for k < 256, summed from portable logs in k order.
_LOG_FACT_TABLE = 256
#: log(k!) is looked up below this k: Stirling's series (below) is tabulated from 256 on.
_LOG_FACT_LOOKUP = 1 << 15
_HALF_LOG_2PI = 0.91893853320467274178


def _stirling(x: np.ndarray) -> np.ndarray:
    """Stirling's series for ``log(x!)`` (elementwise: the same bits however called)."""
    log_x = log(x)
    r = 1.0 / x
    r2 = r * r
    series = ((1.0 / 1260.0) * r2 - 1.0 / 360.0) * r2 + 1.0 / 12.0
    return (x + 0.5) * log_x - x + _HALF_LOG_2PI + series * r


@functools.lru_cache(maxsize=1)
def _log_factorials() -> np.ndarray:
    """log(k!) for k < _LOG_FACT_LOOKUP (256 KB, built once): exact sums below 256, then Stirling's series."""
    sums = np.concatenate([[0.0], np.cumsum(log(np.arange(1, _LOG_FACT_TABLE, dtype=np.float64)))])
    x = np.arange(_LOG_FACT_TABLE, _LOG_FACT_LOOKUP, dtype=np.float64)
    return np.concatenate([sums, _stirling(x)])


def log_factorial(k: np.ndarray) -> np.ndarray:
    """``log(k!)`` for integer-valued float64 ``k >= 0``: exact sums below 256, else Stirling's series.

    ``(k + 1/2) log k - k + log(2 pi)/2 + 1/(12k) - 1/(360k^3) + 1/(1260k^5)``: the next
    term is below 1e-20 at k = 256. Below 2**15 both come from a table of the same values.
    """
    k = np.asarray(k, dtype=np.float64)
    small = k < _LOG_FACT_LOOKUP
    out = np.empty(k.shape)
    out[small] = _log_factorials()[k[small].astype(np.int64)]
    big = ~small
    if big.any():
        x = k[big]
        out[big] = _stirling(x)
    return out


def ptrs(rng: np.random.Generator, lam: np.ndarray) -> np.ndarray:
    """Hormann's PTRS (numpy's method for lam >= 10), over all values at once.

    Passes over the values still open, in flat order and in parts of CHUNK values; each
    part draws ``U`` then ``V`` (one ``random()`` pair per value: all its U, then all its
    V), accepts by the squeeze (no logarithm) or by the exact test
    ``log(V alpha / (a / us**2 + b)) <= -lam + k log(lam) - log(k!)``, and leaves the
    rest open for the next pass.

    Parameters
    ----------
    lam : (n,) float64, every value >= 10.

    Returns
    -------
    ndarray of int64, shape (n,)
    """
    lam = np.asarray(lam, dtype=np.float64)
    out = np.empty(lam.size)  # float64 (exact integers): numpy's fancy stores cast slowly
    todo = np.arange(lam.size)
    while todo.size:
        still = []
        for c in range(0, todo.size, CHUNK):
            j = todo[c : c + CHUNK]
            k, accept = _ptrs_pass(rng, lam[j] if j.size < lam.size else lam)
            out[j[accept]] = k[accept]
            still.append(j[~accept])
        todo = np.concatenate(still)
    return out.astype(np.int64)


def _ptrs_pass(rng: np.random.Generator, lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One PTRS candidate per value: ``(k, accepted)``, float64 and bool, shape (n,)."""
    b = np.sqrt(lam)
    b *= 2.53
    b += 0.931
    a = b * 0.02483
    a -= 0.059
    uv = rng.random((2, lam.size))
    u, v = uv
    u -= 0.5
    us = np.abs(u)
    np.subtract(0.5, us, out=us)
    k = 2.0 * a
    k /= us
    k += b
    k *= u
    k += lam
    k += 0.43
    np.floor(k, out=k)
    accept = us >= 0.07
    accept &= v <= 0.9277 - 3.6224 / (b - 2.0)
    # The exact test where the squeeze does not decide (k < 0 and the thin tails: rejected).
    t = np.flatnonzero(~accept & (k >= 0) & ((us >= 0.013) | (v <= us)))
    if t.size:
        ust, bt, lt, kt = us[t], b[t], lam[t], k[t]
        # One call for both logarithms (elementwise: the same bits; a call costs ~40 us)
        logs = log(np.concatenate([v[t] * (1.1239 + 1.1328 / (bt - 3.4)) / (a[t] / (ust * ust) + bt), lt]))
        lhs = logs[: t.size]
        rhs = kt * logs[t.size :]
        rhs -= lt
        rhs -= log_factorial(kt)
        accept[t[lhs <= rhs]] = True
    return k, accept
