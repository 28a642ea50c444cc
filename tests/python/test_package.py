"""The Python package (`crates/python`, built by `maturin develop` in the
justfile's `test` recipe): the same records as `wirehouse run`, in Arrow.

Expected rows are never written here: they are the dataset the CLI writes
for the same files, read back with pyarrow.
"""

import pathlib

import polars as pl
import pyarrow as pa
import pytest

import wirehouse
from conftest import ROOT, dataset_tables, multiset, same_rows

SAMPLE = ROOT / "data" / "sample"


def test_schemas_are_the_datasets_as_pyarrow_reads_them(sample_dataset):
    articles, rejects = dataset_tables(sample_dataset)
    article_schema, reject_schema = wirehouse.schemas()
    assert article_schema.names == articles.schema.names
    for field in article_schema:
        assert articles.schema.field(field.name).type == field.type, field.name
    assert reject_schema.names == rejects.schema.names
    for field in reject_schema:
        assert rejects.schema.field(field.name).type == field.type, field.name


def test_read_of_the_corpus_equals_the_dataset(corpus, corpus_dataset, manifest_paths):
    records = wirehouse.read(corpus)
    articles, rejects = dataset_tables(corpus_dataset)
    assert records.files == len(manifest_paths)
    assert records.articles.schema.names == articles.schema.names
    assert same_rows(records.articles, articles)
    assert same_rows(records.rejects, rejects)
    assert records.files == records.articles.num_rows + records.duplicates + records.rejects.num_rows


def test_read_with_bad_files_gives_the_runs_rejects_and_duplicates(sample_dataset):
    records = wirehouse.read([SAMPLE])
    articles, rejects = dataset_tables(sample_dataset)
    summary = __import__("json").loads((sample_dataset / "run-summary.json").read_text())
    assert records.rejects.num_rows == summary["rejects"] > 0
    assert records.duplicates == summary["duplicates"]
    assert same_rows(records.rejects, rejects)
    assert same_rows(records.articles, articles)
    kinds = sorted(records.rejects.column("error_kind").to_pylist())
    assert kinds == sorted(k for k, n in summary["rejects_by_kind"].items() for _ in range(n))


def _bytes_batch(root):
    """Every article file under `root` as (path relative to it, bytes), in
    the walk's order (sorted by path components)."""
    files = sorted(
        (p for p in root.rglob("*") if p.is_file() and p.suffix in (".md", ".txt", "") and p.stem.lower() not in ("readme", "manifest")),
        key=lambda p: p.relative_to(root).parts,
    )
    return pa.table(
        {
            "path": [p.relative_to(root).as_posix() for p in files],
            "content": [p.read_bytes() for p in files],
        }
    )


def test_a_bytes_only_batch_gives_the_records_of_the_files(corpus):
    batch = _bytes_batch(corpus)
    # A file given twice: the second is a duplicate, not a second record.
    batch = pa.concat_tables([batch, batch.slice(0, 1)])
    from_bytes = wirehouse.transform(batch)
    from_files = wirehouse.read(corpus)
    assert from_bytes.duplicates == from_files.duplicates + 1
    assert same_rows(from_bytes.articles, from_files.articles)
    # polars hands its frame over through the Arrow C stream interface.
    from_polars = wirehouse.transform(pl.from_arrow(batch))
    assert multiset(from_polars.articles) == multiset(from_bytes.articles)


def test_bytes_too_large_empty_or_binary_are_rejects_not_errors():
    batch = pa.table(
        {
            "path": ["big.md", "empty.md", "nul.md"],
            "content": [b"x" * 100, b"", b"<!--1-->\x00"],
        }
    )
    records = wirehouse.transform(batch, max_file_bytes=50)
    assert records.articles.num_rows == 0
    assert records.rejects.column("error_kind").to_pylist() == ["too_large", "empty", "binary"]
    assert records.rejects.column("source_path").to_pylist() == ["big.md", "empty.md", "nul.md"]


def test_a_batch_without_content_is_refused_with_the_columns_it_needs():
    with pytest.raises(ValueError, match="no `content` column"):
        wirehouse.transform(pa.table({"path": ["a.md"]}))
    with pytest.raises(ValueError, match="`content` must be a binary column"):
        wirehouse.transform(pa.table({"path": ["a.md"], "content": [1]}))


def test_a_missing_input_is_named():
    with pytest.raises(RuntimeError, match="input /no/such/archive does not exist"):
        wirehouse.read("/no/such/archive")


def test_records_go_to_polars_and_duckdb(corpus, files_per_source):
    import duckdb

    records = wirehouse.read(corpus)
    frame = pl.from_arrow(records.articles)
    counts = dict(frame.group_by("source").len().iter_rows())
    assert counts == files_per_source
    articles = records.articles  # noqa: F841 (DuckDB finds it by name)
    assert duckdb.sql("select count(*) from articles").fetchall() == [(records.articles.num_rows,)]


def test_inspect_gives_a_record_or_a_reject_as_a_dict():
    record = wirehouse.inspect(SAMPLE / "rfi" / "1100105.md")
    assert record["outcome"] == "record"
    assert record["source"] == "rfi" and record["source_path"] == "1100105.md"
    reject = wirehouse.inspect(SAMPLE / "bad" / "empty.md")
    assert reject["outcome"] == "reject" and reject["error_kind"] == "empty"
    with pytest.raises(ValueError, match="is not a file"):
        wirehouse.inspect(SAMPLE)


def test_profiles_lists_the_built_in_and_a_folders_profiles():
    built_in = {p["name"]: p for p in wirehouse.profiles()}
    assert {"rfi", "bbc", "nytimes", "dw", "voa", "reuters", "ft", "rfa", "cdt"} <= set(built_in)
    assert "rfi.fr" in built_in["rfi"]["hosts"]
    folder = {p["name"] for p in wirehouse.profiles(ROOT / "pipelines" / "profiles")}
    assert folder == set(built_in)


def test_stubs_name_every_export():
    stubs = (pathlib.Path(wirehouse.__file__).parent / "_wirehouse.pyi").read_text()
    for name in wirehouse.__all__:
        if name != "__version__":
            assert f"def {name}(" in stubs or f"class {name}" in stubs, name


def test_workers_of_another_version_or_without_the_package_stop_a_job():
    import wirehouse.engine as engine

    engine.check_workers("ray", [wirehouse.__version__] * 3)
    with pytest.raises(RuntimeError) as other:
        engine.check_workers("spark", [wirehouse.__version__, "0.0.9"])
    assert "spark workers run wirehouse 0.0.9" in str(other.value)
    assert f"the driver {wirehouse.__version__}" in str(other.value)
    assert "install the same wirehouse wheel on every node" in str(other.value)
    with pytest.raises(RuntimeError) as missing:
        engine.check_workers("ray", ["none (No module named 'wirehouse')"])
    assert "none (No module named 'wirehouse')" in str(missing.value)
