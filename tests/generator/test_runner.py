"""All tables or none: failures, kills, cancellations and concurrent runs leave the previous dataset whole."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import generator.preflight
from generator.config import GenerateOptions
from generator.errors import (
    GenerationCancelled,
    InsufficientCapacityError,
    OutputBusyError,
    OutputExistsError,
    OutputFolderError,
)
from generator.runner import ProgressEvent, _OutputLock, generate

SMALL = {"scale": "small", "scale_factor": 0.2, "days": 3}
SLOW = {"scale": "large", "days": 30}  # several seconds: long enough to interrupt


def snapshot(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def siblings(root: Path) -> list[str]:
    return sorted(p.name for p in root.parent.iterdir() if p.name.startswith(f".{root.name}.") and "lock" not in p.name)


def wait_for_staging(root: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not any(".staging-" in name for name in siblings(root)):
        assert time.monotonic() < deadline, "generation never started"
        time.sleep(0.02)


def test_layout_and_manifest(tmp_path: Path) -> None:
    out = tmp_path / "data"
    manifest = generate(GenerateOptions(output_dir=out, **SMALL))
    written = json.loads((out / "_manifest.json").read_text())
    assert written["parameters"] == manifest.parameters
    assert written["tables"]["orders"]["files"][0]["path"] == "orders/part-00000.parquet"
    for name, table in manifest.tables.items():
        files = sorted(p.relative_to(out).as_posix() for p in (out / name).iterdir())
        assert files == [f.path for f in table.files]
        assert table.bytes == sum((out / f.path).stat().st_size for f in table.files)
    assert set(manifest.versions) >= {"python", "numpy", "pyarrow", "faker", "retail-datagen"}
    assert siblings(out) == []


#: Run in a fresh interpreter: a pool's workers see the patched chunk builder whatever start method it uses.
FAILING_RUN = """
import sys
import generator.chunks
from generator.config import GenerateOptions
from generator.runner import generate

real = generator.chunks.ChunkBuild.__iter__

def failing(build):
    if build.chunk.kind == "activity":
        raise RuntimeError("disk on fire")
    yield from real(build)

generator.chunks.ChunkBuild.__iter__ = failing
if __name__ == "__main__":
    generate(GenerateOptions(output_dir=sys.argv[1], workers=int(sys.argv[2]), seed=7, **%r))
"""


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failing_chunk_leaves_the_previous_dataset_untouched(tmp_path: Path, workers: int) -> None:
    out = tmp_path / "data"
    generate(GenerateOptions(output_dir=out, **SMALL))
    before = snapshot(out)
    script = tmp_path / "failing_run.py"
    script.write_text(FAILING_RUN % SMALL)
    failed = subprocess.run([sys.executable, str(script), str(out), str(workers)], capture_output=True, text=True)
    assert failed.returncode != 0 and "RuntimeError: disk on fire" in failed.stderr
    assert snapshot(out) == before
    assert siblings(out) == []


def test_sigkill_mid_run_keeps_the_old_dataset_and_the_next_run_succeeds(tmp_path: Path) -> None:
    out = tmp_path / "data"
    generate(GenerateOptions(output_dir=out, **SMALL))
    before = snapshot(out)
    command = [sys.executable, "-m", "generator.cli", "generate", "--scale", "large", "--days", "30",
               "--output-dir", str(out), "--workers", "2"]  # fmt: skip
    process = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_staging(out)
        time.sleep(0.5)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert snapshot(out) == before
    assert any(".staging-" in name for name in siblings(out))  # the killed run's leftovers
    generate(GenerateOptions(output_dir=out, seed=9, **SMALL))
    assert snapshot(out) != before
    assert siblings(out) == []  # cleaned up by the next run


def test_cancel_stops_the_work_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "data"
    cancel = threading.Event()
    events: list[ProgressEvent] = []

    def cancel_soon() -> None:
        wait_for_staging(out)
        cancel.set()

    threading.Thread(target=cancel_soon).start()
    started = time.monotonic()
    with pytest.raises(GenerationCancelled):
        generate(GenerateOptions(output_dir=out, workers=2, **SLOW), progress=events.append, cancel=cancel)
    assert time.monotonic() - started < 10
    assert not out.exists()
    assert siblings(out) == []


def test_two_runs_into_one_folder_one_wins(tmp_path: Path) -> None:
    out = tmp_path / "data"
    outcome: dict[str, object] = {}

    def first() -> None:
        outcome["first"] = generate(GenerateOptions(output_dir=out, workers=2, **SLOW))

    thread = threading.Thread(target=first)
    thread.start()
    wait_for_staging(out)
    with pytest.raises(OutputBusyError, match="another generation"):
        generate(GenerateOptions(output_dir=out, **SMALL))
    thread.join()
    assert outcome["first"].parameters["scale"] == "large"  # type: ignore[attr-defined]
    assert json.loads((out / "_manifest.json").read_text())["parameters"]["scale"] == "large"


def test_two_runs_into_different_folders_both_succeed(tmp_path: Path) -> None:
    results = {}

    def run(name: str) -> None:
        results[name] = generate(GenerateOptions(output_dir=tmp_path / name, **SMALL))

    threads = [threading.Thread(target=run, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert snapshot(tmp_path / "a").keys() == snapshot(tmp_path / "b").keys()
    assert results["a"].total_rows == results["b"].total_rows


def test_overwrite_false_refuses_an_existing_dataset(tmp_path: Path) -> None:
    out = tmp_path / "data"
    generate(GenerateOptions(output_dir=out, **SMALL))
    before = snapshot(out)
    with pytest.raises(OutputExistsError, match="overwrite is false"):
        generate(GenerateOptions(output_dir=out, overwrite=False, seed=1, **SMALL))
    assert snapshot(out) == before
    generate(GenerateOptions(output_dir=tmp_path / "new", overwrite=False, **SMALL))  # a new folder is fine


def test_folders_that_are_not_datasets_are_never_replaced(tmp_path: Path) -> None:
    precious = tmp_path / "home"
    precious.mkdir()
    (precious / "thesis.txt").write_text("years of work")
    with pytest.raises(OutputFolderError, match="holds no retail-datagen dataset"):
        generate(GenerateOptions(output_dir=precious, **SMALL))
    assert (precious / "thesis.txt").read_text() == "years of work"
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(OutputFolderError, match="is a file"):
        generate(GenerateOptions(output_dir=a_file, **SMALL))
    empty = tmp_path / "empty"
    empty.mkdir()
    generate(GenerateOptions(output_dir=empty, **SMALL))  # an empty folder is fine
    assert (empty / "_manifest.json").exists()


def test_a_run_the_disk_cannot_hold_is_refused_up_front(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generator.preflight, "DISK_HEADROOM_BYTES", 10**18)
    out = tmp_path / "data"
    with pytest.raises(InsufficientCapacityError, match="GB free; choose a smaller scale"):
        generate(GenerateOptions(output_dir=out, **SMALL))
    assert list(tmp_path.iterdir()) == [] or all(p.name.endswith(".lock") for p in tmp_path.iterdir())


def test_progress_reports_every_chunk(tmp_path: Path) -> None:
    events: list[ProgressEvent] = []
    manifest = generate(GenerateOptions(output_dir=tmp_path / "d", **SMALL), progress=events.append)
    assert [e.chunks_done for e in events] == list(range(1, manifest.chunks + 1))
    assert events[-1].rows_done == manifest.total_rows
    assert {t for e in events for t in e.tables} == set(manifest.tables)


#: Takes the output lock, forks a worker that sleeps on, prints its pid and dies without unlocking (as a killed run).
LOCK_FORK_AND_DIE = """
import multiprocessing, os, sys, time
from pathlib import Path
from generator.runner import _OutputLock
_OutputLock(Path(sys.argv[1])).__enter__()
worker = multiprocessing.get_context("fork").Process(target=time.sleep, args=(60,))
worker.start()
print(worker.pid, flush=True)
os._exit(0)
"""


def test_a_worker_outliving_a_killed_run_holds_no_copy_of_the_output_lock(tmp_path: Path) -> None:
    target = tmp_path / "data"
    with subprocess.Popen([sys.executable, "-c", LOCK_FORK_AND_DIE, str(target)], stdout=subprocess.PIPE) as run:
        assert run.stdout is not None
        worker = int(run.stdout.readline())  # not read to the end: the worker holds the pipe open
        run.wait()
    try:
        with _OutputLock(target):  # the run died holding it; its still running worker closed its copy at fork
            pass
    finally:
        os.kill(worker, signal.SIGKILL)
