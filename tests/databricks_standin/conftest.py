"""Fixtures for the stand-in's own SQL and Unity Catalog tests (the shared ones are in ``tests/conftest.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from databricks.sdk.service.sql import StatementResponse

RunSql = Callable[..., StatementResponse]


@pytest.fixture
def volume(standin: Any) -> Any:
    """A fresh catalog with schema ``raw`` and volume ``landing`` (``VolumeRef``)."""
    return standin.create_volume(schema="raw", volume="landing")


@pytest.fixture
def run_sql(standin: Any, workspace_client: Any, volume: Any) -> RunSql:
    """Run one statement on the stand-in's warehouse through the real SDK and check the state it ends in.

    ``run_sql(sql, expect="FAILED", catalog=..., schema=..., wait_timeout=...)``: the catalog defaults
    to the ``volume`` fixture's, the wait to 30 s.
    """

    def run(statement: str, *, expect: str = "SUCCEEDED", **options: Any) -> StatementResponse:
        options.setdefault("wait_timeout", "30s")
        options.setdefault("catalog", volume.catalog)
        response = workspace_client.statement_execution.execute_statement(
            statement=statement, warehouse_id=standin.warehouse_id, **options
        )
        assert response.status.state.value == expect, (statement, response.status)
        return response

    return run
