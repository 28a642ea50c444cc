#!/usr/bin/env python3
"""How an engine should hand files to the package: its own binary-file
source (bytes move through the engine) against lists of paths (each task
reads its files). `just bench-shapes`; BENCHMARKS.md records it.

Four shapes on one corpus folder, each ending in the package's records in
the tasks (no dataset is written, so only the hand-over differs):

- Spark `binaryFile` source → `mapInArrow` → `wirehouse.transform(batch)`;
- Spark, lists of paths (units of --files-per-unit) → `mapInArrow` →
  `wirehouse.read(paths)`;
- Ray Data `read_binary_files` → `map_batches` → `wirehouse.transform`;
- Ray Data, lists of paths → `map_batches` → `wirehouse.read(paths)`.

Each shape runs in a fresh process (engine started, and its workers by a
first small job, before the clock), after
an untimed read of the corpus, and prints its seconds and the records it
counted, which must be the same for all four.

usage: shapes_bench.py --python PY --corpus DIR [--workers 2] [--files-per-unit 5000]
"""
import argparse
import os
import subprocess
import sys

COMMON = r"""
import os, sys, time, json
corpus, workers, per_unit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def units():
    # The CLI's order is not needed to compare hand-overs: every article
    # file, sorted, cut into lists.
    paths = sorted(os.path.join(d, f) for d, _, fs in os.walk(corpus) for f in fs
                   if not f.startswith(("README", "MANIFEST", ".")))
    return [paths[i:i + per_unit] for i in range(0, len(paths), per_unit)]
def report(seconds, records):
    print("SHAPE", seconds, records)
"""

SPARK = COMMON + r"""
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
from pyspark.sql import SparkSession
spark = (SparkSession.builder.master(f"local[{workers}]").config("spark.ui.enabled", "false")
         .config("spark.ui.showConsoleProgress", "false").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
def count_records(batches):
    import pyarrow as pa, wirehouse
    for batch in batches:
        yield pa.RecordBatch.from_pydict({"n": [wirehouse.transform(batch).articles.num_rows]})
def read_units(batches):
    import pyarrow as pa, wirehouse
    for batch in batches:
        yield pa.RecordBatch.from_pydict(
            {"n": [wirehouse.read(json.loads(u), threads=1).articles.num_rows for u in batch.column("unit").to_pylist()]})
def warm(batches):
    import wirehouse
    yield from batches
# The engine's first job starts its Python workers: before the clock.
spark.sparkContext.parallelize([(i,) for i in range(workers)], workers).toDF("i int").mapInArrow(warm, "i int").collect()
start = time.perf_counter()
if sys.argv[4] == "binary":
    frame = (spark.read.format("binaryFile").option("recursiveFileLookup", "true")
             .option("pathGlobFilter", "*.md").load(corpus).select("path", "content"))
    rows = frame.mapInArrow(count_records, "n long").collect()
else:
    items = [(json.dumps(u),) for u in units()]
    frame = spark.sparkContext.parallelize(items, numSlices=len(items)).toDF("unit string")
    rows = frame.mapInArrow(read_units, "n long").collect()
report(time.perf_counter() - start, sum(r["n"] for r in rows))
"""

RAY = COMMON + r"""
import ray
ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
ctx = ray.data.DataContext.get_current()
ctx.enable_progress_bars = False
ctx.op_resource_reservation_enabled = False  # as the job does
def warm(batch):
    import wirehouse
    return batch
# The engine's first job starts its workers: before the clock.
ray.data.from_items([{"i": i} for i in range(workers)], override_num_blocks=workers).map_batches(warm, batch_size=1, num_cpus=1).materialize()
def count_records(batch):
    import pyarrow as pa, wirehouse
    table = pa.table({"path": batch["path"], "content": batch["bytes"]})
    return {"n": [wirehouse.transform(table).articles.num_rows]}
def read_units(batch):
    import wirehouse
    return {"n": [wirehouse.read(json.loads(u), threads=1).articles.num_rows for u in batch["unit"]]}
start = time.perf_counter()
if sys.argv[4] == "binary":
    ds = ray.data.read_binary_files(corpus, include_paths=True, file_extensions=["md"])
    done = ds.map_batches(count_records, batch_format="pyarrow", num_cpus=1)
else:
    items = [{"unit": json.dumps(u)} for u in units()]
    ds = ray.data.from_items(items, override_num_blocks=len(items))
    done = ds.map_batches(read_units, batch_size=1, batch_format="numpy", num_cpus=1)
records = sum(int(r["n"]) for r in done.iter_rows())  # runs the lazy dataset
report(time.perf_counter() - start, records)
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--files-per-unit", type=int, default=5000)
    a = ap.parse_args()
    n = sum(1 for _, _, fs in os.walk(a.corpus) for f in fs if f.endswith(".md"))
    results = []
    for engine, script in (("Spark", SPARK), ("Ray Data", RAY)):
        for shape, label in (("binary", "its binary-file source"), ("paths", "lists of paths")):
            subprocess.run(f"find {a.corpus} -type f -print0 | xargs -0 cat > /dev/null", shell=True, check=True)
            out = subprocess.run([a.python, "-c", script, a.corpus, str(a.workers), str(a.files_per_unit), shape],
                                 capture_output=True, text=True)
            if out.returncode != 0:
                sys.exit(f"{engine} {shape} failed:\n{out.stderr[-3000:]}")
            line = [l for l in out.stdout.splitlines() if l.startswith("SHAPE")][-1].split()
            seconds, records = float(line[1]), int(line[2])
            results.append((engine, label, seconds, records))
            print(f"{engine}, {label}: {seconds:.2f} s, {records} records", file=sys.stderr)
    print(f"\n{n} files, {a.workers} workers, units of {a.files_per_unit} files\n")
    print("| engine | hands the tasks | s | files/s | records |")
    print("|---|---|---:|---:|---:|")
    for engine, label, seconds, records in results:
        print(f"| {engine} | {label} | {seconds:.2f} | {n / seconds:.0f} | {records} |")
    if len({r[3] for r in results}) != 1:
        sys.exit("the shapes counted different records")


if __name__ == "__main__":
    main()
