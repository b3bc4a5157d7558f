"""The retail-datagen wheel rebuilt from the installed package, for a Databricks bundle copied out of a
wheel install (uvx, pipx, `pip install retail-datagen`), where there is no checkout to build it from.

A wheel installs by unpacking its files into site-packages and listing each of them in the
distribution's RECORD, so those files, read back and packed with the same METADATA, WHEEL and entry
points, are the wheel again: byte for byte the same modules and package data. Left out are what the
installer added (compiled `.pyc`, INSTALLER, REQUESTED, direct_url.json, uv_cache.json, the console-script launchers
outside site-packages) and RECORD itself, which is written anew with the hashes of what is packed.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import zipfile
from pathlib import Path

DISTRIBUTION = "retail-datagen"
#: dist-info files that installers write (pip and uv; not part of the wheel), and RECORD, which is rebuilt.
_INSTALLER_FILES = {"INSTALLER", "REQUESTED", "direct_url.json", "uv_cache.json", "RECORD"}
#: Timestamp of every entry, so the same installation always gives the same bytes.
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)


class WheelUnavailableError(RuntimeError):
    """The installed distribution cannot be packed back into a wheel (no RECORD, or not a pure wheel)."""


def installed_wheel(target_dir: Path, distribution: str = DISTRIBUTION) -> Path:
    """Write `<name>-<version>-<tag>.whl` of the installed `distribution` into `target_dir`; returns its path."""
    dist = importlib.metadata.distribution(distribution)
    files = dist.files
    wheel_info = dist.read_text("WHEEL") or ""
    if files is None or "Root-Is-Purelib: true" not in wheel_info:
        raise WheelUnavailableError(
            f"the installed {distribution} has no file list (RECORD) or is not a pure-Python wheel; "
            "build the wheel from a checkout with `pip wheel --no-deps .` instead"
        )
    tags = [line.split(":", 1)[1].strip() for line in wheel_info.splitlines() if line.startswith("Tag:")]
    name = dist.metadata["Name"].replace("-", "_")
    dist_info = f"{name}-{dist.version}.dist-info"
    target = target_dir / f"{name}-{dist.version}-{tags[0] if tags else 'py3-none-any'}.whl"
    entries = sorted(
        (path.as_posix(), Path(str(path.locate())))
        for path in files
        if not path.as_posix().startswith("../")
        and "__pycache__" not in path.parts
        and path.suffix != ".pyc"
        and not (path.parts[0].endswith(".dist-info") and path.name in _INSTALLER_FILES)
    )
    target_dir.mkdir(parents=True, exist_ok=True)
    record = []
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for arcname, source in entries:
            data = source.read_bytes()
            info = zipfile.ZipInfo(arcname, date_time=_ZIP_TIME)
            info.external_attr = (source.stat().st_mode & 0o777 | 0o100000) << 16  # keeps deploy.sh executable
            archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{arcname},sha256={digest},{len(data)}")
        record.append(f"{dist_info}/RECORD,,")
        archive.writestr(zipfile.ZipInfo(f"{dist_info}/RECORD", date_time=_ZIP_TIME), "\n".join(record) + "\n")
    return target
