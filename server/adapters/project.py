"""Copies the package's templates into a project folder the user can edit and run, and points the
copied Databricks bundle at the retail-datagen wheel it deploys.

All conflicts are found before anything is written, so a refusal leaves the folder untouched.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from generator.portable import TEMPLATES_DIR

_SKIP_NAMES = {"__pycache__", ".DS_Store"}
_SKIP_SUFFIXES = {".pyc", ".pyo"}


class ProjectPathError(ValueError):
    """A file of the project would be written through a symbolic link or outside the project."""


class TemplatesMissingError(FileNotFoundError):
    """The templates folder is missing or empty (a broken installation)."""


class ProjectExistsError(FileExistsError):
    """Template files already exist in the project and overwrite is false."""

    def __init__(self, project: Path, existing: list[str]) -> None:
        self.project = project
        self.existing = existing
        shown = ", ".join(existing[:10]) + (f" and {len(existing) - 10} more" if len(existing) > 10 else "")
        super().__init__(
            f"{project} already has {shown}; pass overwrite=true to replace them, or choose another project_path."
        )


@dataclass(frozen=True)
class ProjectFiles:
    """Files written by init_project, relative to the project folder."""

    written: list[str]
    overwritten: list[str]


def template_files(templates: Path) -> list[Path]:
    """Every template file, relative to `templates`, in a stable order."""
    if not templates.is_dir():
        raise TemplatesMissingError(f"the templates folder {templates} does not exist; reinstall retail-datagen")
    files = sorted(
        path.relative_to(templates)
        for path in templates.rglob("*")
        if path.is_file()
        and not (set(path.relative_to(templates).parts) & _SKIP_NAMES)
        and path.suffix not in _SKIP_SUFFIXES
    )
    if not files:
        raise TemplatesMissingError(f"the templates folder {templates} is empty; reinstall retail-datagen")
    return files


def init_project(project: Path, *, overwrite: bool, templates: Path = TEMPLATES_DIR) -> ProjectFiles:
    """Copy every template file into `project` (created if needed), refusing to replace files unless asked."""
    files = template_files(templates)
    for rel in files:
        target = project / rel
        if target.is_symlink() or not target.resolve().is_relative_to(project):
            raise ProjectPathError(f"{target} is a symbolic link or leads outside {project}; remove it first")
    existing = [rel.as_posix() for rel in files if (project / rel).exists()]
    blocked = [rel for rel in existing if not (project / rel).is_file()]
    if blocked:
        raise ProjectExistsError(project, blocked)  # a folder where a file should go: never replaced
    if existing and not overwrite:
        raise ProjectExistsError(project, existing)
    for rel in files:
        target = project / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(templates / rel, target)
    shipped = _point_bundle_at_wheel(project, templates)
    return ProjectFiles(written=[rel.as_posix() for rel in files] + shipped, overwritten=existing)


#: The bundle's lines that say where the core wheel comes from, as written in templates/databricks/
#: (for the repository's own layout: the checkout two levels up builds it into <checkout>/dist), and
#: what each becomes in a copied project: "checkout" when the templates come from a checkout (the
#: wheel is still built there), "wheel" when they come from an installed retail-datagen (init_project
#: writes the core wheel into <project>/databricks/dist, and the bundle only uploads it).
_ARTIFACT_BLOCK = """\
# The core wheel of this project, built from the project root two levels up into <project root>/dist,
# which the job's dependency (serverless) or library (classic) points at.
artifacts:
  retail_datagen_core:
    type: whl
    path: ../..
    build: python3 -m server.adapters.databricks.core_wheel --wheel-dir dist

# The wheel lives outside this folder, so it is listed for upload next to the bundle's own files.
sync:
  paths:
    - .
    - ../../dist
"""
_SHIPPED_WHEEL_NOTE = """\
# The core wheel is in dist/ beside this file: init_project wrote it from the installed retail-datagen
# (there is no checkout to build it from). `databricks bundle deploy` uploads the local wheel that the
# job's dependency (serverless) or library (classic) names; run init_project again to upgrade it.
"""
_CLEAN_WHEELS = "rm -f ../../dist/retail_datagen*.whl  # one wheel only: the job installs every dist/*.whl"
_BUNDLE_WHEEL_LINKS: dict[Path, tuple[tuple[str, str, str], ...]] = {
    Path("databricks/databricks.yml"): (
        (
            _ARTIFACT_BLOCK,
            _ARTIFACT_BLOCK.replace("path: ../..", "path: {root}").replace("- ../../dist", "- {dist}"),
            _SHIPPED_WHEEL_NOTE,
        ),
        ("- ../../dist/*.whl", "- {dist}/*.whl", "- ./dist/*.whl"),  # the serverless targets' dependency
        ("whl: ../../dist/*.whl", "whl: {dist}/*.whl", "whl: ./dist/*.whl"),  # the classic target's library
    ),
    Path("databricks/deploy.sh"): (
        (
            _CLEAN_WHEELS,
            _CLEAN_WHEELS.replace("../../dist/", '"{dist}"/'),
            "# dist/ holds the core wheel that init_project wrote from the installed retail-datagen: nothing to build",
        ),
    ),
}
#: Where the copied bundle keeps the wheel when the templates come from an installed wheel.
SHIPPED_WHEEL_DIR = Path("databricks/dist")


def is_checkout(templates: Path) -> bool:
    """True when `templates` is the templates/ folder of a retail-datagen checkout (not package data)."""
    root = templates.resolve().parent
    return (root / "pyproject.toml").is_file() and (root / "generator").is_dir()


def _point_bundle_at_wheel(project: Path, templates: Path) -> list[str]:
    """Make the copied bundle find the retail-datagen wheel from its new place.

    From a checkout, its links are rewritten relative to the project, so that `databricks bundle
    deploy` still builds the wheel there. From an installed wheel there is no source to build: the
    installed generator package is packed into the core wheel (server.adapters.databricks.core_wheel)
    under <project>/databricks/dist, replacing an older one, and the bundle ships that file. Returns
    the files written besides the templates (the wheel, relative to the project).
    """
    if not (project / "databricks").is_dir():
        return []
    checkout = is_checkout(templates)
    shipped: list[str] = []
    if not checkout:
        from server.adapters.databricks.core_wheel import build_core_wheel

        for old in (project / SHIPPED_WHEEL_DIR).glob("retail_datagen*.whl"):
            old.unlink()  # the job installs every wheel in dist/
        shipped.append(build_core_wheel(project / SHIPPED_WHEEL_DIR).relative_to(project).as_posix())
    root = templates.resolve().parent
    for rel, replacements in _BUNDLE_WHEEL_LINKS.items():
        copied = project / rel
        values = {"root": _link(root, copied.parent), "dist": _link(root / "dist", copied.parent)}
        text = copied.read_text(encoding="utf-8")
        for template_text, from_checkout, from_wheel in replacements:
            if template_text not in text:  # the template changed: fail here, not at deploy time
                raise TemplatesMissingError(f"{templates / rel} no longer holds {template_text.splitlines()[0]!r}")
            text = text.replace(template_text, from_checkout.format(**values) if checkout else from_wheel)
        copied.write_text(text, encoding="utf-8")
    return shipped


def _link(target: Path, here: Path) -> str:
    """`target` relative to `here` in POSIX form, as the bundle's YAML and deploy.sh write paths; the
    absolute path when there is no relative one (another drive on Windows)."""
    try:
        return Path(os.path.relpath(target, here)).as_posix()
    except ValueError:
        return target.as_posix()
