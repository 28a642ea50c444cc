"""The wirehouse pipeline on Spark: the dataset `wirehouse run` writes.

    python pipelines/spark_job.py PIPELINE.toml [--workers N] [--files-per-unit N] [--address MASTER]
    spark-submit pipelines/spark_job.py PIPELINE.toml   (the wirehouse wheel on the executors)

The driver plans work units (lists of files in input order, a few thousand
each), Spark runs one task per unit (`mapInArrow` over a DataFrame of units,
one partition each), the task runs it through the package (`wirehouse`, the
same Rust core as the CLI) and reports, and the driver commits. Spark's own
readers and writers are not used: its `binaryFile` source is ~30x slower per
file than a task that reads its own list (BENCHMARKS.md), and its Parquet
writer would not write the dataset's types and layout.
"""

from __future__ import annotations

import json
import os
import sys

import wirehouse.engine as engine


def _worker_version() -> str:
    """The package's version in this worker, or why it has none (for
    ``wirehouse.engine.check_workers``; here, since a worker without the
    package could not import that module)."""
    try:
        import wirehouse

        return str(wirehouse.__version__)
    except ImportError as exc:
        return f"none ({exc})"


def spark_versions(args):
    """Each executor slot's package version: one small job, one task a slot."""
    from pyspark.sql import SparkSession

    spark = SparkSession.getActiveSession()
    slots = max(1, spark.sparkContext.defaultParallelism)

    def task(batches):
        import pyarrow as pa

        for batch in batches:
            versions = [_worker_version() for _ in range(batch.num_rows)]
            yield pa.RecordBatch.from_pydict({"version": versions})

    rows = [(i,) for i in range(slots)]
    frame = spark.sparkContext.parallelize(rows, numSlices=slots).toDF("slot int")
    return [row["version"] for row in frame.mapInArrow(task, "version string").collect()]


def spark_units(args):
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    master = args.address or f"local[{args.workers or os.cpu_count()}]"
    builder = (
        SparkSession.builder.master(master)
        .appName("wirehouse")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        # A unit's files are named after it and replaced whole, so a second
        # attempt is harmless; speculation would only spend cores on it.
        .config("spark.speculation", "false")
        .config("spark.executorEnv.PYTHONPATH", os.environ.get("PYTHONPATH", ""))
    )
    for key, value in engine.store_environment().items():
        builder = builder.config(f"spark.executorEnv.{key}", value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")

    def run_units(spec: str, items, remote: bool):
        def task(batches):
            import pyarrow as pa

            import wirehouse.engine as worker

            for batch in batches:
                units = batch.column("unit").to_pylist()
                skips = batch.column("skip").to_pylist()
                reports = [
                    worker.run_task(spec, unit, json.loads(skip), remote)
                    for unit, skip in zip(units, skips)
                ]
                yield pa.RecordBatch.from_pydict({"report": reports})

        rows = [(unit, json.dumps(skip)) for unit, skip in items]
        units = spark.sparkContext.parallelize(rows, numSlices=len(rows)).toDF(
            "unit string, skip string"
        )
        return [row["report"] for row in units.mapInArrow(task, "report string").collect()]

    return run_units


if __name__ == "__main__":
    sys.exit(engine.main("spark", None, spark_units, spark_versions))
