"""load_to_lakebase: the real SDK finds the instance and a credential on the stand-in, and the load
goes over TLS to the real PostgreSQL server of the tests, logged in with that credential."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from databricks_standin import USER_NAME

import server.adapters.databricks.lakebase as lakebase
from generator.postgres import PostgresConnectError
from generator.readers import DatasetNotFoundError
from generator.rules import RuleErrors
from generator.runner import run
from generator.spec import DatasetSpec
from server.adapters.databricks import DatabricksApiError
from server.adapters.databricks.lakebase import LakebaseLoadResult, load_to_lakebase
from server.adapters.secrets import MaskSecretsFilter

INSTANCE = "retail-lakebase"


@pytest.fixture(scope="module")
def small_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lakebase-dataset") / "data"
    run(DatasetSpec(scale="small", scale_factor=0.1, days=7), folder, workers=1)
    return folder


@dataclass
class Lakebase:
    """An instance on the stand-in whose server is the tests' PostgreSQL, and what a load needs."""

    standin: Any
    client: Any
    db: Any  # tests/postgres_server.TokenDatabase
    dataset: Path

    @property
    def server(self) -> Any:
        return self.db.server

    @property
    def database(self) -> str:
        return self.db.name

    @property
    def tokens(self) -> list[str]:
        return self.db.tokens

    def add_instance(self, **options: Any) -> None:
        self.standin.add_database_instance(INSTANCE, self.server.host, self.server.port, **options)

    def load(self, **options: Any) -> LakebaseLoadResult:
        return load_to_lakebase(
            INSTANCE, self.dataset, database=self.database, client=self.client, port=self.server.port, **options
        )

    def schemas(self) -> set[str]:
        return self.db.schemas()


@pytest.fixture
def lake(standin: Any, workspace_client: Any, lakebase_database: Any, small_dataset: Path) -> Lakebase:
    return Lakebase(standin, workspace_client, lakebase_database, small_dataset)


def _lakebase_requests(standin: Any) -> list[Any]:
    return standin.requests.find(None, r"^/api/2\.0/database/")


def test_the_load_finds_the_instance_gets_a_credential_and_uses_tls(
    lake: Lakebase, caplog: pytest.LogCaptureFixture
) -> None:
    lake.add_instance(on_credential=lake.db.accept)
    caplog.handler.addFilter(MaskSecretsFilter())  # what the server installs on its log handlers
    caplog.set_level(logging.DEBUG)
    events: list[str] = []
    result = lake.load(
        schema="retail", progress=lambda done, total, message: events.append(f"{done}/{total} {message}")
    )
    assert isinstance(result, LakebaseLoadResult)
    assert (result.instance_name, result.host, result.database, result.user) == (
        INSTANCE,
        lake.server.host,
        lake.database,
        USER_NAME,
    )
    assert result.total_rows > 0 and lake.schemas() == {"retail"}
    assert [r.method for r in _lakebase_requests(lake.standin)] == ["GET", "POST"]
    issued = lake.standin.lakebase.issued
    assert issued[0][0] == INSTANCE and issued[0][1]  # a request_id was sent
    assert len(lake.tokens) == 1  # one credential served every connection of the load
    token = lake.tokens[0]
    # TLS: the server refuses this role without it (the rule works), and every login of the load used it.
    with pytest.raises(psycopg.OperationalError, match="no encryption"):
        psycopg.connect(lake.server.dsn(lake.database, user=USER_NAME, password=token, sslmode="disable")).close()
    logins = [line for line in lake.server.server_log().splitlines() if f"database={lake.database} " in line]
    logins = [line for line in logins if "connection authorized" in line]
    assert len(logins) >= 8 and all("SSL enabled" in line for line in logins)
    shown = repr(result) + "\n".join(events) + caplog.text
    assert token not in shown and token.rsplit(".", 1)[1] not in shown  # nor its signature
    assert events and all(token not in event for event in events)


def test_a_credential_that_expires_during_the_load_is_renewed_before_the_next_login(
    lake: Lakebase, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake.add_instance(on_credential=lake.db.accept, token_ttls=[3])
    monkeypatch.setattr(lakebase, "REFRESH_MARGIN_SEC", 1)
    paused: list[float] = []

    def pause_once(done: int, total: int, message: str) -> None:
        if "indexes built" in message and not paused:
            paused.append(time.monotonic())
            time.sleep(3.5)  # the first token (3 s) expires while the tables are still loading

    result = lake.load(progress=pause_once)
    assert result.total_rows > 0 and paused
    assert len(lake.tokens) == 2 and len(lake.standin.lakebase.issued) == 2
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(
            lake.server.dsn(lake.database, user=USER_NAME, password=lake.tokens[0], sslmode="require")
        ).close()


def test_a_refused_credential_says_what_to_do_and_loads_nothing(lake: Lakebase) -> None:
    # The server never learns the token: like an identity without a role on the instance.
    lake.add_instance(on_credential=lambda token, expires: lake.tokens.append(token))
    with pytest.raises(PostgresConnectError) as refused:
        lake.load()
    message = str(refused.value)
    assert re.search(r"refused the login of 'standin\.user@example\.com'.*run the load again", message)
    assert "password authentication failed" in message
    assert lake.tokens and lake.tokens[0] not in message
    assert lake.schemas() == set()


@pytest.mark.parametrize(
    ("state", "expected"), [("STOPPED", "is STOPPED, not AVAILABLE; start it"), ("STARTING", "wait until")]
)
def test_an_instance_that_is_not_available_is_refused_before_any_credential(
    state: str, expected: str, standin: Any, workspace_client: Any, small_dataset: Path
) -> None:
    standin.add_database_instance(INSTANCE, "127.0.0.1", 1, state=state)
    with pytest.raises(DatabricksApiError, match=expected) as refused:
        load_to_lakebase(INSTANCE, small_dataset, client=workspace_client)
    assert refused.value.error_code == "INSTANCE_NOT_AVAILABLE"
    assert standin.lakebase.issued == []


def test_an_unknown_instance_is_named(standin: Any, workspace_client: Any, small_dataset: Path) -> None:
    with pytest.raises(DatabricksApiError, match="'no-such-instance' does not exist") as missing:
        load_to_lakebase("no-such-instance", small_dataset, client=workspace_client)
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert [r.status for r in _lakebase_requests(standin)] == [404]


@pytest.mark.parametrize(
    ("arguments", "error", "field"),
    [
        ({"instance_name": "bad name!"}, RuleErrors, "instance_name"),
        ({"instance_name": "-leading"}, RuleErrors, "instance_name"),
        ({"database": ""}, RuleErrors, "database"),
        ({"port": 0}, RuleErrors, "port"),
        ({"schema": "re.tail"}, RuleErrors, "schema"),
        ({"overwrite": "yes"}, RuleErrors, "overwrite"),
        ({"dataset_dir": "/no/such/folder"}, DatasetNotFoundError, "not a dataset"),
    ],
)
def test_bad_input_is_refused_before_any_request(
    arguments: dict[str, Any],
    error: type[Exception],
    field: str,
    standin: Any,
    workspace_client: Any,
    small_dataset: Path,
) -> None:
    values: dict[str, Any] = {"instance_name": INSTANCE, "dataset_dir": small_dataset, **arguments}
    with pytest.raises(error, match=field):
        load_to_lakebase(client=workspace_client, **values)
    assert len(standin.requests) == 0
