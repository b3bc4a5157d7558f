"""The `retail-datagen` command: generate, estimate, validate or load a dataset, or write the portable script.

Progress goes to stderr, results to stdout; exit code 0 on success, 2 for a bad argument and 1
for any other failure, each failure with a one-line reason.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from generator.config import GenerateOptions, describe_validation_error
from generator.manifest import CHANGES_FOLDER, Manifest
from generator.modes import describe
from generator.rules import MAX_DAYS
from generator.spec import DEFAULT_DAYS, DEFAULT_END_DATE, DEFAULT_SCALE, DEFAULT_SEED

if TYPE_CHECKING:
    from generator.postgres.changes import UpsertResult
    from generator.runner import ProgressCallback, ProgressEvent

EXIT_BAD_INPUT = 2
EXIT_FAILED = 1


def _dataset_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of GenerateOptions; a missing one keeps the model's default."""
    parser.add_argument("--scale", help=f"small | medium | large (default: {DEFAULT_SCALE})")
    parser.add_argument("--scale-factor", help="multiplies every volume (default: 1.0)")
    parser.add_argument("--days", help=f"days of order history, 1..{MAX_DAYS} (default: {DEFAULT_DAYS})")
    parser.add_argument("--seed", help=f"random seed (default: {DEFAULT_SEED})")
    parser.add_argument("--end-date", help=f"last day of the window, YYYY-MM-DD (default: {DEFAULT_END_DATE})")
    parser.add_argument(
        "--customer-history",
        action="store_const",
        const=True,
        help="also write customers_history: every version of every customer (type 2)",
    )
    parser.add_argument("--format", help="parquet | csv | delta | duckdb (default: parquet)")
    parser.add_argument(
        "--workers", help="worker processes (default: 1 for a run of a few seconds, else every CPU core)"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="retail-datagen",
        description="Realistic, reproducible synthetic retail data (seven related tables).",
        epilog="retail-datagen mcp [--root DIR] [--read-only] [--toolsets ...] starts the MCP server over stdio "
        "(the same as retail-datagen-mcp).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    generate = commands.add_parser("generate", help="generate a dataset into a folder")
    _dataset_arguments(generate)
    generate.add_argument("--output-dir", default="sample_data", help="output folder (default: sample_data)")
    generate.add_argument(
        "--no-overwrite", action="store_true", help="refuse to replace an existing dataset in --output-dir"
    )
    generate.add_argument(
        "--mode",
        help="overwrite (default) | incremental: append the days after the dataset's last day up to --end-date "
        "(or --days more) | merge: bring the dataset to these parameters; both take unset parameters from the "
        "dataset and write its change feed to <output-dir>/_changes/",
    )
    generate.add_argument("--duckdb-file", help="database file inside --output-dir of --format duckdb (retail.duckdb)")
    estimate = commands.add_parser("estimate", help="rows, bytes and time a generation would take")
    _dataset_arguments(estimate)
    validate = commands.add_parser("validate", help="check a generated folder against every invariant")
    validate.add_argument("path", help="dataset folder")
    validate.add_argument("--json", action="store_true", help="print the report as JSON")
    load = commands.add_parser(
        "load-postgres", help="load a dataset folder into a PostgreSQL schema (all tables or none)"
    )
    load.add_argument("path", help="dataset folder (parquet, csv or delta)")
    load.add_argument(
        "--dsn",
        default=None,
        help="libpq connection string, key=value or postgresql:// URI (default: the PG* environment variables)",
    )
    load.add_argument("--schema", default="retail", help="target schema, replaced as a whole (default: retail)")
    load.add_argument("--overwrite", action="store_true", help="replace the schema when it already holds the tables")
    load.add_argument("--workers", type=int, default=None, help="tables loaded at once (default: 2 per core)")
    load.add_argument(
        "--changes",
        action="store_true",
        help="apply the dataset's change feed (from incremental or merge runs) to the schema loaded before, "
        "as upserts and deletes in one transaction, instead of reloading",
    )
    portable = commands.add_parser(
        "portable-script", help="write generate_data.py with the generator embedded (for a bare cluster)"
    )
    portable.add_argument("-o", "--output", default="generate_data.py", help="file to write")
    return parser


def _options(args: argparse.Namespace) -> GenerateOptions:
    names = ("scale", "scale_factor", "days", "seed", "end_date", "customer_history", "format", "workers")
    names += ("output_dir", "duckdb_file", "mode")
    values: dict[str, object] = {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}
    if "output_dir" in values:
        values["overwrite"] = not args.no_overwrite
    return GenerateOptions.model_validate(values)


def _fail(message: str, code: int) -> int:
    print(f"retail-datagen: error: {message}", file=sys.stderr)
    return code


@contextlib.contextmanager
def _chunk_bar() -> Iterator[ProgressCallback | None]:
    """A progress bar on stderr when it is a terminal (elsewhere nothing would show: no bar, no rich
    import). It redraws at each finished chunk, with no refresh thread, so the pool can still fork."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("[bold]generating[/]"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} chunks"),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
        auto_refresh=False,
    ) as bar:
        task = bar.add_task("", total=None)

        def report(event: ProgressEvent) -> None:
            bar.update(
                task,
                completed=event.chunks_done,
                total=event.chunks_total,
                description=f"{event.rows_done:,} rows",
                refresh=True,
            )

        yield report


def _generate(options: GenerateOptions) -> int:
    from generator.errors import GenerationError, RevisionRefused
    from generator.runner import decide, execute

    try:
        decided = decide(options)
        decided.refuse_if_unfit()
    except RevisionRefused as exc:  # the arguments do not fit the dataset in the folder
        return _fail(str(exc), EXIT_BAD_INPUT)
    except GenerationError as exc:
        return _fail(str(exc), EXIT_FAILED)
    if decided.revision is not None and decided.revision.no_op:
        print(
            f"{decided.output_dir} already holds {describe(decided.revision.spec)} (version "
            f"{decided.revision.previous.version}); nothing to add, nothing was changed."
        )
        return 0
    with _chunk_bar() as report:
        try:
            manifest = execute(decided, progress=report)
        except GenerationError as exc:
            return _fail(str(exc), EXIT_FAILED)
        except KeyboardInterrupt:
            return _fail("interrupted; the output folder was not touched", EXIT_FAILED)
    _print_manifest(manifest, decided.output_dir)
    return 0


def _print_manifest(manifest: Manifest, folder: Path) -> None:
    """The tables written (and, for a revision, what it changed) as a table on stdout."""
    from rich.console import Console
    from rich.table import Table

    revision = manifest.revisions[-1] if manifest.version else None
    version = f", version {manifest.version}" if manifest.version else ""
    table = Table(title=f"{folder} ({manifest.format}{version})")
    for column in ("table", "rows", "files", "MB") + (("inserted", "updated", "deleted") if revision else ()):
        table.add_column(column, justify="left" if column == "table" else "right")
    for name, info in manifest.tables.items():
        changes = revision.changes.get(name) if revision else None
        counts = [f"{n:,}" for n in (changes.inserts, changes.updates, changes.deletes)] if changes else []
        table.add_row(name, f"{info.rows:,}", str(len(info.files)), f"{info.bytes / 1e6:.1f}", *counts)
    table.add_row("total", f"{manifest.total_rows:,}", "", f"{manifest.total_bytes / 1e6:.1f}", style="bold")
    stdout = Console()
    stdout.print(table)
    p = manifest.parameters
    summary = (
        f"{manifest.total_rows:,} rows in {manifest.duration_sec:.2f} s with {manifest.workers} worker(s); "
        f"window {p['start_date']} to {p['end_date']}, seed {p['seed']}."
    )
    if revision:
        summary += (
            f" {revision.mode} run: the change feed is in {folder / CHANGES_FOLDER}/<table>/v{manifest.version:05d}/."
        )
    stdout.print(summary, soft_wrap=True)


def _estimate(options: GenerateOptions) -> int:
    from generator.preflight import estimate_run

    estimate = estimate_run(options.spec(), options.format, options.workers)
    for name, info in estimate.tables.items():
        print(f"{name:<22}{info.rows:>14,} rows {info.bytes / 1e6:>10.1f} MB")
    print(
        f"{'total':<22}{estimate.total_rows:>14,} rows {estimate.total_bytes / 1e6:>10.1f} MB; "
        f"about {estimate.seconds:.1f} s with {estimate.workers} worker(s), "
        f"{estimate.peak_memory_mb_per_worker:.0f} MB per worker"
    )
    return 0


def _validate(path: str, as_json: bool) -> int:
    from generator.validation import render, validate_dataset

    try:
        report = validate_dataset(Path(path))
    except ValueError as exc:
        return _fail(str(exc), EXIT_BAD_INPUT)
    print(report.model_dump_json(indent=2) if as_json else render(report))
    return 0 if report.passed else EXIT_FAILED


def _portable(output: str) -> int:
    from generator.portable import portable_script

    Path(output).write_text(portable_script(), encoding="utf-8")
    print(f"wrote {output}: runs with numpy and pyarrow only (SCALE_FACTOR, OUTPUT_PATH, SCALE, DAYS, SEED)")
    return 0


def _print_upserts(result: UpsertResult) -> int:
    """The effect of an applied change feed, per table."""
    for name, change in result.tables.items():
        print(f"{name:<22}{change.inserted:>10,} inserted {change.updated:>10,} updated {change.deleted:>10,} deleted")
    versions = ", ".join(str(v) for v in result.versions)
    print(
        f"change feed versions {versions} applied to schema {result.schema} of database {result.database} on "
        f"{result.host}:{result.port} in {result.seconds:.2f} s"
    )
    return 0


def _load_postgres(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from generator.postgres import PostgresLoadError, load_to_postgres, upsert_changes

    with Progress(
        TextColumn("[bold]loading[/]"),
        BarColumn(),
        TextColumn("{task.completed:,.0f} rows"),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("", total=None)
        try:
            if args.changes:
                return _print_upserts(upsert_changes(args.path, args.dsn, schema=args.schema))
            result = load_to_postgres(
                args.path,
                args.dsn,
                args.schema,
                args.overwrite,
                workers=args.workers,
                progress=lambda done, total, message: bar.update(
                    task, completed=done, total=total, description=message
                ),
            )
        except ValueError as exc:  # bad input (RuleErrors, DatasetNotFoundError): nothing was sent
            return _fail(str(exc), EXIT_BAD_INPUT)
        except PostgresLoadError as exc:
            return _fail(str(exc), EXIT_FAILED)
        except KeyboardInterrupt:
            return _fail("interrupted; the schema was not touched", EXIT_FAILED)
    for name, rows in result.rows.items():
        print(f"{name:<22}{rows:>14,} rows")
    print(
        f"{result.total_rows:,} rows into schema {result.schema} of database {result.database} on "
        f"{result.host}:{result.port} in {result.seconds:.2f} s ({result.rows_per_sec:,.0f} rows/s)"
        + ("; the previous schema was replaced" if result.replaced_previous else "")
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console command."""
    args = _parser().parse_args(argv)
    if args.command == "validate":
        return _validate(args.path, args.json)
    if args.command == "portable-script":
        return _portable(args.output)
    if args.command == "load-postgres":
        return _load_postgres(args)
    try:
        options = _options(args)
    except ValidationError as exc:
        return _fail(describe_validation_error(exc), EXIT_BAD_INPUT)
    return _generate(options) if args.command == "generate" else _estimate(options)


if __name__ == "__main__":
    sys.exit(main())
