"""Credentials: unified auth, profiles, a cached client, and tokens that never reach a result."""

from __future__ import annotations

import time

import pytest

from server.adapters.databricks import DatabricksNotConfigured, execute_script_on_cluster, get_workspace_client
from server.adapters.databricks.auth import clear_client_cache

SCRIPT = "/Users/standin.user@example.com/leak.py"


@pytest.fixture
def no_credentials(monkeypatch, tmp_path):
    import os

    for name in list(os.environ):
        if name.startswith(("DATABRICKS_", "ARM_", "AZURE_", "GOOGLE_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "missing.databrickscfg"))
    clear_client_cache()
    yield tmp_path
    clear_client_cache()


def test_missing_credentials_say_what_to_set_and_fail_fast(no_credentials):
    started = time.monotonic()
    with pytest.raises(DatabricksNotConfigured) as info:
        get_workspace_client()
    assert time.monotonic() - started < 5
    message = str(info.value)
    for needed in ("DATABRICKS_HOST", "DATABRICKS_TOKEN", "~/.databrickscfg", "DATABRICKS_CONFIG_PROFILE"):
        assert needed in message


def test_unknown_profile_is_named_and_the_token_is_not_shown(no_credentials, monkeypatch):
    cfg = no_credentials / "cfg"
    cfg.write_text("[work]\nhost = https://example.cloud.databricks.com\ntoken = dapi0123456789abcdef\n")
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(cfg))
    with pytest.raises(DatabricksNotConfigured, match="nope") as info:
        get_workspace_client("nope")
    assert "dapi0123456789abcdef" not in str(info.value)


def test_env_credentials_build_a_client_for_the_standin(no_credentials, standin, monkeypatch):
    monkeypatch.setenv("DATABRICKS_HOST", standin.url)
    monkeypatch.setenv("DATABRICKS_TOKEN", standin.token)
    client = get_workspace_client()
    assert client.config.host == standin.url
    assert client.current_user.me().user_name == standin.user_name
    assert get_workspace_client() is client  # cached while nothing changed


def test_profile_credentials(no_credentials, standin, monkeypatch):
    cfg = no_credentials / "cfg"
    cfg.write_text(f"[standin]\nhost = {standin.url}\ntoken = {standin.token}\n")
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(cfg))
    client = get_workspace_client("standin")
    assert client.current_user.me().user_name == standin.user_name


def test_token_never_appears_in_cluster_results(standin, workspace_client, volume, monkeypatch):
    token = standin.token
    standin.put_workspace_file(
        SCRIPT, f"print('the token is {token}')\nprint('Bearer {token}')\nraise RuntimeError('leaked {token}')\n"
    )
    result = execute_script_on_cluster(standin.cluster_id, SCRIPT, f"{volume.path}/x", client=workspace_client)
    assert result["success"] is False
    assert token not in repr(result)
    assert "[REDACTED]" in result["error"]


def test_an_explicit_profile_wins_over_the_environments_host_and_token(no_credentials, standin, monkeypatch):
    """Fuzzing defect: with DATABRICKS_HOST/TOKEN set, profile="other" went to the environment's workspace."""
    cfg = no_credentials / "cfg"
    cfg.write_text(f"[other]\nhost = {standin.url}\ntoken = {standin.token}\n")
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(cfg))
    monkeypatch.setenv("DATABRICKS_HOST", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("DATABRICKS_TOKEN", "dapi-environment-token-never-sent")
    client = get_workspace_client("other")
    assert client.config.host == standin.url
    assert client.current_user.me().user_name == standin.user_name
    (call,) = standin.requests.find("GET", r"/scim/v2/Me$")
    assert call.status == 200  # the stand-in accepted the profile's token, not the environment's
    # Without a profile the environment rules (1 s of retries: the client probes the dead host while it is built).
    assert get_workspace_client(retry_timeout_seconds=1).config.host == "http://127.0.0.1:9"
