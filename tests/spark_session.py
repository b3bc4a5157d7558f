"""Local Spark with real Delta Lake tables, for the tests and bench/spark_bench.py.

Why: on Databricks every table is Delta; with Delta's jars (fetched by fetch_delta_jars.py), its
session extension and its catalog, local Spark writes, MERGEs and RESTOREs the same kind of tables.
`delta_session` runs a session in this process; `submit_args` gives the same configuration to
a script that starts its own Spark (PYSPARK_SUBMIT_ARGS, which pyspark reads at JVM launch).
"""

from __future__ import annotations

import os
import shlex
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


def delta_conf(warehouse: Path, cores: int, c1_jit: bool = True) -> dict[str, str]:
    """Spark settings of a quiet local session with Delta whose managed tables live under `warehouse`.

    `c1_jit` keeps the driver JVM on its quick compiler (with room for its code): Delta runs dozens
    of tiny Spark jobs per generation, and on local[2] that halved the JVM's CPU time for start-up
    and for a small generation. Long runs (bench/spark_bench.py) want the default optimizing compiler.
    """
    _check_pyspark()
    # C1 alone gets the non-tiered 48 MB code cache, which a session of many Delta commands fills:
    # the JVM then stops compiling and runs everything interpreted.
    jvm = {"spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=256m"} if c1_jit else {}
    return {
        **jvm,
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


def submit_args(warehouse: Path, cores: int = 2, driver_memory: str = "1g", metastore: Path | None = None) -> str:
    """PYSPARK_SUBMIT_ARGS that start local[cores] with Delta: --jars, then --conf for the rest.

    With `metastore`, the session keeps its catalog in a Derby metastore in that folder (Hive
    support), so a later process sees the tables an earlier one made, as runs of a job do in a
    workspace; without it the catalog lives and dies with the process."""
    conf = delta_conf(warehouse, cores)
    if metastore is not None:
        conf["spark.sql.catalogImplementation"] = "hive"
        conf["spark.driver.extraJavaOptions"] += f" -Dderby.system.home={metastore}"
    args = ["--master", f"local[{cores}]", "--driver-memory", driver_memory, "--jars", conf.pop("spark.jars")]
    for key, value in conf.items():
        args += ["--conf", f"{key}={value}"]
    return shlex.join([*args, "pyspark-shell"])  # pyspark splits it with shlex


@contextmanager
def delta_session(
    warehouse: Path, app_name: str, cores: int = 2, driver_memory: str = "1g", c1_jit: bool = True
) -> Iterator[SparkSession]:
    """A local[cores] session with Delta (see delta_conf), stopped on exit; its Python workers run this
    interpreter (it has pyarrow and the project), through PYSPARK_PYTHON, which is put back afterwards."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master(f"local[{cores}]").appName(app_name)
    builder = builder.config("spark.driver.memory", driver_memory)
    for key, value in delta_conf(warehouse, cores, c1_jit).items():
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
