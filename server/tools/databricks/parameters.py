"""Parameters that several Databricks tools share: the profile, the folder in a volume, cleaning, and the
dataset parameters a script or job receives. The rules behind them live in generator.rules."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from generator import rules
from generator.fields import RelativeFolder, ScaleFactor, rule_type

Profile = Annotated[
    str | None,
    Field(
        description="Profile (section) of ~/.databrickscfg to use. Default (null): DATABRICKS_HOST and "
        "DATABRICKS_TOKEN from the server's environment, else the profile named by DATABRICKS_CONFIG_PROFILE, "
        "else the DEFAULT profile.",
    ),
]
RemoteSubfolder = Annotated[
    RelativeFolder,
    Field(
        description="Folder inside the volume that receives the data, e.g. incoming_data or runs/2024-06 "
        "(no '.', '..' or empty segments, no '/' at either end).",
    ),
]
ScriptScaleFactor = Annotated[
    ScaleFactor,
    Field(description="Passed to the script as SCALE_FACTOR: multiplies every volume (0.1 for a quick test)."),
]
Clean = Annotated[
    bool,
    Field(
        description="Delete remote_subfolder (everything in it) before writing, so that no file of an earlier "
        "run stays behind. false keeps other files and overwrites same-named ones.",
    ),
]
OptionalScale = rule_type(
    rules.SCALE,
    str,
    "Volume preset passed as SCALE: small, medium or large. Default (null): the script's (small).",
    optional=True,
)
OptionalDays = rule_type(
    rules.DAYS,
    int,
    f"Days of order history passed as DAYS (1 to {rules.MAX_DAYS}). Default (null): the script's (14).",
    optional=True,
)
OptionalSeed = rule_type(
    rules.SEED,
    int,
    "Random seed passed as SEED (same seed, same bytes). Default (null): the script's (42).",
    optional=True,
)


def script_env(scale: str | None, days: int | None, seed: int | None) -> dict[str, str]:
    """SCALE, DAYS and SEED for the generation script (only those given)."""
    given = {"SCALE": scale, "DAYS": days, "SEED": seed}
    return {name: str(value) for name, value in given.items() if value is not None}
