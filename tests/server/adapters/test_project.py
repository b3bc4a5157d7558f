"""init_project from a checkout: the copied bundle still reaches the checkout whose wheel it builds and
ships, wherever the project is (spaces and non-ASCII letters included). From an installed wheel the
bundle ships the wheel itself: tests/packaging/test_wheel.py installs one and checks that."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from generator.portable import TEMPLATES_DIR
from server.adapters.project import SHIPPED_WHEEL_DIR, TemplatesMissingError, init_project, is_checkout

CHECKOUT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("where", [Path("somewhere") / "deep" / "project", Path("mit Leerzeichen") / "Projekt é ü"])
def test_copied_bundle_points_at_the_checkout(tmp_path: Path, where: Path) -> None:
    assert is_checkout(TEMPLATES_DIR)
    project = tmp_path / where
    files = init_project(project, overwrite=False)
    bundle = project / "databricks"
    config = yaml.safe_load((bundle / "databricks.yml").read_text())
    artifact = (bundle / config["artifacts"]["retail_datagen_core"]["path"]).resolve()
    assert artifact == CHECKOUT and (artifact / "pyproject.toml").is_file()
    assert (bundle / config["sync"]["paths"][1]).resolve() == artifact / "dist"
    wheels = []  # what each target installs: the serverless environments' dependency, the classic library
    for target in config["targets"].values():
        job = target["resources"]["jobs"]["retail_data_generation"]
        wheels += [d for e in job.get("environments", []) for d in e["spec"]["dependencies"]]
        wheels += [lib["whl"] for task in job["tasks"] for lib in task.get("libraries", [])]
    assert len(wheels) == len(config["targets"]) == 3
    assert all((bundle / wheel).parent.resolve() == artifact / "dist" for wheel in wheels), wheels
    deploy = (bundle / "deploy.sh").read_text(encoding="utf-8")
    (clean,) = re.findall(r"^rm -f (.+?)  #", deploy, flags=re.MULTILINE)
    (removed,) = shlex.split(clean)  # one word for the shell, spaces or not
    assert (bundle / removed).parent.resolve() == artifact / "dist" and Path(removed).name == "retail_datagen*.whl"
    subprocess.run(["bash", "-n", str(bundle / "deploy.sh")], check=True)
    assert (project / "generate_data.py").is_file()
    assert not (project / SHIPPED_WHEEL_DIR).exists()  # from a checkout the wheel is built at deploy time
    assert "databricks/deploy.sh" in files.written and files.overwritten == []


def test_a_changed_template_is_refused_rather_than_copied_half_pointed(tmp_path: Path) -> None:
    templates = tmp_path / "checkout" / "templates"
    (tmp_path / "checkout" / "generator").mkdir(parents=True)
    (tmp_path / "checkout" / "pyproject.toml").write_text("[project]\n", encoding="utf-8")
    shutil.copytree(TEMPLATES_DIR, templates)
    config = templates / "databricks" / "databricks.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("whl: ../../dist/*.whl", "whl: x/*.whl"), "utf-8")
    with pytest.raises(TemplatesMissingError, match="no longer holds 'whl: ../../dist/\\*.whl'"):
        init_project(tmp_path / "project", overwrite=False, templates=templates)
