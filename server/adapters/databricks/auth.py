"""Databricks credentials: a lazily built ``WorkspaceClient`` and the redaction of secrets.

The client is built only when a function needs one (never at import), with the SDK's
unified authentication: ``DATABRICKS_HOST`` + ``DATABRICKS_TOKEN`` (or any other variable
the SDK understands), a profile of ``~/.databrickscfg`` (or of the file named by
``DATABRICKS_CONFIG_FILE``), chosen with the ``profile`` argument or
``DATABRICKS_CONFIG_PROFILE``. Every function of this package also accepts an already
built client (``client=``), which is how tests pass the stand-in workspace's client.

An explicit ``profile`` is the whole configuration: the SDK alone would let ``DATABRICKS_HOST``
and ``DATABRICKS_TOKEN`` of the environment override the profile's values, so a call naming
another workspace's profile would silently go to the environment's workspace with its token.

Why a short retry budget: the SDK retries an unreachable host and throttling answers for
``retry_timeout_seconds`` (300 s by default), even while *building* the client (it probes
``/.well-known/databricks-config``). Tool calls are cut by clients after about a minute,
so the client made here gives up after 30 s.

Secrets never leave this package: every client's secrets are handed to
``server.adapters.secrets.remember_secret``, and every error string this package returns or
raises goes through ``server.adapters.secrets.redact``.
"""

from __future__ import annotations

import configparser
import logging
import os
import threading
from pathlib import Path
from typing import Any

from databricks.sdk import WorkspaceClient
from databricks.sdk.config import Config
from server.adapters.databricks.errors import DatabricksNotConfigured
from server.adapters.secrets import redact, remember_secret

LOG = logging.getLogger(__name__)

DEFAULT_RETRY_TIMEOUT_SECONDS = 30
DEFAULT_HTTP_TIMEOUT_SECONDS = 60

HOW_TO_CONFIGURE = (
    "Databricks is not configured. Set DATABRICKS_HOST (your workspace URL, e.g. "
    "https://adb-1234567890123456.7.azuredatabricks.net) and DATABRICKS_TOKEN (a personal access token), "
    "or add a profile to ~/.databrickscfg (or to the file named by DATABRICKS_CONFIG_FILE), for example "
    "with `databricks configure` or `databricks auth login`, and select it with DATABRICKS_CONFIG_PROFILE "
    "or the profile argument."
)

_SECRET_CONFIG_ATTRS = ("token", "client_secret", "password", "azure_client_secret", "google_credentials")

_client_cache: dict[tuple[Any, ...], WorkspaceClient] = {}
_cache_lock = threading.Lock()


class _ProfileOnlyConfig(Config):
    """A Config read from one profile of the config file, never from DATABRICKS_* variables."""

    def _load_from_env(self) -> None:
        """Skip the environment: an explicitly named profile must win over it."""


def remember_client_secrets(client: WorkspaceClient) -> None:
    """Remember the secret values configured on ``client`` (token, client secret, password)."""
    config = getattr(client, "config", None)
    for attr in _SECRET_CONFIG_ATTRS:
        try:
            remember_secret(getattr(config, attr, None))
        except Exception:  # noqa: BLE001 - a config attribute that cannot be read is not a secret we know
            continue


def _cache_key(profile: str | None, retry_timeout_seconds: int) -> tuple[Any, ...]:
    env = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith(("DATABRICKS_", "ARM_"))))
    config_file = _config_file()
    try:
        stamp = config_file.stat().st_mtime_ns
    except OSError:
        stamp = None
    return (profile, retry_timeout_seconds, env, str(config_file), stamp, os.environ.get("HOME"))


def _config_file() -> Path:
    return Path(os.environ.get("DATABRICKS_CONFIG_FILE") or "~/.databrickscfg").expanduser()


def _check_profile_exists(profile: str) -> None:
    """Raise ``DatabricksNotConfigured`` naming the profiles available when ``profile`` is not one."""
    config_file = _config_file()
    parser = configparser.ConfigParser()
    try:
        parser.read(config_file)
    except configparser.Error:
        return  # let the SDK report the broken file
    names = parser.sections() + (["DEFAULT"] if parser.defaults() else [])
    if profile in names:
        return
    where = f"{config_file} has the profiles {', '.join(names)}" if names else f"{config_file} has no profiles"
    raise DatabricksNotConfigured(f"Profile {profile!r} not found: {where}. {HOW_TO_CONFIGURE}")


def get_workspace_client(
    profile: str | None = None,
    *,
    retry_timeout_seconds: int = DEFAULT_RETRY_TIMEOUT_SECONDS,
    http_timeout_seconds: int = DEFAULT_HTTP_TIMEOUT_SECONDS,
) -> WorkspaceClient:
    """A ``WorkspaceClient`` from the SDK's unified auth (environment, config file, profile).

    Built on first use and cached while the environment and the config file stay the same.
    Raises ``DatabricksNotConfigured`` (with what to set) when no credentials are found or the
    profile does not exist; it fails in well under a second when nothing is configured.
    """
    if profile is not None and (not isinstance(profile, str) or not profile.strip()):
        raise DatabricksNotConfigured(f"Invalid profile {profile!r}: give the name of a ~/.databrickscfg section.")
    key = _cache_key(profile, retry_timeout_seconds)
    with _cache_lock:
        cached = _client_cache.get(key)
    if cached is not None:
        return cached
    if profile:
        _check_profile_exists(profile)
    options: dict[str, Any] = {
        "retry_timeout_seconds": retry_timeout_seconds,
        "http_timeout_seconds": http_timeout_seconds,
    }
    if profile:
        options.update(profile=profile, config_file=str(_config_file()))
    try:
        config = _ProfileOnlyConfig(**options) if profile else Config(**options)
        if not config.host:
            raise ValueError("no host is configured")
        client = WorkspaceClient(config=config)
    except ValueError as exc:
        reason = redact(exc)
        raise DatabricksNotConfigured(f"{HOW_TO_CONFIGURE} (Databricks SDK: {reason})") from None
    remember_client_secrets(client)
    with _cache_lock:
        _client_cache[key] = client
    LOG.info("Databricks client ready for %s", client.config.host)
    return client


def clear_client_cache() -> None:
    """Forget cached clients (after credentials changed in a way the cache key cannot see)."""
    with _cache_lock:
        _client_cache.clear()


def resolve_client(client: WorkspaceClient | None = None, profile: str | None = None) -> WorkspaceClient:
    """``client`` when given (its secrets are remembered for redaction), else ``get_workspace_client``."""
    if client is None:
        return get_workspace_client(profile)
    remember_client_secrets(client)
    return client


def workspace_host(client: WorkspaceClient) -> str:
    """The workspace URL of ``client`` (safe to show: it holds no secret)."""
    return redact(getattr(client.config, "host", "") or "")
