"""File-system failures become typed errors, by errno or by the text pyarrow gives."""

from __future__ import annotations

import errno

import pytest

from generator.errors import DiskFullError, FolderPermissionError, ReadOnlyFolderError, classify_os_error


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), DiskFullError),
        (OSError("Error writing bytes to file. Detail: [errno 28] No space left on device"), DiskFullError),
        (OSError(errno.EROFS, "Read-only file system"), ReadOnlyFolderError),
        (PermissionError(errno.EACCES, "Permission denied"), FolderPermissionError),
    ],
)
def test_os_errors_are_classified(exc: OSError, kind: type) -> None:
    typed = classify_os_error(exc)
    assert isinstance(typed, kind) and str(exc) in str(typed)


def test_other_errors_stay_what_they_are() -> None:
    assert classify_os_error(OSError(errno.ENOENT, "No such file")) is None
    assert classify_os_error(ValueError("No space left on device")) is None
