"""What a run does with the dataset already in its output folder: overwrite it (the default), extend
it by the days after its last day (incremental), or bring it to other parameters (merge).

A dataset is a window of one deterministic history that starts on its first day: an incremental run
appends days to the same history, so its result equals one longer run; a merge run makes the dataset
equal to a fresh run of the parameters asked for, changing only the rows that differ. Parameters the
caller did not set are the dataset's own. Standard library only (decisions, no I/O).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, fields, replace
from datetime import date, timedelta

from generator import rules
from generator.errors import RevisionRefused
from generator.manifest import Manifest
from generator.spec import DatasetSpec

OVERWRITE, INCREMENTAL, MERGE = rules.MODES
#: The parameters besides the window that decide a dataset's history.
HISTORY_PARAMETERS = ("scale", "scale_factor", "seed", "customer_history")
SPEC_FIELDS = tuple(f.name for f in fields(DatasetSpec))


@dataclass(frozen=True)
class Revision:
    """An incremental or merge run decided against the dataset it changes."""

    mode: str
    previous: Manifest
    previous_spec: DatasetSpec
    spec: DatasetSpec  # the dataset as the run leaves it
    version: int  # the dataset version the run makes

    @property
    def no_op(self) -> bool:
        """The dataset already is what was asked for: the run changes nothing (a re-run of an increment)."""
        return self.spec == self.previous_spec

    @property
    def first_new_day(self) -> int | None:
        """Incremental: the first day to simulate (the rest of the history is kept); None for a merge."""
        return self.previous_spec.last_day + 1 if self.mode == INCREMENTAL else None


def recorded_spec(manifest: Manifest) -> DatasetSpec:
    """The parameters a dataset was made with, from its manifest."""
    p = manifest.parameters
    return DatasetSpec.parse(
        scale=p["scale"],
        scale_factor=p["scale_factor"],
        days=p["days"],
        seed=p["seed"],
        end_date=p["end_date"],
        customer_history=p.get("customer_history", False),
    )


def describe(spec: DatasetSpec) -> str:
    """A dataset's parameters in a phrase, for refusals that say what a dataset holds."""
    history = ", with customers_history" if spec.customer_history else ""
    return (
        f"{spec.scale} x{spec.scale_factor:g}, seed {spec.seed}, {spec.start_date} to {spec.end_date} "
        f"({spec.days} days){history}"
    )


def _refuse(problems: list[rules.RuleError], previous: DatasetSpec, folder: str) -> RevisionRefused:
    reasons = "; ".join(str(problem) for problem in problems)
    return RevisionRefused(f"{reasons} (the dataset in {folder} holds {describe(previous)}); nothing was changed.")


def _window_days(start: date, end: date) -> int:
    return (end - start).days + 1


def _incremental(
    requested: DatasetSpec, given: set[str], previous: DatasetSpec
) -> tuple[DatasetSpec, list[rules.RuleError]]:
    problems = [
        rules.refusal(
            name,
            getattr(requested, name),
            f"{getattr(previous, name)!r}, the dataset's own (mode='merge' changes it)",
            "an increment keeps the dataset's parameters",
        )
        for name in HISTORY_PARAMETERS
        if name in given and getattr(requested, name) != getattr(previous, name)
    ]
    if "end_date" in given:
        end = requested.end_date
        added = (end - previous.end_date).days
        if "days" in given and requested.days != added and requested.start_date != previous.start_date:
            problems.append(
                rules.refusal(
                    "days",
                    requested.days,
                    f"{added}, the days from {previous.end_date} to end_date={end}, or left out",
                    "with mode='incremental', days counts the days to add",
                )
            )
    else:
        end = previous.end_date + timedelta(days=requested.days)
    if end < previous.end_date:
        problems.append(
            rules.refusal(
                "end_date",
                end.isoformat(),
                f"on or after {previous.end_date}, the dataset's last day",
                "an increment only appends days",
            )
        )
        end = previous.end_date
    latest = previous.start_date + timedelta(days=rules.MAX_DAYS - 1)
    if end > latest:
        problems.append(
            rules.refusal(
                "end_date" if "end_date" in given else "days",
                end.isoformat() if "end_date" in given else requested.days,
                f"a last day up to {latest}" if "end_date" in given else f"at most {(latest - previous.end_date).days}",
                f"the dataset would hold {_window_days(previous.start_date, end)} days, more than {rules.MAX_DAYS}",
            )
        )
        end = previous.end_date
    return replace(previous, days=_window_days(previous.start_date, end), end_date=end), problems


def _merge(requested: DatasetSpec, given: set[str], previous: DatasetSpec) -> tuple[DatasetSpec, list[rules.RuleError]]:
    values = {name: getattr(requested if name in given else previous, name) for name in HISTORY_PARAMETERS}
    problems = []
    if "end_date" in given and "days" not in given:  # a new last day keeps the first day
        end, days = requested.end_date, _window_days(previous.start_date, requested.end_date)
        if not 1 <= days <= rules.MAX_DAYS:
            latest = previous.start_date + timedelta(days=rules.MAX_DAYS - 1)
            problems.append(
                rules.refusal(
                    "end_date",
                    end.isoformat(),
                    f"from {previous.start_date} to {latest}, or give days too",
                    "the window keeps the dataset's first day",
                )
            )
            end, days = previous.end_date, previous.days
    else:
        end = requested.end_date if "end_date" in given else previous.end_date
        days = requested.days if "days" in given else previous.days
    return DatasetSpec(days=days, end_date=end, **values), problems


def decide_revision(
    mode: str, requested: DatasetSpec, given: Collection[str] | None, previous: Manifest, folder: str
) -> Revision:
    """The incremental or merge run that `requested` asks of the dataset `previous` describes.

    `given` names the parameters the caller set (the others are the dataset's); None means all of
    `requested` was meant. Raises RevisionRefused naming each refused parameter, what the dataset
    holds and what would be accepted.
    """
    previous_spec = recorded_spec(previous)
    chosen = set(SPEC_FIELDS if given is None else given)
    decide = _incremental if mode == INCREMENTAL else _merge
    spec, problems = decide(requested, chosen, previous_spec)
    if problems:
        raise _refuse(problems, previous_spec, folder)
    return Revision(mode=mode, previous=previous, previous_spec=previous_spec, spec=spec, version=previous.version + 1)
