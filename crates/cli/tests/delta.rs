//! `format = "delta"`: a dataset published as Delta tables, and inputs read
//! through the object store interface (`file://` here; S3 on a loopback
//! server in tests/python/test_storage.py). Tables are read back by
//! replaying their `_delta_log` independently of delta-rs.

mod common;

use std::path::{Path, PathBuf};

use common::*;

fn sample() -> PathBuf {
    repo().join("data/sample")
}

fn run_into(inputs: &[&str], output: &Path, extra: &[&str]) -> serde_json::Value {
    let o = output.to_str().unwrap();
    let mut args = vec!["run", "--output", o, "--progress", "quiet"];
    for input in inputs {
        args.extend(["--input", input]);
    }
    args.extend_from_slice(extra);
    run_ok(&args);
    if output.join(".wirehouse").exists() {
        summary(output)
    } else {
        serde_json::from_slice(&std::fs::read(output.join("run-summary.json")).unwrap()).unwrap()
    }
}

#[test]
fn a_delta_dataset_holds_the_rows_of_a_folder_run_and_says_its_versions() {
    let corpus = require_corpus!();
    let dir = tempfile::tempdir().unwrap();
    let (c, s) = (corpus.to_str().unwrap(), sample());
    let s = s.to_str().unwrap();
    let folder = dir.path().join("folder");
    let delta = dir.path().join("delta");
    let plain = run_into(&[c, s], &folder, &[]);
    let published = run_into(&[c, s], &delta, &["--format", "delta"]);

    for name in ["articles", "rejects"] {
        let expected = sorted(read_dataset(&folder.join(name)));
        let got = sorted(read_delta(&delta, name));
        assert!(!expected.is_empty(), "{name}");
        assert_eq!(got.len(), expected.len(), "{name}");
        assert_eq!(got, expected, "{name}");
    }
    for key in ["files_found", "records", "duplicates", "rejects"] {
        assert_eq!(published[key], plain[key], "{key}");
    }
    assert_eq!(published["delta"]["run"], 1, "{published}");
    assert_eq!(published["delta"]["articles_version"], 0, "{published}");
    // The table is partitioned as the folder is, and the commit carries the
    // run's accounting and its application transaction.
    let commits = delta_commits(&delta.join("articles"));
    assert_eq!(commits.len(), 1);
    let actions = &commits[0].1;
    let metadata = actions.iter().find_map(|a| a.get("metaData")).unwrap();
    assert_eq!(
        metadata["partitionColumns"],
        serde_json::json!(["source", "year"])
    );
    let txn = actions.iter().find_map(|a| a.get("txn")).unwrap();
    assert_eq!(
        (txn["appId"].as_str(), txn["version"].as_i64()),
        (Some("wirehouse"), Some(1))
    );
    let info = actions.iter().find_map(|a| a.get("commitInfo")).unwrap();
    assert_eq!(
        info["wirehouse.summary"]["records"], plain["records"],
        "{info}"
    );
    // Each add says its partition and row count.
    let adds: Vec<&serde_json::Value> = actions.iter().filter_map(|a| a.get("add")).collect();
    let rows: u64 = adds
        .iter()
        .map(|add| {
            let path = add["path"].as_str().unwrap();
            let values = &add["partitionValues"];
            assert!(path.starts_with(&format!(
                "source={}/year={}/",
                values["source"].as_str().unwrap(),
                values["year"].as_str().unwrap()
            )));
            let stats: serde_json::Value =
                serde_json::from_str(add["stats"].as_str().unwrap()).unwrap();
            stats["numRecords"].as_u64().unwrap()
        })
        .sum();
    assert_eq!(rows, plain["records"].as_u64().unwrap());
}

#[test]
fn a_delta_rerun_commits_nothing_new_and_rewrites_only_changed_partitions_in_one_commit() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    copy_tree(&sample(), &input);
    let i = input.to_str().unwrap();
    let out = dir.path().join("out");
    let articles = out.join("articles");
    run_into(&[i], &out, &["--format", "delta"]);
    let before = delta_files(&articles);
    let versions = |table: &Path| delta_commits(table).len();
    assert_eq!(versions(&articles), 1);

    // Nothing new: no commit to either table, and the run says so.
    let again = wirehouse(&[
        "run",
        "--input",
        i,
        "--output",
        out.to_str().unwrap(),
        "--format",
        "delta",
        "--progress",
        "quiet",
    ]);
    assert!(again.status.success());
    let printed = String::from_utf8_lossy(&again.stdout);
    assert!(
        printed.contains("unchanged: articles version 0"),
        "{printed}"
    );
    assert_eq!(versions(&articles), 1);
    assert_eq!(versions(&out.join("rejects")), 1);

    // One file's feed time moves by a second: its partition is rewritten,
    // every other partition keeps its file, all in one commit.
    let changed = first_article(&input.join("rfi"));
    let text = std::fs::read_to_string(&changed).unwrap();
    std::fs::write(&changed, with_feed_time(&text, feed_time_ms(&text) + 1000)).unwrap();
    let second = run_into(&[i], &out, &["--format", "delta"]);
    assert_eq!(second["delta"]["articles_version"], 1, "{second}");
    assert!(second["unchanged"].as_u64().unwrap() > 0, "{second}");
    let commits = delta_commits(&articles);
    assert_eq!(commits.len(), 2);
    let year = chrono::DateTime::from_timestamp_millis(feed_time_ms(&text))
        .unwrap()
        .format("%Y")
        .to_string();
    let partition = format!("source=rfi/year={year}/");
    let (removed, added): (Vec<String>, Vec<String>) = {
        let actions = &commits[1].1;
        let paths = |kind: &str| -> Vec<String> {
            actions
                .iter()
                .filter_map(|a| a.get(kind))
                .map(|a| a["path"].as_str().unwrap().to_string())
                .collect()
        };
        (paths("remove"), paths("add"))
    };
    assert!(!removed.is_empty() && !added.is_empty());
    assert!(
        removed
            .iter()
            .chain(&added)
            .all(|p| p.starts_with(&partition)),
        "{removed:?} {added:?}"
    );
    let after = delta_files(&articles);
    let kept: Vec<&String> = before
        .iter()
        .filter(|p| !p.starts_with(&partition))
        .collect();
    assert!(
        kept.iter().all(|p| after.contains(p)),
        "untouched partitions keep their files"
    );

    // The table equals a full folder run over the changed input.
    let full = dir.path().join("full");
    run_into(&[i], &full, &[]);
    assert_eq!(
        sorted(read_delta(&out, "articles")),
        sorted(read_dataset(&full.join("articles")))
    );
    assert_eq!(
        sorted(read_delta(&out, "rejects")),
        sorted(read_dataset(&full.join("rejects")))
    );

    // The previous version stays readable until a vacuum removes its files.
    for old in before.iter().filter(|p| !after.contains(p)) {
        assert!(articles.join(old).exists(), "{old}");
    }
    let vacuum = run_ok(&[
        "vacuum",
        "--dataset",
        out.to_str().unwrap(),
        "--retain-hours",
        "0",
    ]);
    let said = String::from_utf8_lossy(&vacuum.stdout);
    assert!(said.contains("articles: removed 1 data files"), "{said}");
    for old in before.iter().filter(|p| !after.contains(p)) {
        assert!(!articles.join(old).exists(), "{old}");
    }
    assert_eq!(
        sorted(read_delta(&out, "articles")),
        sorted(read_dataset(&full.join("articles")))
    );

    // Statistics read the current version only, not the older files.
    let stats_of = |dataset: &Path, name: &str| {
        let target = dir.path().join(name);
        run_ok(&[
            "stats",
            "--dataset",
            dataset.to_str().unwrap(),
            "--out",
            target.to_str().unwrap(),
            "--no-charts",
        ]);
        let text = std::fs::read_to_string(target.join("summary.md")).unwrap();
        // All but the line naming the dataset.
        text.lines()
            .filter(|l| !l.starts_with("- Dataset: "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(stats_of(&out, "s-delta"), stats_of(&full, "s-full"));
}

#[test]
fn a_file_url_input_is_read_through_the_object_store_as_the_folder_is() {
    let corpus = require_corpus!();
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "file://{}",
        std::fs::canonicalize(&corpus).unwrap().display()
    );
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let plain = run_into(&[corpus.to_str().unwrap()], &a, &[]);
    let listed = run_into(&[&url], &b, &[]);
    for key in ["files_found", "records", "duplicates", "rejects"] {
        assert_eq!(listed[key], plain[key], "{key}");
    }
    for name in ["articles", "rejects"] {
        assert_eq!(
            read_dataset(&b.join(name)),
            read_dataset(&a.join(name)),
            "{name}"
        );
    }
    // Over the size limit: rejected from the listing, as a file is.
    let small = dir.path().join("small");
    let limited = run_into(&[&url], &small, &["--max-file-bytes", "2000"]);
    assert!(
        limited["rejects_by_kind"]["too_large"].as_u64().unwrap() > 0,
        "{limited}"
    );
}

#[test]
fn an_object_store_output_needs_the_delta_format_and_a_bad_url_is_named() {
    let sample = sample();
    let out = wirehouse(&[
        "run",
        "--input",
        sample.to_str().unwrap(),
        "--output",
        "s3://bucket/ds",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("s3://bucket/ds is in an object store"),
        "{err}"
    );
    assert!(err.contains("--format delta"), "{err}");
    let out = wirehouse(&["run", "--input", "ftp://host/x", "--output", "/tmp/never"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("unknown scheme ftp://"), "{err}");
}

fn first_article(dir: &Path) -> PathBuf {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    files.remove(0)
}
