"""What a PostgreSQL load or upsert raises. Every one means: the target schema is as it was.

Standard library (and the rules) only, so that callers can name these errors without loading psycopg.
"""

from __future__ import annotations

from generator.rules import RuleError


class PostgresLoadError(Exception):
    """Base class: the operation did not change the target schema (it is as it was)."""


class PostgresInputError(PostgresLoadError, RuleError):
    """A value is not acceptable (the connection string, a file of the change feed); nothing was sent to the
    server. A RuleError: the field, the value, why and what is accepted."""


class PostgresConnectError(PostgresLoadError):
    """The server could not be reached, or refused the login or the database."""


class SchemaExistsError(PostgresLoadError):
    """The target schema already holds tables and overwrite is false, or holds objects that are not ours."""


class SchemaBusyError(PostgresLoadError):
    """Another session is loading into the same schema right now."""


class LoadCancelled(PostgresLoadError):
    """The operation was cancelled; the target schema is as it was."""


class LoadFailedError(PostgresLoadError):
    """The data or the server failed part-way (a key violated, disk full, connection lost); nothing changed."""
