"""Passwords kept out of connection strings and messages: the project's one pattern for a password inside a
URI (``scheme://user:password@host``) and the libpq ``password=...`` pair.

Why standard library only: the MCP server's secret masking (``server.adapters.secrets.redact``) uses the
same URI pattern from its first log line on, and psycopg must not load when the server starts.
"""

from __future__ import annotations

import re

#: ``scheme://user:password@host``: group 1 is everything before the password, group 2 the password.
URI_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^:/@\s]*:)([^@\s]*)(?=@)")
#: ``password=value`` in a libpq key=value string, quoted or not: group 2 is the value.
PASSWORD_PAIR = re.compile(r"(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)")


def mask_passwords(text: str, mask: str) -> str:
    """``text`` with every URI password and libpq password pair replaced by ``mask``."""
    text = PASSWORD_PAIR.sub(lambda m: m.group(1) + mask, text)
    return URI_PASSWORD.sub(lambda m: m.group(1) + mask, text)


def passwords_in(text: str) -> list[str]:
    """The passwords written in a connection string, even one that does not parse (so its error can mask them)."""
    return [m.group(2).strip("'") for m in PASSWORD_PAIR.finditer(text)] + [
        m.group(2) for m in URI_PASSWORD.finditer(text)
    ]


def one_line(text: object) -> str:
    """A server or libpq message on one line (they come with tabs and newlines)."""
    return " ".join(str(text).split())
