"""Which environment variables hold secrets, so that no result, error, log line or child
process of the server ever carries their values."""

from __future__ import annotations

import os

#: Credentials the Databricks SDK's unified auth reads from the environment.
SECRET_ENV_VARS = (
    "DATABRICKS_TOKEN",
    "DATABRICKS_CLIENT_SECRET",
    "DATABRICKS_PASSWORD",
    "ARM_CLIENT_SECRET",
    "DATABRICKS_AZURE_CLIENT_SECRET",
    "GOOGLE_CREDENTIALS",
)
#: Shorter values are not masked: they would mask ordinary words.
MIN_SECRET_LEN = 6


def env_secrets() -> set[str]:
    """The current values of the secret environment variables that are long enough to mask."""
    values = (os.environ.get(name) for name in SECRET_ENV_VARS)
    return {value for value in values if value and len(value) >= MIN_SECRET_LEN}
