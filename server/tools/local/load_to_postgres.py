"""load_to_postgres: a dataset (a folder under the roots, or one generated for the call) into a PostgreSQL
schema, all or nothing, with keys. `DatasetToLoad`, `dataset_to_load` and `LoadOutput` serve load_to_lakebase too.
"""

from __future__ import annotations

import secrets
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field, StrictBool

from generator.config import DatasetConfig
from generator.fields import PostgresSchema
from generator.postgres.masking import passwords_in
from generator.rules import RuleErrors
from server.adapters.secrets import remember_secret
from server.tooling.definition import Hints, ToolContext, schema_field_allowed, tool
from server.tooling.messages import one_line
from server.tooling.work import Progress, run_with_progress

if TYPE_CHECKING:
    from generator.postgres.load import LoadResult

#: Both load tools replace a schema (overwrite=true) outside this machine; the same dataset gives the same tables.
LOAD_HINTS = Hints(read_only=False, destructive=True, idempotent=True, open_world=True)
#: Prefix of the hidden folder (under the data root) that holds a dataset generated for one load.
GENERATED_PREFIX = ".load-"
#: overwrite of both load tools.
ReplaceSchema = Annotated[StrictBool, Field(description="Replace a schema that already holds the tables.")]


class DatasetToLoad(DatasetConfig):
    """What a load tool loads: a dataset folder, or a dataset generated for the call from scale, days, ..."""

    path: str | None = Field(
        None,
        min_length=1,
        description="Dataset folder (relative to the data root); null: generate one from the dataset parameters.",
    )

    def given_dataset(self, tc: ToolContext) -> Path | None:
        """The folder `path` names, resolved under the roots; None when a dataset is to be generated. A path
        together with dataset parameters is ambiguous, and refused saying which to drop."""
        given = [name for name in DatasetConfig.model_fields if name in self.model_fields_set]
        if self.path is None:
            return None
        if given:
            raise ToolError(
                f"Invalid arguments: path={self.path!r} loads an existing dataset, so {', '.join(given)} would be "
                "ignored; give either path (load that dataset) or the dataset parameters (generate one), not both."
            )
        return tc.resolve_tree(self.path, field="path")


with schema_field_allowed():

    class LoadToPostgresInput(DatasetToLoad):
        """Parameters of load_to_postgres."""

        dsn: str | None = Field(
            None,
            min_length=1,
            max_length=4096,
            description="libpq connection string (host=... dbname=... or postgresql://...); what it leaves out "
            "comes from the server's PG* variables and ~/.pgpass.",
        )
        schema: PostgresSchema = "retail"
        overwrite: ReplaceSchema = False
        apply_changes: StrictBool = Field(
            False,
            description="Apply the dataset's change feed (its incremental and merge runs) to the schema loaded "
            "before, as upserts and deletes in one transaction, instead of reloading; needs path.",
        )

    class LoadOutput(BaseModel):
        """Where the tables went and how fast (never a password or credential)."""

        schema: str = Field(description="The schema that now holds the seven tables (lower-case).")
        database: str = Field(description="Database the schema is in.")
        rows: dict[str, int] = Field(description="Rows loaded per table.")
        host: str = Field(description="Server host the load connected to.")
        port: int = Field(description="Server port.")
        user: str = Field(description="Role the load logged in as (it owns the tables).")
        dataset_path: str | None = Field(description="The dataset folder loaded; null when generated for the call.")
        total_rows: int = Field(description="Rows over all tables.")
        seconds: float = Field(description="Wall time of the load (keys, indexes and ANALYZE included).")
        rows_per_sec: float = Field(description="total_rows / seconds.")
        replaced_previous: bool = Field(description="True when an existing schema was replaced.")
        message: str = Field(description="What happened and what to do next.")

        @classmethod
        def of(cls, result: LoadResult, dataset_path: Path | None, **extra: Any) -> Any:
            """The core's LoadResult (or LakebaseLoadResult, for the subclass) as a tool result; `extra` fills
            the subclass's own fields."""
            source = str(dataset_path) if dataset_path is not None else "a dataset generated for this call"
            return cls(
                **asdict(result),
                **extra,
                dataset_path=str(dataset_path) if dataset_path is not None else None,
                message=f"Loaded {result.total_rows:,} rows of {source} into schema {result.schema} of database "
                f"{result.database} on {result.host}:{result.port} in {result.seconds:.1f} s, with primary keys, "
                f"foreign keys and statistics. Query it with any PostgreSQL client, e.g. SELECT count(*) FROM "
                f"{result.schema}.orders.",
            )


@contextmanager
def expected_failures() -> Iterator[None]:
    """The core's expected failures (bad input, a dataset that is not one, a refused generation, every
    PostgreSQL load error) as ToolErrors in their own words; anything else passes unchanged."""
    from generator.errors import GenerationError
    from generator.postgres.errors import PostgresLoadError
    from generator.readers import DatasetNotFoundError

    try:
        yield
    except RuleErrors as exc:
        raise ToolError(one_line(f"Invalid arguments: {exc}")) from None
    except (PostgresLoadError, DatasetNotFoundError, GenerationError) as exc:
        raise ToolError(one_line(exc)) from None


@contextmanager
def dataset_to_load(
    args: DatasetToLoad,
    given: Path | None,
    tc: ToolContext,
    cancel: threading.Event,
    progress: Progress,
    *,
    preflight: Callable[[], None] = lambda: None,
) -> Iterator[Path]:
    """The folder to load: the checked dataset `given` (see DatasetToLoad.given_dataset), or one generated now
    in a hidden folder under the data root that is deleted afterwards. `preflight` runs once a given dataset
    is checked and before anything is generated (a credential check, so that a missing one costs nothing)."""
    from generator.postgres.sources import open_dataset
    from generator.readers import DatasetNotFoundError

    if given is not None:
        try:
            open_dataset(given)  # a folder that is not a complete dataset is refused before anything else
        except DatasetNotFoundError as exc:
            raise ToolError(f"path={args.path!r} ({given}): {one_line(exc)}") from None
        preflight()
        yield given
        return
    from generator.runner import ProgressEvent, run

    preflight()
    scratch = tc.state.settings.data_root / f"{GENERATED_PREFIX}{secrets.token_hex(4)}"
    try:
        scratch.mkdir(parents=True)
        folder = scratch / "dataset"

        def generating(event: ProgressEvent) -> None:
            progress(event.chunks_done, event.chunks_total, f"generating: {event.message}")

        run(args.spec(), folder, "parquet", progress=generating, cancel=cancel)
        yield folder
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def remember_dsn_passwords(dsn: str | None) -> None:
    """Mask a password written in the connection string in every later result, error and log line."""
    for password in passwords_in(dsn or ""):
        remember_secret(password)


def _apply_changes(args: LoadToPostgresInput, folder: Path, progress: Progress, cancel: threading.Event) -> LoadOutput:
    """The dataset's change feed upserted into the schema it was loaded into; rows are the rows changed."""
    from generator.postgres.changes import upsert_changes

    with expected_failures():
        result = upsert_changes.raw_function(folder, args.dsn, schema=args.schema, progress=progress, cancel=cancel)
    rows = {name: c.inserted + c.updated + c.deleted for name, c in result.tables.items()}
    total = sum(rows.values())
    versions = ", ".join(str(v) for v in result.versions)
    return LoadOutput(
        schema=result.schema,
        database=result.database,
        rows=rows,
        host=result.host,
        port=result.port,
        user=result.user,
        dataset_path=str(folder),
        total_rows=total,
        seconds=result.seconds,
        rows_per_sec=total / result.seconds if result.seconds else 0.0,
        replaced_previous=False,
        message=f"Applied change feed versions {versions} of {folder} to schema {result.schema} of database "
        f"{result.database}: {total:,} rows inserted, updated or deleted, in one transaction.",
    )


@tool(title="Load a dataset into PostgreSQL", hints=LOAD_HINTS, uses_roots=True)
async def load_to_postgres(args: LoadToPostgresInput, tc: ToolContext) -> LoadOutput:
    """Load a dataset into a PostgreSQL schema, all seven tables or none, with real types, primary
    and foreign keys and indexes; the schema is swapped in whole, so a failure leaves the old one.

    Use it when the data must be in an operational database (psql, an application, a BI tool).
    Cost: about 300K rows/s (small/14 days ~1 s, medium/30 days ~5 s); for tens of millions of rows
    use the CLI (retail-datagen load-postgres). After an incremental or merge run, apply_changes
    upserts what changed instead of reloading.
    """
    given = args.given_dataset(tc)
    remember_dsn_passwords(args.dsn)
    if args.apply_changes and given is None:
        raise ToolError("Invalid arguments: apply_changes=true applies a dataset's change feed; give its path.")

    def work(cancel: threading.Event, progress: Progress) -> LoadOutput:
        from generator.postgres.load import load_to_postgres as load

        if args.apply_changes:
            return _apply_changes(args, given, progress, cancel)
        with expected_failures(), dataset_to_load(args, given, tc, cancel, progress) as folder:
            result = load.raw_function(folder, args.dsn, args.schema, args.overwrite, progress=progress, cancel=cancel)
        return LoadOutput.of(result, given)

    return await run_with_progress(tc, work, lambda exc: exc)
