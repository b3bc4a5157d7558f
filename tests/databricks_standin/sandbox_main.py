"""The program a stand-in "cluster" process runs: an execution context or a job task.

Run by path with the test interpreter (``sys.executable``) in one of two modes:

``python sandbox_main.py context``
    A long-lived notebook-like REPL. It reads one JSON request per line on stdin
    (``{"id": ..., "code": ..., "delay": seconds}``), runs the code in a namespace that
    persists between commands (like a notebook), and answers one JSON line on the
    protocol channel (the original stdout, which is moved away from fd 1 so that code
    printing or spawning children cannot corrupt it). Python-level stdout and stderr of
    the command are captured and returned as the command output. SIGINT interrupts the
    running command (``commands/cancel``).

``python sandbox_main.py script <path> [args...]``
    Runs a Python file as ``__main__`` with ``sys.argv = [path, *args]``, like a
    ``spark_python_task`` of a job. The entries of ``STANDIN_JOB_LIBRARIES`` (``os.pathsep``
    separated folders or pure-Python wheels: the job's libraries) are put on ``sys.path``
    after the isolation below, like the wheels a job installs on its cluster.

``python sandbox_main.py wheel <package_name> <entry_point> [args...]``
    Runs a ``python_wheel_task`` as Databricks does: the entry point named ``entry_point`` of the
    installed distribution ``package_name`` (from its ``entry_points.txt``, e.g. a console script),
    or else the function ``entry_point`` of the module ``package_name``, with
    ``sys.argv = [package_name, *args]``. The libraries are on ``sys.path`` as in script mode.

In both modes the process first makes itself look like a cluster, which does not have
this project installed: it removes setuptools' editable-install finders (which would
otherwise let ``import generator`` / ``import server`` succeed from the venv) and every
``sys.path`` entry inside the repository. This file must not import anything from the
repository.

With the stand-in's Spark runtime (``spark_runtime``), a job task also plays the runtime's part
around the task's code: ``STANDIN_SPARK_SQL_FAULTS`` lists statements that the session's
``sql`` refuses (``Faults.fail_spark_sql``), and at the end ``STANDIN_SPARK_CATALOG_EXPORT`` receives
what the session's catalog holds, for the stand-in to register in Unity Catalog.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import linecache
import os
import signal
import sys
import time
import traceback
from pathlib import Path

_HERE = Path(__file__).resolve().parent
_REPO_ROOT = _HERE.parents[1]


def _isolate_from_repository() -> None:
    """Remove every way of importing the repository's packages from this interpreter."""

    def editable(obj: object) -> bool:
        names = (getattr(obj, "__module__", None) or "", type(obj).__module__ or "")
        return any(name.startswith("__editable__") for name in names)

    sys.meta_path[:] = [f for f in sys.meta_path if not editable(f)]
    sys.path_hooks[:] = [h for h in sys.path_hooks if not editable(h)]
    sys.path_importer_cache.clear()
    repo = str(_REPO_ROOT)
    kept = []
    for entry in sys.path:
        resolved = os.path.realpath(entry or os.getcwd())
        inside = resolved == repo or resolved.startswith(repo + os.sep)
        if inside and "site-packages" not in resolved:  # a virtualenv inside the checkout stays
            continue
        kept.append(entry)
    sys.path[:] = kept
    for name in list(sys.modules):
        if name.split(".")[0] in {"generator", "server", "tests"}:
            del sys.modules[name]


def _user_traceback(exc: BaseException) -> str:
    """The traceback of ``exc`` without the frames of this file (the user only wrote the command)."""
    tb = exc.__traceback__
    while tb is not None and Path(tb.tb_frame.f_code.co_filename).resolve() == Path(__file__).resolve():
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb))


def _run_cell(code: str, namespace: dict, cell_name: str) -> None:
    """Run ``code`` like a notebook cell: statements, then the repr of a trailing expression."""
    linecache.cache[cell_name] = (len(code), None, code.splitlines(True), cell_name)
    tree = ast.parse(code, filename=cell_name, mode="exec")
    last_expr = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last_expr = ast.Expression(tree.body.pop().value)
    exec(compile(tree, cell_name, "exec"), namespace)
    if last_expr is not None:
        value = eval(compile(last_expr, cell_name, "eval"), namespace)
        if value is not None:
            print(repr(value))


_RUNNING = False


def _on_sigint(signum: int, frame: object) -> None:
    """Interrupt the running command only: a cancel that arrives between commands is ignored."""
    if _RUNNING:
        raise KeyboardInterrupt


def _context_main() -> int:
    global _RUNNING
    proto = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)  # anything written to fd 1 from now on goes to our stderr, never the protocol
    sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", buffering=0), encoding="utf-8", write_through=True)
    signal.signal(signal.SIGINT, _on_sigint)
    namespace: dict = {"__name__": "__main__", "__builtins__": __builtins__}
    counter = 0
    while True:
        line = sys.stdin.readline()
        if not line:
            return 0
        try:
            request = json.loads(line)
        except ValueError:
            continue
        counter += 1
        buffer = io.StringIO()
        answer: dict = {"id": request.get("id"), "ok": True}
        try:
            with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
                _RUNNING = True
                try:
                    delay = float(request.get("delay") or 0)
                    if delay > 0:
                        time.sleep(delay)
                    _run_cell(request.get("code", ""), namespace, f"<command-{counter}>")
                finally:
                    _RUNNING = False
        except KeyboardInterrupt:
            answer.update(ok=False, cancelled=True)
        except BaseException as exc:  # noqa: BLE001 - a notebook reports every error of a command
            answer.update(
                ok=False,
                ename=type(exc).__name__,
                evalue=str(exc),
                traceback=_user_traceback(exc),
            )
        answer["output"] = buffer.getvalue()
        proto.write(json.dumps(answer) + "\n")
        proto.flush()


def _install_spark_sql_faults(rules: list[dict]) -> None:
    """Make ``SparkSession.sql`` raise AnalysisException for the statements the rules pick (after ``skip``)."""
    import re

    from pyspark.errors import AnalysisException
    from pyspark.sql import SparkSession

    real_sql = SparkSession.sql

    def sql(self, sqlQuery, *args, **kwargs):  # noqa: N803 - pyspark's parameter name
        for rule in rules:
            if rule["count"] != 0 and re.search(rule["pattern"], sqlQuery, re.IGNORECASE):
                if rule["skip"] > 0:
                    rule["skip"] -= 1
                    continue
                rule["count"] -= 1
                raise AnalysisException(message=rule["message"])
        return real_sql(self, sqlQuery, *args, **kwargs)

    SparkSession.sql = sql


def _export_spark_catalog(path: str) -> None:
    """Write every table of the session catalog: columns as the metastore records them, comment, files."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        return
    spark = SparkSession.getActiveSession()
    if spark is None:
        return
    tables = []
    for database in spark.catalog.listDatabases():
        for table in spark.catalog.listTables(database.name):
            if table.isTemporary or (table.tableType or "").upper() == "VIEW":
                continue
            name = f"`{database.name}`.`{table.name}`"
            columns = spark.catalog.listColumns(name)
            tables.append(
                {
                    "schema": database.name,
                    "name": table.name,
                    "comment": table.description,
                    "columns": [
                        {"name": c.name, "type": c.dataType, "nullable": c.nullable, "comment": c.description}
                        for c in columns
                    ],
                    "files": sorted(f.removeprefix("file:") for f in spark.table(name).inputFiles()),
                }
            )
    Path(path).write_text(json.dumps({"tables": tables}), encoding="utf-8")


@contextlib.contextmanager
def _spark_runtime():
    """The stand-in's Spark runtime around a task's code: injected SQL faults, then the catalog export."""
    faults = json.loads(os.environ.get("STANDIN_SPARK_SQL_FAULTS") or "[]")
    if faults:
        _install_spark_sql_faults(faults)
    try:
        yield
    finally:
        export = os.environ.get("STANDIN_SPARK_CATALOG_EXPORT")
        if export:
            try:
                _export_spark_catalog(export)
            except Exception as exc:  # noqa: BLE001 - the task's own outcome must not be hidden by the runtime's
                sys.stderr.write(f"stand-in runtime: could not read the Spark catalog ({exc!r})\n")


def _enter_task(first_paths: list[str]) -> None:
    """Put ``first_paths`` and the job's libraries first on ``sys.path``; SIGTERM (a cancel) exits."""
    libraries = [p for p in os.environ.get("STANDIN_JOB_LIBRARIES", "").split(os.pathsep) if p]
    sys.path[0:0] = [*first_paths, *libraries]
    sys.path_importer_cache.clear()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def _script_main(argv: list[str]) -> int:
    import runpy

    script = argv[0]
    sys.argv = [script, *argv[1:]]
    _enter_task([str(Path(script).resolve().parent)])
    with _spark_runtime():
        runpy.run_path(script, run_name="__main__")
    return 0


def _wheel_main(argv: list[str]) -> int:
    import importlib
    import re
    from importlib import metadata

    package, entry_point, *args = argv
    sys.argv = [package, *args]
    _enter_task([])

    def canonical(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    wanted = canonical(package)
    dist = next((d for d in metadata.distributions() if canonical(d.metadata["Name"] or "") == wanted), None)
    named = [ep for ep in (dist.entry_points if dist is not None else []) if ep.name == entry_point]
    module = package.replace("-", "_")
    function = named[0].load() if named else getattr(importlib.import_module(module), entry_point)
    with _spark_runtime():
        function()  # its return value is ignored, as on Databricks; sys.exit(code) sets the exit code
    return 0


def main() -> int:
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    _isolate_from_repository()
    if mode == "context":
        return _context_main()
    if mode == "script" and len(sys.argv) > 2:
        return _script_main(sys.argv[2:])
    if mode == "wheel" and len(sys.argv) > 3:
        return _wheel_main(sys.argv[2:])
    sys.stderr.write("usage: sandbox_main.py context | script <path> [args...] | wheel <package> <entry> [args...]\n")
    return 2


if __name__ == "__main__":
    sys.exit(main())
