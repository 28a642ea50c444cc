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
    # A headless backend in the environment, as on CI and in `just notebooks` before:
    # the notebooks must still carry their figures.
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return json.loads(pathlib.Path(headline_out).read_text()), notebook


def by_source(table, column):
    return dict(table.select("source", column).iter_rows())


def close(a, b):
    return set(a) == set(b) and all(math.isclose(a[k], b[k], rel_tol=1e-9, abs_tol=1e-9) for k in a)


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 2


@pytest.fixture(scope="session")
def sample_delta(tmp_path_factory):
    """The sample published as Delta tables, twice (an older version's files
    stay in the tables' folders), and `wirehouse stats` of it."""
    out = tmp_path_factory.mktemp("delta") / "sample"
    for _ in range(2):
        done = subprocess.run([_binary(), "run", str(ROOT / "pipelines" / "sample.toml"),
                               "--output", str(out), "--format", "delta", "--full",
                               "--progress", "quiet"], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    stats = tmp_path_factory.mktemp("delta-stats")
    done = subprocess.run([_binary(), "stats", "--dataset", str(out), "--out", str(stats),
                           "--no-charts"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return out, stats


@pytest.mark.parametrize("layout", ["folder", "delta"])
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_and_agrees_with_stats(path, layout, request, tmp_path, monkeypatch):
    if layout == "folder":
        dataset, stats = request.getfixturevalue("sample_dataset"), request.getfixturevalue("sample_stats")
    else:
        dataset, stats = request.getfixturevalue("sample_delta")
    headline, _ = run_notebook(path, dataset, tmp_path / "headline.json", monkeypatch)
    tables = stats / "tables"
    body = pl.read_parquet(tables / "body_length.parquet")
    lag = pl.read_parquet(tables / "feed_lag.parquet")
    rejects = pl.read_parquet(tables / "rejects_by_kind.parquet")
    run = json.loads((dataset / "run-summary.json").read_text())

    assert headline["articles"] == body["articles"].sum()
    assert headline["versions"] == run["records"]
    assert headline["articles_by_source"] == by_source(body, "articles")
    assert close(headline["median_lag_s_by_source"], by_source(lag, "p50_s"))
    assert close(headline["p90_lag_s_by_source"], by_source(lag, "p90_s"))
    assert close(headline["chars_mean_by_source"], by_source(body, "chars_mean"))
    assert headline["rejects"] == rejects["rejects"].sum() == run["rejects"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_plotting_cell_carries_its_figure_and_no_cell_warns(path, sample_dataset, tmp_path, monkeypatch):
    _, notebook = run_notebook(path, sample_dataset, tmp_path / "headline.json", monkeypatch)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    plotting = [c for c in code if "plt.show()" in c.source]
    assert plotting, "no plotting cell"
    for cell in plotting:
        images = [o for o in cell.outputs if "image/png" in o.get("data", {})]
        assert images, f"no figure in the output of:\n{cell.source}"
    for cell in code:
        warnings = [o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stderr"]
        assert not warnings, f"{cell.source}\nwrote to stderr: {warnings}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_the_notebook_shows_coverage_per_source_and_year(path, sample_dataset, tmp_path, monkeypatch):
    _, notebook = run_notebook(path, sample_dataset, tmp_path / "headline.json", monkeypatch)
    cell = next(c for c in notebook.cells if c.cell_type == "code" and "negative_lag" in c.source)
    shown = "".join(o.get("data", {}).get("text/plain", "") for o in cell.outputs)
    # One row per source and year of the dataset.
    pairs = (pl.scan_parquet(str(sample_dataset / "articles" / "**" / "*.parquet"), hive_partitioning=True)
             .select("source", "year").unique().collect())
    assert pairs.height > 0
    for source in pairs["source"].unique():
        assert source in shown, f"{source} missing from the coverage table:\n{shown}"
    # The HTML rendering names every column whole (the text one wraps long names).
    html = "".join(o.get("data", {}).get("text/html", "") for o in cell.outputs)
    for column in ("published", "byline", "empty_body", "unplaced", "negative_lag"):
        assert column in html, f"{column} missing from the coverage table:\n{html}"
