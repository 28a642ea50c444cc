"""DuckDB, pyarrow and polars read what `wirehouse run` writes, unchanged,
as one dataset with the record spec's column names and types."""
import json

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds

# Record spec, section 4, as DuckDB types; `source` and `year` come from the
# Hive partition folders.
SPEC_DUCKDB = {
    "article_id": "VARCHAR", "source": "VARCHAR", "profile": "VARCHAR",
    "source_path": "VARCHAR", "content_sha256": "VARCHAR", "title": "VARCHAR",
    "title_raw": "VARCHAR", "column_name": "VARCHAR", "url": "VARCHAR", "url_raw": "VARCHAR",
    "feed_time_utc": "TIMESTAMP WITH TIME ZONE", "published_utc": "TIMESTAMP WITH TIME ZONE",
    "published_raw": "VARCHAR", "published_tz": "VARCHAR", "published_precision": "VARCHAR",
    "published_note": "VARCHAR", "feed_lag_s": "BIGINT", "byline": "VARCHAR", "lead": "VARCHAR",
    "body_text": "VARCHAR", "paragraph_count": "INTEGER", "char_count": "INTEGER",
    "image_urls": "VARCHAR[]", "copyright": "VARCHAR", "has_feed_footer": "BOOLEAN",
    # Beyond the spec (README, Coverage): the layout fingerprint and rules_placed.
    "layout": "VARCHAR", "rules_placed": "INTEGER",
    "year": "BIGINT",
}


def articles_glob(out):
    return f"{out}/articles/**/*.parquet"


def test_duckdb_reads_the_articles_as_one_dataset_with_spec_types(corpus_dataset, manifest_paths):
    con = duckdb.connect()
    rel = con.sql(f"select * from read_parquet('{articles_glob(corpus_dataset)}', hive_partitioning=true)")
    assert dict(zip(rel.columns, map(str, rel.types))) == SPEC_DUCKDB
    n = con.sql(f"select count(*) from read_parquet('{articles_glob(corpus_dataset)}')").fetchall()[0][0]
    assert n == len(manifest_paths)


def test_duckdb_sees_the_worked_example(corpus_dataset):
    con = duckdb.connect()
    con.sql("set timezone = 'UTC'")
    row = con.sql(f"""
        select source, strftime(feed_time_utc, '%Y-%m-%dT%H:%M:%SZ'),
               strftime(published_utc, '%Y-%m-%dT%H:%M:%SZ'), feed_lag_s, column_name
        from read_parquet('{articles_glob(corpus_dataset)}', hive_partitioning=true)
        where source_path = 'seed/000_048dc874b1a19fb5.txt'""").fetchall()
    assert row == [("rfi", "2021-03-18T13:55:11Z", "2021-03-18T13:26:00Z", 1751, "要闻解说")]


def test_duckdb_lag_equals_the_difference_of_the_two_times_in_whole_seconds(corpus_dataset):
    # Truncated toward zero: 280.686 s of lag is 280, not DuckDB's 281 second boundaries.
    con = duckdb.connect()
    bad = con.sql(f"""
        select count(*) from read_parquet('{articles_glob(corpus_dataset)}')
        where published_utc is not null
          and feed_lag_s <> trunc((epoch_ms(feed_time_utc) - epoch_ms(published_utc)) / 1000)""").fetchall()[0][0]
    assert bad == 0


def test_pyarrow_reads_one_hive_dataset_with_utc_millisecond_timestamps(corpus_dataset, manifest_paths,
                                                                        files_per_source):
    dataset = ds.dataset(corpus_dataset / "articles", format="parquet", partitioning="hive")
    schema = dataset.schema
    assert schema.field("feed_time_utc").type == pa.timestamp("ms", tz="UTC")
    assert schema.field("published_utc").type == pa.timestamp("ms", tz="UTC")
    assert schema.field("feed_lag_s").type == pa.int64()
    assert schema.field("paragraph_count").type == pa.int32()
    assert pa.types.is_list(schema.field("image_urls").type)
    assert schema.field("source").type == pa.string()
    table = dataset.to_table(columns=["source", "feed_time_utc"])
    assert table.num_rows == len(manifest_paths)
    counts = dict(zip(*table.group_by("source").aggregate([("source", "count")]).to_pydict().values()))
    assert counts == files_per_source


def test_polars_scans_lazily_with_hive_partitions(corpus_dataset, files_per_source):
    lf = pl.scan_parquet(articles_glob(corpus_dataset), hive_partitioning=True)
    per_source = lf.group_by("source").agg(pl.len()).collect()
    assert dict(per_source.iter_rows()) == files_per_source
    schema = lf.collect_schema()
    assert schema["feed_time_utc"] == pl.Datetime("ms", "UTC")
    assert schema["image_urls"] == pl.List(pl.String)


def test_rejects_are_readable_and_every_sample_file_is_accounted_for(sample_dataset):
    rejects = duckdb.connect().sql(
        f"select error_kind, count(*) from read_parquet('{sample_dataset}/rejects/*.parquet') group by 1"
    ).fetchall()
    summary = json.loads((sample_dataset / "run-summary.json").read_text())
    assert dict(rejects) == summary["rejects_by_kind"]
    assert summary["files_found"] == (summary["records"] + summary["duplicates"]
                                      + summary["rejects"] + summary["unchanged"])
    articles = pl.scan_parquet(articles_glob(sample_dataset), hive_partitioning=True)
    assert articles.select(pl.len()).collect().item() == summary["records"]


def test_the_readme_snippets_work(corpus_dataset, manifest_paths, monkeypatch):
    # The three lines the README shows, run from the output's parent folder.
    monkeypatch.chdir(corpus_dataset.parent)
    n = duckdb.sql("select count(*) from read_parquet('warehouse/articles/**/*.parquet', hive_partitioning=true)").fetchall()[0][0]
    df = pl.scan_parquet("warehouse/articles/**/*.parquet", hive_partitioning=True).group_by("source").len().collect()
    assert n == len(manifest_paths) and df["len"].sum() == len(manifest_paths)
