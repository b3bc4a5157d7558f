"""The Databricks toolset: upload to a Unity Catalog Volume and make tables from it on a SQL warehouse,
generate in a one-time (serverless) run, run the generator on a cluster, run the bundle's job and follow
runs, load a Lakebase database. One module per tool (or per group that shares its models), in the order the
tools are listed to the client; `parameters` and `calls` hold what the tools share."""

#: The toolset's modules, in listing order; each defines its tools with `server.tooling.definition.tool`.
MODULES = (
    "upload_to_volume",
    "create_tables_from_volume",
    "generate_and_upload",
    "submit_generation_run",
    "deploy_generation_script",
    "cluster_runs",
    "job_runs",
    "load_to_lakebase",
)
