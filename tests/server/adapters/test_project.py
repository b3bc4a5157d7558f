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
    artifact = (bundle / config["artifacts"]["retail_datagen_core"]["path"]).resolve()
    assert (artifact / "pyproject.toml").is_file() and (artifact / "generator").is_dir()
    assert (bundle / config["sync"]["paths"][1]).resolve() == artifact / "dist"
    wheels = []  # what each target installs: the serverless environments' dependency, the classic library
    for target in config["targets"].values():
        job = target["resources"]["jobs"]["retail_data_generation"]
        wheels += [d for e in job.get("environments", []) for d in e["spec"]["dependencies"]]
        wheels += [lib["whl"] for task in job["tasks"] for lib in task.get("libraries", [])]
    assert len(wheels) == len(config["targets"]) == 3
    assert all((bundle / wheel).parent.resolve() == artifact / "dist" for wheel in wheels), wheels
    assert (project / "generate_data.py").is_file()
