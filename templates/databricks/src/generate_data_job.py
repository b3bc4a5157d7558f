"""Databricks job: generate the retail dataset into Unity Catalog tables with Spark.

The bundle runs this file as a spark_python_task, on serverless compute whose environment has the
retail-datagen core wheel as a dependency (or on a job cluster with it as a library); the
submit_generation_run tool submits it the same way as a one-time run. Parameters arrive as
command-line flags:

  --catalog       catalog that receives the tables (must exist)          default main
  --schema        schema inside it (created when missing)                default retail_demo
  --scale         small | medium | large                                 default small
  --days          days of order history, 1..365                          default 14
  --overwrite     true | false: replace existing tables or refuse        default true
  --seed          random seed: same seed, same rows                      default 42
  --scale-factor  multiplies the scale's volumes (10 = ten times large)  default 1.0
  --end-date      last day of the order window, YYYY-MM-DD               default 2025-12-31
  --customer-history  true | false: also write customers_history,     default false
                  every version of every customer (type 2)

Everything is checked before Spark is touched; a bad value exits with code 2 and says which one.
The seven tables (and customers_history when asked for) are written all or nothing (see
generator.spark): on any failure the existing tables are left as they were, the error is logged and
the run fails (exit code 1).

Locally (pyspark installed) it runs the same way on a local session, for example:
  PYSPARK_SUBMIT_ARGS="--master local[2] pyspark-shell" \
  python generate_data_job.py --catalog spark_catalog --schema retail_demo --scale small
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

DEFAULTS: dict[str, str] = {
    "catalog": "main",
    "schema": "retail_demo",
    "scale": "small",
    "days": "14",
    "overwrite": "true",
    "seed": "42",
    "scale_factor": "1.0",
    "end_date": "2025-12-31",
    "customer_history": "false",
}
#: The true/false flags, with their help.
FLAGS: dict[str, str] = {
    "overwrite": "true: replace existing tables; false: refuse when any exists",
    "customer_history": "true: also write customers_history, every version of every customer (type 2)",
}
#: The flags that are the dataset's parameters (generator.spec.DatasetSpec.parse takes them by these names).
SPEC_FLAGS = ("scale", "scale_factor", "days", "seed", "end_date", "customer_history")
EXIT_OK, EXIT_FAILED, EXIT_BAD_PARAMETER = 0, 1, 2

log = logging.getLogger("generate_data_job")


def parse_bool(value: str) -> bool:
    """true/false (also yes/no, 1/0), any case; argparse error otherwise."""
    lowered = value.strip().lower()
    if lowered in ("true", "yes", "1"):
        return True
    if lowered in ("false", "no", "0"):
        return False
    raise argparse.ArgumentTypeError(f"{value!r}: must be true or false")


def build_parser() -> argparse.ArgumentParser:
    """The job's parameters; the bundle's job definition passes exactly these flags."""
    parser = argparse.ArgumentParser(description="Generate the retail dataset into catalog tables with Spark.")
    parser.add_argument("--catalog", default=DEFAULTS["catalog"], help="target catalog (must exist)")
    parser.add_argument("--schema", default=DEFAULTS["schema"], help="target schema (created when missing)")
    parser.add_argument("--scale", default=DEFAULTS["scale"], choices=("small", "medium", "large"))
    parser.add_argument("--days", default=int(DEFAULTS["days"]), type=int, help="days of order history, 1..365")
    parser.add_argument("--seed", default=int(DEFAULTS["seed"]), type=int, help="random seed (same seed, same rows)")
    parser.add_argument(
        "--scale-factor",
        dest="scale_factor",
        default=float(DEFAULTS["scale_factor"]),
        type=float,
        help="multiplies every volume of the scale",
    )
    parser.add_argument(
        "--end-date", dest="end_date", default=DEFAULTS["end_date"], help="last day of the order window, YYYY-MM-DD"
    )
    for name, help_text in FLAGS.items():
        flag = "--" + name.replace("_", "-")
        parser.add_argument(flag, dest=name, default=parse_bool(DEFAULTS[name]), type=parse_bool, help=help_text)
    return parser


class _BadParameters(Exception):
    """A parameter failed validation; the message says which and what is accepted."""


def validate(args: argparse.Namespace) -> tuple[object, object]:
    """The DatasetSpec and the SparkTarget, checked before Spark starts."""
    from generator.rules import RuleErrors
    from generator.spark import SparkTarget
    from generator.spec import DatasetSpec

    problems = []
    spec = target = None
    try:
        spec = DatasetSpec.parse(**{name: getattr(args, name) for name in SPEC_FLAGS})
    except RuleErrors as exc:
        problems.append(str(exc))
    try:
        target = SparkTarget.parse(catalog=args.catalog, schema=args.schema)
    except RuleErrors as exc:
        problems.append(str(exc))
    if problems:
        raise _BadParameters("; ".join(problems))
    return spec, target


def main(argv: list[str] | None = None) -> int:
    """Parse, validate, generate, log a summary; the exit code says how it went."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stdout, force=True
    )
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed the problem
        return EXIT_BAD_PARAMETER if exc.code else EXIT_OK
    try:
        import generator  # noqa: F401  (the driver needs the package as much as the executors)
    except ImportError as exc:
        log.error(
            "cannot import retail-datagen (%s): the retail-datagen core wheel is not installed: deploy the bundle "
            "or use submit_generation_run, which both give the run that wheel as a dependency",
            exc,
        )
        return EXIT_FAILED
    try:
        spec, target = validate(args)
    except _BadParameters as exc:
        log.error("bad parameter: %s", exc)
        return EXIT_BAD_PARAMETER

    from generator.errors import GenerationError
    from generator.spark import generate_to_spark, result_summary
    from generator.spark.target import PERMISSION_MARKERS, TABLE_PRIVILEGES_HINT

    log.info(
        "generating scale=%s scale_factor=%g days=%d seed=%d end_date=%s customer_history=%s into %s.%s (overwrite=%s)",
        args.scale,
        args.scale_factor,
        args.days,
        args.seed,
        args.end_date,
        str(args.customer_history).lower(),
        args.catalog,
        args.schema,
        str(args.overwrite).lower(),
    )
    started = time.perf_counter()
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.appName("retail-datagen").getOrCreate()
    logging.getLogger("generator.spark").setLevel(logging.WARNING)  # progress is logged below, once
    logging.getLogger("py4j").setLevel(logging.WARNING)  # its shutdown notes would end the log after the error
    try:
        result = generate_to_spark(
            spark,
            spec,  # type: ignore[arg-type]
            target,  # type: ignore[arg-type]
            overwrite=args.overwrite,
            progress=lambda message: log.info("%s", message),
        )
    except GenerationError as exc:
        log.error("generation failed, existing tables left as they were: %s", exc)
        return EXIT_FAILED
    except Exception as exc:
        log.exception("generation failed, existing tables left as they were")
        if any(marker in str(exc) for marker in PERMISSION_MARKERS):  # the workspace's words, then what to do
            log.error("%s %s", (str(exc).strip().splitlines() or [""])[0], TABLE_PRIVILEGES_HINT)
        return EXIT_FAILED
    log.info("summary (%s tables, %.1f s):", result.format, time.perf_counter() - started)
    for line in result_summary(result):
        log.info("%s", line)
    return EXIT_OK


if __name__ == "__main__":
    code = main()
    if code != EXIT_OK:
        sys.exit(code)  # a non-zero exit marks the job run as failed
