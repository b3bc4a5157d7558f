"""The dataset's tables as tool results and resources, read from `generator.schema.TABLES`.

Imported lazily: `generator.schema` builds Arrow schemas, so it pulls in pyarrow.
"""

from __future__ import annotations

from server.models import ColumnInfo, ForeignKeyInfo, SchemaOutput, TableInfo


class UnknownTableError(ValueError):
    """The table name is not one of the seven tables."""


def describe_tables(table: str | None = None) -> SchemaOutput:
    """Columns, keys and descriptions of every table, or of `table` alone."""
    from generator.schema import TABLES

    if table is None:
        specs = list(TABLES.values())
    else:
        name = table.strip().lower()
        if name not in TABLES:
            raise UnknownTableError(f"table={table!r} is not a table of the dataset; choose one of {', '.join(TABLES)}")
        specs = [TABLES[name]]
    return SchemaOutput(
        tables=[
            TableInfo(
                name=spec.name,
                description=spec.description,
                columns=[
                    ColumnInfo(
                        name=field.name,
                        type=str(field.type),
                        nullable=field.nullable,
                        description=spec.column_description(field.name),
                    )
                    for field in spec.schema
                ],
                primary_key=list(spec.primary_key),
                foreign_keys=[
                    ForeignKeyInfo(column=column, references_table=target[0], references_column=target[1])
                    for column, target in spec.foreign_keys.items()
                ],
            )
            for spec in specs
        ]
    )


def table_names() -> tuple[str, ...]:
    """The seven table names in dependency order."""
    from generator.schema import TABLE_NAMES

    return TABLE_NAMES
