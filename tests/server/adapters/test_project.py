"""init_project: the copied bundle still reaches the checkout whose wheel it builds and ships."""

from __future__ import annotations

from pathlib import Path

import yaml

from server.adapters.project import init_project


def test_copied_bundle_points_at_the_checkout(tmp_path: Path) -> None:
    project = tmp_path / "somewhere" / "deep" / "project"
    init_project(project, overwrite=False)
    bundle = project / "databricks"
    config = yaml.safe_load((bundle / "databricks.yml").read_text())
    artifact = (bundle / config["artifacts"]["retail_datagen_wheel"]["path"]).resolve()
    assert (artifact / "pyproject.toml").is_file() and (artifact / "generator").is_dir()
    assert (bundle / config["sync"]["paths"][1]).resolve() == artifact / "dist"
    job = yaml.safe_load((bundle / "resources" / "data_generation_job.yml").read_text())
    tasks = next(iter(job["resources"]["jobs"].values()))["tasks"]
    wheel = tasks[0]["libraries"][0]["whl"]
    assert (bundle / "resources" / wheel).parent.resolve() == artifact / "dist"
    assert (project / "generate_data.py").is_file()
