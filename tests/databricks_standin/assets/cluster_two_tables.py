"""A self-contained generation script for the stand-in cluster: two tiny Parquet tables.

Reads SCALE_FACTOR and OUTPUT_PATH like the real generate_data.py and uses only pyarrow,
as a Databricks cluster (which does not have this project installed) would.
"""

import os
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

scale = float(os.environ["SCALE_FACTOR"])
out = Path(os.environ["OUTPUT_PATH"])
rows = max(1, int(10 * scale))

stores = pa.table({"store_id": list(range(rows)), "name": [f"store {i}" for i in range(rows)]})
products = pa.table({"product_id": list(range(2 * rows)), "price": [1.5 * i for i in range(2 * rows)]})
for name, table in (("stores", stores), ("products", products)):
    folder = out / name
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, folder / "part-00000.parquet")

try:
    import generator  # noqa: F401

    importable = True
except ImportError:
    importable = False

print(f"__name__={__name__}")
print(f"generator importable: {importable}")
print(f"wrote stores ({rows} rows) and products ({2 * rows} rows) to {out}")
print(f"argv={sys.argv[:1]}")
