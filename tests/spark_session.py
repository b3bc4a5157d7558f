"""Local Spark with real Delta Lake tables, for the tests and bench/spark_bench.py.

Why: on Databricks every table is Delta; with Delta's jars (fetched by fetch_delta_jars.py), its
session extension and its catalog, local Spark writes, MERGEs and RESTOREs the same kind of tables.
`delta_session` runs a session in this process; `submit_args` gives the same configuration to
a script that starts its own Spark (PYSPARK_SUBMIT_ARGS, which pyspark reads at JVM launch).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from fetch_delta_jars import SPARK_LINE, require_jars

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DELTA_SQL_CONF = {
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
}


def _check_pyspark() -> None:
    """Refuse a pyspark the Delta jars were not built for: it fails later with a bare NoSuchMethodError."""
    import pyspark

    if not pyspark.__version__.startswith(SPARK_LINE):
        raise RuntimeError(
            f"pyspark {pyspark.__version__} is installed but the Delta jars are built for Spark {SPARK_LINE}x: "
            "run pip install -e '.[spark]' (the extra pins pyspark to match)"
        )


def delta_conf(warehouse: Path, cores: int) -> dict[str, str]:
    """Spark settings of a quiet local session with Delta whose managed tables live under `warehouse`."""
    _check_pyspark()
    return {
        "spark.jars": ",".join(str(path) for path in require_jars()),
        **DELTA_SQL_CONF,
        "spark.sql.warehouse.dir": str(warehouse),
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": str(cores),
        # Delta replays a table's log in 50 tasks by default (sized for clusters): on local[2]
        # that made every first read of a table version several times slower.
        "spark.databricks.delta.snapshotPartitions": str(cores),
    }


def submit_args(warehouse: Path, cores: int = 2, driver_memory: str = "1g") -> str:
    """PYSPARK_SUBMIT_ARGS that start local[cores] with Delta: --jars, then --conf for the rest."""
    conf = delta_conf(warehouse, cores)
    args = [f"--master local[{cores}]", f"--driver-memory {driver_memory}", f"--jars {conf.pop('spark.jars')}"]
    args += [f"--conf {key}={value}" for key, value in conf.items()]
    return " ".join([*args, "pyspark-shell"])


@contextmanager
def delta_session(warehouse: Path, app_name: str, cores: int = 2, driver_memory: str = "1g") -> Iterator[SparkSession]:
    """A local[cores] session with Delta, stopped on exit; its Python workers run this interpreter
    (it has pyarrow and the project), through PYSPARK_PYTHON, which is put back afterwards."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master(f"local[{cores}]").appName(app_name)
    builder = builder.config("spark.driver.memory", driver_memory)
    for key, value in delta_conf(warehouse, cores).items():
        builder = builder.config(key, value)
    previous = os.environ.get("PYSPARK_PYTHON")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    try:
        session = builder.getOrCreate()
        session.sparkContext.setLogLevel("ERROR")
        try:
            yield session
        finally:
            session.stop()
    finally:
        if previous is None:
            os.environ.pop("PYSPARK_PYTHON", None)
        else:
            os.environ["PYSPARK_PYTHON"] = previous
