"""How the worker pool starts, and so what it costs: fork where this process can be forked safely (a
start in milliseconds), forkserver otherwise (safe in a threaded server, but a fresh interpreter to start)."""

from __future__ import annotations

import multiprocessing
import sys
import threading

#: Libraries whose native thread pools do not survive a fork (a forked worker would hang on them).
FORK_UNSAFE_MODULES = ("deltalake", "duckdb", "psycopg")
#: Without an explicit worker count, a run that one in-process worker finishes within this many seconds
#: (estimated) uses one worker, by how a pool would start: a pool costs more than it saves on a shorter run,
#: and the output bytes never depend on the worker count.
SINGLE_WORKER_BELOW_SEC = {"fork": 1.0, "forkserver": 5.0, "spawn": 5.0}


def start_method() -> str:
    """fork when this process has a single thread and no native runtime that a fork breaks; forkserver
    where the platform has it; else the platform's default."""
    methods = multiprocessing.get_all_start_methods()
    forkable = threading.active_count() == 1 and not any(name in sys.modules for name in FORK_UNSAFE_MODULES)
    if "fork" in methods and forkable:
        return "fork"
    return "forkserver" if "forkserver" in methods else multiprocessing.get_start_method()


def pool_context() -> multiprocessing.context.BaseContext:
    """The multiprocessing context of `start_method` (a forkserver preloads the chunk builders)."""
    context = multiprocessing.get_context(start_method())
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload(["generator.chunks"])
    return context
