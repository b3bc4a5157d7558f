"""Dependencies of a one-time run's tasks, installed into the run's sandbox as serverless compute installs them.

A dependency is a pip requirement string (an entry of ``environments[].spec.dependencies`` or of a
task's ``libraries``): a wheel path (``/Volumes/...``, ``/Workspace/...``, optionally followed by
``[extras]``) or a requirement such as ``numpy>=1.26``.

The runtime is emulated by the test interpreter: its installed distributions, minus editable
installs (this project, which no cluster has), stand for the libraries of the Databricks runtime,
and the stand-in's package index is empty. So a requirement, or a wheel's ``Requires-Dist``
(markers and extras evaluated with ``packaging``), that neither the runtime nor another wheel of the
same environment meets fails the installation, as pip fails on Databricks when no index has a
matching version; so does a wheel whose ``Requires-Python`` excludes the runtime's Python, a file
that is not a wheel, or a path that does not exist. Wheels are installed with
``pip install --no-deps --target <dir>``, so nothing of the runtime is ever replaced. Every
dependency and each of its requirements is recorded, for tests to assert on.
"""

from __future__ import annotations

import email.parser
import functools
import json
import platform
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

WHEEL_PATH = re.compile(r"(?P<path>/.+?\.whl)(?:\[(?P<extras>[^\]]*)\])?")
RUNTIME = "runtime"
ENVIRONMENT = "environment"


@dataclass(frozen=True)
class RequirementCheck:
    """One ``Requires-Dist`` of a wheel and what meets it."""

    requirement: str
    applies: bool  # its marker holds for this runtime and the requested extras
    provided_by: str | None  # "runtime" or "environment" (another wheel of it); None when it does not apply
    version: str | None  # the version that meets it


@dataclass(frozen=True)
class Dependency:
    """One dependency once installed: a wheel pip put into the sandbox, or the runtime library that meets it."""

    spec: str
    name: str
    version: str
    installed: bool  # True: pip installed this wheel into the sandbox; False: the runtime's library serves it
    requirements: tuple[RequirementCheck, ...] = ()


class LibraryInstallError(Exception):
    """A dependency that cannot be installed: a Databricks-style error code, the reason, and pip's words."""

    def __init__(self, spec: str, code: str, reason: str, detail: str) -> None:
        super().__init__(f"{spec}: {detail}")
        self.spec = spec
        self.code = code
        self.reason = reason
        self.detail = detail

    def state_message(self, where: str) -> str:
        """The task's ``state_message``, as Databricks words a failed library installation on ``where``."""
        kind = "whl" if WHEEL_PATH.fullmatch(self.spec) else "pypi"
        return (
            f'Library installation failed for library due to user error for {kind}: "{self.spec}"\n'
            f" Error messages:\nLibrary installation attempted on {where} and failed. {self.reason} "
            f"Error code: {self.code}, error message: {self.detail}"
        )


@dataclass(frozen=True)
class Runtime:
    """The emulated runtime: its Python version and its libraries' versions by canonical name."""

    python_version: str
    libraries: dict[str, str]


def _editable(dist: metadata.Distribution) -> bool:
    try:
        direct_url = json.loads(dist.read_text("direct_url.json") or "{}")
    except ValueError:
        return False
    return bool(direct_url.get("dir_info", {}).get("editable"))


@functools.cache
def this_runtime() -> Runtime:
    """The test interpreter as the runtime: its distributions except editable installs (this project)."""
    libraries: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name and not _editable(dist):
            libraries.setdefault(canonicalize_name(name), dist.version)
    return Runtime(platform.python_version(), libraries)


@dataclass(frozen=True)
class _Wheel:
    spec: str
    local: Path
    name: str
    version: str
    extras: frozenset[str]
    requires: tuple[str, ...]
    requires_python: str | None


def _no_match(spec: str, requirement: str, source: str = "") -> LibraryInstallError:
    return LibraryInstallError(
        spec,
        "ERROR_NO_MATCHING_DISTRIBUTION",
        "Pip could not find a version that satisfies the requirement for the library. "
        "Please check your library version and dependencies.",
        f"ERROR: Could not find a version that satisfies the requirement {requirement}{source} "
        f"(from versions: none)\nERROR: No matching distribution found for {requirement}",
    )


def _read_wheel(spec: str, path: str, extras: str | None, locate: Callable[[str], Path | None]) -> _Wheel:
    local = locate(path)
    if local is None:
        raise LibraryInstallError(
            spec,
            "ERROR_FILE_NOT_FOUND",
            "The library file does not exist or the user does not have permission to read it.",
            f"ERROR: Could not install packages: the file {path} does not exist.",
        )
    try:
        with zipfile.ZipFile(local) as archive:
            names = [n for n in archive.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", n)]
            if not names:
                raise zipfile.BadZipFile("no .dist-info/METADATA")
            message = email.parser.BytesParser().parsebytes(archive.read(names[0]))
    except (zipfile.BadZipFile, OSError) as exc:
        raise LibraryInstallError(
            spec, "ERROR_INVALID_WHEEL", "The library is not a valid wheel.", f"ERROR: {path} is not a wheel ({exc})"
        ) from exc
    return _Wheel(
        spec=spec,
        local=local,
        name=str(message["Name"]),
        version=str(message["Version"]),
        extras=frozenset(canonicalize_name(e) for e in (extras or "").split(",") if e.strip()),
        requires=tuple(str(r) for r in message.get_all("Requires-Dist") or ()),
        requires_python=message["Requires-Python"],
    )


def _meet(requirement: Requirement, wheels: dict[str, str], runtime: Runtime) -> tuple[str, str] | None:
    """(who provides it, version) for a requirement met by a wheel of the environment or the runtime."""
    name = canonicalize_name(requirement.name)
    for source, versions in ((ENVIRONMENT, wheels), (RUNTIME, runtime.libraries)):
        version = versions.get(name)
        if version is not None and requirement.specifier.contains(version, prereleases=True):
            return source, version
    return None


def _requirement(spec: str, text: str) -> Requirement:
    try:
        return Requirement(text)
    except InvalidRequirement as exc:
        raise LibraryInstallError(
            spec, "ERROR_INVALID_REQUIREMENT", "The library is not a valid pip requirement.", f"ERROR: {exc}"
        ) from exc


def _check_wheel(wheel: _Wheel, wheels: dict[str, str], runtime: Runtime) -> Dependency:
    if wheel.requires_python and not SpecifierSet(wheel.requires_python).contains(runtime.python_version):
        raise LibraryInstallError(
            wheel.spec,
            "ERROR_NO_MATCHING_DISTRIBUTION",
            "The library does not support the Python version of this environment.",
            f"ERROR: Package '{wheel.name}' requires a different Python: "
            f"{runtime.python_version} not in '{wheel.requires_python}'",
        )
    checks = []
    for text in wheel.requires:
        requirement = _requirement(wheel.spec, text)
        marker = requirement.marker
        applies = marker is None or any(marker.evaluate({"extra": e}) for e in ("", *wheel.extras))
        met = _meet(requirement, wheels, runtime) if applies else None
        if applies and met is None:
            raise _no_match(wheel.spec, str(requirement), f" (from {wheel.name}=={wheel.version})")
        checks.append(RequirementCheck(text, applies, met[0] if met else None, met[1] if met else None))
    return Dependency(wheel.spec, wheel.name, wheel.version, True, tuple(checks))


def install(
    dependencies: Sequence[str],
    target: Path,
    locate: Callable[[str], Path | None],
    env: dict[str, str],
) -> list[Dependency]:
    """Install ``dependencies`` into ``target`` (``locate``: a wheel path's local file, None if absent), or raise
    ``LibraryInstallError`` for the first one that cannot be installed."""
    runtime = this_runtime()
    parsed: list[_Wheel | tuple[str, Requirement]] = []
    for spec in dependencies:
        match = WHEEL_PATH.fullmatch(spec.strip())
        if match:
            parsed.append(_read_wheel(spec, match["path"], match["extras"], locate))
        else:
            parsed.append((spec, _requirement(spec, spec)))
    wheels = [w for w in parsed if isinstance(w, _Wheel)]
    provided = {canonicalize_name(w.name): w.version for w in wheels}
    installed: list[Dependency] = []
    for entry in parsed:
        if isinstance(entry, _Wheel):
            installed.append(_check_wheel(entry, provided, runtime))
            continue
        spec, requirement = entry
        met = _meet(requirement, provided, runtime)
        if met is None:
            raise _no_match(spec, str(requirement))
        installed.append(Dependency(spec, requirement.name, met[1], False))
    if wheels:
        target.mkdir(parents=True, exist_ok=True)
        pip = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--no-cache-dir"]
        pip += ["--disable-pip-version-check", "--quiet", "--target", str(target), *(str(w.local) for w in wheels)]
        done = subprocess.run(pip, capture_output=True, text=True, env=env, check=False, stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            raise LibraryInstallError(
                wheels[0].spec if len(wheels) == 1 else ", ".join(w.spec for w in wheels),
                "ERROR_PIP_INSTALL_FAILED",
                "Pip could not install the library.",
                (done.stderr or done.stdout).strip(),
            )
    return installed
