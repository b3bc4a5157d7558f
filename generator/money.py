"""Exact money arithmetic in integer cents, and zero-copy conversion to Arrow decimals."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

BASIS_POINTS = 10_000  # 100.00% expressed in hundredths of a percent


def apply_discount(cents: np.ndarray, discount_bp: np.ndarray | int) -> np.ndarray:
    """cents * (100% - discount), rounded half-up to the cent (all amounts are non-negative)."""
    cents = np.asarray(cents, dtype=np.int64)
    return (cents * (BASIS_POINTS - np.asarray(discount_bp, dtype=np.int64)) + BASIS_POINTS // 2) // BASIS_POINTS


def cents_to_decimal(cents: np.ndarray, type_: pa.Decimal128Type) -> pa.Array:
    """An int64 array of hundredths as a decimal128 array of scale 2 (no per-value Python, no copy
    beyond the 128-bit words: the low word is the value, the high word its sign)."""
    if type_.scale != 2:
        raise ValueError(f"cents need a decimal type of scale 2, got {type_}")
    values = np.asarray(cents, dtype=np.int64)
    words = np.empty((len(values), 2), dtype=np.int64)
    words[:, 0] = values
    words[:, 1] = values >> 63
    return pa.Array.from_buffers(type_, len(values), [None, pa.py_buffer(words)])
