"""The slim core wheel a Databricks job or cluster installs: the generator package, and nothing else.

Why: the project's own wheel declares the MCP server, duckdb, the Databricks SDK, rich, Faker and
minimum versions of numpy, pandas and pyarrow; installed on a cluster it would replace the runtime's
own libraries. What runs there (``generator.spark`` and the builders) needs only numpy and pyarrow,
which every Databricks runtime and serverless environment ships, so this wheel requires them without
versions (pip then keeps the runtime's) and carries Faker's word lists frozen, as the portable script
does (``generator.portable.package_zip``).

Built from the installed package and deterministic: the same sources give the same bytes. The
version carries a digest of the contents (``0.1.0+g<digest>``), so a changed package is a new file
name that no environment cache mistakes for the one it installed before.

``python -m server.adapters.databricks.core_wheel --wheel-dir dist`` builds it (the bundle's artifact).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import zipfile
from pathlib import Path

from generator import __version__
from generator.portable import package_zip

DISTRIBUTION = "retail-datagen-core"
#: What the core imports beyond the standard library; no versions, so the runtime's are kept.
REQUIREMENTS = ("numpy", "pyarrow")
REQUIRES_PYTHON = ">=3.10"
_STAMP = (2020, 1, 1, 0, 0, 0)


def core_version(package: bytes) -> str:
    """The project's version with a digest of the packaged sources as its local label."""
    return f"{__version__}+g{hashlib.sha256(package).hexdigest()[:12]}"


def wheel_name(version: str) -> str:
    """The wheel's file name (PEP 427) for a version."""
    return f"{DISTRIBUTION.replace('-', '_')}-{version}-py3-none-any.whl"


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
    return f"{path},sha256={digest},{len(data)}"


def core_wheel_bytes() -> tuple[str, bytes]:
    """(file name, bytes) of the core wheel built from the installed generator package."""
    package = package_zip()
    version = core_version(package)
    dist_info = f"{DISTRIBUTION.replace('-', '_')}-{version}.dist-info"
    members: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(package)) as source:
        for name in sorted(source.namelist()):
            members[name] = source.read(name)
    metadata = [
        "Metadata-Version: 2.1",
        f"Name: {DISTRIBUTION}",
        f"Version: {version}",
        "Summary: retail-datagen's generator core, for Databricks jobs and clusters (numpy and pyarrow only).",
        f"Requires-Python: {REQUIRES_PYTHON}",
        *(f"Requires-Dist: {requirement}" for requirement in REQUIREMENTS),
    ]
    members[f"{dist_info}/METADATA"] = ("\n".join(metadata) + "\n").encode()
    members[f"{dist_info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: retail-datagen\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    members[f"{dist_info}/top_level.txt"] = b"generator\n"
    record = [_record_line(path, data) for path, data in members.items()] + [f"{dist_info}/RECORD,,"]
    members[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, data in members.items():
            archive.writestr(zipfile.ZipInfo(path, date_time=_STAMP), data, compress_type=zipfile.ZIP_DEFLATED)
    return wheel_name(version), buffer.getvalue()


def build_core_wheel(folder: Path) -> Path:
    """Write the core wheel into ``folder`` (created when missing); returns its path."""
    name, data = core_wheel_bytes()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def main(argv: list[str] | None = None) -> int:
    """Build the wheel into --wheel-dir (the bundle's artifact build) and print its path."""
    parser = argparse.ArgumentParser(description="Build retail-datagen's slim core wheel (numpy and pyarrow only).")
    parser.add_argument("--wheel-dir", default="dist", type=Path, help="folder that receives the wheel")
    args = parser.parse_args(argv)
    print(build_core_wheel(args.wheel_dir))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
