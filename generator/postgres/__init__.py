"""Load a dataset into PostgreSQL (all or nothing, with keys) and apply change feeds to it.

    from generator.postgres import load_to_postgres, upsert_changes

``load`` (``load_to_postgres``, ``LoadResult``), ``changes`` (``upsert_changes``), ``connection``
(connection strings, sessions, the schema lock), ``ddl`` (the SQL of the seven tables), ``sources``
(a dataset's tables as batches), ``errors`` and ``masking`` (passwords out of messages).

The names below are imported on first use: ``errors`` and ``masking`` need only the standard library,
and the MCP server imports them at start-up, before psycopg or pyarrow may load.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    "load_to_postgres": "load",
    "LoadResult": "load",
    "default_workers": "load",
    "upsert_changes": "changes",
    "UpsertResult": "changes",
    "TableChanges": "changes",
    "open_dataset": "sources",
    "PostgresLoadError": "errors",
    "PostgresInputError": "errors",
    "PostgresConnectError": "errors",
    "SchemaExistsError": "errors",
    "SchemaBusyError": "errors",
    "LoadCancelled": "errors",
    "LoadFailedError": "errors",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
