"""Build one chunk's rows and stream them into its part files: the unit of work every path runs
(the local process pool, the portable cluster script and Spark's executors)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from generator.plan import Chunk
from generator.schema import TABLES
from generator.spec import DatasetSpec
from generator.writers import WrittenFile, open_part


@dataclass(frozen=True)
class ChunkResult:
    """The part files one chunk wrote."""

    chunk_id: int
    files: dict[str, WrittenFile]


def build_chunk(chunk: Chunk, spec: DatasetSpec) -> Iterator[dict[str, pa.Table]]:
    """The rows of a chunk, as successive {table: rows} batches."""
    from generator.activity import build_activity
    from generator.customers import build_customers
    from generator.products import build_products
    from generator.promotions import build_promotions
    from generator.stores import build_stores

    if chunk.kind == "activity":
        yield from build_activity(chunk, spec)
        return
    builders = {
        "stores": build_stores,
        "products": build_products,
        "promotions": build_promotions,
        "customers": build_customers,
    }
    yield {chunk.kind: builders[chunk.kind](chunk, spec)}


def run_chunk(chunk: Chunk, spec: DatasetSpec, fmt: str, root: Path) -> ChunkResult:
    """Build one chunk and stream it into its part files under `root`."""
    writers = {table: open_part(root, table, chunk.part, TABLES[table].schema, fmt) for table in chunk.tables}
    try:
        for batch in build_chunk(chunk, spec):
            for table, rows in batch.items():
                writers[table].write(rows)
    except BaseException:
        for writer in writers.values():
            writer.abort()  # release the file handles, so a failed run frees its disk space at once
        raise
    return ChunkResult(chunk.chunk_id, {table: writer.close() for table, writer in writers.items()})
