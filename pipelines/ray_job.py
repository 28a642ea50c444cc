"""The wirehouse pipeline on Ray Data: the dataset `wirehouse run` writes.

    python pipelines/ray_job.py PIPELINE.toml [--workers N] [--files-per-unit N] [--address auto]

The driver plans work units (lists of files in input order, a few thousand
each; local folders walked by the package, `s3://` prefixes listed through
pyarrow), Ray Data hands each unit to a task (`map_batches`, one unit per
batch, one CPU each), the task runs it through the package (`wirehouse`,
the same Rust core as the CLI) and reports, and the driver commits. No
pipeline logic here: see `wirehouse.engine` and the pipeline crate.
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


def _task(batch, spec: str, remote: bool):
    """One unit per batch: its report."""
    reports = [
        engine.run_task(spec, unit, json.loads(skip), remote)
        for unit, skip in zip(batch["unit"], batch["skip"])
    ]
    return {"report": reports}


def _versions(batch):
    return {"version": [_worker_version() for _ in batch["slot"]]}


def ray_versions(args):
    """Each worker slot's package version, through Ray Data as the units go."""
    import ray

    slots = max(1, int(ray.cluster_resources().get("CPU", 1)))
    rows = [{"slot": i} for i in range(slots)]
    done = ray.data.from_items(rows, override_num_blocks=slots).map_batches(
        _versions, batch_size=1, num_cpus=1, batch_format="numpy"
    )
    return [row["version"] for row in done.iter_rows()]


def ray_units(args):
    import ray

    if not ray.is_initialized():
        if args.address:
            ray.init(address=args.address, runtime_env={"env_vars": engine.store_environment()})
        else:
            ray.init(
                num_cpus=args.workers or os.cpu_count(),
                include_dashboard=False,
                log_to_driver=False,
                runtime_env={"env_vars": engine.store_environment()},
            )
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    # Ray Data reserves part of the cluster for each operator until its
    # first tasks report their output sizes; with one map operator that
    # held every second core idle for the first seconds of a job (one task
    # at a time, measured on 2 cores). The units are few and uniform, and
    # their outputs (reports) tiny: no reservation is needed.
    context.op_resource_reservation_enabled = False

    def run_units(spec: str, items, remote: bool):
        rows = [{"unit": unit, "skip": json.dumps(skip)} for unit, skip in items]
        dataset = ray.data.from_items(rows, override_num_blocks=len(rows))
        done = dataset.map_batches(
            _task,
            batch_size=1,
            fn_kwargs={"spec": spec, "remote": remote},
            num_cpus=1,
            batch_format="numpy",
        )
        return [row["report"] for row in done.iter_rows()]

    return run_units


if __name__ == "__main__":
    sys.exit(engine.main("ray", None, ray_units, ray_versions))
