"""What the Ray and Spark jobs share: the pipeline file as their one
argument, work units, tasks that run them, and the end-of-run lines.

An engine only schedules. The driver begins a run (:class:`EngineRun`: the
output folder's lock, a new generation), plans work units, has the engine
run :func:`run_task` on each, hands the reports back, runs again the few units
:meth:`EngineRun.redo` names (records whose bytes an earlier unit wrote), and
commits: the same atomic step as ``wirehouse run``'s.

Local inputs are walked by the Rust core as ``wirehouse run`` walks them and
each task reads its files itself. Inputs in an object store (``s3://``,
``gs://``, …) are listed here by the driver through pyarrow's file systems
(credentials and endpoint from the usual environment: ``AWS_*``,
``AWS_ENDPOINT_URL``), and each task fetches its unit's objects, a few at a
time, and hands the bytes to the core.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterable, Optional
from urllib.parse import urlsplit

from ._wirehouse import EngineRun, run_unit, run_unit_bytes

#: Files per work unit: enough that a task's fixed cost (scheduling, the
#: profiles, a Parquet file per partition) is small against its files, few
#: enough that two workers share a 20,000-file archive evenly.
FILES_PER_UNIT = 5000

#: Objects a task fetches at once from a store.
FETCHES_IN_FLIGHT = 16

#: Environment variables a task needs to reach a store as the driver does.
STORE_ENVIRONMENT = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_PROFILE",
)


def arguments(engine: str, argv: Optional[list[str]] = None) -> argparse.Namespace:
    """The jobs' command line: the pipeline file, and engine settings."""
    parser = argparse.ArgumentParser(
        prog=f"{engine}_job.py",
        description=f"Run a wirehouse pipeline file on {engine}: the same dataset `wirehouse run` writes.",
    )
    parser.add_argument("pipeline", help="pipeline file (TOML), as for `wirehouse run`")
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="local mode: worker processes (default: one per core); ignored on a cluster",
    )
    parser.add_argument(
        "--files-per-unit",
        type=int,
        default=FILES_PER_UNIT,
        help=f"files per work unit (default {FILES_PER_UNIT})",
    )
    parser.add_argument(
        "--address",
        default=None,
        help="the cluster to join (Ray: an address or 'auto'; Spark: a master URL); default: a local one",
    )
    return parser.parse_args(argv)


def is_remote(location: str) -> bool:
    """Whether an input names objects in a store (``scheme://…``)."""
    scheme, sep, _ = location.partition("://")
    return bool(sep) and bool(scheme) and all(c.isalnum() or c in "+-." for c in scheme)


def plan(run: EngineRun, files_per_unit: int) -> tuple[list[str], bool]:
    """The run's work units (JSON each), and whether their files are objects
    in a store (fetched by the tasks) rather than local paths."""
    roots = [str(r) for r in run.inputs]
    if not any(is_remote(r) for r in roots):
        return run.plan(files_per_unit), False
    return run.plan_listing([list_root(r) for r in roots], files_per_unit), True


def list_root(root: str) -> list[tuple[str, str]]:
    """Every object under ``root`` as (path relative to it, URI); local roots
    too, when a run mixes them with a store."""
    import pyarrow.fs as pafs

    filesystem, base = pafs.FileSystem.from_uri(root)
    info = filesystem.get_file_info(base)
    if info.type == pafs.FileType.File:
        return [(base.rsplit("/", 1)[-1], uri_of(root, base, base))]
    if info.type == pafs.FileType.NotFound:
        raise FileNotFoundError(f"input {root} does not exist (or holds no objects)")
    selector = pafs.FileSelector(base, recursive=True)
    found = []
    for entry in filesystem.get_file_info(selector):
        if entry.type != pafs.FileType.File:
            continue
        relative = entry.path[len(base) :].lstrip("/")
        found.append((relative, uri_of(root, base, entry.path)))
    return found


def uri_of(root: str, base: str, path: str) -> str:
    """The URI of ``path`` (a path in the file system of ``root``)."""
    parts = urlsplit(root)
    if parts.scheme and parts.scheme != "file":
        return f"{parts.scheme}://{path}"
    return path


_FILESYSTEMS: dict[str, Any] = {}


def fetch(uri: str) -> bytes:
    """The bytes of one object (a file system per bucket, kept per process)."""
    import pyarrow.fs as pafs

    parts = urlsplit(uri)
    key = f"{parts.scheme}://{parts.netloc}"
    filesystem = _FILESYSTEMS.get(key)
    if filesystem is None:
        filesystem, _ = pafs.FileSystem.from_uri(key)
        _FILESYSTEMS[key] = filesystem
    with filesystem.open_input_stream(f"{parts.netloc}{parts.path}") as stream:
        return stream.read()


def run_task(spec: str, unit: str, skip: Iterable[int] = (), remote: bool = False) -> str:
    """Runs one work unit; its report (JSON) for :meth:`EngineRun.add`."""
    skip = list(skip)
    if not remote:
        return run_unit(spec, unit, skip)
    locations = json.loads(unit)["locations"]

    def one(uri: str) -> tuple[Optional[bytes], Optional[str]]:
        try:
            return fetch(uri), None
        except Exception as exc:  # every failure becomes this file's io reject
            return None, f"cannot fetch {uri}: {exc}"

    with ThreadPoolExecutor(FETCHES_IN_FLIGHT) as pool:
        fetched = list(pool.map(one, locations))
    contents = [c for c, _ in fetched]
    errors = [e for _, e in fetched]
    return run_unit_bytes(spec, unit, contents, errors, skip)


def check_workers(engine: str, versions: Iterable[str]) -> None:
    """Fails unless every worker runs the driver's version of the package
    (``versions``: each worker's ``wirehouse.__version__``, or ``none (why)``).

    Workers of another version would transform by other rules, and workers
    without it would fail every task; either way nothing should be written.
    The jobs run this before the run begins, as one small job of the
    engine's own, which also starts the engine's workers and imports the
    package in them (once per job, whatever the archive's size).
    """
    from . import _wirehouse

    mine = str(_wirehouse.__version__)
    other = sorted(set(versions) - {mine})
    if other:
        raise RuntimeError(
            f"the {engine} workers run wirehouse {', '.join(other)}, the driver {mine}: "
            "install the same wirehouse wheel on every node (README: Past one machine)"
        )


def store_environment() -> dict[str, str]:
    """The driver's store settings, for tasks started elsewhere."""
    return {k: os.environ[k] for k in STORE_ENVIRONMENT if k in os.environ}


def drive(
    pipeline: str,
    engine: str,
    workers: int,
    files_per_unit: int,
    run_units: Callable[[str, list[tuple[str, list[int]]], bool], Iterable[str]],
) -> int:
    """A whole run on an engine; returns the exit status.

    ``run_units(spec, [(unit, skip), …], remote)`` is the engine's part: it runs
    :func:`run_task` on every unit, anywhere, and gives back their reports.
    """
    run = EngineRun(pipeline, engine=engine, workers=workers)
    strict = run.strict
    units, remote = plan(run, files_per_unit)
    spec = run.spec
    if units:
        for report in run_units(spec, [(u, []) for u in units], remote):
            run.add(report)
    redo = run.redo()
    if redo:
        for report in run_units(spec, [(units[i], skip) for i, skip in redo], remote):
            run.add(report)
    summary = json.loads(run.commit())
    print_summary(engine, summary, run_output=str(pipeline))
    return 3 if strict and summary.get("shortfalls") else 0


def main(engine: str, argv: Optional[list[str]], run_units, worker_versions=None) -> int:
    """A job's entry point: starts the engine (``run_units(args)`` returns
    its units runner), checks its workers (``worker_versions(args)``: each
    worker's ``wirehouse.__version__``, see :func:`check_workers`) and runs
    :func:`drive`; errors
    as ``wirehouse run`` reports them (one line, exit 2)."""
    args = arguments(engine, argv)
    try:
        runner = run_units(args)
        if worker_versions is not None:
            check_workers(engine, worker_versions(args))
        return drive(args.pipeline, engine, args.workers, args.files_per_unit, runner)
    except Exception as exc:  # the job's one line for people, as the CLI's
        print(f"wirehouse {engine} job: error: {exc}", file=sys.stderr)
        return 2


def print_summary(engine: str, summary: dict, run_output: str) -> None:
    """The end-of-run lines, as ``wirehouse run`` prints them (shorter)."""
    print(
        f"wirehouse {engine} job {run_output}: {summary['files_found']} files found in "
        f"{summary['elapsed_s']:.2f} s ({summary['files_per_s']:.0f} files/s)"
    )
    by_source = ", ".join(f"{k} {v}" for k, v in summary["records_by_source"].items())
    by_kind = ", ".join(f"{k} {v}" for k, v in summary["rejects_by_kind"].items())
    print(f"  records     {summary['records']:>8}" + (f"  ({by_source})" if by_source else ""))
    print(f"  duplicates  {summary['duplicates']:>8}")
    print(f"  rejects     {summary['rejects']:>8}" + (f"  ({by_kind})" if by_kind else ""))
    print(f"  output      generation {summary['generation']}")
    shortfalls = summary.get("shortfalls") or []
    if shortfalls:
        print(
            f"wirehouse: {len(shortfalls)} of {summary['expectations_checked']} expectations not met "
            "(the dataset is committed); `wirehouse coverage` lists the records that missed:",
            file=sys.stderr,
        )
        for f in shortfalls:
            print(
                f"  {f['source']} {f['field']}: {f['found']} of {f['records']} records, "
                f"profile {f['profile']} expects {f['expected']} — {f['why']}",
                file=sys.stderr,
            )
