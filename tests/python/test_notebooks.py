"""Every notebook runs top to bottom on the sample dataset, and its headline
numbers equal those of `wirehouse stats` on the same dataset."""
import json
import math
import pathlib
import subprocess

import nbformat
import polars as pl
import pytest
from nbclient import NotebookClient

from conftest import ROOT, _binary

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="session")
def sample_stats(sample_dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("stats")
    done = subprocess.run([_binary(), "stats", "--dataset", str(sample_dataset), "--out", str(out)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return out


def run_notebook(path, dataset, headline_out, monkeypatch):
    monkeypatch.setenv("WIREHOUSE_DATASET", str(dataset))
    monkeypatch.setenv("WIREHOUSE_HEADLINE_OUT", str(headline_out))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return json.loads(pathlib.Path(headline_out).read_text())


def by_source(table, column):
    return dict(table.select("source", column).iter_rows())


def close(a, b):
    return set(a) == set(b) and all(math.isclose(a[k], b[k], rel_tol=1e-9, abs_tol=1e-9) for k in a)


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 2


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_and_agrees_with_stats(path, sample_dataset, sample_stats, tmp_path, monkeypatch):
    headline = run_notebook(path, sample_dataset, tmp_path / "headline.json", monkeypatch)
    tables = sample_stats / "tables"
    body = pl.read_parquet(tables / "body_length.parquet")
    lag = pl.read_parquet(tables / "feed_lag.parquet")
    rejects = pl.read_parquet(tables / "rejects_by_kind.parquet")
    run = json.loads((sample_dataset / "run-summary.json").read_text())

    assert headline["articles"] == body["articles"].sum()
    assert headline["versions"] == run["records"]
    assert headline["articles_by_source"] == by_source(body, "articles")
    assert close(headline["median_lag_s_by_source"], by_source(lag, "p50_s"))
    assert close(headline["p90_lag_s_by_source"], by_source(lag, "p90_s"))
    assert close(headline["chars_mean_by_source"], by_source(body, "chars_mean"))
    assert headline["rejects"] == rejects["rejects"].sum() == run["rejects"]
