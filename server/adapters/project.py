"""Copies the package's templates into a project folder the user can edit and run.

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
    existing = [str(rel) for rel in files if (project / rel).exists()]
    blocked = [rel for rel in existing if not (project / rel).is_file()]
    if blocked:
        raise ProjectExistsError(project, blocked)  # a folder where a file should go: never replaced
    if existing and not overwrite:
        raise ProjectExistsError(project, existing)
    for rel in files:
        target = project / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(templates / rel, target)
    _point_bundle_at_checkout(project, templates)
    return ProjectFiles(written=[str(rel) for rel in files], overwritten=existing)


#: Bundle lines that reach the retail-datagen checkout (whose wheel the job installs), as written
#: in templates/databricks/, relative to the file that holds them.
_BUNDLE_CHECKOUT_LINKS = {
    Path("databricks/databricks.yml"): (
        ("path: ../..", "path: {root}"),
        ("- ../../dist", "- {dist}"),  # the synced folder and the serverless targets' dependency
        ("whl: ../../dist/", "whl: {dist}/"),  # the classic target's library
    ),
}


def _point_bundle_at_checkout(project: Path, templates: Path) -> None:
    """Rewrite the copied bundle's links to the checkout relative to its new place, so that
    `databricks bundle deploy` from the project still builds and ships the retail-datagen wheel."""
    checkout = templates.resolve().parent
    for rel, replacements in _BUNDLE_CHECKOUT_LINKS.items():
        copied = project / rel
        if not copied.is_file():
            continue
        here = copied.parent
        values = {"root": os.path.relpath(checkout, here), "dist": os.path.relpath(checkout / "dist", here)}
        text = copied.read_text(encoding="utf-8")
        for old, new in replacements:
            text = text.replace(old, new.format(**values))
        copied.write_text(text, encoding="utf-8")
