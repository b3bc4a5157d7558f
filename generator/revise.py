"""Incremental and merge runs: what they keep of the previous dataset, what each chunk does, and how
the tables are finished (Parquet and CSV: new file lists; Delta: one append or MERGE per table).

Everything happens in the staging folder, which starts with hard links to the files the revision
keeps (they are never modified, only added to), so the previous dataset stays whole until the one
atomic swap, and a failure part-way leaves it as it was.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from generator.activity.stock import state_file
from generator.changes import (
    CHANGE_TYPE,
    CHANGES_FOLDER,
    DELETE,
    UPDATE_PREIMAGE,
    ChangeCounts,
    feed_folder,
    feed_schema,
    previous_dataset,
    rows_in_range,
    tagged,
)
from generator.chunks import ChunkChanges, ChunkResult, ChunkTask
from generator.delta import append_files, commit_delta_table, delta_log_bytes, delta_version, merge_feed, table_state
from generator.errors import RevisionRefused
from generator.manifest import FileEntry, TableChanges, TableManifest
from generator.modes import INCREMENTAL, Revision, describe
from generator.plan import Chunk, family_tables
from generator.schema import ALL_TABLES, dataset_tables
from generator.writers import open_part

ACTIVITY_TABLES = family_tables("activity")


def check_revisable(revision: Revision, folder: Path) -> None:
    """Refuse a revision the dataset cannot take: tables with other columns (an older retail-datagen's),
    or, for an increment, no saved stock to continue."""
    for name, table in revision.previous.tables.items():
        definition = ALL_TABLES.get(name)
        found = previous_dataset(folder, definition).schema.names if definition else []
        if definition is None or found != definition.schema.names:
            raise RevisionRefused(
                f"mode={revision.mode!r}: the dataset in {folder} was made by another retail-datagen version "
                f"(its {name} table has the columns {found}); regenerate it with mode='overwrite'."
            )
        if revision.previous.format == "delta" and (now := delta_version(folder / name)) != table.delta_version:
            raise RevisionRefused(
                f"mode={revision.mode!r}: the Delta table {folder / name} is at version {now}, but the dataset's "
                f"manifest recorded version {table.delta_version}: it was changed outside retail-datagen, so its "
                "rows are not the history's; regenerate it with mode='overwrite'."
            )
    if revision.mode != INCREMENTAL:
        return
    from generator.plan import plan

    missing = [
        state_file(chunk.part)
        for chunk in plan(revision.spec)
        if chunk.kind == "activity" and not (folder / state_file(chunk.part)).is_file()
    ]
    if missing:
        raise RevisionRefused(
            f"mode='incremental': the dataset in {folder} ({describe(revision.previous_spec)}) has no saved stock "
            f"to continue from ({missing[0]} is missing; it was written elsewhere, e.g. by Spark); use mode='merge' "
            "(re-simulates the history and changes only what differs) or mode='overwrite'."
        )


def _link(source: Path, target: Path) -> None:
    """Hard-link a file that no step modifies (a copy where the file system refuses links)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _link_tree(source: Path, target: Path, copied: str | None = None) -> None:
    """Hard-link every file under `source` into `target`; copy the files of folders named `copied`,
    which a later step may modify."""
    for folder, _, files in os.walk(source):
        relative = Path(folder).relative_to(source)
        for name in files:
            if copied is not None and copied in relative.parts:
                (target / relative).mkdir(parents=True, exist_ok=True)
                shutil.copy2(Path(folder) / name, target / relative / name)
            else:
                _link(Path(folder) / name, target / relative / name)


def stage_previous(revision: Revision, target: Path, staging: Path) -> None:
    """Put into staging what the revision keeps: the earlier change feeds; for Delta every table that
    stays (its log copied, its data linked); for an increment of Parquet or CSV the fact files."""
    if (target / CHANGES_FOLDER).is_dir():
        _link_tree(target / CHANGES_FOLDER, staging / CHANGES_FOLDER)
    kept = dataset_tables(revision.spec.customer_history)
    for name, table in revision.previous.tables.items():
        if name not in kept:
            continue
        if revision.previous.format == "delta":
            _link_tree(target / name, staging / name, copied="_delta_log")
        elif revision.mode == INCREMENTAL and name in ACTIVITY_TABLES:
            for entry in table.files:
                _link(target / entry.path, staging / entry.path)


def revision_tasks(revision: Revision, chunks: list[Chunk], fmt: str, target: Path, staging: Path) -> list[ChunkTask]:
    """Each chunk's task: an increment's activity continues the saved stock; everything else is diffed.
    Delta writes part files only for the days appended and for tables new to the dataset (the rest is
    MERGEd from the feed)."""
    write = None
    if fmt == "delta":
        appended = ACTIVITY_TABLES if revision.mode == INCREMENTAL else ()
        write = frozenset(appended) | frozenset(set(ALL_TABLES) - set(revision.previous.tables))
    return [
        ChunkTask(
            chunk=chunk,
            spec=revision.spec,
            fmt=fmt,
            root=staging,
            version=revision.version,
            previous=target,
            first_day=revision.first_new_day,
            write=write,
        )
        for chunk in chunks
    ]


def orphan_deletes(revision: Revision, chunks: list[Chunk], target: Path, staging: Path) -> dict[str, ChunkChanges]:
    """A merge's deletes of the rows beyond every new chunk's key range (a smaller scale, fewer days of
    customers, a table no longer asked for), as one more feed file per table."""
    fmt = revision.previous.format
    kept = dataset_tables(revision.spec.customer_history)
    deletes: dict[str, ChunkChanges] = {}
    for name in revision.previous.tables:
        definition = ALL_TABLES[name]
        family = [chunk for chunk in chunks if chunk.kind == definition.family]
        if name in kept and definition.chunk_column is None:
            continue  # its one chunk diffed every row
        low = definition.chunk_bounds(0, family[-1].stop)[1] if name in kept else 0
        rows = rows_in_range(previous_dataset(target, definition), definition, low, None)
        if not rows.num_rows:
            continue
        stem = f"{feed_folder(name, revision.version)}/part-{len(family):05d}"
        writer = open_part(staging, stem, feed_schema(definition), "parquet" if fmt == "delta" else fmt)
        writer.write(tagged(rows, DELETE, revision.version))
        deletes[name] = ChunkChanges(ChangeCounts(deletes=rows.num_rows), writer.close())
    return deletes


@dataclass(frozen=True)
class FinishedTables:
    """The tables as the revision leaves them and the change feed per table."""

    tables: dict[str, TableManifest]
    changes: dict[str, TableChanges]


def part_files(chunks: list[Chunk], results: dict[int, ChunkResult], table: str) -> list[FileEntry]:
    """The part files the chunks wrote for one table, in plan order."""
    return [
        FileEntry(path=written.path, rows=written.rows, bytes=written.bytes)
        for chunk in chunks
        if (written := results[chunk.chunk_id].files.get(table)) is not None
    ]


def _feed(
    chunks: list[Chunk], results: dict[int, ChunkResult], orphans: dict[str, ChunkChanges], table: str
) -> TableChanges:
    shares = [results[chunk.chunk_id].changes[table] for chunk in chunks if table in results[chunk.chunk_id].changes]
    shares += [orphans[table]] if table in orphans else []
    counts = sum((share.counts for share in shares), ChangeCounts())
    files = [FileEntry(s.file.path, s.file.rows, s.file.bytes) for s in shares if s.file is not None]
    return TableChanges(inserts=counts.inserts, updates=counts.updates, deletes=counts.deletes, files=files)


def _merge_source(staging: Path, changes: TableChanges, table: str) -> pa.Table:
    """A table's feed without the pre-images: the MERGE source."""
    import pyarrow.compute as pc
    import pyarrow.dataset as pa_ds  # imports pandas: only a Delta revision reads its feed back

    definition = ALL_TABLES[table]
    feed = pa_ds.dataset([str(staging / entry.path) for entry in changes.files], schema=feed_schema(definition))
    return feed.to_table(filter=pc.field(CHANGE_TYPE) != UPDATE_PREIMAGE)


def finish_tables(
    revision: Revision,
    chunks: list[Chunk],
    results: dict[int, ChunkResult],
    orphans: dict[str, ChunkChanges],
    fmt: str,
    staging: Path,
) -> FinishedTables:
    """Every table of the revised dataset with its files, and every table's changes (dropped tables too)."""
    tables: dict[str, TableManifest] = {}
    changes = {name: _feed(chunks, results, orphans, name) for name in set(revision.previous.tables) | set(orphans)}
    for name in dataset_tables(revision.spec.customer_history):
        changes[name] = change = _feed(chunks, results, orphans, name)
        new_files = part_files(chunks, results, name)
        previous = revision.previous.tables.get(name)
        if fmt != "delta":
            kept = (
                previous.files
                if previous is not None and revision.mode == INCREMENTAL and name in ACTIVITY_TABLES
                else []
            )
            files = kept + new_files
            tables[name] = TableManifest(sum(f.rows for f in files), sum(f.bytes for f in files), files)
            continue
        if previous is None:
            commit_delta_table(staging / name)
            rows = sum(f.rows for f in new_files)
        else:
            if new_files:
                append_files(staging / name, new_files)
            elif change.files:
                merge_feed(staging / name, _merge_source(staging, change, name), ALL_TABLES[name])
            rows = previous.rows + change.inserts - change.deletes
        version, files = table_state(staging / name)
        size = sum(f.bytes for f in files) + delta_log_bytes(staging / name)
        tables[name] = TableManifest(rows, size, files, delta_version=version)
    return FinishedTables(tables, {name: changes[name] for name in sorted(changes, key=list(ALL_TABLES).index)})
