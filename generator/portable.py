"""The portable generation script: the template with this package embedded, for a cluster that
has numpy and pyarrow but neither retail-datagen nor Faker (the name lists ship frozen)."""

from __future__ import annotations

import base64
import importlib.util
import io
import zipfile
from pathlib import Path

from generator.catalog import POOLS_SNAPSHOT

PACKAGE_DIR = Path(__file__).resolve().parent
#: The repository's templates/ folder, shipped as package data under this name (see pyproject.toml).
TEMPLATES_PACKAGE = "retail_datagen_templates"


def templates_dir() -> Path:
    """Where the templates are: the folder of the retail_datagen_templates package, which is the
    repository's templates/ in an editable install and `site-packages/retail_datagen_templates` when
    installed from a wheel (uvx, pipx, pip install .). Found without importing anything.

    A broken installation gives a path that does not exist, so the caller's error names it.
    """
    spec = importlib.util.find_spec(TEMPLATES_PACKAGE)
    locations = [Path(entry) for entry in (spec.submodule_search_locations or [])] if spec else []
    return next((folder.resolve() for folder in locations if folder.is_dir()), PACKAGE_DIR.parent / TEMPLATES_PACKAGE)


TEMPLATES_DIR = templates_dir()
SCRIPT_TEMPLATE = TEMPLATES_DIR / "generate_data.py"
PLACEHOLDER = "EMBEDDED_GENERATOR: str | None = None"


def package_zip() -> bytes:
    """This package's modules plus the frozen name pools, as a zip (deterministic bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in [*sorted(PACKAGE_DIR.rglob("*.py")), POOLS_SNAPSHOT]:
            info = zipfile.ZipInfo(
                f"generator/{path.relative_to(PACKAGE_DIR).as_posix()}", date_time=(2020, 1, 1, 0, 0, 0)
            )
            archive.writestr(info, path.read_bytes(), compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def portable_script(template: Path = SCRIPT_TEMPLATE) -> str:
    """The generate_data.py template with the generator embedded: runs with numpy and pyarrow only."""
    source = template.read_text(encoding="utf-8")
    if PLACEHOLDER not in source:
        raise ValueError(f"{template} has no line {PLACEHOLDER!r} to embed the generator into")
    payload = base64.b64encode(package_zip()).decode("ascii")
    return source.replace(PLACEHOLDER, f'EMBEDDED_GENERATOR: str | None = "{payload}"', 1)
