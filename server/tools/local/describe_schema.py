"""describe_schema and the schema resources: the seven tables' columns, types, keys and descriptions,
read from the table registry (generator.schema, imported on first use: it pulls in pyarrow)."""

from __future__ import annotations

import anyio
import anyio.to_thread
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from pydantic import BaseModel, Field

from generator.rules import shown
from server.tooling.definition import READS, ToolContext, ToolInput, tool

#: The seven tables, in dependency order (mirrors generator.schema.TABLE_NAMES, which imports pyarrow).
TABLE_NAMES_TEXT = "stores, products, customers, promotions, orders, order_items, inventory_snapshots"


class DescribeSchemaInput(ToolInput):
    """Parameters of describe_schema."""

    table: str | None = Field(None, description=f"One of {TABLE_NAMES_TEXT}; null: all.")


class ColumnInfo(BaseModel):
    """One column of a table."""

    name: str = Field(description="Column name.")
    type: str = Field(description="Arrow data type, e.g. int32, string, decimal128(10, 2), date32[day].")
    nullable: bool = Field(description="True when the column may hold nulls.")
    description: str = Field(description="What the column holds.")


class ForeignKeyInfo(BaseModel):
    """A column that references another table's key."""

    column: str = Field(description="Column in this table.")
    references_table: str = Field(description="Referenced table.")
    references_column: str = Field(description="Referenced column.")


class TableInfo(BaseModel):
    """Schema of one table."""

    name: str = Field(description="Table name (also the sub-folder name in a dataset).")
    description: str = Field(description="What a row is and the rules the table follows.")
    columns: list[ColumnInfo] = Field(description="Columns in file order.")
    primary_key: list[str] = Field(description="Columns that identify a row.")
    foreign_keys: list[ForeignKeyInfo] = Field(description="References to other tables.")


class SchemaOutput(BaseModel):
    """The tables of a retail dataset."""

    tables: list[TableInfo] = Field(description="Tables in dependency order (parents first).")


class UnknownTableError(ValueError):
    """The table name is not one of the seven tables."""


def describe_tables(table: str | None = None) -> SchemaOutput:
    """Columns, keys and descriptions of every table, or of `table` alone."""
    from generator.schema import ALL_TABLES

    if table is None:
        definitions = list(ALL_TABLES.values())
    else:
        name = table.strip().lower()
        if name not in ALL_TABLES:
            raise UnknownTableError(
                f"table={shown(table)} is not a table of the dataset; choose one of {', '.join(ALL_TABLES)}"
            )
        definitions = [ALL_TABLES[name]]
    return SchemaOutput(
        tables=[
            TableInfo(
                name=definition.name,
                description=definition.description,
                columns=[
                    ColumnInfo(
                        name=field.name,
                        type=str(field.type),
                        nullable=field.nullable,
                        description=definition.column_description(field.name),
                    )
                    for field in definition.schema
                ],
                primary_key=list(definition.primary_key),
                foreign_keys=[
                    ForeignKeyInfo(column=column, references_table=target[0], references_column=target[1])
                    for column, target in definition.foreign_keys.items()
                ],
            )
            for definition in definitions
        ]
    )


@tool(title="Describe the dataset's tables", hints=READS)
async def describe_schema(args: DescribeSchemaInput, tc: ToolContext) -> SchemaOutput:
    """The tables' columns (name, Arrow type, nullable, meaning), primary and foreign keys; also the
    resources retail://schema and retail://schema/{table}.

    Use it before writing SQL for query_dataset, or to explain the data model. Instant.
    """
    try:
        return await anyio.to_thread.run_sync(describe_tables, args.table)
    except UnknownTableError as exc:
        raise ToolError(str(exc)) from None


def register_resources(server: MCPServer) -> None:
    """The schema as resources: retail://schema (every table) and retail://schema/{table}."""

    @server.resource(
        "retail://schema",
        name="schema",
        title="Retail dataset schema",
        description="All seven tables: columns (name, Arrow type, nullable, description) and keys, as JSON.",
        mime_type="application/json",
    )
    async def schema_resource() -> str:
        schema = await anyio.to_thread.run_sync(describe_tables, None)
        return schema.model_dump_json(indent=2)

    @server.resource(
        "retail://schema/{table}",
        name="table_schema",
        title="Schema of one retail table",
        description="One table's columns and keys as JSON; table is one of stores, products, customers, "
        "promotions, orders, order_items, inventory_snapshots.",
        mime_type="application/json",
    )
    async def table_schema_resource(table: str) -> str:
        try:
            schema = await anyio.to_thread.run_sync(describe_tables, table)
        except UnknownTableError as exc:
            raise ResourceNotFoundError(str(exc)) from None
        return schema.tables[0].model_dump_json(indent=2)
