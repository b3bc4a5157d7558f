"""Validated parameters shared by the CLI, the MCP tools and the templates.

`DatasetConfig` fixes *what* rows are generated (same config and seed, same rows);
`GenerateOptions` adds *where and how* they are written (format, folder, workers).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from generator.spec import (
    DEFAULT_DAYS,
    DEFAULT_END_DATE,
    DEFAULT_SEED,
    MAX_DAYS,
    MAX_END_DATE,
    MAX_SCALE_FACTOR,
    MAX_SEED,
    MIN_END_DATE,
    DatasetSpec,
    Volumes,
)

ScaleName = Literal["small", "medium", "large"]
OutputFormat = Literal["parquet", "csv", "delta"]
MAX_WORKERS = 64


class DatasetConfig(BaseModel):
    """What to generate: the same values always give the same rows."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scale: ScaleName = Field(
        "small",
        description="Volume preset: small (10 stores, 200 products, 2K customers, ~4K orders in 14 days), "
        "medium (50 / 1K / 25K / ~75K), large (200 / 5K / 120K / ~500K).",
    )
    scale_factor: float = Field(
        1.0,
        gt=0,
        le=MAX_SCALE_FACTOR,
        allow_inf_nan=False,
        description="Multiplies every volume of the preset (0.1 for a quick test, 10 for ten times more).",
    )
    days: int = Field(
        DEFAULT_DAYS,
        ge=1,
        le=MAX_DAYS,
        description="Days of order history ending on end_date; orders are a daily rate, so more days "
        "means more orders.",
    )
    seed: int = Field(
        DEFAULT_SEED,
        ge=0,
        le=MAX_SEED,
        description="Random seed: the same parameters and seed give byte-identical files.",
    )
    end_date: date = Field(
        DEFAULT_END_DATE,
        ge=MIN_END_DATE,
        le=MAX_END_DATE,
        description="Last day of the order window (inclusive), ISO format YYYY-MM-DD.",
    )

    @field_validator("scale", mode="before")
    @classmethod
    def _normalise_scale(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    def spec(self) -> DatasetSpec:
        """The plain (pydantic-free) spec the build path takes."""
        return DatasetSpec(
            scale=self.scale,
            scale_factor=float(self.scale_factor),
            days=self.days,
            seed=self.seed,
            end_date=self.end_date,
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
    format: OutputFormat = Field("parquet", description="File format: parquet (default), csv or delta.")
    overwrite: bool = Field(
        True,
        description="Replace an existing dataset in output_dir; false refuses to touch an existing one.",
    )
    workers: int | None = Field(
        None,
        ge=1,
        le=MAX_WORKERS,
        description="Worker processes (default: the number of CPU cores). Never changes the output bytes.",
    )

    @field_validator("format", mode="before")
    @classmethod
    def _normalise_format(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    def dataset(self) -> DatasetConfig:
        """The row-determining part of these options."""
        return DatasetConfig(**{name: getattr(self, name) for name in DatasetConfig.model_fields})


def describe_validation_error(exc: Exception) -> str:
    """One readable line per bad field: name, value given and what is accepted."""
    from pydantic import ValidationError

    if not isinstance(exc, ValidationError):
        return str(exc)
    lines = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "input"
        value = error.get("input")
        shown = repr(value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            allowed = ", ".join(GenerateOptions.model_fields)
            message = f"unknown parameter; accepted parameters are: {allowed}"
        lines.append(f"{field}={shown}: {message}")
    return "; ".join(lines)
