//! Helpers shared by the end-to-end tests: running the binary, reading
//! datasets back from their Parquet files.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs::File;
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

pub fn corpus() -> PathBuf {
    std::env::var_os("WIREHOUSE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/corpus"))
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
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&path).unwrap())
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
