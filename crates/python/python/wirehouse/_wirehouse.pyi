"""Typed stubs of the Rust core (``wirehouse._wirehouse``)."""

import os
from typing import Any, Optional, Sequence, Union

import pyarrow as pa

_Path = Union[str, "os.PathLike[str]"]

__version__: str

class Records:
    """Records and rejects of some files, as ``wirehouse run`` would write them."""

    articles: pa.Table
    """The ``articles`` rows: the dataset's columns, then ``source`` and ``year``."""
    rejects: pa.Table
    """The ``rejects`` rows."""
    duplicates: int
    """Files whose bytes an earlier record had (the first in input order is the record)."""
    files: int
    """Files taken: ``articles.num_rows + duplicates + rejects.num_rows``."""

def read(
    paths: Union[_Path, Sequence[_Path]],
    *,
    profiles: Optional[_Path] = None,
    max_file_bytes: Optional[int] = None,
    threads: int = 0,
) -> Records:
    """The records and rejects of the article files under ``paths`` (files or
    folders, in ``wirehouse run``'s input order), on ``threads`` threads (0: one
    per core), with the GIL released."""

def transform(
    batch: Any,
    *,
    profiles: Optional[_Path] = None,
    max_file_bytes: Optional[int] = None,
    threads: int = 0,
) -> Records:
    """The same from bytes: any Arrow table or record batch (pyarrow, polars, …)
    with ``path`` (string) and ``content`` (binary) columns."""

def inspect(
    path: _Path, *, profiles: Optional[_Path] = None, max_file_bytes: Optional[int] = None
) -> dict[str, Any]:
    """One file: its record's columns with ``outcome="record"``, or its reject's
    with ``outcome="reject"``."""

def profiles(profiles: Optional[_Path] = None) -> list[dict[str, Any]]:
    """The site profiles (built in, or those of a folder): name, source, hosts,
    origin, published-time locators."""

def schemas() -> tuple[pa.Schema, pa.Schema]:
    """The Arrow schemas of ``articles`` (with ``source``, ``year``) and ``rejects``."""

class EngineRun:
    """The driver's side of a run on an engine (Ray, Spark): holds the output
    folder's lock and a new generation until :meth:`commit`."""

    def __init__(self, pipeline: _Path, *, engine: str = "python", workers: int = 1) -> None: ...
    @property
    def output(self) -> str: ...
    @property
    def inputs(self) -> list[str]: ...
    @property
    def spec(self) -> str:
        """What every task needs (JSON), passed to :func:`run_unit`."""
    def plan(self, files_per_unit: int) -> list[str]:
        """The local inputs in units of ``files_per_unit`` files, in input order (JSON each)."""
    def plan_listing(
        self, roots: list[list[tuple[str, str]]], files_per_unit: int
    ) -> list[str]:
        """Objects the caller listed, per input root, as (source_path, location) pairs."""
    def add(self, report: str) -> None:
        """Takes a unit's report; a later report of the same unit replaces it."""
    def redo(self) -> list[tuple[int, list[int]]]:
        """Units that wrote records an earlier unit has, with the positions to skip."""
    def commit(self) -> str:
        """Commits the generation (the one step readers see); the run summary as JSON."""

def run_unit(spec: str, unit: str, skip: Sequence[int] = ...) -> str:
    """Runs a unit of local files; its report (JSON) for :meth:`EngineRun.add`."""

def run_unit_bytes(
    spec: str,
    unit: str,
    contents: Sequence[Optional[bytes]],
    errors: Sequence[Optional[str]],
    skip: Sequence[int] = ...,
) -> str:
    """Runs a unit whose bytes the caller fetched (``None`` and an error where a fetch failed)."""
