"""Random streams are keyed by frozen ids: the same key gives the same numbers, another key others."""

from __future__ import annotations

import numpy as np

from generator.rng import Column, Family, stream


def test_the_same_key_gives_the_same_numbers() -> None:
    a = stream(42, Family.ACTIVITY, Column.DAY, 3, 1).random(5)
    b = stream(42, Family.ACTIVITY, Column.DAY, 3, 1).random(5)
    assert np.array_equal(a, b)


def test_every_part_of_the_key_separates_streams() -> None:
    base = stream(42, Family.ACTIVITY, Column.DAY, 3, 1).random(5)
    for other in (
        stream(43, Family.ACTIVITY, Column.DAY, 3, 1),
        stream(42, Family.STORES, Column.DAY, 3, 1),
        stream(42, Family.ACTIVITY, Column.INITIAL_STOCK, 3, 1),
        stream(42, Family.ACTIVITY, Column.DAY, 4, 1),
        stream(42, Family.ACTIVITY, Column.DAY, 3, 2),
    ):
        assert not np.array_equal(base, other.random(5))


def test_ids_are_frozen() -> None:
    """Changing an id changes the data of every seed: these values are part of the output's contract."""
    assert [int(f) for f in Family] == [1, 2, 3, 4, 5]
    assert (Column.CITY, Column.INITIAL_STOCK, Column.DAY) == (1, 41, 60)
    assert stream(42, Family.STORES, Column.CITY).integers(0, 1000, 3).tolist() == [215, 584, 605]
