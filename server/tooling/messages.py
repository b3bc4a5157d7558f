"""Errors as the agent gets them: one line, capped, with every secret masked."""

from __future__ import annotations

from server.adapters.secrets import redact

#: Longest error message sent to the agent (the server log keeps everything).
MAX_ERROR_CHARS = 2000


def error_text(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    """An error message fit for the agent: secrets masked, at most `limit` characters.

    A long message keeps its head and its tail, where the way out usually is ("choose one of ...").
    """
    text = redact(text)
    if len(text) <= limit:
        return text
    tail = limit // 4
    return f"{text[: limit - tail - 5]} ... {text[-tail:]}"


def one_line(text: object, limit: int = MAX_ERROR_CHARS) -> str:
    """Collapse whitespace to single spaces, mask secrets and cut to `limit` characters."""
    flat = " ".join(redact(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
