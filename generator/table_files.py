"""A lazy pyarrow dataset over given data files of one table: what the revision steps (which may run on a
bare cluster, without duckdb or deltalake) and the readers both read files with."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

from generator.schema import TableDefinition

if TYPE_CHECKING:
    import pyarrow.dataset as pa_ds


def files_dataset(files: list[str], fmt: str, table: TableDefinition) -> pa_ds.Dataset:
    """A lazy pyarrow dataset over given data files of one table (a Delta table's are Parquet)."""
    import pyarrow.csv as pa_csv
    import pyarrow.dataset as pa_ds  # here, not at the top: it imports pandas, which a fresh run never needs

    if not files:
        return pa_ds.dataset(table.schema.empty_table())
    if fmt == "csv":
        # Types come from the schema, never from inference: decimals stay exact, timestamps parse
        # with a space or a 'T', and a header-only file is typed. An unquoted empty field is null
        # while a quoted "" stays an empty string, which is how pyarrow.csv writes the two.
        csv_format = pa_ds.CsvFileFormat(
            convert_options=pa_csv.ConvertOptions(
                column_types=table.schema, strings_can_be_null=True, quoted_strings_can_be_null=False
            )
        )
        return pa_ds.dataset(files, schema=table.schema, format=csv_format)
    dataset = pa_ds.dataset(files, format="parquet")
    if not any(pa.types.is_string_view(field.type) for field in dataset.schema):
        return dataset
    # deltalake's MERGE writes strings as string_view, which pyarrow's filters do not take: read them as string.
    plain = [field.with_type(pa.string()) if pa.types.is_string_view(field.type) else field for field in dataset.schema]
    return pa_ds.dataset(files, schema=pa.schema(plain), format="parquet")
