"""Expected failures of a generation run, typed so that each layer above can say what to do about it.

Every one means: the run did not produce a dataset, and the previous one (if any) is intact.
"""

from __future__ import annotations

import errno


class GenerationError(Exception):
    """Base class: the run did not produce a dataset, and the previous one (if any) is intact."""


class OutputExistsError(GenerationError):
    """The output folder already holds a dataset and overwrite is false."""


class OutputFolderError(GenerationError):
    """The output folder cannot be used (not ours to replace, not writable, a file, ...)."""


class OutputBusyError(GenerationError):
    """Another generation holds the output folder's lock right now."""


class RevisionRefused(GenerationError):
    """An incremental or merge run that the dataset in the output folder cannot take (a gap, other
    parameters, another format, no dataset); the message says what it holds and what is accepted."""


class GenerationCancelled(GenerationError):
    """The run was cancelled; nothing was written to the output folder."""


class InsufficientCapacityError(GenerationError):
    """The estimate says the machine cannot hold the run (disk or memory); nothing was started."""


class WorkerDied(GenerationError):
    """A worker process ended without finishing its chunk (killed, out of memory)."""


class DiskFullError(GenerationError):
    """The disk holding the output folder filled up while writing."""


class ReadOnlyFolderError(GenerationError):
    """The output folder is on a read-only file system."""


class FolderPermissionError(GenerationError):
    """The process may not write into the output folder."""


#: errno values and the texts libraries put in messages without an errno (pyarrow), per typed error.
_OS_FAILURES: tuple[tuple[type[GenerationError], frozenset[int], tuple[str, ...]], ...] = (
    (DiskFullError, frozenset({errno.ENOSPC, errno.EDQUOT}), ("No space left on device", "Disk quota exceeded")),
    (ReadOnlyFolderError, frozenset({errno.EROFS}), ("Read-only file system",)),
    (FolderPermissionError, frozenset({errno.EACCES, errno.EPERM}), ("Permission denied", "Operation not permitted")),
)


def classify_os_error(exc: BaseException) -> GenerationError | None:
    """The typed error for a file-system failure (by errno, else by the text pyarrow gives), or None."""
    if not isinstance(exc, OSError):
        return None
    text = str(exc)
    for kind, numbers, markers in _OS_FAILURES:
        if exc.errno in numbers or any(marker in text for marker in markers):
            return kind(text)
    return None
