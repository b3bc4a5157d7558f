"""Local Spark as the runtime of the stand-in's job tasks, with its metastore mirrored into Unity Catalog.

Why: a submitted run of this project's job writes catalog tables with Spark, and the tests must then
find them where a user would: through the SQL warehouse and the Unity Catalog API. On Databricks the
runtime's catalog *is* Unity Catalog. Here the runtime is a local Spark session whose only catalog is
its session catalog, ``spark_catalog``, so the stand-in bridges the two:

* Every task process of a one-time run (``runs/submit``) gets one Spark configuration: ``local[2]``
  with Delta Lake, Hive support with a Derby metastore and a warehouse folder of this runtime's own, kept across runs
  as a workspace keeps its metastore, so that a run sees (and may replace) the tables of the runs
  before it. The Python workers get a ``sitecustomize`` that removes this project's editable-install
  finder, so that executors import the project only from the wheel the task installed, as on a cluster.
* When a task process ends, the stand-in's runtime (``sandbox_main``) writes what the session's
  catalog then holds: per table its columns (Spark type, nullability, comment), its comment and the
  data files of its current version. ``sync`` registers that into the Unity Catalog catalog
  ``spark_catalog``: a table that is new, or whose columns, comment or files changed, gets a new version
  holding exactly those files' rows; a table the bridge registered before and that Spark dropped is
  dropped; a table whose Spark state did not change keeps its version. Tables made through SQL belong
  to the warehouse and are left alone (unless Spark writes a table of the same name).

Limits, said rather than hidden: Unity Catalog sees a task's tables when the task ends, not while it
writes; Unity Catalog privileges do not reach local Spark; one task at a time may open the Derby
metastore (runs of one stand-in are sequential in the tests).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .sql_types import parse_type
from .unity_catalog import Column, Schema, UnityCatalog

#: The Unity Catalog catalog that mirrors local Spark's session catalog (the only one local Spark has).
SPARK_CATALOG = "spark_catalog"
EXPORT_ENV = "STANDIN_SPARK_CATALOG_EXPORT"
SQL_FAULTS_ENV = "STANDIN_SPARK_SQL_FAULTS"
_WORKER_ISOLATION = '''"""Stand-in runtime: Python workers import this project only from the wheel a task installed."""
import sys


def _editable(obj):
    names = (getattr(obj, "__module__", None) or "", type(obj).__module__ or "")
    return any(name.startswith("__editable__") for name in names)


sys.meta_path[:] = [f for f in sys.meta_path if not _editable(f)]
sys.path_hooks[:] = [h for h in sys.path_hooks if not _editable(h)]
sys.path_importer_cache.clear()
'''


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass
class SparkRuntime:
    """The Spark configuration of task processes and the bridge of their metastore into Unity Catalog."""

    root: Path
    uc: UnityCatalog
    #: Signature (columns, comment, files with sizes) of each table the bridge registered, by full name.
    synced: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        (self.root / "workers").mkdir(parents=True, exist_ok=True)
        (self.root / "workers" / "sitecustomize.py").write_text(_WORKER_ISOLATION, encoding="utf-8")
        self.uc.create_catalog(SPARK_CATALOG, comment="local Spark's session catalog", if_not_exists=True)

    def submit_args(self) -> str:
        """PYSPARK_SUBMIT_ARGS of every task: local[2] with Delta Lake (as every Databricks runtime has it:
        tests/spark_session.py), Hive metastore and warehouse kept in ``root``."""
        from spark_session import submit_args

        return submit_args(self.root / "warehouse", metastore=self.root / "derby")

    def task_env(self, env: dict[str, str], export: Path, sql_faults: list[dict[str, Any]]) -> dict[str, str]:
        """``env`` of a task process with the Spark runtime added (``export``: where its catalog is written)."""
        paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p] + [str(self.root / "workers")]
        return {
            **env,
            "PYSPARK_SUBMIT_ARGS": self.submit_args(),
            "PYSPARK_PYTHON": sys.executable,
            "PYTHONPATH": os.pathsep.join(paths),
            EXPORT_ENV: str(export),
            SQL_FAULTS_ENV: json.dumps(sql_faults),
        }

    def sync(self, export: Path) -> list[str]:
        """Register the catalog a task left (see the module doc); returns the full names that changed."""
        if not export.is_file():
            return []  # the task did not use Spark, or its session was gone when it ended
        document = json.loads(export.read_text(encoding="utf-8"))
        changed: list[str] = []
        seen: set[str] = set()
        with self.uc.lock:
            for entry in document["tables"]:
                schema = self.uc.create_schema(SPARK_CATALOG, entry["schema"], if_not_exists=True)
                full_name = f"{SPARK_CATALOG}.{schema.name}.{entry['name'].lower()}"
                seen.add(full_name)
                files = [(path, Path(path).stat().st_size) for path in entry["files"]]
                signature = json.dumps([entry["columns"], entry["comment"], files])
                if self.synced.get(full_name) != signature:
                    self._register(schema, entry)
                    self.synced[full_name] = signature
                    changed.append(full_name)
            for full_name in sorted(set(self.synced) - seen):
                del self.synced[full_name]
                catalog, schema_name, name = full_name.split(".")
                table = self.uc.schema(catalog, schema_name).tables.get(name)
                if table is not None:
                    self.uc.drop_table(table)
                    changed.append(full_name)
        return changed

    def _register(self, schema: Schema, entry: dict[str, Any]) -> None:
        columns = tuple(
            Column(c["name"], parse_type(c["type"]), bool(c["nullable"]), c.get("comment") or None)
            for c in entry["columns"]
        )
        physical = self.uc.new_physical(columns)
        names = ", ".join(f'"{c.name}"' for c in columns)
        rows = 0
        if entry["files"]:
            listing = ", ".join(_literal(path) for path in entry["files"])
            sql = f"INSERT INTO {physical} ({names}) SELECT {names} FROM read_parquet([{listing}])"
            rows = int(self.uc.con.execute(sql).fetchall()[0][0])
        table = schema.tables.get(entry["name"].lower())
        created = table is None
        if table is None:
            table = self.uc.new_table(schema, entry["name"], [])
        self.uc.commit(
            table,
            "CREATE TABLE AS SELECT" if created else "CREATE OR REPLACE TABLE AS SELECT",
            parameters={"isManaged": "true", "description": entry["comment"], "source": "local Spark"},
            metrics={"numFiles": str(len(entry["files"])), "numOutputRows": str(rows)},
            physical=physical,
            columns=columns,
            comment=entry["comment"] or None,
            properties={},
        )
        if created:
            self.uc.register(table)
