"""Exceptions of the Databricks layer, each with a message a user (or a model) can act on.

Rules followed by every function of ``server.adapters.databricks``:

* Bad input (names, paths, numbers) raises ``generator.rules.RuleErrors`` (a ``ValueError``)
  *before any HTTP call*, naming the field, the value and what is accepted.
* Missing credentials raise ``DatabricksNotConfigured`` saying exactly what to set.
* A request that the workspace refuses or never answers (not found, permission denied,
  unreachable host, ...) raises ``DatabricksApiError``, a subclass of the SDK's
  ``DatabricksError``, with a redacted message.
* What happens *inside* an operation (a script that raised, a run that failed, a timeout, one
  file among many that failed to upload) is returned in the result (``success``, ``error``,
  ``errors``), never raised, so the caller sees everything that did work too.
"""

from __future__ import annotations

from databricks.sdk.errors import DatabricksError


class DatabricksNotConfigured(RuntimeError):
    """No usable Databricks credentials were found (environment, ~/.databrickscfg, profile)."""


class DatabricksApiError(DatabricksError):
    """A Databricks API request failed; the message is redacted and says what was attempted.

    ``error_code`` is the API's error code when there was one (``NOT_FOUND``,
    ``PERMISSION_DENIED``, ...), or ``UNREACHABLE`` when the workspace did not answer.
    """

    def __init__(self, message: str, *, error_code: str | None = None, operation: str | None = None) -> None:
        super().__init__(message, error_code=error_code)
        self.operation = operation


class VolumeNotFoundError(DatabricksApiError):
    """The Unity Catalog volume does not exist, or the caller cannot see it."""


class WorkspaceObjectNotFoundError(DatabricksApiError):
    """A workspace path (the generation script) does not exist."""


class ClusterNotFoundError(DatabricksApiError):
    """The cluster id does not name a cluster of this workspace."""


class CatalogNotFoundError(DatabricksApiError):
    """The Unity Catalog catalog does not exist, or the caller may not use it."""


class WarehouseError(DatabricksApiError):
    """No SQL warehouse can run the statements (none exists, the one named is missing, it does not start)."""


class StatementError(DatabricksApiError):
    """A SQL statement failed, or did not finish within its wait; ``sql_state`` is the SQLSTATE when known."""

    def __init__(
        self, message: str, *, error_code: str | None = None, operation: str | None = None, sql_state: str | None = None
    ) -> None:
        super().__init__(message, error_code=error_code, operation=operation)
        self.sql_state = sql_state


class JobNotFoundError(LookupError):
    """No job matches the requested name (nor its bundle dev-mode variant) or id."""


class AmbiguousJobError(LookupError):
    """Several jobs match the requested name; the message lists them so one can be chosen by id."""
