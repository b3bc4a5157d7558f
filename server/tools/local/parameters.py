"""Parameters that several local tools share: the dataset a tool reads and the project a script runs in
(the Databricks tools take the project too)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

DatasetPath = Annotated[
    str, Field(min_length=1, description="Dataset folder or .duckdb file (relative to the data root).")
]
ProjectPath = Annotated[
    str, Field(min_length=1, description="Project folder with generate_data.py (relative to the data root).")
]
