"""The local toolset: generate, follow, estimate, script, describe, validate, query, list and load datasets
on this machine (no Databricks needed). One module per tool (or per pair that shares its models), in the
order the tools are listed to the client."""

#: The toolset's modules, in listing order; each defines its tools with `server.tooling.definition.tool`.
MODULES = (
    "generate_data",
    "generation_jobs",
    "estimate_dataset",
    "init_project",
    "execute_script",
    "describe_schema",
    "validate_dataset",
    "query_dataset",
    "list_datasets",
    "load_to_postgres",
)
