//! `compute` and `write_tables` on datasets written by the real `wirehouse run`:
//! the corpus, the bundled sample (DST edges, rejects) and the corpus plus
//! rival versions of five of its articles. Expected values were checked by
//! hand against the records (listed with DuckDB) and are explained inline.
//!
//! The binary is `$WIREHOUSE_BIN`, else `debug/wirehouse` in this build's
//! target folder (`cargo test --workspace` builds it; alone, run
//! `cargo build -p wirehouse-cli` first).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::NaiveDate;
use polars::prelude::*;
use wirehouse_stats::{
    compute, table_path, write_tables, StatsError, StatsQuery, Tables, TABLE_NAMES,
};

// ---------------------------------------------------------------------------
// Datasets

// The package's folder as cargo gives it to the running test, not as it was
// when the test was compiled: a target folder shared by several checkouts
// (CI keeps one) may hold a test binary built in another.
fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

fn repo() -> PathBuf {
    manifest_dir().join("../..")
}

fn corpus() -> PathBuf {
    std::env::var_os("WIREHOUSE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/corpus"))
}

fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("WIREHOUSE_BIN") {
        return PathBuf::from(path);
    }
    // CARGO_TARGET_TMPDIR is TARGET/tmp, whatever CARGO_TARGET_DIR was.
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("../debug/wirehouse");
    assert!(
        path.exists(),
        "{} is missing: run `cargo build -p wirehouse-cli` (or set WIREHOUSE_BIN)",
        path.display()
    );
    path
}

/// A dataset in a temporary folder, removed when dropped.
struct Dataset {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl std::ops::Deref for Dataset {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.path
    }
}

fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("wirehouse-stats-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap()
}

fn wirehouse_run(args: &[&str], output: &Path) {
    let done = Command::new(binary())
        .arg("run")
        .args(args)
        .arg("--output")
        .arg(output)
        .args(["--progress", "quiet"])
        .output()
        .unwrap();
    assert!(
        done.status.success(),
        "wirehouse run {args:?} failed: {}",
        String::from_utf8_lossy(&done.stderr)
    );
}

fn corpus_dataset() -> Dataset {
    let dir = scratch();
    let path = dir.path().join("warehouse");
    wirehouse_run(&["--input", corpus().to_str().unwrap()], &path);
    Dataset { _dir: dir, path }
}

fn sample_dataset() -> Dataset {
    let dir = scratch();
    let path = dir.path().join("warehouse");
    let pipeline = repo().join("pipelines/sample.toml");
    wirehouse_run(&[pipeline.to_str().unwrap()], &path);
    Dataset { _dir: dir, path }
}

/// The file with its `<!--ms-->` feed-time header replaced.
fn with_header(text: &str, ms: i64) -> String {
    let (first, rest) = text.split_once('\n').unwrap();
    assert!(
        first.starts_with("<!--") && first.ends_with("-->"),
        "{first}"
    );
    format!("<!--{ms}-->\n{rest}")
}

fn ms(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .timestamp_millis()
}

/// The corpus plus other versions (same URL, other bytes) of five articles —
/// the same set as tests/python/test_stats.py builds:
/// - rfi seed: re-fed a day later, the site's time moved to 19/03/2021 10:00
///   Paris (09:00Z), so the article moves from 2021-03-18 to 2021-03-19 and
///   its lag becomes 13:55:11 − 09:00:00 = 17 711 s;
/// - ft 1047134: two rivals fed at the very same time with the titles
///   `每周数读：…` and `一周世界舆论聚焦：…` (columns), so the tie goes to the
///   larger content_sha256;
/// - cdt 390916: versions fed 2020-12-31 23:30Z and 2021-01-01 00:30Z (two
///   year partitions); ft and cdt state no time, so the article's day is
///   2021-01-01;
/// - voa 1045760: re-fed 172 900 s after its stated 2020-10-11 23:18:39Z.
fn versions_dataset() -> Dataset {
    let dir = scratch();
    {
        let base = dir.path();
        let extra = base.join("extra");
        std::fs::create_dir_all(&extra).unwrap();
        let read = |rel: &str| std::fs::read_to_string(corpus().join(rel)).unwrap();
        let write = |name: &str, text: String| std::fs::write(extra.join(name), text).unwrap();

        let rfi = read("seed/000_048dc874b1a19fb5.txt");
        assert!(rfi.contains("<div>18/03/2021 - 14:26</div>"));
        write(
            "rfi_v2.txt",
            with_header(&rfi, 1_616_162_111_000).replace(
                "<div>18/03/2021 - 14:26</div>",
                "<div>19/03/2021 - 10:00</div>",
            ),
        );
        let ft = read("duty-machine-news/articles/金融时报/1047134.md");
        write("ft_a.md", ft.replacen("\n[", "\n[每周数读：", 1));
        write("ft_b.md", ft.replacen("\n[", "\n[一周世界舆论聚焦：", 1));
        let cdt = read("duty-machine-news/articles/中国数字时代/390916.md");
        write("cdt_a.md", with_header(&cdt, ms("2020-12-31T23:30:00Z")));
        write("cdt_b.md", with_header(&cdt, ms("2021-01-01T00:30:00Z")));
        let voa = read("duty-machine-news/articles/美国之音/1045760.md");
        write(
            "voa_late.md",
            with_header(&voa, ms("2020-10-11T23:18:39Z") + 172_900_000),
        );

        wirehouse_run(
            &[
                "--input",
                corpus().to_str().unwrap(),
                "--input",
                extra.to_str().unwrap(),
            ],
            &base.join("warehouse"),
        );
    }
    let path = dir.path().join("warehouse");
    Dataset { _dir: dir, path }
}

fn query(dataset: &Path) -> StatsQuery {
    StatsQuery {
        dataset: dataset.to_path_buf(),
        ..Default::default()
    }
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

// ---------------------------------------------------------------------------
// Reading tables

/// Every row as its cells cast to text (`null` for nulls; dates `YYYY-MM-DD`).
fn rows(df: &DataFrame) -> Vec<Vec<String>> {
    let columns: Vec<Vec<String>> = df
        .columns()
        .iter()
        .map(|c| {
            let text = c.cast(&DataType::String).unwrap();
            text.str()
                .unwrap()
                .iter()
                .map(|v| v.unwrap_or("null").to_string())
                .collect()
        })
        .collect();
    (0..df.height())
        .map(|i| columns.iter().map(|c| c[i].clone()).collect())
        .collect()
}

/// The rows whose leading cells are `key`, without those cells.
fn lookup(df: &DataFrame, key: &[&str]) -> Vec<Vec<String>> {
    rows(df)
        .into_iter()
        .filter(|r| r.iter().zip(key).all(|(a, b)| a == b))
        .map(|r| r[key.len()..].to_vec())
        .collect()
}

/// The one row of `source` in a per-source table, by column name.
fn source_row(df: &DataFrame, source: &str) -> BTreeMap<String, String> {
    let found = lookup(df, &[source]);
    assert_eq!(found.len(), 1, "{source} in {df:?}");
    let names = df
        .get_column_names()
        .into_iter()
        .skip(1)
        .map(|n| n.to_string());
    names.zip(found[0].clone()).collect()
}

fn float(row: &BTreeMap<String, String>, name: &str) -> f64 {
    row[name].parse().unwrap()
}

fn assert_close(got: f64, want: f64) {
    assert!((got - want).abs() < 1e-9, "{got} != {want}");
}

fn schema_of(df: &DataFrame) -> Vec<(String, DataType)> {
    df.schema()
        .iter()
        .map(|(n, t)| (n.to_string(), t.clone()))
        .collect()
}

/// The contract's columns and types (crates/stats/src/lib.rs).
fn contract(name: &str) -> Vec<(String, DataType)> {
    use DataType::{Date, Float64 as F, Int32 as I32, Int64 as I, String as S};
    let cols: Vec<(&str, DataType)> = match name {
        "daily_volume" => vec![("source", S), ("day", Date), ("articles", I)],
        "weekly_volume" => vec![
            ("source", S),
            ("iso_year", I32),
            ("iso_week", I32),
            ("week_start", Date),
            ("articles", I),
        ],
        "hour_weekday_utc" => vec![
            ("source", S),
            ("weekday", I32),
            ("hour", I32),
            ("articles", I),
        ],
        "hour_weekday_local" => vec![
            ("source", S),
            ("zone", S),
            ("weekday", I32),
            ("hour", I32),
            ("articles", I),
        ],
        "feed_lag" => vec![
            ("source", S),
            ("count", I),
            ("p50_s", F),
            ("p90_s", F),
            ("p99_s", F),
            ("max_s", I),
            ("share_over_24h", F),
        ],
        "body_length" => {
            let mut v = vec![("source".to_string(), S), ("articles".to_string(), I)];
            for p in ["chars", "paragraphs", "images"] {
                v.push((format!("{p}_mean"), F));
                v.push((format!("{p}_p50"), F));
                v.push((format!("{p}_max"), I));
            }
            return v;
        }
        "top_columns" => vec![
            ("source", S),
            ("rank", I),
            ("column_name", S),
            ("articles", I),
        ],
        "precision_note" => vec![
            ("source", S),
            ("published_precision", S),
            ("published_note", S),
            ("articles", I),
            ("share", F),
        ],
        "rejects_by_kind" => vec![("error_kind", S), ("rejects", I)],
        other => panic!("no table {other}"),
    };
    cols.into_iter().map(|(n, t)| (n.to_string(), t)).collect()
}

fn assert_contract_schemas(tables: &Tables) {
    for (name, df) in tables.named() {
        assert_eq!(schema_of(df), contract(name), "{name}");
    }
}

fn total(df: &DataFrame, column: &str) -> i64 {
    df.column(column).unwrap().i64().unwrap().sum().unwrap_or(0)
}

// ---------------------------------------------------------------------------
// The corpus

#[test]
fn corpus_headline_and_articles_per_source() {
    let t = compute(&query(&corpus_dataset())).unwrap();
    assert_contract_schemas(&t);
    let h = &t.headline;
    assert_eq!((h.articles, h.versions, h.rejects), (79, 79, 0));
    assert_eq!(h.first_day, Some(day("2020-09-11"))); // nytimes 2020-09-11 02:33Z
    assert_eq!(h.last_day, Some(day("2024-10-31"))); // dw, voa; cdt fed that day
    let expected: BTreeMap<String, i64> = [
        ("rfi", 28),
        ("bbc", 8),
        ("dw", 8),
        ("voa", 8),
        ("reuters", 7),
        ("nytimes", 6),
        ("rfa", 5),
        ("ft", 5),
        ("cdt", 4),
    ]
    .into_iter()
    .map(|(s, n)| (s.to_string(), n))
    .collect();
    assert_eq!(h.articles_by_source, expected);
    // Every table that counts articles counts all 79 once.
    assert_eq!(total(&t.daily_volume, "articles"), 79);
    assert_eq!(total(&t.weekly_volume, "articles"), 79);
    assert_eq!(total(&t.body_length, "articles"), 79);
    assert_eq!(total(&t.precision_note, "articles"), 79);
    // 70 have a clock time (9 ft/cdt have none); both matrices hold them all.
    assert_eq!(total(&t.hour_weekday_utc, "articles"), 70);
    assert_eq!(total(&t.hour_weekday_local, "articles"), 70);
    // No rejects: an empty table, with its columns.
    assert_eq!(t.rejects_by_kind.height(), 0);
    // No lag for ft and cdt, so no row and no median.
    let lag_sources: Vec<String> = rows(&t.feed_lag)
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(
        lag_sources,
        ["bbc", "dw", "nytimes", "reuters", "rfa", "rfi", "voa"]
    );
    assert_eq!(
        h.median_lag_s_by_source.keys().cloned().collect::<Vec<_>>(),
        lag_sources
    );
    assert_close(h.median_lag_s_by_source["nytimes"], 395.0);
}

#[test]
fn corpus_volumes_by_day_and_iso_week() {
    let t = compute(&query(&corpus_dataset())).unwrap();
    // The worked example: rfi seed published 2021-03-18 13:26Z, alone that day.
    assert_eq!(lookup(&t.daily_volume, &["rfi", "2021-03-18"]), [["1"]]);
    // ft states no time: its day is the feed's (2020-10-12 22:52Z).
    assert_eq!(lookup(&t.daily_volume, &["ft", "2020-10-12"]), [["1"]]);
    // rfi published 12 items on 2020-10-12…13 (UTC), in ISO week 42 of 2020
    // (Monday 2020-10-12), and 3 on 10-10 and 10-11 (week 41, Monday 10-05).
    assert_eq!(lookup(&t.daily_volume, &["rfi", "2020-10-12"]), [["11"]]);
    assert_eq!(
        lookup(&t.weekly_volume, &["rfi", "2020", "42"]),
        [["2020-10-12", "12"]]
    );
    assert_eq!(
        lookup(&t.weekly_volume, &["rfi", "2020", "41"]),
        [["2020-10-05", "3"]]
    );
    // bbc 2024-02-11 is a Sunday: ISO week 6 of 2024, starting Monday 02-05.
    assert_eq!(
        lookup(&t.weekly_volume, &["bbc", "2024", "6"]),
        [["2024-02-05", "1"]]
    );
    // Sorted by source, then natural keys.
    let keys: Vec<(String, String)> = rows(&t.daily_volume)
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[test]
fn corpus_hour_weekday_utc_and_home_zone() {
    let t = compute(&query(&corpus_dataset())).unwrap();
    // rfi seed: Thursday 13:26Z = 14:26 in Paris (CET).
    assert!(lookup(&t.hour_weekday_utc, &["rfi", "4", "13"]).len() == 1);
    assert_eq!(
        lookup(&t.hour_weekday_local, &["rfi", "Europe/Paris", "4", "14"]),
        [["1"]]
    );
    // nytimes 2020-10-12 23:06Z (Monday) is Tuesday 07:06 in Beijing.
    assert_eq!(
        lookup(&t.hour_weekday_utc, &["nytimes", "1", "23"]),
        [["1"]]
    );
    assert_eq!(
        lookup(
            &t.hour_weekday_local,
            &["nytimes", "Asia/Shanghai", "2", "7"]
        ),
        [["1"]]
    );
    // rfi 2023-07-02 20:32Z, a Sunday in summer: 22:32 in Paris (CEST).
    assert_eq!(
        lookup(&t.hour_weekday_local, &["rfi", "Europe/Paris", "7", "22"]),
        [["1"]]
    );
    // Each source in its home zone; ft and cdt (no clock) absent.
    let zones: BTreeMap<String, String> = rows(&t.hour_weekday_local)
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    assert_eq!(zones["bbc"], "Europe/London");
    assert_eq!(zones["rfa"], "America/New_York");
    assert!(!zones.contains_key("ft") && !zones.contains_key("cdt"));
}

#[test]
fn corpus_feed_lag_percentiles_interpolate_linearly() {
    let t = compute(&query(&corpus_dataset())).unwrap();
    // nytimes lags, sorted: 45 226 350 440 699 2279.
    let ny = source_row(&t.feed_lag, "nytimes");
    assert_eq!(ny["count"], "6");
    assert_close(float(&ny, "p50_s"), 395.0); // (350 + 440) / 2
    assert_close(float(&ny, "p90_s"), 1489.0); // rank 4.5: 699 + 0.5 × 1580
    assert_close(float(&ny, "p99_s"), 2200.0); // rank 4.95: 699 + 0.95 × 1580
    assert_eq!(ny["max_s"], "2279");
    assert_close(float(&ny, "share_over_24h"), 0.0);
    // rfa lags, sorted: 7 38 4846 9927 17242.
    let rfa = source_row(&t.feed_lag, "rfa");
    assert_close(float(&rfa, "p50_s"), 4846.0);
    assert_close(float(&rfa, "p90_s"), 14316.0); // rank 3.6: 9927 + 0.6 × 7315
    assert_close(float(&rfa, "p99_s"), 16949.4); // rank 3.96
}

#[test]
fn corpus_body_length_columns_and_precision() {
    let t = compute(&query(&corpus_dataset())).unwrap();
    // nytimes char counts: 932 1446 1721 2404 2713 3244.
    let ny = source_row(&t.body_length, "nytimes");
    assert_eq!(ny["articles"], "6");
    assert_close(float(&ny, "chars_mean"), 12460.0 / 6.0);
    assert_close(float(&ny, "chars_p50"), 2062.5);
    assert_eq!(ny["chars_max"], "3244");
    // rfi: one image each.
    let rfi = source_row(&t.body_length, "rfi");
    assert_eq!(
        (rfi["images_mean"].as_str(), rfi["images_max"].as_str()),
        ("1.0", "1")
    );
    // rfi columns: 要闻分析 and 要闻解说 tie at 3; by name (分 U+5206 < 解 U+89E3).
    let top = lookup(&t.top_columns, &["rfi"]);
    assert_eq!(top.len(), 7);
    assert_eq!(top[0], ["1", "要闻分析", "3"]);
    assert_eq!(top[1], ["2", "要闻解说", "3"]);
    // bbc: 7 relative ("N 小时前") times, 1 stated to the minute.
    assert_eq!(
        lookup(&t.precision_note, &["bbc"]),
        [
            ["approximate", "relative", "7", "0.875"],
            ["minute", "null", "1", "0.125"]
        ]
    );
    assert_eq!(
        lookup(&t.precision_note, &["ft"]),
        [["null", "null", "5", "1.0"]]
    );
}

// ---------------------------------------------------------------------------
// Versions and filters

#[test]
fn each_article_counts_once_as_its_latest_version() {
    let t = compute(&query(&versions_dataset())).unwrap();
    assert_contract_schemas(&t);
    assert_eq!((t.headline.articles, t.headline.versions), (79, 85));
    assert_eq!(t.headline.articles_by_source["ft"], 5);
    assert_eq!(t.headline.articles_by_source["cdt"], 4);
    // rfi seed: the later version's day and lag.
    assert!(lookup(&t.daily_volume, &["rfi", "2021-03-18"]).is_empty());
    assert_eq!(lookup(&t.daily_volume, &["rfi", "2021-03-19"]), [["1"]]);
    assert_eq!(source_row(&t.feed_lag, "rfi")["max_s"], "17711");
    // cdt: three versions in two year partitions; the latest is 2021-01-01.
    assert!(lookup(&t.daily_volume, &["cdt", "2020-10-13"]).is_empty());
    assert_eq!(lookup(&t.daily_volume, &["cdt", "2021-01-01"]), [["1"]]);
    // voa: the re-fed version is the latest; 1 of 8 lags is over a day.
    let voa = source_row(&t.feed_lag, "voa");
    assert_eq!(
        (voa["count"].as_str(), voa["max_s"].as_str()),
        ("8", "172900")
    );
    assert_close(float(&voa, "share_over_24h"), 0.125);
}

#[test]
fn a_tie_in_feed_time_goes_to_the_larger_content_hash() {
    // The three ft 1047134 versions share a feed time; which column each
    // carries is read from the dataset itself.
    let dataset = versions_dataset();
    let lf = LazyFrame::scan_parquet(
        PlRefPath::try_from_path(&dataset.join("articles/source=ft/year=2020")).unwrap(),
        ScanArgsParquet::default(),
    )
    .unwrap();
    let versions = lf
        .filter(col("url").eq(lit("https://cn.ft.com/story/001089764?full=y")))
        .select([col("content_sha256"), col("column_name")])
        .sort(["content_sha256"], SortMultipleOptions::default())
        .collect()
        .unwrap();
    let versions = rows(&versions);
    assert_eq!(versions.len(), 3);
    let winner = &versions[2][1];
    let losers: Vec<&String> = versions[..2].iter().map(|r| &r[1]).collect();

    let t = compute(&query(&dataset)).unwrap();
    let ft_columns: BTreeMap<String, String> = lookup(&t.top_columns, &["ft"])
        .into_iter()
        .map(|r| (r[1].clone(), r[2].clone()))
        .collect();
    // Without the rivals, ft has 每周数读 1 and 一周世界舆论聚焦 1.
    for column in ["每周数读", "一周世界舆论聚焦"] {
        let want = if winner == column { "2" } else { "1" };
        assert_eq!(
            ft_columns[column], want,
            "{column}; winner {winner}, losers {losers:?}"
        );
    }
}

#[test]
fn day_filters_apply_to_the_latest_version() {
    // Until 2020-12-31, cdt keeps 392232 (09-24) and 391133 (10-09); 390916's
    // latest version is on 2021-01-01, so it is out, though two of its
    // versions (10-13, 12-31) are in. Its 2024 article is out too.
    let dataset = versions_dataset();
    let mut q = query(&dataset);
    q.sources = vec!["cdt".into()];
    q.until = Some(day("2020-12-31"));
    let t = compute(&q).unwrap();
    assert_eq!((t.headline.articles, t.headline.versions), (2, 4));
    assert_eq!(t.headline.last_day, Some(day("2020-10-09")));

    q.until = None;
    q.since = Some(day("2021-01-01"));
    let t = compute(&q).unwrap();
    assert_eq!((t.headline.articles, t.headline.versions), (2, 2));
    assert_eq!(
        rows(&t.daily_volume),
        [["cdt", "2021-01-01", "1"], ["cdt", "2024-10-31", "1"]]
    );
}

#[test]
fn source_and_since_filters() {
    // rfi from 2023-07-01: 11 of its 12 items of 2023 (06-12 is before).
    let dataset = corpus_dataset();
    let mut q = query(&dataset);
    q.sources = vec!["rfi".into()];
    q.since = Some(day("2023-07-01"));
    let t = compute(&q).unwrap();
    assert_contract_schemas(&t);
    assert_eq!((t.headline.articles, t.headline.versions), (11, 11));
    assert_eq!(t.headline.first_day, Some(day("2023-07-02")));
    assert_eq!(t.headline.last_day, Some(day("2023-09-25")));
    for (name, df) in t.named() {
        if name != "rejects_by_kind" {
            assert!(rows(df).iter().all(|r| r[0] == "rfi"), "{name}");
        }
    }
    assert_eq!(source_row(&t.feed_lag, "rfi")["count"], "11");
    assert_eq!(
        lookup(&t.top_columns, &["rfi"]),
        [["1", "要闻分析", "1"], ["2", "要闻解说", "1"]]
    );

    // Two sources, a window (both ends inclusive): bbc 10-02, 10-04, 10-09,
    // 10-10; voa 10-07, 10-08, 10-10.
    q.sources = vec!["bbc".into(), "voa".into()];
    q.since = Some(day("2020-10-01"));
    q.until = Some(day("2020-10-10"));
    let t = compute(&q).unwrap();
    let by_source: Vec<(String, i64)> = t.headline.articles_by_source.into_iter().collect();
    assert_eq!(by_source, [("bbc".to_string(), 4), ("voa".to_string(), 3)]);
}

#[test]
fn an_empty_selection_gives_empty_tables() {
    let dataset = corpus_dataset();
    for q in [
        StatsQuery {
            sources: vec!["nosuch".into()],
            ..query(&dataset)
        },
        StatsQuery {
            since: Some(day("2030-01-01")),
            ..query(&dataset)
        },
    ] {
        let t = compute(&q).unwrap();
        assert_contract_schemas(&t);
        for (name, df) in t.named() {
            if name != "rejects_by_kind" {
                assert_eq!(df.height(), 0, "{name}");
            }
        }
        let h = &t.headline;
        assert_eq!(
            (h.articles, h.versions, h.first_day, h.last_day),
            (0, 0, None, None)
        );
        assert!(h.articles_by_source.is_empty() && h.median_lag_s_by_source.is_empty());
    }
}

#[test]
fn zone_overrides_replace_the_home_zone() {
    let dataset = corpus_dataset();
    let mut q = query(&dataset);
    q.zones.insert("rfi".into(), chrono_tz::Asia::Tokyo);
    q.zones
        .insert("newsroom-x".into(), chrono_tz::Europe::Paris);
    let t = compute(&q).unwrap();
    // rfi seed: Thursday 13:26Z = 22:26 in Tokyo.
    assert_eq!(
        lookup(&t.hour_weekday_local, &["rfi", "Asia/Tokyo", "4", "22"]),
        [["1"]]
    );
    assert!(lookup(&t.hour_weekday_local, &["rfi", "Europe/Paris"]).is_empty());
    assert_eq!(total(&t.hour_weekday_local, "articles"), 70);
}

// ---------------------------------------------------------------------------
// The sample: DST, notes, rejects, `other`

#[test]
fn sample_local_hours_follow_paris_dst() {
    let t = compute(&query(&sample_dataset())).unwrap();
    // rfi's Sunday items, UTC → Paris:
    //   2021-03-28 00:45Z → 01:45 CET; 01:15Z → 03:15 CEST; 01:30Z → 03:30 CEST
    //   2021-10-31 00:30Z → 02:30 CEST; 15:00Z → 16:00 CET
    //   2024-03-31 01:10Z → 03:10 CEST; 2024-10-27 00:45Z → 02:45 CEST
    //   2022-12-31 23:30Z (Saturday) → Sunday 2023-01-01 00:30 CET
    assert_eq!(
        lookup(&t.hour_weekday_local, &["rfi", "Europe/Paris", "7"]),
        [["0", "1"], ["1", "1"], ["2", "2"], ["3", "3"], ["16", "1"]]
    );
    assert_eq!(
        lookup(&t.hour_weekday_utc, &["rfi", "7"]),
        [["0", "3"], ["1", "3"], ["15", "1"]]
    );
    assert_eq!(lookup(&t.hour_weekday_utc, &["rfi", "6", "23"]), [["1"]]);
}

#[test]
fn sample_notes_rejects_and_other() {
    let dataset = sample_dataset();
    let t = compute(&query(&dataset)).unwrap();
    assert_eq!(
        lookup(&t.precision_note, &["rfi"]),
        [
            ["minute", "ambiguous", "2", "0.125"],
            ["minute", "nonexistent", "2", "0.125"],
            ["minute", "null", "10", "0.625"],
            ["null", "invalid", "2", "0.125"],
        ]
    );
    assert_eq!(
        rows(&t.rejects_by_kind),
        [
            ["binary", "1"],
            ["empty", "1"],
            ["encoding", "1"],
            ["header", "1"],
            ["link", "1"],
            ["separator", "1"],
            ["timestamp", "2"],
        ]
    );
    assert_eq!(t.headline.rejects, 8);
    // `other` (generic profile) has articles but no clock time and no lag.
    assert_eq!(t.headline.articles_by_source["other"], 2);
    assert!(lookup(&t.hour_weekday_local, &["other"]).is_empty());
    // Rejects are never filtered.
    let filtered = compute(&StatsQuery {
        sources: vec!["nosuch".into()],
        ..query(&dataset)
    })
    .unwrap();
    assert_eq!(filtered.headline.rejects, 8);
    assert_eq!(rows(&filtered.rejects_by_kind), rows(&t.rejects_by_kind));
}

// ---------------------------------------------------------------------------
// Errors, empty datasets, files

#[test]
fn a_folder_without_articles_is_no_dataset() {
    let tmp = scratch();
    let dir = tmp.path().to_path_buf();
    match compute(&query(&dir)) {
        Err(StatsError::NoDataset(path)) => assert_eq!(path, dir),
        other => panic!("expected NoDataset, got {other:?}"),
    }
    match compute(&query(&dir.join("missing"))) {
        Err(StatsError::NoDataset(_)) => {}
        other => panic!("expected NoDataset, got {other:?}"),
    }
}

#[test]
fn a_run_over_no_files_gives_empty_tables() {
    let tmp = scratch();
    let base = tmp.path();
    let input = base.join("input");
    std::fs::create_dir_all(&input).unwrap();
    let out = base.join("warehouse");
    wirehouse_run(&["--input", input.to_str().unwrap()], &out);
    let t = compute(&query(&out)).unwrap();
    assert_contract_schemas(&t);
    for (name, df) in t.named() {
        assert_eq!(df.height(), 0, "{name}");
    }
    assert_eq!(t.headline, wirehouse_stats::Headline::default());
}

#[test]
fn write_tables_writes_parquet_and_csv_per_table() {
    let t = compute(&query(&sample_dataset())).unwrap();
    let tmp = scratch();
    let out = tmp.path().join("stats");
    let written = write_tables(&t, &out).unwrap();
    let expected: Vec<PathBuf> = TABLE_NAMES
        .iter()
        .flat_map(|n| [table_path(&out, n, "parquet"), table_path(&out, n, "csv")])
        .collect();
    assert_eq!(written, expected);
    for (name, df) in t.named() {
        let back = LazyFrame::scan_parquet(
            PlRefPath::try_from_path(&table_path(&out, name, "parquet")).unwrap(),
            ScanArgsParquet::default(),
        )
        .unwrap()
        .collect()
        .unwrap();
        assert!(back.equals_missing(df), "{name}");
        let csv = std::fs::read_to_string(table_path(&out, name, "csv")).unwrap();
        let mut lines = csv.lines();
        let header: Vec<String> = contract(name).into_iter().map(|(n, _)| n).collect();
        assert_eq!(lines.next().unwrap(), header.join(","), "{name}");
        assert_eq!(lines.count(), df.height(), "{name}");
    }
    let daily = std::fs::read_to_string(table_path(&out, "daily_volume", "csv")).unwrap();
    assert!(daily.contains("\nrfi,2021-03-28,3\n"), "{daily}");
    // No temporary files are left behind.
    let leftovers: Vec<_> = std::fs::read_dir(out.join("tables"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}
