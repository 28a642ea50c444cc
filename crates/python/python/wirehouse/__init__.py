"""wirehouse: news feed items saved one per file → normalized records.

The same Rust crates as the ``wirehouse`` command-line program: records come
back as pyarrow Tables with exactly the dataset's schemas (which polars and
DuckDB take without copying, through the Arrow C stream interface).

- :func:`read` — the records and rejects of files or folders, no dataset on disk;
- :func:`transform` — the same from bytes (an Arrow table of ``path``, ``content``);
- :func:`inspect` — one file as a dict; :func:`profiles` — the site profiles;
- :class:`EngineRun`, :func:`run_unit`, :func:`run_unit_bytes` — what the Ray and
  Spark jobs in ``pipelines/`` are made of: a driver that plans work units and
  commits, and tasks that run units.
"""

from ._wirehouse import (
    EngineRun,
    Records,
    __version__,
    inspect,
    profiles,
    read,
    run_unit,
    run_unit_bytes,
    schemas,
    transform,
)

__all__ = [
    "EngineRun",
    "Records",
    "__version__",
    "inspect",
    "profiles",
    "read",
    "run_unit",
    "run_unit_bytes",
    "schemas",
    "transform",
]
