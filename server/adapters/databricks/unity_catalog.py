"""Unity Catalog checks made before tables are written: the catalog exists, the schema exists (or is
created), which target tables are there already, each said in the workspace's words plus what to do.

Why first: a run or a chain of SQL statements that fails on a missing catalog or a missing privilege
after minutes of work is the costliest way to learn it; these calls take a second.
"""

from __future__ import annotations

from collections.abc import Iterable

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import PermissionDenied
from server.adapters.databricks.calls import api_error, describe, is_not_found, with_retries
from server.adapters.databricks.errors import CatalogNotFoundError
from server.adapters.secrets import redact

MAX_CATALOGS_NAMED = 20


def grant_hint(privileges: str, securable: str, name: str, owner: str | None) -> str:
    """What to ask for when the workspace refused a privilege on a catalog or schema."""
    who = f"its owner ({owner})" if owner else "its owner or a metastore admin"
    return (
        f"Ask {who} to run GRANT {privileges} ON {securable} `{name}` TO `<you>`, or choose a {securable.lower()} "
        "you own."
    )


def require_catalog(client: WorkspaceClient, catalog: str) -> str | None:
    """The catalog's owner; CatalogNotFoundError naming the catalogs you can see when it does not exist."""
    try:
        info = with_retries(lambda: client.catalogs.get(catalog))
    except Exception as exc:
        if not is_not_found(exc):
            raise api_error(exc, f"read the catalog {catalog}") from None
        try:
            visible = [c.name for c in with_retries(lambda: list(client.catalogs.list())) if c.name]
        except Exception as listing:  # noqa: BLE001 - the missing catalog is the news; the listing is a help
            visible, hint = [], f"(the catalogs could not be listed: {describe(listing)})"
        else:
            shown = ", ".join(visible[:MAX_CATALOGS_NAMED]) + (" ..." if len(visible) > MAX_CATALOGS_NAMED else "")
            hint = f"Catalogs you can use: {shown}." if visible else "You can see no catalog at all."
        raise CatalogNotFoundError(
            redact(
                f"Catalog {catalog!r} does not exist in this workspace, or you may not use it. {hint} Pass one of "
                "them as catalog (a metastore admin can CREATE CATALOG)."
            ),
            error_code="CATALOG_DOES_NOT_EXIST",
            operation="check the catalog",
        ) from None
    return info.owner


def ensure_schema(client: WorkspaceClient, catalog: str, schema: str, catalog_owner: str | None) -> bool:
    """Make sure ``catalog.schema`` exists; True when this call created it. A refused CREATE SCHEMA comes
    back as the workspace's message plus the GRANT to ask for."""
    full_name = f"{catalog}.{schema}"
    try:
        with_retries(lambda: client.schemas.get(full_name))
        return False
    except Exception as exc:
        if not is_not_found(exc):
            raise api_error(exc, f"read the schema {full_name}") from None
    try:
        with_retries(lambda: client.schemas.create(name=schema, catalog_name=catalog))
    except Exception as exc:
        if getattr(exc, "error_code", None) in ("SCHEMA_ALREADY_EXISTS", "ALREADY_EXISTS"):
            return False  # made by someone else a moment ago
        hint = ""
        if isinstance(exc, PermissionDenied):
            hint = grant_hint("USE CATALOG, CREATE SCHEMA", "CATALOG", catalog, catalog_owner)
        raise api_error(exc, f"create the schema {full_name}", hint=hint) from None
    return True


def existing_tables(client: WorkspaceClient, catalog: str, schema: str, names: Iterable[str]) -> list[str]:
    """Which of ``names`` exist as tables in ``catalog.schema`` (in the order given)."""
    wanted = list(names)
    try:
        present = {t.name for t in with_retries(lambda: list(client.tables.list(catalog, schema, omit_columns=True)))}
    except Exception as exc:
        if is_not_found(exc):
            return []
        raise api_error(exc, f"list the tables of {catalog}.{schema}") from None
    return [name for name in wanted if name in present]
