"""Copies the repository's templates into a project folder the user can edit and run.

All conflicts are found before anything is written, so a refusal leaves the folder untouched.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from server.paths import PathNotAllowedError

_SKIP_NAMES = {"__pycache__", ".DS_Store"}
_SKIP_SUFFIXES = {".pyc", ".pyo"}


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


def init_project(project: Path, templates: Path, *, overwrite: bool) -> ProjectFiles:
    """Copy every template file into `project` (created if needed), refusing to replace files unless asked."""
    files = template_files(templates)
    for rel in files:
        target = project / rel
        if target.is_symlink() or not target.resolve().is_relative_to(project):
            raise PathNotAllowedError(f"{target} is a symbolic link or leads outside {project}; remove it first")
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
    return ProjectFiles(written=[str(rel) for rel in files], overwritten=existing)
