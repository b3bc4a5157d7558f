"""The validation report: one result per invariant, and its plain-text rendering."""

from __future__ import annotations

from pydantic import BaseModel, Field

MAX_EXAMPLES = 5


class CheckResult(BaseModel):
    """Outcome of one invariant."""

    name: str = Field(description="Stable identifier of the check, e.g. 'order_total'.")
    description: str = Field(description="What the check asserts and what one violation counts.")
    violations: int = Field(description="Number of violating rows or keys (0 when passed).")
    passed: bool = Field(description="True when there is no violation and the check ran.")
    examples: list[str] = Field(default_factory=list, description=f"Up to {MAX_EXAMPLES} keys of violating rows.")
    error: str | None = Field(None, description="Why the check could not run (then passed is false).")


class ValidationReport(BaseModel):
    """All checks of one dataset."""

    path: str = Field(description="Dataset folder that was validated.")
    format: str = Field(description="parquet, csv or delta.")
    passed: bool = Field(description="True when every check passed.")
    checks: list[CheckResult] = Field(description="One entry per invariant, in a stable order.")
    tables: dict[str, int] = Field(description="Row count of each table present.")

    def check(self, name: str) -> CheckResult:
        """The result of the check called `name` (KeyError when there is none)."""
        for result in self.checks:
            if result.name == name:
                return result
        raise KeyError(name)

    @property
    def failed(self) -> list[CheckResult]:
        """The checks that did not pass."""
        return [result for result in self.checks if not result.passed]


def render(report: ValidationReport) -> str:
    """A plain-text table of the checks, then a summary that describes each failed check."""
    lines = [f"Dataset {report.path} ({report.format})"]
    lines.append("Rows: " + ", ".join(f"{name}={rows:,}" for name, rows in report.tables.items()))
    width = max(len(check.name) for check in report.checks)
    lines.append(f"{'status':6}  {'check':{width}}  {'violations':>10}  examples / error")
    for check in report.checks:
        status = "ok" if check.passed else "FAIL"
        detail = check.error or "; ".join(check.examples)
        lines.append(f"{status:6}  {check.name:{width}}  {check.violations:>10,}  {detail}")
    failed = report.failed
    lines.append(
        "PASSED: all checks hold."
        if not failed
        else f"FAILED: {len(failed)} of {len(report.checks)} checks: " + ", ".join(c.name for c in failed)
    )
    for check in failed:
        lines.append(f"  {check.name}: {check.description}")
    return "\n".join(lines)
