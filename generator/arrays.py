"""Arrow arrays built straight from numpy buffers and Python strings.

`pa.array` (and `pa.scalar`) first asks whether its input is a pandas object, and that question
imports pandas: a fifth of a second in every worker of a run that never uses it. These constructors
wrap the buffers instead (no copy where numpy already holds the values in the Arrow layout).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa


def numbers(values: np.ndarray, type_: pa.DataType, null: np.ndarray | None = None) -> pa.Array:
    """A fixed-width array (integers, floats, dates as day numbers, timestamps as microseconds) of
    numpy values, converted to the type's width; `null` marks the null entries."""
    kind = "f" if pa.types.is_floating(type_) else "i"
    data = np.ascontiguousarray(values, dtype=f"{kind}{type_.bit_width // 8}")
    validity = None if null is None else pa.py_buffer(np.packbits(~np.asarray(null, dtype=bool), bitorder="little"))
    return pa.Array.from_buffers(type_, len(data), [validity, pa.py_buffer(data)])


def booleans(values: np.ndarray) -> pa.Array:
    """A boolean array of numpy truth values."""
    bits = np.packbits(np.asarray(values, dtype=bool), bitorder="little")
    return pa.Array.from_buffers(pa.bool_(), len(values), [None, pa.py_buffer(bits)])


def strings(values: Sequence[str] | np.ndarray) -> pa.Array:
    """A string array of Python strings (for short lists: labels, names, a small table's text)."""
    encoded = [value.encode() for value in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    np.cumsum(np.fromiter(map(len, encoded), dtype=np.int32, count=len(encoded)), out=offsets[1:])
    return pa.Array.from_buffers(
        pa.string(), len(encoded), [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))]
    )


def labels(names: Sequence[str] | np.ndarray, codes: np.ndarray) -> pa.Array:
    """names[code] for each code, as a string array (a take from the names, in Arrow)."""
    return strings(names).take(numbers(codes, pa.int32()))
