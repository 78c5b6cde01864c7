"""Sort order of float64 values by sorting packed 64-bit integer keys (ADR 0360).

Private helper of the Cox fit and its concordance. ``np.argsort`` of 1e7 float64 values costs
about three times ``np.sort`` of 1e7 int64 keys (numpy's SIMD sort sorts values, not indices).
So each value is mapped to an order-preserving integer, its low bits are replaced by a small
secondary key and the row index, and the keys are sorted as plain integers; the order is read
back from the low bits. Values that differ only in the dropped low bits collide; runs of such
keys whose values are not all equal are then sorted again by the full value (a stable sort, so
the secondary key and the index still break ties). The result is exactly the order of
``np.lexsort((index, low, values))``: by value, then ``low``, then row index.
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
import numpy.typing as npt

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]

_MAG = np.int64(0x7FFF_FFFF_FFFF_FFFF)


def sortable_int64(values: FloatArray) -> IntArray:
    """An int64 per value with the same order (``-0.0`` and ``0.0`` equal; no NaN).

    The magnitude bits of a float64 order its absolute value; a negative value gets the
    negated magnitude.
    """
    bits = np.ascontiguousarray(values, dtype=np.float64).view(np.int64)
    sign = bits >> 63  # -1 for a set sign bit, else 0
    key = bits & _MAG
    key ^= sign
    key -= sign  # two's complement negation where the sign is set
    return key


def packed_argsort(
    values: FloatArray, low: IntArray | None = None, low_bits: int = 0
) -> tuple[IntArray, FloatArray]:
    """Row order by (value, ``low``, row index) and the values in that order.

    ``low`` holds small non-negative integers below ``2**low_bits`` (a secondary key), or None.
    """
    n = values.shape[0]
    idx_bits = max(1, int(n - 1).bit_length())
    shift = idx_bits + low_bits
    if n < 2 or shift >= 63:
        order = np.lexsort((values,) if low is None else (low, values)).astype(np.int64)
        return order, values[order]
    key = sortable_int64(values)
    key >>= shift
    key <<= shift
    if low is not None:
        key |= low.astype(np.int64, copy=False) << idx_bits
    key |= np.arange(n, dtype=np.int64)
    key.sort()
    # neighbours with the same kept bits: their XOR is below 2**shift (as unsigned)
    x = key[1:] ^ key[:-1]
    same = x.view(np.uint64) < np.uint64(1 << shift)
    key &= (np.int64(1) << idx_bits) - 1
    order = key
    srt = values[order]
    # collisions: the same kept bits but different values
    clash = same & (srt[1:] != srt[:-1])
    if clash.any():
        # every run of equal kept bits that holds a clash is re-sorted by value (stable)
        start = np.empty(n, dtype=bool)
        start[0] = True
        np.logical_not(same, out=start[1:])
        run = np.cumsum(start, dtype=np.int32 if n < 1 << 31 else np.int64) - 1
        bad = np.zeros(int(run[-1]) + 1, dtype=bool)
        bad[run[1:][clash]] = True
        pos = np.flatnonzero(bad[run])
        sub = pos[np.lexsort((srt[pos], run[pos]))]
        order[pos] = order[sub]
        srt[pos] = srt[sub]
    return order, srt
