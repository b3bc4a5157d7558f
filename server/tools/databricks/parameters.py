"""Parameters that several Databricks tools share: the profile, the folder in a volume, cleaning, and the
dataset parameters a script or job receives. The rules behind them live in generator.rules."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from generator import rules
from generator.fields import RelativeFolder, rule_type
from generator.spec import DEFAULT_DAYS, DEFAULT_SCALE, DEFAULT_SEED

Profile = Annotated[
    str | None,
    Field(description="~/.databrickscfg profile, used alone; null: the server's DATABRICKS_* variables, else DEFAULT."),
]
RemoteSubfolder = Annotated[RelativeFolder, Field(description="Folder in the volume for the data, e.g. runs/2024-06.")]
Clean = Annotated[bool, Field(description="Empty remote_subfolder first, so that no file of an earlier run stays.")]
OptionalScale = rule_type(rules.SCALE, str, f"SCALE for the script (null: its own, {DEFAULT_SCALE}).", optional=True)
OptionalDays = rule_type(rules.DAYS, int, f"DAYS for the script (null: its own, {DEFAULT_DAYS}).", optional=True)
OptionalSeed = rule_type(rules.SEED, int, f"SEED for the script (null: its own, {DEFAULT_SEED}).", optional=True)


class WorkspaceResult(BaseModel):
    """Base of every Databricks tool's output: the workspace the call used."""

    workspace_host: str = Field(description="URL of the workspace this call used (from profile or environment).")


def script_env(scale: str | None, days: int | None, seed: int | None) -> dict[str, str]:
    """SCALE, DAYS and SEED for the generation script (only those given)."""
    given = {"SCALE": scale, "DAYS": days, "SEED": seed}
    return {name: str(value) for name, value in given.items() if value is not None}
