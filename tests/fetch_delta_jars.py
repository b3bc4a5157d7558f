"""Fetch the Delta Lake jars that local Spark needs into a cache folder, with Maven.

Why: the tests and bench/spark_bench.py write real Delta tables on local Spark. Spark's own
spark.jars.packages download may bypass Maven's configured mirror, so `mvn dependency:copy` (the
ordinary client) copies the jars into ~/.cache/retail-datagen/delta-jars and the sessions get them
as files (spark.jars). .ci/run runs this before pytest; jars already there are not fetched again.

    python tests/fetch_delta_jars.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

#: Delta 4.0.x is the line built for Spark 4.0 (its POM's provided spark-sql is 4.0.1): pyproject's
#: `spark` extra pins pyspark to 4.0.x to match. Spark 4.0 already ships Delta's other runtime
#: dependency (antlr4-runtime 4.13.1), so these two jars are all it needs.
DELTA_VERSION = "4.0.1"
ARTIFACTS = (f"io.delta:delta-spark_2.13:{DELTA_VERSION}", f"io.delta:delta-storage:{DELTA_VERSION}")
#: The pyspark versions these jars run on (the Scala classes change between Spark minor versions).
SPARK_LINE = "4.0."
CACHE_DIR = Path.home() / ".cache" / "retail-datagen" / "delta-jars"
FETCH_COMMAND = "python tests/fetch_delta_jars.py"


class DeltaJarsMissing(RuntimeError):
    """A Delta jar is not in the cache folder (or cannot be fetched); the message says how to get it."""


def jar_paths(folder: Path = CACHE_DIR) -> list[Path]:
    """Where each artifact's jar lives in `folder` (named as dependency:copy names it)."""
    return [folder / "{1}-{2}.jar".format(*coordinate.split(":")) for coordinate in ARTIFACTS]


def require_jars(folder: Path = CACHE_DIR) -> list[Path]:
    """The jar paths, or DeltaJarsMissing naming the missing ones and the command that fetches them."""
    missing = [path for path in jar_paths(folder) if not path.is_file()]
    if missing:
        raise DeltaJarsMissing(
            f"Delta Lake jars missing: {', '.join(str(p) for p in missing)}; fetch them with `{FETCH_COMMAND}` "
            "(needs mvn and access to Maven Central)"
        )
    return jar_paths(folder)


def fetch(folder: Path = CACHE_DIR) -> list[Path]:
    """Copy every missing jar from Maven into `folder`; return all the jar paths."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise DeltaJarsMissing("mvn is not on PATH: install Maven (Debian package maven) to fetch the Delta jars")
    for coordinate, path in zip(ARTIFACTS, jar_paths(folder), strict=True):
        if path.is_file():
            continue
        command = [mvn, "-B", "-q", "-Dstyle.color=never", "dependency:copy", f"-Dartifact={coordinate}"]
        result = subprocess.run([*command, f"-DoutputDirectory={folder}"], capture_output=True, text=True)
        if result.returncode != 0:
            raise DeltaJarsMissing(f"mvn could not fetch {coordinate}:\n{(result.stdout + result.stderr)[-3000:]}")
    return require_jars(folder)


def main() -> int:
    """Fetch the jars, print where they are; exit code 1 with the reason when that fails."""
    try:
        paths = fetch()
    except DeltaJarsMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
