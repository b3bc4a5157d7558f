"""The plain `execute_script` function: environment, capped output, timeout and crash handling."""

from __future__ import annotations

import os
import subprocess
import textwrap
import threading
import time
from pathlib import Path

import pytest

from server.adapters.scripts import HEAD_BYTES, TAIL_BYTES, ScriptCancelledError, execute_script


def write_script(project: Path, body: str) -> Path:
    project.mkdir(parents=True, exist_ok=True)
    script = project / "generate_data.py"
    script.write_text(textwrap.dedent(body), encoding="utf-8")
    return script


def test_runs_with_scale_factor_output_path_and_extra_env(tmp_path: Path) -> None:
    write_script(
        tmp_path,
        """
        import os, sys
        print("SF", os.environ["SCALE_FACTOR"])
        print("OUT", os.environ["OUTPUT_PATH"])
        print("EXTRA", os.environ["EXTRA"])
        print("CWD", os.getcwd())
        print("STDIN", repr(sys.stdin.read()))
        print("to stderr", file=sys.stderr)
        """,
    )
    result = execute_script(str(tmp_path), scale_factor=0.5, env={"EXTRA": "yes"})
    assert set(result) >= {"exit_code", "stdout", "stderr", "duration_sec", "log_path"}
    assert result["exit_code"] == 0
    lines = result["stdout"].splitlines()
    assert lines[0] == "SF 0.5"
    assert lines[1] == f"OUT {tmp_path.resolve() / 'data'}"
    assert lines[2] == "EXTRA yes"
    assert lines[3] == f"CWD {tmp_path.resolve()}"
    assert lines[4] == "STDIN ''"  # stdin is /dev/null: the script cannot read the MCP stream
    assert result["stderr"] == "to stderr\n"
    assert result["truncated"] is False
    log = Path(result["log_path"]).read_text()
    assert log_path_is_in_project(result["log_path"], tmp_path)
    assert "SF 0.5" in log and "to stderr" in log and "exit code 0" in log


def log_path_is_in_project(log_path: str, project: Path) -> bool:
    return Path(log_path) == project.resolve() / "generation.log"


def test_missing_script_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        execute_script(str(tmp_path))
    assert not (tmp_path / "generation.log").exists()


def test_crash_returns_the_exit_code_and_the_traceback(tmp_path: Path) -> None:
    write_script(tmp_path, "raise SystemExit('bad things')\n")
    result = execute_script(str(tmp_path))
    assert result["exit_code"] == 1
    assert "bad things" in result["stderr"]


def test_flooding_output_is_capped_in_memory_and_complete_in_the_log(tmp_path: Path) -> None:
    write_script(
        tmp_path,
        """
        import sys
        for block in range(100):  # 20 MB in 100 large writes
            sys.stdout.write("".join(f"line {block * 2000 + i:06d} " + "x" * 88 + "\\n" for i in range(2000)))
        print("the end")
        """,
    )
    result = execute_script(str(tmp_path))
    assert result["exit_code"] == 0
    assert result["truncated"] is True
    stdout = result["stdout"]
    assert len(stdout.encode()) < HEAD_BYTES + TAIL_BYTES + 500
    assert stdout.startswith("line 000000")
    assert stdout.rstrip().endswith("the end")
    assert "bytes cut here; the full output is in" in stdout and result["log_path"] in stdout
    log = Path(result["log_path"]).read_text()
    assert "line 123456" in log and log.count("\nline ") >= 199_999
    assert len(log.encode()) > 20_000_000


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    marker = tmp_path / "grandchild.pid"
    write_script(
        tmp_path,
        f"""
        import subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        open({str(marker)!r}, "w").write(str(child.pid))
        print("started", flush=True)
        time.sleep(60)
        """,
    )
    started = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired) as info:
        execute_script(str(tmp_path), timeout_sec=2)
    assert time.monotonic() - started < 15
    assert "started" in (info.value.output or "")
    grandchild = int(marker.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(grandchild):
        time.sleep(0.05)
    assert not _alive(grandchild)
    assert "timeout" in (tmp_path / "generation.log").read_text()


def test_cancel_event_stops_the_script(tmp_path: Path) -> None:
    write_script(tmp_path, "import time\ntime.sleep(60)\n")
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    started = time.monotonic()
    with pytest.raises(ScriptCancelledError):
        execute_script(str(tmp_path), cancel=cancel)
    assert time.monotonic() - started < 10


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie still answers kill(0); treat it as gone
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except OSError:
        return True


def test_the_log_stops_growing_at_its_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import server.adapters.scripts

    monkeypatch.setattr(server.adapters.scripts, "MAX_LOG_BYTES", 50_000)
    write_script(tmp_path, "import sys\nfor _ in range(20000):\n    sys.stdout.write('x' * 99 + '\\n')\n")
    result = execute_script(str(tmp_path), timeout_sec=60)
    assert result["exit_code"] == 0
    log = Path(result["log_path"]).read_text()
    assert len(log) < 51_000
    assert "log cut at" in log and "exit code 0" in log
    assert result["truncated"] is True  # the agent still sees head and tail of the 2 MB
