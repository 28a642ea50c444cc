//! `compute` and `write_tables` on datasets written by the real `wirehouse run`:
//! the corpus, the bundled sample (DST edges, rejects) and the corpus plus
//! rival versions of five of its articles.
//!
//! The sample's expected values were checked by hand and are written inline.
//! The corpus grows, so no count over it is written here: the tables are
//! checked against a reference computed in this file, in plain Rust, from
//! the records read back file by file ([`reference`]); counts that the
//! corpus itself states come from its `MANIFEST.tsv` (one line per file,
//! each file's source from its site folder) or from the feed-time header of
//! its files. A few hand-checked instants of named files (the rfi seed, …)
//! pin the reference to the contract.
//!
//! Without a corpus (`$WIREHOUSE_CORPUS`, else `../shared/corpus` beside the
//! repository) the corpus tests are skipped with a line saying so, or fail
//! when `$CI` is set; the others run.
//!
//! The binary is `$WIREHOUSE_BIN`, else `debug/wirehouse` in this build's
//! target folder (`cargo test --workspace` builds it; alone, run
//! `cargo build -p wirehouse-cli` first).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use polars::prelude::*;
use wirehouse_stats::{
    compute, table_path, write_tables, StatsError, StatsQuery, Tables, TABLE_NAMES,
};

// ---------------------------------------------------------------------------
// The corpus

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

/// Where the real corpus is looked for.
fn corpus_path() -> PathBuf {
    std::env::var_os("WIREHOUSE_CORPUS")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/corpus"))
}

/// The real corpus for the test `test`, or `None` when its folder does not
/// exist: the test is then skipped with a line on stderr (written past the
/// harness's capture, so `cargo test` shows it). Under CI (`$CI` set) a
/// missing corpus fails the test instead. As crates/cli/tests/common/mod.rs.
fn corpus_or_skip(test: &str) -> Option<PathBuf> {
    let path = corpus_path();
    if path.is_dir() {
        return Some(path);
    }
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
        panic!(
            "corpus not found at {}; set WIREHOUSE_CORPUS",
            path.display()
        );
    }
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: no corpus at {} (set WIREHOUSE_CORPUS=/path/to/shared/corpus)",
        path.display()
    );
    None
}

/// `let corpus = require_corpus!();` — the corpus, or return from the
/// calling test (skipped), named after that test.
macro_rules! require_corpus {
    () => {{
        fn here() {}
        let name = std::any::type_name_of_val(&here);
        let name = name.strip_suffix("::here").unwrap_or(name);
        let name = name.rsplit("::").next().unwrap_or(name);
        match corpus_or_skip(name) {
            Some(path) => path,
            None => return,
        }
    }};
}

/// The corpus paths `MANIFEST.tsv` lists (its first column), one per file.
fn manifest_paths(corpus: &Path) -> Vec<String> {
    let manifest = corpus.join("MANIFEST.tsv");
    let text = std::fs::read_to_string(&manifest)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", manifest.display()));
    let mut lines = text.lines();
    assert_eq!(
        lines.next().and_then(|h| h.split('\t').next()),
        Some("local_path"),
        "{}",
        manifest.display()
    );
    let paths: Vec<String> = lines
        .filter(|l| !l.is_empty())
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect();
    assert!(!paths.is_empty(), "{} lists no file", manifest.display());
    paths
}

/// The source of a corpus file, from its site folder
/// (`<archive>/articles/<site folder>/<file>`; `seed/` is rfi's), as the
/// corpus README lists both archives' folders.
fn source_of_corpus_path(path: &str) -> &'static str {
    if path.starts_with("seed/") {
        return "rfi";
    }
    match path.split('/').nth(2).unwrap_or_default() {
        "法广" | "rfi" => "rfi",
        "BBC" | "bbc" => "bbc",
        "纽约时报" | "nyt" => "nytimes",
        "德国之声" | "dw" => "dw",
        "美国之音" | "voa" => "voa",
        "路透" | "reuters" => "reuters",
        "金融时报" | "ft" => "ft",
        "自由亚洲电台" | "rfa" => "rfa",
        "中国数字时代" | "cdt" => "cdt",
        other => panic!("{path}: site folder {other:?} has no source here; add it"),
    }
}

/// Files per source, from the manifest's paths.
fn manifest_files_per_source(corpus: &Path) -> BTreeMap<String, i64> {
    let mut counts = BTreeMap::new();
    for path in manifest_paths(corpus) {
        *counts
            .entry(source_of_corpus_path(&path).to_string())
            .or_default() += 1;
    }
    counts
}

/// The feed time of an article file: its first line, `<!--EPOCH_MS-->`.
fn feed_time_ms(text: &str) -> i64 {
    let header = text.lines().next().unwrap_or_default();
    header
        .strip_prefix("<!--")
        .and_then(|h| h.strip_suffix("-->"))
        .and_then(|ms| ms.trim().parse().ok())
        .unwrap_or_else(|| panic!("no feed-time header: {header:?}"))
}

fn utc(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap()
}

// ---------------------------------------------------------------------------
// Datasets

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

fn corpus_dataset(corpus: &Path) -> Dataset {
    let dir = scratch();
    let path = dir.path().join("warehouse");
    wirehouse_run(&["--input", corpus.to_str().unwrap()], &path);
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

/// The corpus files the versions dataset adds versions of.
const SEED: &str = "seed/000_048dc874b1a19fb5.txt";
const FT_1047134: &str = "duty-machine-news/articles/金融时报/1047134.md";
const CDT_390916: &str = "duty-machine-news/articles/中国数字时代/390916.md";
const VOA_1045760: &str = "duty-machine-news/articles/美国之音/1045760.md";

/// How many records the versions dataset adds to the corpus.
const EXTRA_VERSIONS: i64 = 6;

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
fn versions_dataset(corpus: &Path) -> Dataset {
    let dir = scratch();
    {
        let base = dir.path();
        let extra = base.join("extra");
        std::fs::create_dir_all(&extra).unwrap();
        let read = |rel: &str| std::fs::read_to_string(corpus.join(rel)).unwrap();
        let write = |name: &str, text: String| std::fs::write(extra.join(name), text).unwrap();

        let rfi = read(SEED);
        assert!(rfi.contains("<div>18/03/2021 - 14:26</div>"));
        write(
            "rfi_v2.txt",
            with_header(&rfi, 1_616_162_111_000).replace(
                "<div>18/03/2021 - 14:26</div>",
                "<div>19/03/2021 - 10:00</div>",
            ),
        );
        let ft = read(FT_1047134);
        write("ft_a.md", ft.replacen("\n[", "\n[每周数读：", 1));
        write("ft_b.md", ft.replacen("\n[", "\n[一周世界舆论聚焦：", 1));
        let cdt = read(CDT_390916);
        write("cdt_a.md", with_header(&cdt, ms("2020-12-31T23:30:00Z")));
        write("cdt_b.md", with_header(&cdt, ms("2021-01-01T00:30:00Z")));
        let voa = read(VOA_1045760);
        write(
            "voa_late.md",
            with_header(&voa, ms("2020-10-11T23:18:39Z") + 172_900_000),
        );

        wirehouse_run(
            &[
                "--input",
                corpus.to_str().unwrap(),
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
        "coverage" => {
            let mut v = vec![
                ("source".to_string(), S),
                ("year".to_string(), I32),
                ("articles".to_string(), I),
            ];
            for c in COVERAGE_COLUMNS {
                v.push((c.to_string(), I));
            }
            return v;
        }
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
// The reference: the contract restated in plain Rust over the records

/// The columns of one record the tables use, read back from its Parquet file.
#[derive(Debug, Clone)]
struct Rec {
    source: String,
    article_id: String,
    sha: String,
    feed_ms: i64,
    published_ms: Option<i64>,
    precision: Option<String>,
    note: Option<String>,
    lag: Option<i64>,
    column: Option<String>,
    chars: i64,
    paragraphs: i64,
    images: i64,
    byline: bool,
    lead: bool,
    copyright: bool,
    rules_placed: i64,
}

/// The coverage table's counted columns after `source`, `year`, `articles`.
const COVERAGE_COLUMNS: [&str; 18] = [
    "published",
    "published_second",
    "published_minute",
    "published_day",
    "published_approximate",
    "note_ambiguous",
    "note_nonexistent",
    "note_invalid",
    "note_unrecognized",
    "note_missing",
    "note_relative",
    "byline",
    "lead",
    "copyright",
    "images",
    "empty_body",
    "unplaced",
    "negative_lag",
];

impl Rec {
    /// The UTC day of the article time: the site's, else the feed's.
    fn day(&self) -> NaiveDate {
        utc(self.published_ms.unwrap_or(self.feed_ms)).date_naive()
    }

    /// The published instant, when its clock time means something.
    fn clock(&self) -> Option<DateTime<Utc>> {
        match self.precision.as_deref() {
            Some("second" | "minute" | "approximate") => self.published_ms.map(utc),
            _ => None,
        }
    }
}

/// Every record of `DATASET/articles`, file by file; the source is the
/// `source=…` folder of its file.
fn read_records(dataset: &Path) -> Vec<Rec> {
    let mut files = Vec::new();
    let mut stack = vec![dataset.join("articles")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "parquet") {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut records = Vec::new();
    for file in files {
        let source = file
            .components()
            .filter_map(|c| c.as_os_str().to_str()?.strip_prefix("source="))
            .next_back()
            .unwrap_or_else(|| panic!("{} is in no source= folder", file.display()))
            .to_string();
        let df = LazyFrame::scan_parquet(
            PlRefPath::try_from_path(&file).unwrap(),
            ScanArgsParquet::default(),
        )
        .unwrap()
        .select([
            col("article_id"),
            col("content_sha256"),
            col("feed_time_utc").cast(DataType::Int64),
            col("published_utc").cast(DataType::Int64),
            col("published_precision"),
            col("published_note"),
            col("feed_lag_s").cast(DataType::Int64),
            col("column_name"),
            col("char_count").cast(DataType::Int64),
            col("paragraph_count").cast(DataType::Int64),
            col("image_urls").list().len().cast(DataType::Int64),
            col("byline"),
            col("lead"),
            col("copyright"),
            col("rules_placed").cast(DataType::Int64),
        ])
        .collect()
        .unwrap();
        let text = |name: &str| -> Vec<Option<String>> {
            let c = df.column(name).unwrap().cast(&DataType::String).unwrap();
            c.str()
                .unwrap()
                .iter()
                .map(|v| v.map(str::to_string))
                .collect()
        };
        let int = |name: &str| -> Vec<Option<i64>> {
            df.column(name).unwrap().i64().unwrap().iter().collect()
        };
        let (ids, shas, precisions, notes, columns) = (
            text("article_id"),
            text("content_sha256"),
            text("published_precision"),
            text("published_note"),
            text("column_name"),
        );
        let (feeds, published, lags) = (
            int("feed_time_utc"),
            int("published_utc"),
            int("feed_lag_s"),
        );
        let (chars, paragraphs, images) =
            (int("char_count"), int("paragraph_count"), int("image_urls"));
        let (bylines, leads, copyrights) = (text("byline"), text("lead"), text("copyright"));
        let rules_placed = int("rules_placed");
        for i in 0..df.height() {
            records.push(Rec {
                source: source.clone(),
                article_id: ids[i].clone().unwrap(),
                sha: shas[i].clone().unwrap(),
                feed_ms: feeds[i].unwrap(),
                published_ms: published[i],
                precision: precisions[i].clone(),
                note: notes[i].clone(),
                lag: lags[i],
                column: columns[i].clone(),
                chars: chars[i].unwrap(),
                paragraphs: paragraphs[i].unwrap(),
                images: images[i].unwrap_or(0),
                byline: bylines[i].is_some(),
                lead: leads[i].is_some(),
                copyright: copyrights[i].is_some(),
                rules_placed: rules_placed[i].unwrap(),
            });
        }
    }
    records
}

/// What every table must hold for a query, computed without polars.
struct Reference {
    /// Records (all versions) in the day window.
    versions: i64,
    /// The latest version of each article (latest feed time, then larger
    /// content hash), in the day window.
    latest: Vec<Rec>,
    zones: BTreeMap<String, chrono_tz::Tz>,
}

/// The home zones (crates/stats/src/zones.rs), restated.
fn home_zone(source: &str) -> chrono_tz::Tz {
    use chrono_tz::{America, Asia, Europe};
    match source {
        "bbc" => Europe::London,
        "cdt" => America::Los_Angeles,
        "dw" => Europe::Berlin,
        "ft" | "nytimes" | "reuters" => Asia::Shanghai,
        "rfa" | "voa" => America::New_York,
        "rfi" => Europe::Paris,
        _ => chrono_tz::UTC,
    }
}

/// The value at fraction `q` of `values`, interpolated linearly between the
/// two nearest ranks (rank q × (n − 1) of the sorted values).
fn percentile(values: &[f64], q: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = q * (v.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    v[lo] + (rank - lo as f64) * (v[hi] - v[lo])
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

fn reference(q: &StatsQuery) -> Reference {
    let records: Vec<Rec> = read_records(&q.dataset)
        .into_iter()
        .filter(|r| q.sources.is_empty() || q.sources.contains(&r.source))
        .collect();
    let in_days =
        |r: &Rec| q.since.is_none_or(|d| r.day() >= d) && q.until.is_none_or(|d| r.day() <= d);
    let versions = records.iter().filter(|r| in_days(r)).count() as i64;
    let mut latest: BTreeMap<String, Rec> = BTreeMap::new();
    for r in records {
        let newer = latest
            .get(&r.article_id)
            .is_none_or(|old| (r.feed_ms, &r.sha) > (old.feed_ms, &old.sha));
        if newer {
            latest.insert(r.article_id.clone(), r);
        }
    }
    let latest = latest.into_values().filter(in_days).collect();
    Reference {
        versions,
        latest,
        zones: q.zones.clone(),
    }
}

fn count<K: Ord>(keys: impl Iterator<Item = K>) -> BTreeMap<K, i64> {
    let mut n = BTreeMap::new();
    for k in keys {
        *n.entry(k).or_default() += 1;
    }
    n
}

impl Reference {
    fn zone(&self, source: &str) -> chrono_tz::Tz {
        self.zones
            .get(source)
            .copied()
            .unwrap_or_else(|| home_zone(source))
    }

    fn by_source(&self) -> BTreeMap<String, Vec<&Rec>> {
        let mut by = BTreeMap::<String, Vec<&Rec>>::new();
        for r in &self.latest {
            by.entry(r.source.clone()).or_default().push(r);
        }
        by
    }

    fn articles_by_source(&self) -> BTreeMap<String, i64> {
        count(self.latest.iter().map(|r| r.source.clone()))
    }

    fn days(&self) -> (Option<NaiveDate>, Option<NaiveDate>) {
        let days = self.latest.iter().map(Rec::day);
        (days.clone().min(), days.max())
    }

    /// Articles with a meaningful clock time.
    fn clocked(&self) -> i64 {
        self.latest.iter().filter(|r| r.clock().is_some()).count() as i64
    }

    /// Per source and UTC year of the article time, the articles having
    /// each field of [`COVERAGE_COLUMNS`], counted one by one.
    fn coverage(&self) -> Vec<Vec<String>> {
        let mut by: BTreeMap<(String, i32), Vec<&Rec>> = BTreeMap::new();
        for r in &self.latest {
            by.entry((r.source.clone(), r.day().year()))
                .or_default()
                .push(r);
        }
        by.into_iter()
            .map(|((source, year), recs)| {
                let n = |f: &dyn Fn(&Rec) -> bool| recs.iter().filter(|r| f(r)).count().to_string();
                let precision = |p: &'static str| {
                    move |r: &Rec| r.published_ms.is_some() && r.precision.as_deref() == Some(p)
                };
                let note = |x: &'static str| move |r: &Rec| r.note.as_deref() == Some(x);
                vec![
                    source,
                    year.to_string(),
                    recs.len().to_string(),
                    n(&|r| r.published_ms.is_some()),
                    n(&precision("second")),
                    n(&precision("minute")),
                    n(&precision("day")),
                    n(&precision("approximate")),
                    n(&note("ambiguous")),
                    n(&note("nonexistent")),
                    n(&note("invalid")),
                    n(&note("unrecognized")),
                    n(&note("missing")),
                    n(&note("relative")),
                    n(&|r| r.byline),
                    n(&|r| r.lead),
                    n(&|r| r.copyright),
                    n(&|r| r.images > 0),
                    n(&|r| r.paragraphs == 0),
                    n(&|r| r.rules_placed == 0 && r.paragraphs > 0),
                    n(&|r| r.lag.is_some_and(|l| l < 0)),
                ]
            })
            .collect()
    }

    fn daily_volume(&self) -> Vec<Vec<String>> {
        count(self.latest.iter().map(|r| (r.source.clone(), r.day())))
            .into_iter()
            .map(|((s, d), n)| vec![s, d.to_string(), n.to_string()])
            .collect()
    }

    fn weekly_volume(&self) -> Vec<Vec<String>> {
        count(self.latest.iter().map(|r| {
            let d = r.day();
            let week = d.iso_week();
            let monday = d - chrono::Days::new(d.weekday().num_days_from_monday().into());
            (r.source.clone(), week.year(), week.week(), monday)
        }))
        .into_iter()
        .map(|((s, y, w, m), n)| {
            vec![
                s,
                y.to_string(),
                w.to_string(),
                m.to_string(),
                n.to_string(),
            ]
        })
        .collect()
    }

    fn hour_weekday_utc(&self) -> Vec<Vec<String>> {
        count(self.latest.iter().filter_map(|r| {
            let t = r.clock()?;
            Some((r.source.clone(), t.weekday().number_from_monday(), t.hour()))
        }))
        .into_iter()
        .map(|((s, w, h), n)| vec![s, w.to_string(), h.to_string(), n.to_string()])
        .collect()
    }

    fn hour_weekday_local(&self) -> Vec<Vec<String>> {
        count(self.latest.iter().filter_map(|r| {
            let t = r.clock()?.with_timezone(&self.zone(&r.source));
            Some((r.source.clone(), t.weekday().number_from_monday(), t.hour()))
        }))
        .into_iter()
        .map(|((s, w, h), n)| {
            let zone = self.zone(&s).name().to_string();
            vec![s, zone, w.to_string(), h.to_string(), n.to_string()]
        })
        .collect()
    }

    /// Per source: the lags of articles whose precision is not `day`.
    fn lags(&self) -> BTreeMap<String, Vec<f64>> {
        let mut lags = BTreeMap::<String, Vec<f64>>::new();
        for r in &self.latest {
            if let (Some(lag), false) = (r.lag, r.precision.as_deref() == Some("day")) {
                lags.entry(r.source.clone()).or_default().push(lag as f64);
            }
        }
        lags
    }

    fn feed_lag(&self) -> Vec<Vec<String>> {
        self.lags()
            .into_iter()
            .map(|(s, v)| {
                let over = v.iter().filter(|&&l| l > 86_400.0).count() as f64;
                vec![
                    s,
                    v.len().to_string(),
                    percentile(&v, 0.5).to_string(),
                    percentile(&v, 0.9).to_string(),
                    percentile(&v, 0.99).to_string(),
                    (v.iter().copied().fold(f64::MIN, f64::max) as i64).to_string(),
                    (over / v.len() as f64).to_string(),
                ]
            })
            .collect()
    }

    fn median_lags(&self) -> BTreeMap<String, f64> {
        self.lags()
            .into_iter()
            .map(|(s, v)| (s, percentile(&v, 0.5)))
            .collect()
    }

    fn body_length(&self) -> Vec<Vec<String>> {
        self.by_source()
            .into_iter()
            .map(|(s, recs)| {
                let mut row = vec![s, recs.len().to_string()];
                for value in [
                    (|r: &Rec| r.chars) as fn(&Rec) -> i64,
                    |r| r.paragraphs,
                    |r| r.images,
                ] {
                    let v: Vec<f64> = recs.iter().map(|r| value(r) as f64).collect();
                    row.push(mean(&v).to_string());
                    row.push(percentile(&v, 0.5).to_string());
                    row.push(recs.iter().map(|r| value(r)).max().unwrap().to_string());
                }
                row
            })
            .collect()
    }

    fn top_columns(&self) -> Vec<Vec<String>> {
        let mut rows = Vec::new();
        for (s, recs) in self.by_source() {
            let mut columns: Vec<(String, i64)> =
                count(recs.iter().filter_map(|r| r.column.clone()))
                    .into_iter()
                    .collect();
            // Most articles first, ties by name.
            columns.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            for (rank, (name, n)) in columns.into_iter().take(10).enumerate() {
                rows.push(vec![s.clone(), (rank + 1).to_string(), name, n.to_string()]);
            }
        }
        rows
    }

    fn precision_note(&self) -> Vec<Vec<String>> {
        let text = |v: &Option<String>| v.clone().unwrap_or_else(|| "null".into());
        let of_source = self.articles_by_source();
        // Nulls last.
        count(self.latest.iter().map(|r| {
            (
                r.source.clone(),
                (r.precision.is_none(), r.precision.clone()),
                (r.note.is_none(), r.note.clone()),
            )
        }))
        .into_iter()
        .map(|((s, (_, p), (_, note)), n)| {
            let share = n as f64 / of_source[&s] as f64;
            vec![s, text(&p), text(&note), n.to_string(), share.to_string()]
        })
        .collect()
    }
}

/// The rows of a table equal the reference's: text alike, numbers within 1e-9.
fn assert_rows(name: &str, df: &DataFrame, want: &[Vec<String>]) {
    let got = rows(df);
    let same = |a: &str, b: &str| {
        a == b
            || match (a.parse::<f64>(), b.parse::<f64>()) {
                (Ok(x), Ok(y)) => (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0),
                _ => false,
            }
    };
    assert_eq!(got.len(), want.len(), "{name}: {got:?}\n!= {want:?}");
    for (g, w) in got.iter().zip(want) {
        assert!(
            g.len() == w.len() && g.iter().zip(w).all(|(a, b)| same(a, b)),
            "{name}: row {g:?} != {w:?}"
        );
    }
}

/// Every table (but `rejects_by_kind`) and the headline equal the reference.
fn assert_matches_reference(t: &Tables, r: &Reference) {
    assert_contract_schemas(t);
    let h = &t.headline;
    assert_eq!(
        (h.articles, h.versions),
        (r.latest.len() as i64, r.versions)
    );
    assert_eq!((h.first_day, h.last_day), r.days());
    assert_eq!(h.articles_by_source, r.articles_by_source());
    let medians = r.median_lags();
    assert_eq!(
        h.median_lag_s_by_source.keys().collect::<Vec<_>>(),
        medians.keys().collect::<Vec<_>>()
    );
    for (s, m) in &medians {
        assert_close(h.median_lag_s_by_source[s], *m);
    }
    assert_rows("coverage", &t.coverage, &r.coverage());
    assert_rows("daily_volume", &t.daily_volume, &r.daily_volume());
    assert_rows("weekly_volume", &t.weekly_volume, &r.weekly_volume());
    assert_rows(
        "hour_weekday_utc",
        &t.hour_weekday_utc,
        &r.hour_weekday_utc(),
    );
    assert_rows(
        "hour_weekday_local",
        &t.hour_weekday_local,
        &r.hour_weekday_local(),
    );
    assert_rows("feed_lag", &t.feed_lag, &r.feed_lag());
    assert_rows("body_length", &t.body_length, &r.body_length());
    assert_rows("top_columns", &t.top_columns, &r.top_columns());
    assert_rows("precision_note", &t.precision_note, &r.precision_note());
}

/// The `articles` cell of the row whose leading cells are `key` (0 if none).
fn articles_at(df: &DataFrame, key: &[&str]) -> i64 {
    match lookup(df, key).as_slice() {
        [] => 0,
        [row] => row.last().unwrap().parse().unwrap(),
        more => panic!("{key:?}: {more:?}"),
    }
}

// ---------------------------------------------------------------------------
// The corpus

#[test]
fn the_reference_percentile_interpolates_linearly() {
    // Hand-checked: rank q × (n − 1) between the two nearest values.
    let lags = [45.0, 226.0, 350.0, 440.0, 699.0, 2279.0];
    assert_close(percentile(&lags, 0.5), 395.0); // (350 + 440) / 2
    assert_close(percentile(&lags, 0.9), 1489.0); // rank 4.5: 699 + 0.5 × 1580
    assert_close(percentile(&lags, 0.99), 2200.0); // rank 4.95: 699 + 0.95 × 1580
    assert_close(percentile(&[4846.0], 0.9), 4846.0);
}

#[test]
fn corpus_headline_and_articles_per_source() {
    let corpus = require_corpus!();
    let files = manifest_paths(&corpus).len() as i64;
    let dataset = corpus_dataset(&corpus);
    let t = compute(&query(&dataset)).unwrap();
    let r = reference(&query(&dataset));
    assert_matches_reference(&t, &r);
    let h = &t.headline;
    // One article per file of the manifest, each under its site folder's source.
    assert_eq!((h.articles, h.versions, h.rejects), (files, files, 0));
    assert_eq!(h.articles_by_source, manifest_files_per_source(&corpus));
    // Every table that counts articles counts each once.
    assert_eq!(total(&t.coverage, "articles"), files);
    assert_eq!(total(&t.daily_volume, "articles"), files);
    assert_eq!(total(&t.weekly_volume, "articles"), files);
    assert_eq!(total(&t.body_length, "articles"), files);
    assert_eq!(total(&t.precision_note, "articles"), files);
    // Both matrices hold every article with a clock time; ft and cdt state
    // none, so some have none.
    let clocked = r.clocked();
    let untimed = h.articles_by_source["ft"] + h.articles_by_source["cdt"];
    assert!(clocked > 0 && clocked <= files - untimed, "{clocked}");
    assert_eq!(total(&t.hour_weekday_utc, "articles"), clocked);
    assert_eq!(total(&t.hour_weekday_local, "articles"), clocked);
    // No rejects: an empty table, with its columns.
    assert_eq!(t.rejects_by_kind.height(), 0);
    // No lag for ft and cdt, so no row and no median; every other source has one.
    let lag_sources: Vec<String> = rows(&t.feed_lag)
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    let timed: Vec<String> = h
        .articles_by_source
        .keys()
        .filter(|s| *s != "ft" && *s != "cdt")
        .cloned()
        .collect();
    assert_eq!(lag_sources, timed);
    assert_eq!(
        h.median_lag_s_by_source.keys().cloned().collect::<Vec<_>>(),
        lag_sources
    );
}

#[test]
fn corpus_volumes_by_day_and_iso_week() {
    let corpus = require_corpus!();
    let dataset = corpus_dataset(&corpus);
    let t = compute(&query(&dataset)).unwrap();
    let r = reference(&query(&dataset));
    assert_rows("daily_volume", &t.daily_volume, &r.daily_volume());
    assert_rows("weekly_volume", &t.weekly_volume, &r.weekly_volume());
    // ft and cdt state no time: their days are the feed's, straight from the
    // header line of each corpus file.
    let mut want: BTreeMap<(String, String), i64> = BTreeMap::new();
    for path in manifest_paths(&corpus) {
        let source = source_of_corpus_path(&path);
        if source == "ft" || source == "cdt" {
            let text = std::fs::read_to_string(corpus.join(&path)).unwrap();
            let day = utc(feed_time_ms(&text)).date_naive().to_string();
            *want.entry((source.to_string(), day)).or_default() += 1;
        }
    }
    let got: BTreeMap<(String, String), i64> = rows(&t.daily_volume)
        .into_iter()
        .filter(|r| r[0] == "ft" || r[0] == "cdt")
        .map(|r| ((r[0].clone(), r[1].clone()), r[2].parse().unwrap()))
        .collect();
    assert_eq!(got, want);
    // The worked example: rfi seed published 2021-03-18 13:26Z.
    assert!(articles_at(&t.daily_volume, &["rfi", "2021-03-18"]) >= 1);
    // bbc 2024-02-11 is a Sunday: ISO week 6 of 2024, starting Monday 02-05.
    assert!(articles_at(&t.daily_volume, &["bbc", "2024-02-11"]) >= 1);
    assert_eq!(
        lookup(&t.weekly_volume, &["bbc", "2024", "6"])[0][0],
        "2024-02-05"
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
    let corpus = require_corpus!();
    let dataset = corpus_dataset(&corpus);
    let t = compute(&query(&dataset)).unwrap();
    let r = reference(&query(&dataset));
    assert_rows(
        "hour_weekday_utc",
        &t.hour_weekday_utc,
        &r.hour_weekday_utc(),
    );
    assert_rows(
        "hour_weekday_local",
        &t.hour_weekday_local,
        &r.hour_weekday_local(),
    );
    // rfi seed: Thursday 13:26Z = 14:26 in Paris (CET).
    assert!(articles_at(&t.hour_weekday_utc, &["rfi", "4", "13"]) >= 1);
    assert!(articles_at(&t.hour_weekday_local, &["rfi", "Europe/Paris", "4", "14"]) >= 1);
    // nytimes 2020-10-12 23:06Z (Monday) is Tuesday 07:06 in Beijing.
    assert!(articles_at(&t.hour_weekday_utc, &["nytimes", "1", "23"]) >= 1);
    assert!(
        articles_at(
            &t.hour_weekday_local,
            &["nytimes", "Asia/Shanghai", "2", "7"]
        ) >= 1
    );
    // rfi 2023-07-02 20:32Z, a Sunday in summer: 22:32 in Paris (CEST).
    assert!(articles_at(&t.hour_weekday_local, &["rfi", "Europe/Paris", "7", "22"]) >= 1);
    // Each source in its home zone; ft and cdt (no clock) absent.
    let zones: BTreeMap<String, BTreeSet<String>> =
        rows(&t.hour_weekday_local)
            .into_iter()
            .fold(BTreeMap::new(), |mut z, r| {
                z.entry(r[0].clone()).or_default().insert(r[1].clone());
                z
            });
    let one = |zone: &str| BTreeSet::from([zone.to_string()]);
    assert_eq!(zones["bbc"], one("Europe/London"));
    assert_eq!(zones["rfa"], one("America/New_York"));
    assert_eq!(zones["rfi"], one("Europe/Paris"));
    assert!(!zones.contains_key("ft") && !zones.contains_key("cdt"));
}

#[test]
fn corpus_feed_lag_percentiles_interpolate_linearly() {
    let corpus = require_corpus!();
    let dataset = corpus_dataset(&corpus);
    let t = compute(&query(&dataset)).unwrap();
    let r = reference(&query(&dataset));
    assert_rows("feed_lag", &t.feed_lag, &r.feed_lag());
    // Not vacuous: some source's p90 falls between two of its lags.
    let lags = r.lags();
    assert!(
        lags.values().any(|v| {
            let p90 = percentile(v, 0.9);
            v.iter().all(|&l| l != p90)
        }),
        "{lags:?}"
    );
    // nytimes: every lag counted (its clock is stated to the minute).
    let ny = source_row(&t.feed_lag, "nytimes");
    assert_eq!(ny["count"], lags["nytimes"].len().to_string());
    assert_close(float(&ny, "p50_s"), percentile(&lags["nytimes"], 0.5));
}

#[test]
fn corpus_body_length_columns_and_precision() {
    let corpus = require_corpus!();
    let dataset = corpus_dataset(&corpus);
    let t = compute(&query(&dataset)).unwrap();
    let r = reference(&query(&dataset));
    assert_rows("body_length", &t.body_length, &r.body_length());
    assert_rows("top_columns", &t.top_columns, &r.top_columns());
    assert_rows("precision_note", &t.precision_note, &r.precision_note());
    // rfi's seed is in column 要闻解说.
    assert!(lookup(&t.top_columns, &["rfi"])
        .iter()
        .any(|r| r[1] == "要闻解说"));
    // ft states no time: every one of its files has no precision and no note.
    let ft = manifest_files_per_source(&corpus)["ft"].to_string();
    assert_eq!(
        lookup(&t.precision_note, &["ft"]),
        [["null", "null", ft.as_str(), "1.0"]]
    );
}

// ---------------------------------------------------------------------------
// Versions and filters

#[test]
fn each_article_counts_once_as_its_latest_version() {
    let corpus = require_corpus!();
    let files = manifest_paths(&corpus).len() as i64;
    let (plain, dataset) = (corpus_dataset(&corpus), versions_dataset(&corpus));
    let before = compute(&query(&plain)).unwrap();
    let t = compute(&query(&dataset)).unwrap();
    assert_matches_reference(&t, &reference(&query(&dataset)));
    assert_eq!(
        (t.headline.articles, t.headline.versions),
        (files, files + EXTRA_VERSIONS)
    );
    assert_eq!(
        t.headline.articles_by_source,
        manifest_files_per_source(&corpus)
    );
    let moved = |source: &str, from: &str, to: &str| {
        let on = |t: &Tables, d: &str| articles_at(&t.daily_volume, &[source, d]);
        assert_eq!(on(&t, from), on(&before, from) - 1, "{source} {from}");
        assert_eq!(on(&t, to), on(&before, to) + 1, "{source} {to}");
    };
    // rfi seed: the later version's day and lag.
    moved("rfi", "2021-03-18", "2021-03-19");
    assert!(
        source_row(&t.feed_lag, "rfi")["max_s"]
            .parse::<i64>()
            .unwrap()
            >= 17_711
    );
    // cdt: three versions in two year partitions; the latest is 2021-01-01,
    // the corpus file's day (its feed time) no longer counts it.
    let cdt = std::fs::read_to_string(corpus.join(CDT_390916)).unwrap();
    let cdt_day = utc(feed_time_ms(&cdt)).date_naive().to_string();
    moved("cdt", &cdt_day, "2021-01-01");
    // voa: the re-fed version is the latest, its lag over a day.
    let (voa, voa_before) = (
        source_row(&t.feed_lag, "voa"),
        source_row(&before.feed_lag, "voa"),
    );
    assert_eq!(voa["count"], voa_before["count"]);
    assert!(voa["max_s"].parse::<i64>().unwrap() >= 172_900);
    assert!(float(&voa, "share_over_24h") > float(&voa_before, "share_over_24h"));
}

#[test]
fn a_tie_in_feed_time_goes_to_the_larger_content_hash() {
    // The three ft 1047134 versions share a feed time; which column each
    // carries is read from the dataset itself.
    let corpus = require_corpus!();
    let dataset = versions_dataset(&corpus);
    let lf = LazyFrame::scan_parquet(
        PlRefPath::try_from_path(&dataset.join("articles/source=ft/year=2020")).unwrap(),
        ScanArgsParquet::default(),
    )
    .unwrap();
    let versions = lf
        .filter(col("url").eq(lit("https://cn.ft.com/story/001089764?full=y")))
        .select([col("content_sha256"), col("column_name"), col("article_id")])
        .sort(["content_sha256"], SortMultipleOptions::default())
        .collect()
        .unwrap();
    let versions = rows(&versions);
    assert_eq!(versions.len(), 3);
    let winner = &versions[2][1];
    let losers: Vec<&String> = versions[..2].iter().map(|r| &r[1]).collect();
    let id = &versions[0][2];

    let t = compute(&query(&dataset)).unwrap();
    let ft_columns: BTreeMap<String, String> = lookup(&t.top_columns, &["ft"])
        .into_iter()
        .map(|r| (r[1].clone(), r[2].clone()))
        .collect();
    // The other ft articles' columns, counted apart; the winner adds one.
    let r = reference(&query(&dataset));
    for column in ["每周数读", "一周世界舆论聚焦"] {
        let others = r
            .latest
            .iter()
            .filter(|a| a.source == "ft" && &a.article_id != id)
            .filter(|a| a.column.as_deref() == Some(column))
            .count();
        let want = others + usize::from(winner == column);
        let got = ft_columns.get(column).map_or(0, |n| n.parse().unwrap());
        assert_eq!(got, want, "{column}; winner {winner}, losers {losers:?}");
    }
}

#[test]
fn day_filters_apply_to_the_latest_version() {
    // Until 2020-12-31, cdt 390916 is out: its latest version is on
    // 2021-01-01, though two of its versions (the corpus file's and 12-31)
    // are in. From 2021-01-01 it is in, with one version (01-01).
    let corpus = require_corpus!();
    let (plain, dataset) = (corpus_dataset(&corpus), versions_dataset(&corpus));
    let windows = [
        (None, Some(day("2020-12-31")), (-1, 1)),
        (Some(day("2021-01-01")), None, (1, 1)),
    ];
    for (since, until, (more_articles, more_versions)) in windows {
        let cdt = |dataset: &Path| StatsQuery {
            sources: vec!["cdt".into()],
            since,
            until,
            ..query(dataset)
        };
        let before = compute(&cdt(&plain)).unwrap();
        let t = compute(&cdt(&dataset)).unwrap();
        assert_matches_reference(&t, &reference(&cdt(&dataset)));
        let (h, b) = (&t.headline, &before.headline);
        assert!(b.articles > 0, "cdt has articles in {since:?}..{until:?}");
        assert_eq!(
            (h.articles, h.versions),
            (b.articles + more_articles, b.versions + more_versions),
            "{since:?}..{until:?}"
        );
        if let Some(until) = until {
            assert!(h.last_day.unwrap() <= until);
        }
    }
}

#[test]
fn source_and_since_filters() {
    let corpus = require_corpus!();
    let dataset = corpus_dataset(&corpus);
    let mut q = query(&dataset);
    q.sources = vec!["rfi".into()];
    q.since = Some(day("2023-07-01"));
    let t = compute(&q).unwrap();
    assert_matches_reference(&t, &reference(&q));
    assert!(t.headline.articles > 0, "rfi has items since 2023-07-01");
    assert!(t.headline.first_day.unwrap() >= day("2023-07-01"));
    for (name, df) in t.named() {
        if name != "rejects_by_kind" {
            assert!(rows(df).iter().all(|r| r[0] == "rfi"), "{name}");
        }
    }

    // Two sources, a window (both ends inclusive).
    q.sources = vec!["bbc".into(), "voa".into()];
    q.since = Some(day("2020-10-01"));
    q.until = Some(day("2020-10-10"));
    let t = compute(&q).unwrap();
    let r = reference(&q);
    assert_matches_reference(&t, &r);
    let by_source: Vec<&String> = t.headline.articles_by_source.keys().collect();
    assert_eq!(by_source, ["bbc", "voa"]);
    assert!(r
        .latest
        .iter()
        .all(|a| a.day() >= day("2020-10-01") && a.day() <= day("2020-10-10")));
}

#[test]
fn an_empty_selection_gives_empty_tables() {
    let corpus = require_corpus!();
    let dataset = corpus_dataset(&corpus);
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
    let corpus = require_corpus!();
    let dataset = corpus_dataset(&corpus);
    let mut q = query(&dataset);
    q.zones.insert("rfi".into(), chrono_tz::Asia::Tokyo);
    q.zones
        .insert("newsroom-x".into(), chrono_tz::Europe::Paris);
    let t = compute(&q).unwrap();
    let r = reference(&q);
    assert_rows(
        "hour_weekday_local",
        &t.hour_weekday_local,
        &r.hour_weekday_local(),
    );
    // rfi seed: Thursday 13:26Z = 22:26 in Tokyo.
    assert!(articles_at(&t.hour_weekday_local, &["rfi", "Asia/Tokyo", "4", "22"]) >= 1);
    assert!(lookup(&t.hour_weekday_local, &["rfi", "Europe/Paris"]).is_empty());
    assert_eq!(total(&t.hour_weekday_local, "articles"), r.clocked());
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
