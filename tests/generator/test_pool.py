"""The pool forks only where a fork is safe: one thread and none of the native runtimes a fork breaks."""

from __future__ import annotations

import subprocess
import sys

import pytest

START_METHOD = "from generator.pool import start_method; print(start_method())"


@pytest.mark.parametrize(
    ("before", "expected"),
    [
        ("", "fork"),
        ("import duckdb", "forkserver"),
        ("import threading, time; threading.Thread(target=time.sleep, args=(5,), daemon=True).start()", "forkserver"),
    ],
)
def test_the_start_method_follows_what_the_process_runs(before: str, expected: str) -> None:
    answer = subprocess.run(
        [sys.executable, "-c", f"{before}\n{START_METHOD}"], capture_output=True, text=True, check=True
    )
    assert answer.stdout.strip() == expected
