"""Text from remote systems made fit for a result: markup removed, and capped keeping head and tail."""

from __future__ import annotations

import html
import re

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
_TAGS = re.compile(r"<[^<>]{0,500}>")


def clean_text(text: str | None) -> str:
    """Plain text from cluster output: HTML tags removed, entities decoded, ANSI codes stripped."""
    if not text:
        return ""
    without_ansi = _ANSI.sub("", text)
    without_tags = _TAGS.sub("", without_ansi)
    return html.unescape(without_tags).replace("\r\n", "\n")


def cap_text(text: str, limit: int, *, head_share: float = 0.25) -> str:
    """``text`` if it fits in ``limit`` characters, else its head and tail around a note of the cut."""
    if len(text) <= limit:
        return text
    head = int(limit * head_share)
    tail = limit - head
    cut = len(text) - head - tail
    return f"{text[:head]}\n[... output truncated: {cut:,} characters cut here ...]\n{text[-tail:]}"
