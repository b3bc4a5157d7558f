"""Generate the dataset's tables with Spark (the seven, and customers_history when the spec asks for
it): the plan on the driver, the chunks on the executors.

Why: one machine's process pool tops out around a few million rows per second and at the disk it
writes to; a cluster spreads the same chunks over many cores and writes straight into catalog
tables. The rows are the local path's rows, byte for byte in value: every executor calls
`generator.chunks.build_chunk`, the function the local runner calls, on the chunks that
`generator.plan.plan` fixes from the spec alone.

How:
- The driver plans the chunks and builds, per table family, a tiny DataFrame with one row per
  task slot (`spark.range(n, numPartitions=n)`: one row per partition, so one chunk per task by
  default). `mapInArrow` turns each slot into the Arrow batches of its chunks. Nothing but row
  counts comes back to the driver.
- orders, order_items and inventory_snapshots come out of one simulation. One `mapInArrow` emits
  them together as envelopes: rows of (table index, compressed Arrow IPC stream of up to 64K of
  that table's rows). That small DataFrame is persisted (MEMORY_AND_DISK) and decoded three
  times by a second `mapInArrow` with each table's exact schema, so each store group is
  simulated once. Measured on local[2] (bench/spark_bench.py), this costs about what the two
  extra simulations would: the simulation is cheap next to Spark's Arrow-to-row conversion and
  write, so the saving grows with the simulation's share (long windows, many products per
  store). A union of the three schemas with prefixed columns was tried first and dropped:
  caching its mostly-null rows doubled the activity time. Where persist is refused (serverless
  compute), each table is simulated on its own (same rows) and the result says so.
- All or nothing: Delta targets keep their identity and history. Each target's version is recorded
  before the run first writes it, each table is written once, straight into its target (no staging
  copy, which was a second full write), its row count read from that write's commit, and a failure
  anywhere restores the tables already written (RESTORE TABLE ... TO VERSION AS OF) and drops the
  ones that did not exist. Other formats are written under staging names and swapped in by renaming,
  keeping the old table under a retired name until the end so that a failure can rename it back;
  staging tables are dropped whatever happens.
- A Delta dataset records what it holds in `<prefix>retail_datagen_state` (state.py: the manifest,
  and the stock each activity chunk ended with), so that mode incremental appends only the new days,
  continuing that stock, and mode merge brings the tables to other parameters, both with one
  INSERT INTO or MERGE INTO per table and every changed table restored on failure (revise.py).
  The tables record Delta's change data feed, which shows what each run changed.

This package imports without pyspark (pyspark is imported inside the functions that need it).
"""

from generator.spark.executors import ExecutorImportError, check_executors
from generator.spark.run import SparkGenerationResult, generate_to_spark, result_summary
from generator.spark.swap import SparkSwapError
from generator.spark.target import SparkTarget, SparkTargetError

__all__ = [
    "ExecutorImportError",
    "SparkGenerationResult",
    "SparkSwapError",
    "SparkTarget",
    "SparkTargetError",
    "check_executors",
    "generate_to_spark",
    "result_summary",
]
