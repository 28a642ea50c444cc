"""`wirehouse stats` tables against the same tables computed independently
with DuckDB SQL straight from the dataset.

For every table of TABLE_NAMES, the Parquet file (and its CSV twin) written
by `wirehouse stats --dataset DIR --out OUT [--source S] [--since D]
[--until D] [--zone S=Z]` must hold exactly the rows of the SQL below, in the
same order (floats within 1e-9), with the contract's types. The SQL states
the contract on its own terms: latest version per article_id by a window
function, `quantile_cont` for percentiles, `AT TIME ZONE` for local clocks,
`isodow`/`isoyear`/`week` for the calendar.
"""
import collections
import datetime as dt
import math
import pathlib
import subprocess

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import _binary  # noqa: E402  (tests/python is on sys.path)

ROOT = pathlib.Path(__file__).resolve().parents[2]

TABLE_NAMES = ["coverage", "daily_volume", "weekly_volume", "hour_weekday_utc", "hour_weekday_local",
               "feed_lag", "body_length", "top_columns", "precision_note", "rejects_by_kind"]

# crates/stats/src/zones.rs, restated.
HOME_ZONES = {"bbc": "Europe/London", "cdt": "America/Los_Angeles", "dw": "Europe/Berlin",
              "ft": "Asia/Shanghai", "nytimes": "Asia/Shanghai", "reuters": "Asia/Shanghai",
              "rfa": "America/New_York", "rfi": "Europe/Paris", "voa": "America/New_York"}

# The contract's column names and Arrow types, per table.
COVERAGE_COLUMNS = ["published", "published_second", "published_minute", "published_day",
                    "published_approximate", "note_ambiguous", "note_nonexistent", "note_invalid",
                    "note_unrecognized", "note_missing", "note_relative", "byline", "lead",
                    "copyright", "images", "empty_body", "unplaced", "negative_lag"]

SCHEMAS = {
    "coverage": [("source", pa.string()), ("year", pa.int32()), ("articles", pa.int64())]
                + [(c, pa.int64()) for c in COVERAGE_COLUMNS],
    "daily_volume": [("source", pa.string()), ("day", pa.date32()), ("articles", pa.int64())],
    "weekly_volume": [("source", pa.string()), ("iso_year", pa.int32()), ("iso_week", pa.int32()),
                      ("week_start", pa.date32()), ("articles", pa.int64())],
    "hour_weekday_utc": [("source", pa.string()), ("weekday", pa.int32()), ("hour", pa.int32()),
                         ("articles", pa.int64())],
    "hour_weekday_local": [("source", pa.string()), ("zone", pa.string()), ("weekday", pa.int32()),
                           ("hour", pa.int32()), ("articles", pa.int64())],
    "feed_lag": [("source", pa.string()), ("count", pa.int64()), ("p50_s", pa.float64()),
                 ("p90_s", pa.float64()), ("p99_s", pa.float64()), ("max_s", pa.int64()),
                 ("share_over_24h", pa.float64())],
    "body_length": [("source", pa.string()), ("articles", pa.int64())] + [
        (f"{p}_{s}", t) for p in ("chars", "paragraphs", "images")
        for s, t in (("mean", pa.float64()), ("p50", pa.float64()), ("max", pa.int64()))],
    "top_columns": [("source", pa.string()), ("rank", pa.int64()), ("column_name", pa.string()),
                    ("articles", pa.int64())],
    "precision_note": [("source", pa.string()), ("published_precision", pa.string()),
                       ("published_note", pa.string()), ("articles", pa.int64()),
                       ("share", pa.float64())],
    "rejects_by_kind": [("error_kind", pa.string()), ("rejects", pa.int64())],
}


# ---------------------------------------------------------------------------
# Running the binary

def run_stats(dataset, out, sources=(), since=None, until=None, zones=None):
    args = [_binary(), "stats", "--dataset", str(dataset), "--out", str(out), "--no-charts"]
    for s in sources:
        args += ["--source", s]
    if since:
        args += ["--since", since]
    if until:
        args += ["--until", until]
    for s, z in (zones or {}).items():
        args += ["--zone", f"{s}={z}"]
    done = subprocess.run(args, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return out / "tables"


def _with_header(text, ms):
    """The file with its `<!--ms-->` feed-time header replaced."""
    first, rest = text.split("\n", 1)
    assert first.startswith("<!--") and first.endswith("-->"), first
    return f"<!--{ms}-->\n{rest}"


def _ms(iso):
    return int(dt.datetime.fromisoformat(iso).timestamp() * 1000)


# How many records versions_dataset adds to the corpus.
EXTRA_VERSIONS = 6


@pytest.fixture(scope="session")
def versions_dataset(corpus, tmp_path_factory):
    """The corpus plus later or rival versions of five of its articles (same URL,
    other bytes), so that deduplication decides what is counted:

    - rfi seed: a day later, with the site's time moved to 19/03/2021 10:00 Paris;
    - ft 1047134: two rivals with the same feed time and other titles (columns),
      so the larger content_sha256 wins the tie;
    - cdt 390916: versions fed 2020-12-31 23:30Z and 2021-01-01 00:30Z
      (two year partitions);
    - voa 1045760: re-fed two days after publication (lag > 24 h).
    """
    base = tmp_path_factory.mktemp("versions")
    extra = base / "extra"
    extra.mkdir()
    read = lambda rel: (corpus / rel).read_text(encoding="utf-8")  # noqa: E731
    rfi = read("seed/000_048dc874b1a19fb5.txt")
    assert "<div>18/03/2021 - 14:26</div>" in rfi
    (extra / "rfi_v2.txt").write_text(
        _with_header(rfi, 1616162111000).replace("<div>18/03/2021 - 14:26</div>",
                                                 "<div>19/03/2021 - 10:00</div>"), encoding="utf-8")
    ft = read("duty-machine-news/articles/金融时报/1047134.md")
    for name, column in (("ft_a.md", "每周数读："), ("ft_b.md", "一周世界舆论聚焦：")):
        (extra / name).write_text(ft.replace("\n[", f"\n[{column}", 1), encoding="utf-8")
    cdt = read("duty-machine-news/articles/中国数字时代/390916.md")
    (extra / "cdt_a.md").write_text(_with_header(cdt, _ms("2020-12-31T23:30:00+00:00")), encoding="utf-8")
    (extra / "cdt_b.md").write_text(_with_header(cdt, _ms("2021-01-01T00:30:00+00:00")), encoding="utf-8")
    voa = read("duty-machine-news/articles/美国之音/1045760.md")
    (extra / "voa_late.md").write_text(
        _with_header(voa, _ms("2020-10-11T23:18:39+00:00") + 172_900_000), encoding="utf-8")
    out = base / "warehouse"
    assert len(list(extra.iterdir())) == EXTRA_VERSIONS
    done = subprocess.run([_binary(), "run", "--input", str(corpus), "--input", str(extra),
                           "--output", str(out), "--progress", "quiet"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return out


# ---------------------------------------------------------------------------
# The reference: DuckDB SQL on the dataset

def reference(dataset, sources=(), since=None, until=None, zones=None):
    """Every table, computed by DuckDB, as {name: list of row tuples}."""
    con = duckdb.connect()
    con.sql("set timezone = 'UTC'")
    where = ["true"]
    if sources:
        where.append("source in (" + ", ".join(f"'{s}'" for s in sources) + ")")
    day_filter = ["true"]
    if since:
        day_filter.append(f"day >= date '{since}'")
    if until:
        day_filter.append(f"day <= date '{until}'")
    con.sql(f"""
        create view records as
        select *,
               coalesce(published_utc, feed_time_utc) as time,
               cast(timezone('UTC', coalesce(published_utc, feed_time_utc)) as date) as day
        from read_parquet('{dataset}/articles/**/*.parquet', hive_partitioning = true)
        where {' and '.join(where)}""")
    con.sql(f"""
        create view latest as
        select * exclude (rn) from (
            select *, row_number() over (partition by article_id
                                         order by feed_time_utc desc, content_sha256 desc) as rn
            from records)
        where rn = 1 and {' and '.join(day_filter)}""")
    zone_of = {**HOME_ZONES, **(zones or {})}
    con.sql("create table zones (source varchar, zone varchar)")
    for s, z in zone_of.items():
        con.execute("insert into zones values (?, ?)", [s, z])
    clocked = "published_utc is not null and published_precision in ('second', 'minute', 'approximate')"
    precision = lambda p: f"count(*) filter (where published_utc is not null and published_precision = '{p}')"
    note = lambda n: f"count(*) filter (where published_note = '{n}')"
    q = {
        "coverage": f"""
            select source, year(day)::int as year, count(*) as articles,
                   count(published_utc) as published,
                   {precision('second')}, {precision('minute')}, {precision('day')},
                   {precision('approximate')},
                   {note('ambiguous')}, {note('nonexistent')}, {note('invalid')},
                   {note('unrecognized')}, {note('missing')}, {note('relative')},
                   count(byline) as byline, count(lead) as lead, count(copyright) as copyright,
                   count(*) filter (where len(image_urls) > 0) as images,
                   count(*) filter (where paragraph_count = 0) as empty_body,
                   count(*) filter (where rules_placed = 0 and paragraph_count > 0) as unplaced,
                   count(*) filter (where feed_lag_s < 0) as negative_lag
            from latest group by 1, 2 order by 1, 2""",
        "daily_volume": """
            select source, day, count(*) as articles from latest
            group by source, day order by source, day""",
        "weekly_volume": """
            select source, isoyear(day)::int as iso_year, week(day)::int as iso_week,
                   day - (isodow(day) - 1)::int as week_start, count(*) as articles
            from latest group by source, iso_year, iso_week, week_start
            order by source, iso_year, iso_week""",
        "hour_weekday_utc": f"""
            select source, isodow(timezone('UTC', published_utc))::int as weekday,
                   hour(timezone('UTC', published_utc))::int as hour, count(*) as articles
            from latest where {clocked}
            group by source, weekday, hour order by source, weekday, hour""",
        "hour_weekday_local": f"""
            with z as (
                select l.source, coalesce(z.zone, 'UTC') as zone, l.published_utc
                from latest l left join zones z using (source) where {clocked})
            select source, zone,
                   isodow(published_utc at time zone zone)::int as weekday,
                   hour(published_utc at time zone zone)::int as hour, count(*) as articles
            from z group by source, zone, weekday, hour order by source, weekday, hour""",
        "feed_lag": """
            select source, count(*) as count,
                   quantile_cont(feed_lag_s, 0.5) as p50_s, quantile_cont(feed_lag_s, 0.9) as p90_s,
                   quantile_cont(feed_lag_s, 0.99) as p99_s, max(feed_lag_s) as max_s,
                   avg(case when feed_lag_s > 86400 then 1.0 else 0.0 end) as share_over_24h
            from latest
            where feed_lag_s is not null and published_precision is distinct from 'day'
            group by source order by source""",
        "body_length": """
            select source, count(*) as articles,
                   avg(char_count) as chars_mean, quantile_cont(char_count, 0.5) as chars_p50,
                   max(char_count)::bigint as chars_max,
                   avg(paragraph_count) as paragraphs_mean,
                   quantile_cont(paragraph_count, 0.5) as paragraphs_p50,
                   max(paragraph_count)::bigint as paragraphs_max,
                   avg(len(image_urls)) as images_mean, quantile_cont(len(image_urls), 0.5) as images_p50,
                   max(len(image_urls))::bigint as images_max
            from latest group by source order by source""",
        "top_columns": """
            select source, rank, column_name, articles from (
                select source, column_name, count(*) as articles,
                       row_number() over (partition by source
                                          order by count(*) desc, column_name) as rank
                from latest where column_name is not null group by source, column_name)
            where rank <= 10 order by source, rank""",
        "precision_note": """
            select source, published_precision, published_note, count(*) as articles,
                   count(*) / sum(count(*)) over (partition by source) as share
            from latest group by source, published_precision, published_note
            order by source, published_precision nulls last, published_note nulls last""",
        "rejects_by_kind": f"""
            select error_kind, count(*) as rejects
            from read_parquet('{dataset}/rejects/*.parquet')
            group by error_kind order by error_kind""",
    }
    tables = {name: con.sql(sql).fetchall() for name, sql in q.items()}
    headline = con.sql("select (select count(*) from latest), "
                       f"(select count(*) from records where {' and '.join(day_filter)})").fetchall()[0]
    return tables, headline


def _same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(a, dt.datetime):
        a = a.date()
    if isinstance(b, dt.datetime):
        b = b.date()
    return a == b


def assert_tables_match(tables_dir, expected):
    for name in TABLE_NAMES:
        table = pq.read_table(tables_dir / f"{name}.parquet")
        # polars' Parquet writer records its strings as Arrow string_view: the same logical str.
        types = [(f.name, pa.string() if f.type == pa.string_view() else f.type) for f in table.schema]
        assert types == SCHEMAS[name], name
        got = [tuple(r.values()) for r in table.to_pylist()]
        want = expected[name]
        assert len(got) == len(want), (name, got, want)
        for g, w in zip(got, want):
            assert len(g) == len(w) and all(_same(x, y) for x, y in zip(g, w)), (name, g, w)
        # The CSV twin holds the same rows.
        csv = pl.read_csv(tables_dir / f"{name}.csv", try_parse_dates=True,
                          schema_overrides={c: pl.String for c, t in SCHEMAS[name] if t == pa.string()})
        assert csv.columns == [c for c, _ in SCHEMAS[name]], name
        assert csv.height == len(want), name
        for g, w in zip(csv.iter_rows(), want):
            assert all(_same(x, y) for x, y in zip(g, w)), (name, "csv", g, w)


# ---------------------------------------------------------------------------
# The tests

FILTERS = {
    "all": {},
    "rfi_since": {"sources": ["rfi"], "since": "2023-07-01"},
    "two_sources_window": {"sources": ["bbc", "voa"], "since": "2020-10-01", "until": "2020-10-11"},
    "zone_override": {"zones": {"dw": "America/Chicago", "rfi": "Asia/Tokyo"}},
    "nothing": {"sources": ["rfi"], "since": "2030-01-01"},
}


@pytest.mark.parametrize("case", FILTERS)
def test_corpus_tables_equal_duckdb(corpus_dataset, tmp_path, case):
    tables_dir = run_stats(corpus_dataset, tmp_path / "stats", **FILTERS[case])
    expected, _ = reference(corpus_dataset, **FILTERS[case])
    assert_tables_match(tables_dir, expected)


def test_corpus_reference_is_not_vacuous(corpus_dataset, manifest_paths, files_per_source):
    expected, (articles, versions) = reference(corpus_dataset)
    assert (articles, versions) == (len(manifest_paths), len(manifest_paths))
    by_source = {s: n for s, n, *_ in expected["body_length"]}
    assert by_source == files_per_source
    # Every article with a clock time, counted by pyarrow (not DuckDB); ft and cdt have none.
    table = pq.read_table(corpus_dataset / "articles",
                          columns=["published_utc", "published_precision"])
    clocked = sum(1 for t, p in zip(table["published_utc"].to_pylist(),
                                    table["published_precision"].to_pylist())
                  if t is not None and p in ("second", "minute", "approximate"))
    assert 0 < clocked <= len(manifest_paths) - files_per_source["ft"] - files_per_source["cdt"]
    assert sum(r[-1] for r in expected["hour_weekday_local"]) == clocked
    assert {r[1] for r in expected["hour_weekday_local"] if r[0] == "rfi"} == {"Europe/Paris"}


@pytest.mark.parametrize("case", {"all": {}, "until_2020": {"until": "2020-12-31"},
                                  "cdt_from_2021": {"sources": ["cdt"], "since": "2021-01-01"}})
def test_versions_tables_equal_duckdb(versions_dataset, tmp_path, case):
    query = {"all": {}, "until_2020": {"until": "2020-12-31"},
             "cdt_from_2021": {"sources": ["cdt"], "since": "2021-01-01"}}[case]
    tables_dir = run_stats(versions_dataset, tmp_path / "stats", **query)
    expected, _ = reference(versions_dataset, **query)
    assert_tables_match(tables_dir, expected)


def test_versions_reference_sees_the_versions(versions_dataset, corpus_dataset, manifest_paths, corpus):
    expected, (articles, versions) = reference(versions_dataset)
    assert (articles, versions) == (len(manifest_paths), len(manifest_paths) + EXTRA_VERSIONS)
    plain, _ = reference(corpus_dataset)
    daily = collections.Counter({(s, str(d)): n for s, d, n in expected["daily_volume"]})
    before = collections.Counter({(s, str(d)): n for s, d, n in plain["daily_volume"]})
    # The rfi seed moved a day later; cdt 390916 from its feed day to 2021-01-01.
    cdt = (corpus / "duty-machine-news/articles/中国数字时代/390916.md").read_text(encoding="utf-8")
    cdt_day = dt.datetime.fromtimestamp(int(cdt.split("\n", 1)[0][4:-3]) / 1000, dt.timezone.utc).date()
    for key, change in ((("rfi", "2021-03-18"), -1), (("rfi", "2021-03-19"), 1),
                        (("cdt", str(cdt_day)), -1), (("cdt", "2021-01-01"), 1)):
        assert daily[key] == before[key] + change, key
    # voa 1045760's latest version is the re-fed one, over a day late.
    lag = {r[0]: r for r in expected["feed_lag"]}
    lag_before = {r[0]: r for r in plain["feed_lag"]}
    assert lag["voa"][1] == lag_before["voa"][1]
    assert lag["voa"][5] >= 172_900 and lag["voa"][6] > lag_before["voa"][6]


def test_sample_tables_equal_duckdb(sample_dataset, tmp_path):
    # The sample has rejects of seven kinds and an `other` source (UTC zone).
    tables_dir = run_stats(sample_dataset, tmp_path / "stats")
    expected, _ = reference(sample_dataset)
    assert sum(n for _, n in expected["rejects_by_kind"]) == 8
    assert_tables_match(tables_dir, expected)
