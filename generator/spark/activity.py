"""The activity tables (and the stock) of one store simulation on Spark.

The simulation is persisted as compressed Arrow IPC envelopes rather than as Spark rows: a few large
binary values per block cache in a fraction of the memory, and each table is then decoded by a second
mapInArrow with its exact schema, so each store group is simulated once. Where persist is refused
(serverless compute), each table is simulated on its own (same rows) and `simulations` says so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from generator.spark.executors import (
    ENVELOPE_PARTS,
    ENVELOPES_PER_BATCH,
    PAYLOAD_COLUMN,
    TAG_COLUMN,
    frame_schema,
    open_envelopes,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)

ARROW_BATCH_CONF = "spark.sql.execution.arrow.maxRecordsPerBatch"
#: Builds the tasks' frame for some of ENVELOPE_PARTS, as envelopes or as one part's rows.
FrameMaker = Callable[[Sequence[str], bool], "DataFrame"]


class ActivityFrames:
    """A context in which `frame(table)` gives the rows of an activity table (or STOCK), all from
    one persisted simulation when Spark allows it."""

    def __init__(self, spark: SparkSession, make: FrameMaker, parts: Sequence[str]) -> None:
        self._spark = spark
        self._make = make
        self._parts = tuple(parts)
        self._envelopes: DataFrame | None = None
        self._previous_batch: str | None = None
        #: Simulations run so far: 1 when persisted, else one per frame taken.
        self.simulations = 0

    def __enter__(self) -> ActivityFrames:
        from pyspark import StorageLevel

        envelopes = self._make(self._parts, True)
        try:
            envelopes.persist(StorageLevel.MEMORY_AND_DISK)
        except Exception as exc:  # serverless compute refuses persist
            log.warning("persist refused (%s); simulating the activity family once per table", exc)
            return self
        self._envelopes, self.simulations = envelopes, 1
        self._previous_batch = self._spark.conf.get(ARROW_BATCH_CONF, None)
        self._spark.conf.set(ARROW_BATCH_CONF, str(ENVELOPES_PER_BATCH))
        return self

    def frame(self, table: str) -> DataFrame:
        """The rows of one of the parts: decoded from the persisted envelopes, or simulated anew."""
        from pyspark.sql import functions as F

        if self._envelopes is None:
            self.simulations += 1
            return self._make((table,), False)
        payloads = self._envelopes.where(F.col(TAG_COLUMN) == ENVELOPE_PARTS.index(table)).select(PAYLOAD_COLUMN)
        return payloads.mapInArrow(open_envelopes, frame_schema((table,), False))

    def __exit__(self, *exc: object) -> None:
        if self._envelopes is None:
            return
        if self._previous_batch is None:
            self._spark.conf.unset(ARROW_BATCH_CONF)
        else:
            self._spark.conf.set(ARROW_BATCH_CONF, self._previous_batch)
        self._envelopes.unpersist()
