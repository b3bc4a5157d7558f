"""Arrays built from buffers hold what pa.array would build from the same values, and import no pandas."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest

from generator.arrays import booleans, labels, numbers, strings


@pytest.mark.parametrize(
    "type_", [pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.float64(), pa.date32(), pa.timestamp("us")]
)
def test_numbers_convert_to_the_types_width_and_mark_nulls(type_: pa.DataType) -> None:
    values = np.array([3, -1, 0, 120, 7, 9, 11, 13, 2], dtype=np.int64)
    null = values == 0
    built = numbers(values, type_, null=null)
    storage = pa.int32() if type_ == pa.date32() else pa.int64()  # Arrow casts a date only from int32
    expected = pa.array(values, pa.int64(), mask=null).cast(storage).cast(type_)
    assert built.equals(expected) and built.null_count == 1
    assert numbers(values, type_).null_count == 0


def test_strings_labels_and_booleans() -> None:
    words = ["", "Zoë", "a b", "naïve", "x" * 300]
    assert strings(words).to_pylist() == words
    assert strings([]).to_pylist() == []
    assert labels(("cash", "card"), np.array([1, 1, 0], dtype=np.int8)).to_pylist() == ["card", "card", "cash"]
    assert booleans(np.array([True, False, True] * 5)).to_pylist() == [True, False, True] * 5


def test_building_arrays_imports_no_pandas() -> None:
    code = (
        "import sys, numpy as np, pyarrow as pa\n"
        "from generator.arrays import labels, numbers, strings\n"
        "numbers(np.arange(4), pa.date32(), null=np.arange(4) == 2); labels(['a'], np.zeros(3, dtype=np.int8))\n"
        "strings(['x']); print('pandas' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
