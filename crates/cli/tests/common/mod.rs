//! Helpers shared by the end-to-end tests: running the binary, reading
//! datasets back from their Parquet files.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type, TimestampMillisecondType};
use arrow_array::{Array, ArrayRef};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

pub type Row = BTreeMap<String, String>;

// The package's folder as cargo gives it to the running test, not as it was
// when the test was compiled: a target folder shared by several checkouts
// (CI keeps one) may hold a test binary built in another.
fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

pub fn repo() -> PathBuf {
    manifest_dir().join("../..")
}

/// Where the real corpus is looked for: `$WIREHOUSE_CORPUS`, else
/// `../shared/corpus` beside the repository. Tests reach it only through
/// [`corpus_or_skip`] (or [`require_corpus!`]).
pub fn corpus_path() -> PathBuf {
    std::env::var_os("WIREHOUSE_CORPUS")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/corpus"))
}

/// The real corpus for the test `test`, or `None` when its folder does not
/// exist: the test is then skipped with a line on stderr saying so, written
/// past the test harness's capture so that `cargo test` shows it. Under CI
/// (`$CI` set) a missing corpus is an error, not a skip.
pub fn corpus_or_skip(test: &str) -> Option<PathBuf> {
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
    // `eprintln!` would be captured (and dropped) for a passing test.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: no corpus at {} (set WIREHOUSE_CORPUS=/path/to/shared/corpus)",
        path.display()
    );
    None
}

/// `let corpus = require_corpus!();` — the corpus, or return from the
/// calling test (skipped; see [`corpus_or_skip`]), named after that test.
macro_rules! require_corpus {
    () => {{
        fn here() {}
        let name = std::any::type_name_of_val(&here);
        let name = name.strip_suffix("::here").unwrap_or(name);
        let name = name.rsplit("::").next().unwrap_or(name);
        match crate::common::corpus_or_skip(name) {
            Some(path) => path,
            None => return,
        }
    }};
}
pub(crate) use require_corpus;

/// The corpus paths `MANIFEST.tsv` lists (column `local_path`), one per
/// file, in its order.
pub fn manifest_paths(corpus: &Path) -> Vec<String> {
    let manifest = corpus.join("MANIFEST.tsv");
    assert!(
        manifest.is_file(),
        "{} is missing: the corpus lists its files there",
        manifest.display()
    );
    let paths: Vec<String> = tsv(&manifest)
        .into_iter()
        .map(|r| r["local_path"].clone())
        .collect();
    assert!(!paths.is_empty(), "{} lists no file", manifest.display());
    paths
}

/// The source wirehouse must give a corpus file, from its place in the
/// corpus: `<archive>/articles/<site folder>/<file>`, or `seed/<file>` (the
/// rfi seed). Both archives' folder names, as the corpus README lists them.
pub fn source_of_corpus_path(path: &str) -> &'static str {
    if path.starts_with("seed/") {
        return "rfi";
    }
    let folder = path.split('/').nth(2).unwrap_or_default();
    match folder {
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
pub fn manifest_files_per_source(corpus: &Path) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for path in manifest_paths(corpus) {
        *counts
            .entry(source_of_corpus_path(&path).to_string())
            .or_default() += 1;
    }
    counts
}

/// The manifest's paths below the corpus folder `folder` (e.g.
/// `dutymachine-news/articles/rfi`).
pub fn manifest_paths_under(corpus: &Path, folder: &str) -> Vec<String> {
    let prefix = format!("{}/", folder.trim_end_matches('/'));
    manifest_paths(corpus)
        .into_iter()
        .filter(|p| p.starts_with(&prefix))
        .collect()
}

/// The feed time of an article file: its first line, `<!--EPOCH_MS-->`.
pub fn feed_time_ms(text: &str) -> i64 {
    let header = text.lines().next().unwrap_or_default();
    header
        .strip_prefix("<!--")
        .and_then(|h| h.strip_suffix("-->"))
        .and_then(|ms| ms.trim().parse().ok())
        .unwrap_or_else(|| panic!("no feed-time header: {header:?}"))
}

/// The file with its feed-time header replaced.
pub fn with_feed_time(text: &str, ms: i64) -> String {
    let (_, rest) = text.split_once('\n').unwrap();
    format!("<!--{ms}-->\n{rest}")
}

pub fn wirehouse(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wirehouse"))
        .args(args)
        .output()
        .unwrap()
}

pub fn run_ok(args: &[&str]) -> Output {
    let out = wirehouse(args);
    assert!(
        out.status.success(),
        "wirehouse {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn cell(column: &ArrayRef, i: usize) -> String {
    if column.is_null(i) {
        return String::new();
    }
    match column.data_type() {
        arrow_schema::DataType::Utf8 => column.as_string::<i32>().value(i).to_string(),
        arrow_schema::DataType::Int64 => column.as_primitive::<Int64Type>().value(i).to_string(),
        arrow_schema::DataType::Int32 => column.as_primitive::<Int32Type>().value(i).to_string(),
        arrow_schema::DataType::Boolean => column.as_boolean().value(i).to_string(),
        arrow_schema::DataType::Timestamp(_, _) => {
            let ms = column.as_primitive::<TimestampMillisecondType>().value(i);
            chrono::DateTime::from_timestamp_millis(ms)
                .unwrap()
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        }
        arrow_schema::DataType::List(_) => {
            let list = column.as_list::<i32>().value(i);
            (0..list.len())
                .map(|j| cell(&list, j))
                .collect::<Vec<_>>()
                .join(" ")
        }
        other => panic!("unexpected type {other}"),
    }
}

/// Every row of every Parquet file under `dir`, with Hive partition values
/// added as columns, in path order.
pub fn read_dataset(dir: &Path) -> Vec<Row> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "parquet") {
                files.push(path);
            }
        }
    }
    files.sort();
    read_files(dir, &files)
}

/// Every row of `files` (under `dir`), with the Hive partition values of
/// their paths below `dir` added as columns, in the order given.
pub fn read_files(dir: &Path, files: &[PathBuf]) -> Vec<Row> {
    let mut rows = Vec::new();
    for path in files {
        let partitions: Vec<(String, String)> = path
            .strip_prefix(dir)
            .unwrap()
            .components()
            .filter_map(|c| {
                let s = c.as_os_str().to_str()?;
                let (k, v) = s.split_once('=')?;
                Some((k.to_string(), v.to_string()))
            })
            .collect();
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap())
            .unwrap()
            .build()
            .unwrap();
        for batch in reader {
            let batch = batch.unwrap();
            for i in 0..batch.num_rows() {
                let mut row: Row = partitions.iter().cloned().collect();
                for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
                    row.insert(field.name().clone(), cell(column, i));
                }
                rows.push(row);
            }
        }
    }
    rows
}

pub fn summary(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out.join("run-summary.json")).unwrap()).unwrap()
}

pub fn tsv(path: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            header
                .iter()
                .zip(l.split('\t').chain(std::iter::repeat("")))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// Every file under `root`'s `subdirs` (all of `root` when empty), by path
/// relative to `root`, with its bytes.
pub fn tree_files(root: &Path, subdirs: &[&str]) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack: Vec<PathBuf> = if subdirs.is_empty() {
        vec![root.to_path_buf()]
    } else {
        subdirs.iter().map(|d| root.join(d)).collect()
    };
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(root).unwrap().display().to_string();
                files.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

/// The data files of the Delta table at `table` at its latest version, by
/// replaying its log's commits (`add` and `remove` actions, in version
/// order) as the protocol says: an independent reading of what delta-rs
/// wrote. Paths relative to `table`, sorted.
pub fn delta_files(table: &Path) -> Vec<String> {
    let mut active = std::collections::BTreeSet::new();
    for (_, actions) in delta_commits(table) {
        for action in actions {
            if let Some(add) = action.get("add") {
                active.insert(add["path"].as_str().unwrap().to_string());
            }
            if let Some(remove) = action.get("remove") {
                active.remove(remove["path"].as_str().unwrap());
            }
        }
    }
    active.into_iter().collect()
}

/// Every commit of the Delta table at `table`: its version and actions.
pub fn delta_commits(table: &Path) -> Vec<(u64, Vec<serde_json::Value>)> {
    let mut commits = Vec::new();
    for entry in std::fs::read_dir(table.join("_delta_log")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let Some(version) = name.strip_suffix(".json") else {
            continue;
        };
        let Ok(version) = version.parse::<u64>() else {
            continue;
        };
        let text = std::fs::read_to_string(&path).unwrap();
        let actions = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        commits.push((version, actions));
    }
    commits.sort_by_key(|(v, _)| *v);
    commits
}

/// Every row of a Delta dataset's table `name` at its latest version.
pub fn read_delta(dataset: &Path, name: &str) -> Vec<Row> {
    let table = dataset.join(name);
    let files: Vec<PathBuf> = delta_files(&table)
        .iter()
        .map(|f| table.join(f.replace("%25", "%")))
        .collect();
    read_files(&table, &files)
}

/// Rows in a canonical order, for comparing datasets whose files differ.
pub fn sorted(mut rows: Vec<Row>) -> Vec<Row> {
    rows.sort();
    rows
}

/// Copies the tree `from` into `to` (created if missing).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let target = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_tree(&p, &target);
        } else {
            std::fs::copy(&p, &target).unwrap();
        }
    }
}
