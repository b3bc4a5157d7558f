"""Dates as integer day numbers (days since 1970-01-01), weekdays and days of the year."""

from __future__ import annotations

from datetime import date

import numpy as np

from generator.spec import EPOCH

SECONDS_PER_DAY = 86_400
MICROS_PER_SECOND = 1_000_000
#: A day number meaning "not (yet)": a store that never closes, a product never discontinued.
NEVER = np.iinfo(np.int32).max


def day_number(day: date) -> int:
    """Days since 1970-01-01 (the date32 value of `day`)."""
    return (day - EPOCH).days


def weekday(day_numbers: np.ndarray) -> np.ndarray:
    """Monday = 0 ... Sunday = 6 (1970-01-01 was a Thursday)."""
    return (np.asarray(day_numbers, dtype=np.int64) + 3) % 7


def day_of_year(day_numbers: np.ndarray) -> np.ndarray:
    """1..366 for each day number."""
    as_dates = np.asarray(day_numbers, dtype="datetime64[D]")
    years = as_dates.astype("datetime64[Y]")
    return (as_dates - years).astype(np.int64) + 1
