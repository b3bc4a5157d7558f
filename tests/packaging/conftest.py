"""Fixtures for the tests of the project as users install it: the wheel built once per session from
the repository (sdist first, then the wheel from the sdist, as `uv build` does), and a fresh virtual
environment with that wheel installed and no checkout on its path.

uv (a test dependency, from PyPI) builds and installs: it resolves the dependencies from PyPI into its
cache, so only the first session downloads them. It never downloads an interpreter here
(UV_PYTHON_DOWNLOADS=never): the environments use the interpreter that runs the tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
#: Environment variables that would put the checkout (or this test run's packages) on a child's path.
_LEAKING_VARS = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")


def uv_command() -> list[str]:
    """The uv executable installed with the test dependencies."""
    found = shutil.which("uv", path=sysconfig.get_path("scripts")) or shutil.which("uv")
    assert found, "uv is a test dependency: pip install -e '.[test]'"
    return [found]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a user's shell: none of this test run's Python settings, no Databricks
    credentials, and uv kept from downloading interpreters."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in _LEAKING_VARS and not name.startswith(("DATABRICKS_", "RETAIL_DATAGEN_"))
    }
    env["UV_PYTHON_DOWNLOADS"] = "never"
    env.update(extra)
    return env


def run(command: list[str | Path], *, cwd: Path, timeout: float = 600, **env: str) -> subprocess.CompletedProcess[str]:
    """Run a command with stdin closed and a clean environment; fail the test with its output if it fails."""
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=clean_env(**env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"{' '.join(map(str, command))} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="session")
def built_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built from its sdist (so the sdist is proven complete too)."""
    out = tmp_path_factory.mktemp("dist")
    run([*uv_command(), "build", "--out-dir", out, REPO], cwd=REPO)
    (wheel,) = out.glob("retail_datagen-*.whl")
    return wheel


def venv_bin(venv: Path, name: str) -> Path:
    """An executable of a virtual environment, on POSIX and Windows."""
    folder = venv / ("Scripts" if os.name == "nt" else "bin")
    return folder / (f"{name}.exe" if os.name == "nt" else name)


@pytest.fixture(scope="session")
def installed_venv(tmp_path_factory: pytest.TempPathFactory, built_wheel: Path) -> Path:
    """A fresh virtual environment (in a folder whose name has a space and a non-ASCII letter) with the
    wheel and its dependencies installed, as `pip install retail_datagen-*.whl` would leave it."""
    venv = tmp_path_factory.mktemp("fresh env") / "venv ü"
    work = venv.parent
    run([*uv_command(), "venv", "--python", sys.executable, venv], cwd=work)
    run([*uv_command(), "pip", "install", "--python", venv_bin(venv, "python"), built_wheel], cwd=work)
    return venv
