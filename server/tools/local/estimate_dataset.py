"""estimate_dataset: rows, bytes, time and memory of a run, from the core's preflight, without generating."""

from __future__ import annotations

from functools import partial

import anyio.to_thread
from pydantic import BaseModel, Field

from generator.config import DatasetConfig, GenerateOptions, OutputFormat
from generator.fields import Workers
from server.tooling.definition import READS, ToolContext, tool
from server.tools.local.generate_data import BACKGROUND_AFTER_SEC


class EstimateDatasetInput(DatasetConfig):
    """Parameters of estimate_dataset: the dataset definition plus format and workers, as for generate_data."""

    format: OutputFormat = GenerateOptions.model_fields["format"]
    workers: Workers = None


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


@tool(title="Estimate a dataset's size and run time", hints=READS)
async def estimate_dataset(args: EstimateDatasetInput, tc: ToolContext) -> DatasetEstimateOutput:
    """Expected rows, bytes on disk and run time per table for generate_data's parameters, without
    generating anything.

    Use it before a large run to pick scale, scale_factor and days, or to see whether generate_data
    will run in the background. Instant.
    """
    from generator.preflight import estimate_run

    estimate = await anyio.to_thread.run_sync(partial(estimate_run, args.spec(), args.format, args.workers))
    return DatasetEstimateOutput(
        tables={
            name: TableEstimateOutput(rows=table.rows, bytes=table.bytes, seconds=round(table.seconds, 3))
            for name, table in estimate.tables.items()
        },
        total_rows=estimate.total_rows,
        total_bytes=estimate.total_bytes,
        seconds=round(estimate.seconds, 3),
        workers=estimate.workers,
        peak_memory_mb_per_worker=round(estimate.peak_memory_mb_per_worker, 1),
        runs_in_background=estimate.seconds > BACKGROUND_AFTER_SEC,
    )
