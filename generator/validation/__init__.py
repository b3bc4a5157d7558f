"""Validation of a generated dataset: every invariant the generator promises, checked in SQL over duckdb."""

from generator.validation.report import CheckResult, ValidationReport, render
from generator.validation.validate import validate_dataset

__all__ = ["CheckResult", "ValidationReport", "render", "validate_dataset"]
