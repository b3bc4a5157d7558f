"""A Databricks token set in the environment or in a profile never appears in any tool result, error
or log.

The server runs as a subprocess over stdio at DEBUG log level, with one token in
DATABRICKS_TOKEN and another in a profile of the file named by DATABRICKS_CONFIG_FILE; neither
looks like a `dapi...` token, so only the literal masking of known secrets can hide them. Every
tool is called, successfully and unsuccessfully (bad input, 401, 500 with the token in the
workspace's own error message, a script that prints its environment, a cluster script, a job
run). Then every result text, structured result, the server's whole stderr log and every file
the calls wrote (generation.log included) are searched for both tokens.
"""

from __future__ import annotations

import json
import logging
import secrets
from pathlib import Path
from typing import Any

import mcp
import pytest
from databricks_standin import ASSETS
from mcp.client.stdio import stdio_client

from server.app import build_server
from tests.hardening.conftest import TINY, generate_dataset, result_text, tally
from tests.server.mcp_helpers import make_settings, stdio_params


def _tokens() -> tuple[str, str]:
    return f"envtok-{secrets.token_hex(12)}", f"proftok-{secrets.token_hex(12)}"


def _leaks(text: str, tokens: tuple[str, ...]) -> list[str]:
    """Each token (or its random half alone) found in `text`."""
    found = []
    for token in tokens:
        random_half = token.split("-", 1)[1]
        if token in text or random_half in text:
            found.append(token)
    return found


@pytest.fixture
def secret_workspace(tmp_path: Path) -> Any:
    """A stand-in workspace that accepts only the environment token."""
    from databricks_standin import StandinWorkspace

    env_token, profile_token = _tokens()
    workspace = StandinWorkspace(tmp_path / "workspace", token=env_token).start()
    try:
        yield workspace, env_token, profile_token
    finally:
        workspace.close()


def _project(root: Path, name: str, body: str) -> None:
    (root / name).mkdir(parents=True, exist_ok=True)
    (root / name / "generate_data.py").write_text(body, encoding="utf-8")


async def test_tokens_never_appear_in_results_errors_or_logs(tmp_path: Path, secret_workspace: Any) -> None:
    workspace, env_token, profile_token = secret_workspace
    tokens = (env_token, profile_token)
    root = tmp_path / "root"
    generate_dataset(root / "sample_data")
    _project(root, "envdump", "import os, json\nprint(json.dumps(dict(os.environ)))\n")
    _project(
        root,
        "envfail",
        "import os, sys\nprint(os.environ.get('DATABRICKS_TOKEN', 'no token here'), file=sys.stderr)\nsys.exit(3)\n",
    )
    config = tmp_path / "databrickscfg"
    config.write_text(f"[other]\nhost = {workspace.url}\ntoken = {profile_token}\n", encoding="utf-8")
    volume = workspace.create_volume()
    workspace.put_workspace_file("/Users/me/env.py", "import os\nprint(sorted(os.environ))\n")
    workspace.put_workspace_file("/Users/me/boom.py", "raise RuntimeError('cluster script failed')\n")
    job_id = workspace.register_job("retail_data_generation", ASSETS / "job_generate.py")
    workspace.faults.fail_job_runs(job_id, "the job failed")
    # the workspace itself quotes the token in an error message
    workspace.faults.fail_path(
        r"/fs/files/.*/leaky/stores/.*",
        status=400,
        count=None,
        error_code="INVALID_PARAMETER_VALUE",
        message=f"rejected Authorization: Bearer {env_token} token={env_token} raw {env_token}",
    )
    workspace.faults.fail_path(r"/workspace/import$", status=500, count=None, message=f"internal {env_token}")
    workspace.faults.fail_statements(r"^INSERT INTO .*orders__staging_", f"[INJECTED] refused for {env_token}")
    workspace.jobs.submit_pending_seconds = 300  # submitted runs wait; none of them runs here

    names = {"catalog": volume.catalog, "schema": volume.schema, "volume": volume.volume}
    calls: list[tuple[str, dict[str, Any]]] = [
        ("generate_data", {**TINY, "output_dir": "tiny"}),
        ("estimate_dataset", {}),
        ("describe_schema", {}),
        ("list_datasets", {}),
        ("query_dataset", {"sql": "select count(*) from orders"}),
        ("query_dataset", {"sql": "select getenv('DATABRICKS_TOKEN')"}),
        ("query_dataset", {"sql": "select current_setting('secret_directory')"}),
        ("validate_dataset", {"path": "sample_data"}),
        ("init_project", {"project_path": "proj"}),
        ("execute_script", {"project_path": "envdump"}),
        ("execute_script", {"project_path": "envfail"}),
        ("get_generation_status", {"job_id": env_token[:60]}),  # the agent passes the secret itself
        ("upload_to_volume", {**names}),
        ("create_tables_from_volume", {**names}),  # its third load fails, quoting the token
        ("create_tables_from_volume", {**names, "profile": "other"}),
        ("upload_to_volume", {**names, "remote_subfolder": "leaky"}),
        ("upload_to_volume", {**names, "profile": "other"}),  # the profile's token is refused: 401
        ("upload_to_volume", {**names, "profile": "missing"}),
        ("upload_to_volume", {**names, "catalog": f"bad.{env_token}"}),
        ("generate_and_upload", {"project_path": "envdump", **names}),
        ("deploy_generation_script", {"workspace_path": "/Users/me/gen.py"}),
        ("deploy_generation_script", {"workspace_path": "/Users/me/gen.py", "profile": "other"}),
        (
            "execute_script_on_cluster",
            {
                "cluster_id": workspace.cluster_id,
                "workspace_path": "/Users/me/env.py",
                "volume_output_path": f"{volume.path}/out",
            },
        ),
        (
            "execute_script_on_cluster",
            {
                "cluster_id": workspace.cluster_id,
                "workspace_path": "/Users/me/boom.py",
                "volume_output_path": f"{volume.path}/out",
            },
        ),
        ("trigger_bundle_job", {"catalog": "main", "schema": "s", "wait_sec": 20}),
        ("submit_generation_run", {"catalog": volume.catalog, "schema": "generated", "upload_folder": "/Users/me/x"}),
        ("submit_generation_run", {"catalog": volume.catalog, "schema": "generated", "profile": "other"}),
        ("get_job_run", {"run_id": 987654321}),
        ("get_job_run", {"run_id": 1, "profile": "other"}),
        ("cancel_job_run", {"run_id": 987654321}),
        ("load_to_lakebase", {"instance_name": "no-such-instance", "path": "sample_data"}),
        # the agent passes the secret itself, as a password of an unreachable server
        ("load_to_postgres", {"path": "sample_data", "dsn": f"host=127.0.0.1 port=1 password={env_token}"}),
        ("load_to_postgres", {"path": "sample_data", "dsn": f"postgresql://me:{env_token}@127.0.0.1:1/db"}),
    ]
    log_path = tmp_path / "server-stderr.log"
    outputs: list[str] = []
    params = stdio_params(
        root,
        DATABRICKS_HOST=workspace.url,
        DATABRICKS_TOKEN=env_token,
        DATABRICKS_CONFIG_FILE=str(config),
        RETAIL_DATAGEN_LOG_LEVEL="DEBUG",
        RETAIL_DATAGEN_DATABRICKS_RETRY_SEC="3",
    )
    with log_path.open("w", encoding="utf-8") as log:
        async with mcp.Client(stdio_client(params, errlog=log)) as client:
            tools = {tool.name for tool in (await client.list_tools()).tools}
            outcomes = []
            for name, args in calls:
                if name not in tools:
                    continue
                result = await client.call_tool(name, args, read_timeout_seconds=120)
                outcomes.append((name, result.is_error))
                outputs.append(f"{name} -> {result_text(result)}")
                outputs.append(json.dumps(result.structured_content))
    logged = log_path.read_text(encoding="utf-8", errors="replace")
    files = {
        str(path): path.read_text(encoding="utf-8", errors="replace")
        for path in root.rglob("*")
        if path.is_file() and path.suffix in {".log", ".json", ".txt", ".py", ".yml", ".yaml", ".md"}
    }

    record = tally("secrets: places searched for the tokens", "free of both tokens")
    found = []
    for index, text in enumerate(outputs):
        leaked = _leaks(text, tokens)
        record.add(f"leaked {leaked}" if leaked else None, f"tool output {index}")
        if leaked:
            found.append(f"tool output: {text[:300]}")
    log_leaks = [line for line in logged.splitlines() if _leaks(line, tokens)]
    record.add(f"leaked in {len(log_leaks)} line(s)" if log_leaks else None, "server stderr log")
    for path, text in files.items():
        leaked = _leaks(text, tokens)
        record.add(f"leaked {leaked}" if leaked else None, path)
        if leaked:
            found.append(f"file {path}")
    assert not found, "\n".join(found)
    # the calls really exercised the workspace: some succeeded and some failed
    assert ("upload_to_volume", False) in outcomes and ("upload_to_volume", True) in outcomes, outcomes
    assert "DEBUG" in logged, "the server did not log at DEBUG level"
    assert any("[REDACTED]" in text for text in outputs), "no error quoted a (masked) secret"
    created = [text for text in outputs if text.startswith("create_tables_from_volume -> ")]
    assert any("[INJECTED] refused for [REDACTED]" in text for text in created), created
    assert not log_leaks, log_leaks[:3]


async def test_an_unexpected_error_quoting_the_token_is_masked_in_the_result_and_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    token = f"envtok-{secrets.token_hex(12)}"
    monkeypatch.setenv("DATABRICKS_TOKEN", token)
    import server.tools.local.describe_schema

    def explode(table: str | None = None) -> None:
        raise RuntimeError(f"could not talk to https://x.example?token={token} with {token}")

    monkeypatch.setattr(server.tools.local.describe_schema, "describe_tables", explode)
    async with mcp.Client(build_server(make_settings(tmp_path / "root"))) as client:
        with caplog.at_level(logging.DEBUG):
            result = await client.call_tool("describe_schema", {})
    assert result.is_error and "[REDACTED]" in result_text(result)
    assert not _leaks(result_text(result), (token,))
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    rendered = "\n".join(handler.format(record) for record in caplog.records)
    assert "RuntimeError" in rendered, "the unexpected error was not logged"
    assert not _leaks(rendered, (token,)), [line for line in rendered.splitlines() if token in line][:3]
    tally("secrets: places searched for the tokens", "free of both tokens").add(
        None, "unexpected error: result and log"
    )
