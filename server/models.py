"""One input and one output model per tool; every field carries the description the agent reads.

The input models are the single source of each tool's parameters: `server.tooling` builds the
flat tool signature (and so the published input schema) from their fields and validates every call
with them. The generation parameters come from `generator.config`, so the CLI, the tools and the
templates share one definition. Only light modules are imported here (startup stays fast).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from generator.config import MAX_SCALE_FACTOR, DatasetConfig, GenerateOptions, OutputFormat

#: The seven tables, in dependency order (mirrors generator.schema.TABLE_NAMES, which imports pyarrow).
TABLE_NAMES_TEXT = "stores, products, customers, promotions, orders, order_items, inventory_snapshots"

MAX_QUERY_ROWS = 1000
MAX_SCRIPT_TIMEOUT_SEC = 3600


class ToolInput(BaseModel):
    """Base of the input models: unknown fields are refused, values are not coerced silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- generate_data


class GenerateDataInput(GenerateOptions):
    """Parameters of generate_data: the core's GenerateOptions, with output_dir under the roots."""

    output_dir: str = Field(  # type: ignore[assignment]  # a path string resolved under the data root
        "sample_data",
        description="Folder for the dataset (one sub-folder per table plus _manifest.json). A relative path "
        "resolves under the server's data root; an absolute path must lie inside the data root or one of "
        "the client's roots. An existing dataset there is replaced atomically when overwrite is true.",
    )
    background: bool | None = Field(
        None,
        description="Run in the background and return a job_id at once (poll get_generation_status). "
        "Default (null): only when the estimate exceeds ~30 s; false forces waiting for the result.",
    )

    def to_options(self, output_dir: object) -> GenerateOptions:
        """The core's options, with the already resolved output folder."""
        fields = self.model_dump(exclude={"background", "output_dir"})
        return GenerateOptions(**fields, output_dir=output_dir)


class FileList(BaseModel):
    """The first data files of a table (the full list is in the dataset's _manifest.json)."""

    rows: int = Field(description="Rows in the table.")
    bytes: int = Field(description="Bytes on disk over all of the table's files.")
    file_count: int = Field(description="Number of data files the table has.")
    files: list[str] = Field(description="Paths relative to the dataset folder; at most the first 20.")
    files_truncated: bool = Field(description="True when files lists only the first 20 of file_count.")


class GenerationResult(BaseModel):
    """What a finished generation wrote (a summary of its manifest)."""

    output_dir: str = Field(description="Absolute path of the dataset folder.")
    manifest_path: str = Field(description="Absolute path of _manifest.json (full file list and versions).")
    format: str = Field(description="parquet, csv or delta.")
    parameters: dict[str, object] = Field(
        description="Row-determining parameters: scale, scale_factor, days, seed, start_date, end_date."
    )
    tables: dict[str, FileList] = Field(description="Per table: rows, bytes and the first files.")
    total_rows: int = Field(description="Rows over all tables.")
    total_bytes: int = Field(description="Bytes over all tables.")
    workers: int = Field(description="Worker processes used (never changes the output).")
    duration_sec: float = Field(description="Wall time of the run in seconds.")


class GenerateDataOutput(BaseModel):
    """The finished dataset, or the handle of a background run."""

    status: Literal["succeeded", "running"] = Field(
        description="succeeded: result holds the dataset; running: poll get_generation_status(job_id)."
    )
    job_id: str | None = Field(description="Handle of the background run; null when the run finished inline.")
    output_dir: str = Field(description="Absolute path of the dataset folder.")
    estimated_seconds: float | None = Field(description="Estimated run time, when an estimate was available.")
    result: GenerationResult | None = Field(description="The dataset written; null while running.")
    message: str = Field(description="What happened and what to do next.")


# --------------------------------------------------------------------------- background jobs


class JobInput(ToolInput):
    """Names one background generation."""

    job_id: str = Field(
        min_length=1, max_length=64, description="The job_id that generate_data returned for a background run."
    )


class GenerationStatusInput(JobInput):
    """Parameters of get_generation_status."""


class CancelGenerationInput(JobInput):
    """Parameters of cancel_generation."""


class JobStatus(BaseModel):
    """State of a background generation."""

    job_id: str = Field(description="Handle of the run.")
    state: Literal["running", "succeeded", "failed", "cancelled"] = Field(description="Where the run is.")
    cancel_requested: bool = Field(description="True once cancel_generation was called for the run.")
    output_dir: str = Field(description="Absolute path of the dataset folder.")
    chunks_done: int = Field(description="Generation tasks finished so far.")
    chunks_total: int | None = Field(description="Generation tasks in the run; null until planned.")
    rows_done: int = Field(description="Rows written so far.")
    progress_message: str | None = Field(description="Latest progress message from the generator.")
    elapsed_sec: float = Field(description="Seconds since the run started (until it ended, once it has).")
    estimated_seconds: float | None = Field(description="Estimated total run time, when known.")
    result: GenerationResult | None = Field(description="The dataset written, once state is succeeded.")
    error: str | None = Field(description="Why the run failed or was cancelled; null otherwise.")


# --------------------------------------------------------------------------- estimate_dataset


class EstimateDatasetInput(DatasetConfig):
    """Parameters of estimate_dataset: the dataset definition plus format and workers, as for generate_data."""

    format: OutputFormat = GenerateOptions.model_fields["format"]
    workers: int | None = GenerateOptions.model_fields["workers"]


class TableEstimateOutput(BaseModel):
    """Expected size of one table."""

    rows: int = Field(description="Expected rows.")
    bytes: int = Field(description="Expected bytes on disk.")
    seconds: float = Field(description="Expected seconds to generate and write the table.")


class DatasetEstimateOutput(BaseModel):
    """Expected size and run time of a dataset, computed without generating it."""

    tables: dict[str, TableEstimateOutput] = Field(description="Per table: rows, bytes and seconds.")
    total_rows: int = Field(description="Expected rows over all tables.")
    total_bytes: int = Field(description="Expected bytes over all tables.")
    seconds: float = Field(description="Expected wall time of generate_data on this machine.")
    workers: int = Field(description="Worker processes generate_data would use for this run.")
    peak_memory_mb_per_worker: float = Field(description="Expected peak memory of each worker process, MB.")
    runs_in_background: bool = Field(
        description="True when generate_data would run this in the background (estimate above ~30 s)."
    )


# --------------------------------------------------------------------------- projects and scripts


class InitProjectInput(ToolInput):
    """Parameters of init_project."""

    project_path: str = Field(
        "retail_project",
        min_length=1,
        description="Project folder to create or fill (relative paths resolve under the data root).",
    )
    overwrite: bool = Field(
        False, description="Replace template files that already exist; false refuses and lists them."
    )


class InitProjectOutput(BaseModel):
    """The files written into the project folder."""

    project_path: str = Field(description="Absolute path of the project folder.")
    files: list[str] = Field(description="Files written, relative to project_path.")
    overwritten: list[str] = Field(description="Files that existed and were replaced (overwrite=true only).")
    message: str = Field(description="What to do next.")


class ExecuteScriptInput(ToolInput):
    """Parameters of execute_script."""

    project_path: str = Field(
        min_length=1,
        description="Project folder holding generate_data.py (as written by init_project); relative paths "
        "resolve under the data root.",
    )
    scale_factor: float = Field(
        1.0,
        gt=0,
        le=MAX_SCALE_FACTOR,
        allow_inf_nan=False,
        description="Passed to the script as SCALE_FACTOR (0.1 for a quick test).",
    )
    timeout_sec: int = Field(
        300,
        ge=1,
        le=MAX_SCRIPT_TIMEOUT_SEC,
        description="Kill the script (and its children) after this many seconds.",
    )
    env: dict[str, str] | None = Field(
        None,
        description="Extra environment variables for the script; SCALE_FACTOR and OUTPUT_PATH are set by "
        "the tool and cannot be overridden here.",
    )


class ScriptRunOutput(BaseModel):
    """A local run of generate_data.py: exit code, capped output and where the full log is."""

    exit_code: int = Field(description="The script's exit code; 0 means success.")
    stdout: str = Field(description="Standard output; head and tail only when long (see truncated).")
    stderr: str = Field(description="Standard error; head and tail only when long (see truncated).")
    truncated: bool = Field(description="True when stdout or stderr was cut; log_path has everything.")
    duration_sec: float = Field(description="Wall time of the run in seconds.")
    log_path: str = Field(description="generation.log in the project: the script's full output.")


class ExecuteScriptOutput(ScriptRunOutput):
    """Outcome of a successful script run (a failed run is reported as a tool error)."""

    data_path: str = Field(description="OUTPUT_PATH given to the script: <project_path>/data.")


# --------------------------------------------------------------------------- schema


class DescribeSchemaInput(ToolInput):
    """Parameters of describe_schema."""

    table: str | None = Field(None, description=f"One table to describe, or null for all of them: {TABLE_NAMES_TEXT}.")


class ColumnInfo(BaseModel):
    """One column of a table."""

    name: str = Field(description="Column name.")
    type: str = Field(description="Arrow data type, e.g. int32, string, decimal128(10, 2), date32[day].")
    nullable: bool = Field(description="True when the column may hold nulls.")
    description: str = Field(description="What the column holds.")


class ForeignKeyInfo(BaseModel):
    """A column that references another table's key."""

    column: str = Field(description="Column in this table.")
    references_table: str = Field(description="Referenced table.")
    references_column: str = Field(description="Referenced column.")


class TableInfo(BaseModel):
    """Schema of one table."""

    name: str = Field(description="Table name (also the sub-folder name in a dataset).")
    description: str = Field(description="What a row is and the rules the table follows.")
    columns: list[ColumnInfo] = Field(description="Columns in file order.")
    primary_key: list[str] = Field(description="Columns that identify a row.")
    foreign_keys: list[ForeignKeyInfo] = Field(description="References to other tables.")


class SchemaOutput(BaseModel):
    """The tables of a retail dataset."""

    tables: list[TableInfo] = Field(description="Tables in dependency order (parents first).")


# --------------------------------------------------------------------------- validate_dataset


class ValidateDatasetInput(ToolInput):
    """Parameters of validate_dataset."""

    path: str = Field(
        "sample_data",
        min_length=1,
        description="Dataset folder (with _manifest.json); relative paths resolve under the data root.",
    )


class CheckOutput(BaseModel):
    """One integrity check and what it found."""

    name: str = Field(description="Check identifier, e.g. fk_orders_customer_id.")
    description: str = Field(description="The rule the check enforces.")
    passed: bool = Field(description="True when no row breaks the rule.")
    violations: int = Field(description="Rows that break the rule.")
    examples: list[str] = Field(description="A few offending rows (at most 5, each cut to 200 characters).")
    error: str | None = Field(description="Why the check could not run (it then counts as failed).")


class ValidationOutput(BaseModel):
    """Integrity report of a dataset."""

    path: str = Field(description="Absolute path of the dataset folder.")
    format: str = Field(description="parquet, csv or delta.")
    passed: bool = Field(description="True when every check passed.")
    checks_passed: int = Field(description="Checks that passed.")
    checks_failed: int = Field(description="Checks that found violations.")
    checks: list[CheckOutput] = Field(description="Every check with its violation count.")
    tables: dict[str, int] = Field(description="Rows per table as read from the files.")


# --------------------------------------------------------------------------- query_dataset


class QueryDatasetInput(ToolInput):
    """Parameters of query_dataset."""

    sql: str = Field(
        min_length=1,
        max_length=20_000,
        description="One read-only DuckDB statement (SELECT, WITH, DESCRIBE, SHOW, SUMMARIZE or EXPLAIN) over "
        f"the views {TABLE_NAMES_TEXT}.",
    )
    path: str = Field(
        "sample_data",
        min_length=1,
        description="Dataset folder to query; relative paths resolve under the data root.",
    )
    limit: int = Field(100, ge=1, le=MAX_QUERY_ROWS, description=f"Most rows to return (1 to {MAX_QUERY_ROWS}).")
    timeout_sec: int = Field(30, ge=1, le=300, description="Interrupt the query after this many seconds.")


class QueryOutput(BaseModel):
    """Result of a query, row-limited."""

    columns: list[str] = Field(description="Column names.")
    types: list[str] = Field(description="DuckDB type of each column.")
    rows: list[list[object]] = Field(
        description="Rows as lists; dates, timestamps and decimals are ISO/decimal strings."
    )
    row_count: int = Field(description="Rows returned here.")
    truncated: bool = Field(description="True when the query had more rows than returned.")
    note: str | None = Field(description="Why rows were cut and how to see the rest; null when complete.")


# --------------------------------------------------------------------------- list_datasets


class ListDatasetsInput(ToolInput):
    """Parameters of list_datasets."""

    under: str | None = Field(
        None,
        description="Folder to search (relative paths resolve under the data root); null searches the data "
        "root and the client's roots.",
    )


class DatasetSummary(BaseModel):
    """A generated dataset found on disk."""

    path: str = Field(description="Absolute path of the dataset folder.")
    format: str = Field(description="parquet, csv or delta.")
    parameters: dict[str, object] = Field(description="scale, scale_factor, days, seed, start_date, end_date.")
    rows: dict[str, int] = Field(description="Rows per table.")
    total_rows: int = Field(description="Rows over all tables.")
    total_bytes: int = Field(description="Bytes over all tables.")


class DatasetListOutput(BaseModel):
    """Datasets under the searched folders."""

    searched: list[str] = Field(description="Folders searched (up to 4 levels deep).")
    datasets: list[DatasetSummary] = Field(description="Datasets found, at most 50.")
    truncated: bool = Field(description="True when the search stopped early (too many folders or datasets).")
