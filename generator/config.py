"""Validated parameters shared by the CLI and the MCP tools, as pydantic models of the rules' field types.

`DatasetConfig` fixes *what* rows are generated (same config and seed, same rows);
`GenerateOptions` adds *where and how* they are written (format, folder, workers).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from generator.fields import (
    CustomerHistory,
    Days,
    DuckdbFile,
    EndDate,
    Mode,
    Scale,
    ScaleFactor,
    Seed,
    Workers,
    refusals,
)
from generator.spec import DEFAULT_DAYS, DEFAULT_END_DATE, DEFAULT_SCALE, DEFAULT_SEED, DatasetSpec, Volumes

OutputFormat = Literal["parquet", "csv", "delta", "duckdb"]


class DatasetConfig(BaseModel):
    """What to generate: the same values always give the same rows."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scale: Scale = DEFAULT_SCALE
    scale_factor: ScaleFactor = 1.0
    days: Days = DEFAULT_DAYS
    seed: Seed = DEFAULT_SEED
    end_date: EndDate = DEFAULT_END_DATE
    customer_history: CustomerHistory = False

    def spec(self) -> DatasetSpec:
        """The plain (pydantic-free) spec the build path takes; the fields were checked already."""
        return DatasetSpec(
            scale=self.scale,
            scale_factor=self.scale_factor,
            days=self.days,
            seed=self.seed,
            end_date=self.end_date,
            customer_history=self.customer_history,
        )

    @property
    def start_date(self) -> date:
        """First day of the order window (inclusive)."""
        return self.spec().start_date

    @property
    def volumes(self) -> Volumes:
        """Entity counts after applying the scale factor."""
        return self.spec().volumes


class GenerateOptions(DatasetConfig):
    """A generation run: the dataset plus where and how to write it."""

    output_dir: Path = Field(
        Path("sample_data"),
        description="Folder that receives one sub-folder per table and _manifest.json; replaced atomically.",
    )
    format: OutputFormat = Field(
        "parquet", description="parquet, csv or delta: files per table; duckdb: one database file with keys."
    )
    overwrite: bool = Field(True, description="false refuses to replace a dataset already in output_dir.")
    workers: Workers = None
    mode: Mode = "overwrite"
    duckdb_file: DuckdbFile = None

    def given(self) -> set[str]:
        """The dataset parameters and format the caller set: an incremental or merge run takes the
        others from the dataset it changes."""
        return self.model_fields_set & {*DatasetConfig.model_fields, "format"}

    @field_validator("format", mode="before")
    @classmethod
    def _normalise_format(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("duckdb_file")
    @classmethod
    def _only_for_duckdb(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("format") != "duckdb":
            accepted, reason = "null unless format is duckdb", f"format is {info.data.get('format')!r}"
            context = {"detail": f"{reason}; must be {accepted}", "reason": reason, "accepted": accepted, "part": ""}
            raise PydanticCustomError("rule", "{detail}", context)
        return value


def describe_validation_error(exc: Exception, model: type[BaseModel] = GenerateOptions) -> str:
    """One readable part per bad field (name, value given, what is accepted); an unknown parameter
    is answered with the model's accepted parameters."""
    if not isinstance(exc, ValidationError):
        return str(exc)
    return str(refusals(exc, accepted_fields=list(model.model_fields)))
