"""Expected failures of a generation run, each with a message a user can act on."""

from __future__ import annotations


class GenerationError(Exception):
    """Base class: the run did not produce a dataset, and the previous one (if any) is intact."""


class OutputExistsError(GenerationError):
    """The output folder already holds a dataset and overwrite is false."""


class OutputFolderError(GenerationError):
    """The output folder cannot be used (not ours to replace, not writable, a file, ...)."""


class OutputBusyError(GenerationError):
    """Another generation is writing into the same output folder right now."""


class GenerationCancelled(GenerationError):
    """The run was cancelled; nothing was written to the output folder."""


class InsufficientCapacityError(GenerationError):
    """The estimate says the machine cannot hold the run (disk or memory); nothing was started."""
