"""Secrets never leave the server: which environment variables hold them, every secret value the
process has met, and `redact`, which masks them (and anything token-shaped) in a text.

Why here, apart from any SDK: every layer masks with it (tool results, errors, progress, log lines,
child processes), and importing it must cost nothing. The Databricks adapter adds the secrets of
the clients it builds with `remember_secret`; the database adapters add passwords and credentials.
"""

from __future__ import annotations

import logging
import os
import re
import threading

from generator.postgres.masking import URI_PASSWORD

#: Credentials the Databricks SDK's unified auth and libpq read from the environment.
SECRET_ENV_VARS = (
    "DATABRICKS_TOKEN",
    "DATABRICKS_CLIENT_SECRET",
    "DATABRICKS_PASSWORD",
    "ARM_CLIENT_SECRET",
    "DATABRICKS_AZURE_CLIENT_SECRET",
    "GOOGLE_CREDENTIALS",
    "PGPASSWORD",
)
#: Shorter values are not masked: they would mask ordinary words.
MIN_SECRET_LEN = 6
MASK = "[REDACTED]"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Databricks personal access tokens and other dapi-prefixed secrets (dapi<hex>, dapi-test-...).
    (re.compile(r"\bdapi[0-9A-Za-z_-]{4,}"), MASK),
    # Databricks OAuth secrets and tokens (dose..., dkea...).
    (re.compile(r"\b(?:dose|dkea)[0-9A-Za-z_-]{8,}"), MASK),
    # Authorization header values.
    (re.compile(r"(?i)\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 " + MASK),
    # JSON Web Tokens.
    (re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), MASK),
    # Passwords inside connection URIs: scheme://user:password@host (the core's pattern, standard library only).
    (URI_PASSWORD, r"\1" + MASK),
    # key=value / "key": "value" pairs whose key says it is secret.
    (
        re.compile(
            r"(?i)\b((?:access_|refresh_|id_)?token|client_secret|secret|password|authorization|api_key)"
            r"(\"?\s*[:=]\s*\"?)([^\s\"',;&}]+)"
        ),
        r"\1\2" + MASK,
    ),
)

_known: set[str] = set()
_lock = threading.Lock()


def env_secrets() -> set[str]:
    """The current values of the secret environment variables that are long enough to mask."""
    values = (os.environ.get(name) for name in SECRET_ENV_VARS)
    return {value for value in values if value and len(value) >= MIN_SECRET_LEN}


def remember_secret(value: str | None) -> None:
    """Add a literal secret value that `redact` must always mask."""
    if isinstance(value, str) and len(value) >= MIN_SECRET_LEN:
        with _lock:
            _known.add(value)


def redact(text: object) -> str:
    """`str(text)` with every known secret and every token-like value masked as [REDACTED]."""
    result = "" if text is None else str(text)
    with _lock:
        literals = set(_known) | env_secrets()
    for secret in sorted(literals, key=len, reverse=True):
        result = result.replace(secret, MASK)
    for pattern, replacement in _PATTERNS:
        result = pattern.sub(replacement, result)
    return result


class MaskSecretsFilter(logging.Filter):
    """Masks secrets (see `redact`) in a log record's message and traceback.

    On a logger it covers the records made on that logger; on a handler, every record the handler
    writes, whichever library made it (the Databricks SDK logs response bodies at DEBUG).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler's own error handling
            return True
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install_log_masking(target: logging.Logger | None = None) -> None:
    """Add MaskSecretsFilter to every handler of `target` (default: the root logger), once."""
    for handler in (target or logging.getLogger()).handlers:
        if not any(isinstance(existing, MaskSecretsFilter) for existing in handler.filters):
            handler.addFilter(MaskSecretsFilter())
