"""validate_dataset: every invariant of a dataset checked, with violation counts and examples."""

from __future__ import annotations

import json
from functools import partial

import anyio.to_thread
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from server.tooling.definition import READS, ToolContext, ToolInput, tool
from server.tooling.messages import one_line
from server.tools.local.parameters import DatasetPath


class ValidateDatasetInput(ToolInput):
    """Parameters of validate_dataset."""

    path: DatasetPath = "sample_data"


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
    format: str = Field(description="parquet, csv, delta or duckdb.")
    passed: bool = Field(description="True when every check passed.")
    checks_passed: int = Field(description="Checks that passed.")
    checks_failed: int = Field(description="Checks that found violations.")
    checks: list[CheckOutput] = Field(description="Every check with its violation count.")
    tables: dict[str, int] = Field(description="Rows per table as read from the files.")


@tool(title="Check a dataset's integrity", hints=READS, uses_roots=True)
async def validate_dataset(args: ValidateDatasetInput, tc: ToolContext) -> ValidationOutput:
    """Check a dataset's integrity: unique primary keys, resolving foreign keys, order totals that
    match their lines, stock never negative, dates in order, row counts as in the manifest.

    Use it after generate_data or execute_script, or after editing files by hand. Reads every row:
    about 1 s for a small dataset, tens of seconds for a large one.
    """
    folder = await anyio.to_thread.run_sync(partial(tc.resolve_tree, args.path, field="path"))
    from generator.validation import validate_dataset as core_validate

    try:
        report = await anyio.to_thread.run_sync(core_validate, folder)
    except (FileNotFoundError, ValueError) as exc:
        raise ToolError(f"path={args.path!r} ({folder}): {one_line(exc)}") from None
    checks = [
        CheckOutput(
            name=check.name,
            description=check.description,
            passed=check.passed,
            violations=check.violations,
            examples=[_example_text(example) for example in list(check.examples)[:5]],
            error=check.error,
        )
        for check in report.checks
    ]
    return ValidationOutput(
        path=str(folder),
        format=str(report.format),
        passed=report.passed,
        checks_passed=sum(check.passed for check in checks),
        checks_failed=sum(not check.passed for check in checks),
        checks=checks,
        tables=dict(report.tables),
    )


def _example_text(example: object) -> str:
    text = example if isinstance(example, str) else json.dumps(example, default=str)
    return text if len(text) <= 200 else text[:197] + "..."
