"""One preflight decides every run: the folder, the workers, the estimate and the refusals."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import generator.preflight
from generator.errors import InsufficientCapacityError, OutputExistsError, OutputFolderError
from generator.preflight import capacity_problems, choose_workers, estimate_run, preflight
from generator.spec import DatasetSpec

LONG = DatasetSpec(scale="large", days=365)


def test_a_short_run_uses_one_worker_and_a_long_one_every_core() -> None:
    assert choose_workers(DatasetSpec(), "parquet", None, chunks=5) == 1
    assert choose_workers(LONG, "parquet", None, chunks=50) == min(os.cpu_count() or 1, 50)
    assert choose_workers(LONG, "parquet", 8, chunks=3) == 3
    assert choose_workers(DatasetSpec(), "parquet", 2, chunks=5) == 2
    assert estimate_run(DatasetSpec()).workers == 1


def test_a_pool_that_forks_is_worth_starting_for_a_shorter_run(monkeypatch: pytest.MonkeyPatch) -> None:
    two_weeks = DatasetSpec(scale="large", days=14)  # about 4 s of one worker's work
    monkeypatch.setattr(generator.preflight, "start_method", lambda: "fork")
    assert choose_workers(two_weeks, "parquet", None, chunks=50) == min(os.cpu_count() or 1, 50)
    monkeypatch.setattr(generator.preflight, "start_method", lambda: "forkserver")
    assert choose_workers(two_weeks, "parquet", None, chunks=50) == 1


def test_the_plan_carries_the_estimate_and_no_problem_for_a_small_run(tmp_path: Path) -> None:
    decided = preflight(DatasetSpec(), tmp_path / "out", "csv", workers=2)
    assert (decided.fmt, decided.workers, decided.estimate.workers, decided.problems) == ("csv", 2, 2, ())
    assert decided.output_dir == (tmp_path / "out").resolve()
    decided.refuse_if_unfit()  # nothing to refuse
    assert not (tmp_path / "out").exists()  # a preflight writes nothing


def test_capacity_problems_name_the_figure_and_the_way_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    huge = estimate_run(DatasetSpec(scale="large", days=365, scale_factor=1000))
    problems = capacity_problems(huge, tmp_path / "not" / "yet")
    assert any("GB free" in p and "Databricks cluster" in p for p in problems)
    assert capacity_problems(estimate_run(DatasetSpec()), tmp_path) == []
    monkeypatch.setattr(generator.preflight, "_available_memory_bytes", lambda: 10**6)
    assert any("memory" in p and "fewer workers" in p for p in capacity_problems(estimate_run(DatasetSpec()), tmp_path))
    with pytest.raises(InsufficientCapacityError, match="refused before writing anything"):
        preflight(DatasetSpec(), tmp_path / "out").refuse_if_unfit()


def test_folders_that_must_not_be_replaced_are_refused_up_front(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    with pytest.raises(OutputFolderError, match="holds no retail-datagen dataset"):
        preflight(DatasetSpec(), tmp_path / "mine")
    (tmp_path / "done").mkdir()
    (tmp_path / "done" / "_manifest.json").write_text("{}")
    with pytest.raises(OutputExistsError, match="overwrite is false"):
        preflight(DatasetSpec(), tmp_path / "done", overwrite=False)
    assert preflight(DatasetSpec(), tmp_path / "done").overwrite is True
