//! `wirehouse run` end to end: the real corpus, the bundled sample, bad
//! invocations. Datasets are read back from the Parquet files themselves.
//!
//! Counts over the real corpus are never written here: they come from its
//! `MANIFEST.tsv` (one line per file), from its folders, or from the files'
//! feed-time headers. Without a corpus (see `common::corpus_or_skip`) the
//! tests that read it are skipped, and the others still run.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::*;

#[test]
fn the_real_corpus_gives_one_record_per_file_and_the_seed_has_the_spec_values() {
    let corpus = require_corpus!();
    let files = manifest_paths(&corpus).len();
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().join("warehouse");
    run_ok(&[
        "run",
        "--input",
        corpus.to_str().unwrap(),
        "--output",
        out_dir.to_str().unwrap(),
        "--progress",
        "quiet",
    ]);
    let rows = read_dataset(&out_dir.join("articles"));
    assert_eq!(rows.len(), files, "one record per file of MANIFEST.tsv");
    let s = summary(&out_dir);
    assert_eq!(s["files_found"], files);
    assert_eq!(s["records"], files);
    assert_eq!(s["duplicates"], 0);
    assert_eq!(s["rejects"], 0);
    assert!(read_dataset(&out_dir.join("rejects")).is_empty());
    // Each file's source, as its site folder says.
    let mut by_source: BTreeMap<String, usize> = BTreeMap::new();
    for row in &rows {
        *by_source.entry(row["source"].clone()).or_default() += 1;
    }
    assert_eq!(by_source, manifest_files_per_source(&corpus));

    let seed = rows
        .iter()
        .find(|r| r["source_path"] == "seed/000_048dc874b1a19fb5.txt")
        .unwrap();
    assert_eq!(seed["source"], "rfi");
    assert_eq!(seed["year"], "2021");
    assert_eq!(seed["profile"], "rfi");
    assert_eq!(seed["feed_time_utc"], "2021-03-18T13:55:11Z");
    assert_eq!(seed["published_utc"], "2021-03-18T13:26:00Z");
    assert_eq!(seed["published_raw"], "18/03/2021 - 14:26");
    assert_eq!(seed["published_tz"], "Europe/Paris");
    assert_eq!(seed["published_precision"], "minute");
    assert_eq!(seed["published_note"], "");
    assert_eq!(seed["feed_lag_s"], "1751");
    assert_eq!(seed["column_name"], "要闻解说");
    assert_eq!(seed["title"], "中美首次高层会 双方皆对成果不表期待");
    assert!(seed["url"].starts_with("http://www.rfi.fr/cn/%E4%B8%93%E6%A0%8F%E6%A3%80%E7%B4%A2/"));
    assert!(seed["url_raw"].starts_with("http://www.rfi.fr//cn/"));
    assert_eq!(seed["has_feed_footer"], "true");
    assert_eq!(seed["article_id"].len(), 32);
    // The corpus manifest lists each file's SHA-256.
    let manifest = tsv(&corpus.join("MANIFEST.tsv"));
    let listed = manifest
        .iter()
        .find(|r| r["local_path"] == "seed/000_048dc874b1a19fb5.txt")
        .unwrap();
    assert_eq!(seed["content_sha256"], listed["sha256"]);
    for row in &rows {
        let listed = manifest
            .iter()
            .find(|r| r["local_path"] == row["source_path"])
            .unwrap();
        assert_eq!(
            row["content_sha256"], listed["sha256"],
            "{}",
            row["source_path"]
        );
    }
}

#[test]
fn the_sample_pipeline_matches_its_expected_outcomes() {
    let out = tempfile::tempdir().unwrap();
    let pipeline = repo().join("pipelines/sample.toml");
    let stdout = run_ok(&[
        "run",
        pipeline.to_str().unwrap(),
        "--output",
        out.path().to_str().unwrap(),
        "--progress",
        "log",
    ]);
    let printed = String::from_utf8_lossy(&stdout.stdout);
    assert!(
        printed.contains("wirehouse run sample: 34 files found"),
        "{printed}"
    );
    assert!(printed.contains("duplicates         1"), "{printed}");

    let expected = tsv(&repo().join("data/sample/expected.tsv"));
    let articles = read_dataset(&out.path().join("articles"));
    let rejects = read_dataset(&out.path().join("rejects"));
    let by_path = |rows: &[Row], p: &str| rows.iter().find(|r| r["source_path"] == p).cloned();
    for want in &expected {
        let path = &want["path"];
        match want["outcome"].as_str() {
            "record" => {
                let got = by_path(&articles, path).unwrap_or_else(|| panic!("{path}: no record"));
                assert_eq!(got["source"], want["source"], "{path}");
                assert_eq!(got["feed_time_utc"], want["feed_time_utc"], "{path}");
                assert_eq!(got["published_utc"], want["published_utc"], "{path}");
                assert_eq!(got["published_note"], want["published_note"], "{path}");
            }
            "duplicate" => {
                assert!(by_path(&articles, path).is_none(), "{path}");
                assert!(by_path(&rejects, path).is_none(), "{path}");
            }
            "reject" => {
                let got = by_path(&rejects, path).unwrap_or_else(|| panic!("{path}: no reject"));
                assert_eq!(got["error_kind"], want["error_kind"], "{path}");
                assert!(got["error_message"].len() > 10, "{path}");
            }
            other => panic!("unknown outcome {other}"),
        }
    }
    let count = |o: &str| expected.iter().filter(|r| r["outcome"] == o).count();
    assert_eq!(articles.len(), count("record"));
    assert_eq!(rejects.len(), count("reject"));
    let s = summary(out.path());
    assert_eq!(s["files_found"], expected.len());
    assert_eq!(s["duplicates"], count("duplicate"));
    assert_eq!(
        s["files_found"].as_u64().unwrap(),
        s["records"].as_u64().unwrap()
            + s["duplicates"].as_u64().unwrap()
            + s["rejects"].as_u64().unwrap()
    );
    // Plain log lines, not a bar, when stderr is not a terminal.
    let log = String::from_utf8_lossy(&stdout.stderr);
    assert!(log.contains("34/34 files (100.0%)"), "{log}");
}

#[test]
fn output_is_byte_identical_whatever_the_thread_count() {
    let corpus = require_corpus!();
    let out = tempfile::tempdir().unwrap();
    let one = out.path().join("one");
    let four = out.path().join("four");
    for (dir, threads) in [(&one, "1"), (&four, "4")] {
        run_ok(&[
            "run",
            "--input",
            corpus.to_str().unwrap(),
            "--output",
            dir.to_str().unwrap(),
            "--threads",
            threads,
            "--progress",
            "quiet",
        ]);
    }
    let parts = |root: &Path| tree_files(root, &["articles/", "rejects/"]);
    let (a, b) = (parts(&one), parts(&four));
    // One partition per source and UTC year of the feed time (each file's
    // first line), all written.
    let mut expected = BTreeSet::new();
    for path in manifest_paths(&corpus) {
        let text = std::fs::read_to_string(corpus.join(&path)).unwrap();
        let year = chrono::DateTime::from_timestamp_millis(feed_time_ms(&text))
            .unwrap()
            .format("%Y");
        expected.insert(format!(
            "articles/source={}/year={year}",
            source_of_corpus_path(&path)
        ));
    }
    let partitions: BTreeSet<String> = a
        .keys()
        .filter(|p| p.starts_with("articles/"))
        .map(|p| p.rsplit_once('/').unwrap().0.to_string())
        .collect();
    assert_eq!(partitions, expected);
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (path, bytes) in &a {
        assert!(bytes == &b[path], "{path} differs");
    }
}

#[test]
fn files_over_the_size_limit_are_rejected_and_counted() {
    let corpus = require_corpus!();
    let folder = "dutymachine-news/articles/rfi";
    let files = manifest_paths_under(&corpus, folder);
    let over = files
        .iter()
        .filter(|p| std::fs::metadata(corpus.join(p)).unwrap().len() > 5000)
        .count();
    assert!(
        over > 0 && over < files.len(),
        "{folder} should hold files on both sides of 5000 bytes"
    );
    let out = tempfile::tempdir().unwrap();
    run_ok(&[
        "run",
        "--input",
        corpus.join(folder).to_str().unwrap(),
        "--output",
        out.path().to_str().unwrap(),
        "--max-file-bytes",
        "5000",
        "--progress",
        "quiet",
    ]);
    let rejects = read_dataset(&out.path().join("rejects"));
    let records = read_dataset(&out.path().join("articles"));
    assert_eq!(rejects.len(), over);
    assert_eq!(records.len(), files.len() - over);
    for r in &rejects {
        assert_eq!(r["error_kind"], "too_large");
        assert!(r["file_size"].parse::<u64>().unwrap() > 5000);
        assert!(r["error_message"].contains("over the limit of 5000 bytes"));
    }
}

#[test]
fn a_dangling_link_is_an_io_reject_not_a_lost_file() {
    let input = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(input.path().join("gone.md"), input.path().join("link.md")).unwrap();
    std::fs::write(
        input.path().join("ok.md"),
        "<!--1616075711000-->\n[t](https://news.example.org/a)\n---\n\n<p>x</p>",
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    run_ok(&[
        "run",
        "--input",
        input.path().to_str().unwrap(),
        "--output",
        out.path().join("w").to_str().unwrap(),
        "--progress",
        "quiet",
    ]);
    let s = summary(&out.path().join("w"));
    assert_eq!(s["files_found"], 2);
    assert_eq!(s["records"], 1);
    assert_eq!(s["rejects_by_kind"]["io"], 1);
}

fn fails_with(args: &[&str], needle: &str) {
    let out = wirehouse(args);
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("wirehouse: error: "), "{stderr}");
    assert!(stderr.contains(needle), "{stderr} lacks {needle}");
}

#[test]
fn a_missing_input_fails_with_a_one_line_reason() {
    fails_with(
        &["run", "--input", "/no/such/archive", "--output", "/tmp/x"],
        "input /no/such/archive does not exist",
    );
}

#[test]
fn an_unwritable_output_fails_with_a_one_line_reason() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("f");
    std::fs::write(&file, b"x").unwrap();
    let output = file.join("out");
    fails_with(
        &[
            "run",
            "--input",
            sample_input().to_str().unwrap(),
            "--output",
            output.to_str().unwrap(),
        ],
        "cannot use output folder",
    );
}

#[test]
fn an_invalid_pipeline_file_fails_naming_the_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "inputs = [\"x\"]\nthreds = 2\n").unwrap();
    fails_with(&["run", file.to_str().unwrap()], "threds");
    fails_with(&["run", file.to_str().unwrap()], "bad.toml");
    fails_with(
        &["run", dir.path().join("none.toml").to_str().unwrap()],
        "cannot read pipeline file",
    );
}

#[test]
fn an_invalid_profile_folder_fails_naming_the_profile() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("generic.toml"), "name = \"generic\"\n").unwrap();
    std::fs::write(
        dir.path().join("x.toml"),
        "name = \"x\"\nsource = \"x\"\nhosts = [\"x.org\"]\n[lead]\nselector = \"p[\"\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    fails_with(
        &[
            "run",
            "--input",
            sample_input().to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
            "--profiles",
            dir.path().to_str().unwrap(),
        ],
        "x.toml: lead.selector",
    );
}

#[test]
fn an_output_folder_holding_foreign_data_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("articles")).unwrap();
    fails_with(
        &[
            "run",
            "--input",
            sample_input().to_str().unwrap(),
            "--output",
            dir.path().to_str().unwrap(),
        ],
        "not made by wirehouse",
    );
}

#[test]
fn a_rerun_replaces_the_dataset_and_the_old_files_disappear() {
    let corpus = require_corpus!();
    let (rfi, dw) = (
        "dutymachine-news/articles/rfi",
        "dutymachine-news/articles/dw",
    );
    let (rfi_files, dw_files) = (
        manifest_paths_under(&corpus, rfi).len(),
        manifest_paths_under(&corpus, dw).len(),
    );
    assert!(rfi_files > 0 && dw_files > 0);
    let (rfi, dw) = (corpus.join(rfi), corpus.join(dw));
    let out = tempfile::tempdir().unwrap();
    let o = out.path().to_str().unwrap();
    run_ok(&[
        "run",
        "--input",
        rfi.to_str().unwrap(),
        "--output",
        o,
        "--progress",
        "quiet",
    ]);
    assert_eq!(read_dataset(&out.path().join("articles")).len(), rfi_files);
    run_ok(&[
        "run",
        "--input",
        dw.to_str().unwrap(),
        "--output",
        o,
        "--progress",
        "quiet",
    ]);
    let rows = read_dataset(&out.path().join("articles"));
    assert_eq!(rows.len(), dw_files);
    assert!(rows.iter().all(|r| r["source"] == "dw"));
    assert_eq!(summary(out.path())["generation"], "gen-000002");
}

#[test]
fn profiles_lists_every_source_and_generic() {
    let out = run_ok(&["profiles"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for name in [
        "bbc", "cdt", "dw", "ft", "nytimes", "reuters", "rfa", "rfi", "voa", "generic",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(&format!("{name}  "))),
            "{name} missing:\n{text}"
        );
    }
    assert!(text.contains("zone Europe/Paris"));
}

#[test]
fn inspect_shows_each_field_and_the_rule_behind_it() {
    let corpus = require_corpus!();
    let seed = corpus.join("seed/000_048dc874b1a19fb5.txt");
    let out = run_ok(&["inspect", seed.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("published_utc        2021-03-18T13:26:00Z"),
        "{text}"
    );
    assert!(text.contains("column_name          \"要闻解说\""), "{text}");
    assert!(
        text.contains("published_utc    published[0]: `body > div:first-child`"),
        "{text}"
    );
    assert!(
        text.contains("lead             lead: `body > p > strong`"),
        "{text}"
    );
    assert!(
        text.contains("profile          rfi (built-in rfi.toml), chosen by host www.rfi.fr"),
        "{text}"
    );
}

#[test]
fn inspect_blocks_lists_every_block_of_a_page_with_its_place_and_rule() {
    let corpus = require_corpus!();
    let seed = corpus.join("seed/000_048dc874b1a19fb5.txt");
    let out = run_ok(&["inspect", seed.to_str().unwrap(), "--blocks"]);
    let text = String::from_utf8_lossy(&out.stdout);
    // The seed file: its time, its lead, its body blocks, nothing unnamed.
    assert!(
        text.contains("  published | 18/03/2021 - 14:26 | published[0]: `body > div:first-child`"),
        "{text}"
    );
    assert!(text.contains("  lead      | "), "{text}");
    let blocks: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("blocks ("))
        .skip(1)
        .take_while(|l| !l.starts_with("  = "))
        .collect();
    let body = blocks.iter().filter(|l| l.starts_with("  body ")).count();
    let paragraphs: usize = text
        .lines()
        .find_map(|l| l.strip_prefix("paragraph_count"))
        .map(|n| n.trim().parse().unwrap())
        .unwrap();
    assert_eq!(body, paragraphs, "{text}");
    assert!(blocks.iter().all(|l| l.split(" | ").count() >= 3), "{text}");
    assert!(text.contains(&format!("body {paragraphs}")), "{text}");
    // Without the flag, no block list.
    let out = run_ok(&["inspect", seed.to_str().unwrap()]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("blocks ("));
}

#[test]
fn inspect_of_a_rejected_file_says_why_and_exits_1() {
    let out = wirehouse(&[
        "inspect",
        repo()
            .join("data/sample/bad/no_dashes.md")
            .to_str()
            .unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("reject (separator): line 3 should be"),
        "{text}"
    );
}

#[test]
fn a_tenth_source_takes_only_a_profile_file() {
    let dir = tempfile::tempdir().unwrap();
    let profiles = dir.path().join("profiles");
    std::fs::create_dir(&profiles).unwrap();
    for entry in std::fs::read_dir(repo().join("pipelines/profiles")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            std::fs::copy(&path, profiles.join(path.file_name().unwrap())).unwrap();
        }
    }
    std::fs::write(
        profiles.join("example.toml"),
        "name = \"example\"\nsource = \"example\"\nhosts = [\"news.example.org\"]\n\
         [[published]]\nselector = \"time\"\nattribute = \"datetime\"\nformats = [\"%Y-%m-%dT%H:%M\"]\n\
         zone = \"Asia/Tokyo\"\nprecision = \"minute\"\n[[byline]]\nselector = \".author\"\n",
    )
    .unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir(&input).unwrap();
    std::fs::write(
        input.join("a.md"),
        "<!--1616075711000-->\n[t](https://news.example.org/a)\n---\n\n\
         <time datetime=\"2021-03-18T21:00\">昨晚</time><p class=\"author\">山田</p><p>本文</p>",
    )
    .unwrap();
    let out = dir.path().join("out");
    run_ok(&[
        "run",
        "--input",
        input.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "--profiles",
        profiles.to_str().unwrap(),
        "--progress",
        "quiet",
    ]);
    let rows = read_dataset(&out.join("articles"));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["source"], "example");
    assert_eq!(rows[0]["profile"], "example");
    assert_eq!(rows[0]["published_utc"], "2021-03-18T12:00:00Z");
    assert_eq!(rows[0]["byline"], "山田");
    assert_eq!(rows[0]["body_text"], "本文");
}

#[test]
fn stats_writes_tables_summary_charts_and_a_report_that_links_them() {
    let dir = tempfile::tempdir().unwrap();
    let dataset = dir.path().join("warehouse");
    run_ok(&[
        "run",
        repo().join("pipelines/sample.toml").to_str().unwrap(),
        "--output",
        dataset.to_str().unwrap(),
        "--progress",
        "quiet",
    ]);
    let out = dir.path().join("stats");
    let done = run_ok(&[
        "stats",
        "--dataset",
        dataset.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let printed = String::from_utf8_lossy(&done.stdout);
    assert!(printed.starts_with("# wirehouse stats"), "{printed}");
    assert!(
        printed.contains("Articles: 25 (latest versions of 25 records); rejects: 8"),
        "{printed}"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("summary.md")).unwrap(),
        printed
    );

    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    for name in [
        "coverage",
        "daily_volume",
        "weekly_volume",
        "hour_weekday_utc",
        "hour_weekday_local",
        "feed_lag",
        "body_length",
        "top_columns",
        "precision_note",
        "rejects_by_kind",
    ] {
        for ext in ["parquet", "csv"] {
            assert!(
                out.join(format!("tables/{name}.{ext}")).is_file(),
                "{name}.{ext}"
            );
        }
        assert!(
            report.contains(&format!("href=\"tables/{name}.csv\"")),
            "{name} not linked"
        );
    }
    let charts: Vec<_> = std::fs::read_dir(out.join("charts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    // Daily volume, feed lag, and one heatmap per source with timed articles.
    assert!(charts.len() >= 3 + 5, "{charts:?}");
    for chart in &charts {
        let bytes = std::fs::read(chart).unwrap();
        assert!(
            bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
            "{} is no PNG",
            chart.display()
        );
        let name = chart.file_name().unwrap().to_str().unwrap();
        assert!(
            report.contains(&format!("<img src=\"charts/{name}\"")),
            "{name} not shown"
        );
    }
}

#[test]
fn stats_filters_by_source_and_refuses_a_folder_without_a_dataset() {
    let corpus = require_corpus!();
    let dir = tempfile::tempdir().unwrap();
    let dataset = dir.path().join("warehouse");
    run_ok(&[
        "run",
        "--input",
        corpus.to_str().unwrap(),
        "--output",
        dataset.to_str().unwrap(),
        "--progress",
        "quiet",
    ]);
    let out = dir.path().join("stats");
    let done = run_ok(&[
        "stats",
        "--dataset",
        dataset.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--source",
        "rfi",
        "--since",
        "2023-01-01",
        "--no-charts",
    ]);
    let printed = String::from_utf8_lossy(&done.stdout);
    assert!(
        printed.contains("Filters: sources rfi; since 2023-01-01"),
        "{printed}"
    );
    // The count, from the records themselves: rfi articles (latest version
    // of each) whose article time is in 2023 or later.
    let since = "2023-01-01T00:00:00Z".parse().unwrap();
    let rfi = articles_since(&read_dataset(&dataset.join("articles")), "rfi", since);
    assert!(rfi > 0, "the corpus has rfi items of 2023 and later");
    assert!(
        printed.contains(&format!("- rfi: {rfi} articles")),
        "{printed}"
    );
    assert!(!out.join("charts").exists());

    fails_with(
        &[
            "stats",
            "--dataset",
            dir.path().to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        "holds no articles dataset",
    );
    fails_with(
        &[
            "stats",
            "--dataset",
            dataset.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--zone",
            "rfi=Mars/Olympus",
        ],
        "not an IANA time zone name",
    );
}

/// Input for tests that need no real file: the synthetic rfi items of the
/// bundled sample.
fn sample_input() -> PathBuf {
    repo().join("data/sample/rfi")
}

/// Articles of `source` whose latest version (latest feed time, then larger
/// content hash) has its article time (`published_utc`, else the feed time)
/// at or after `since`.
fn articles_since(rows: &[Row], source: &str, since: chrono::DateTime<chrono::Utc>) -> usize {
    let time = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
    let mut latest: BTreeMap<&str, &Row> = BTreeMap::new();
    for row in rows.iter().filter(|r| r["source"] == source) {
        let key = (time(&row["feed_time_utc"]), &row["content_sha256"]);
        let newer = latest
            .get(row["article_id"].as_str())
            .is_none_or(|old| key > (time(&old["feed_time_utc"]), &old["content_sha256"]));
        if newer {
            latest.insert(&row["article_id"], row);
        }
    }
    latest
        .values()
        .filter(|r| {
            let at = if r["published_utc"].is_empty() {
                &r["feed_time_utc"]
            } else {
                &r["published_utc"]
            };
            time(at) >= since
        })
        .count()
}

fn part_files(out: &Path) -> BTreeMap<String, Vec<u8>> {
    tree_files(out, &["articles/", "rejects/"])
}

#[test]
fn incremental_reruns_skip_unchanged_files_and_equal_a_full_rebuild() {
    let corpus = require_corpus!();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir(&input).unwrap();
    copy_tree(&repo().join("data/sample"), &input);
    copy_tree(&corpus.join("dutymachine-news"), &input);
    let (i, out) = (input.to_str().unwrap(), dir.path().join("out"));
    let o = out.to_str().unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["run", "--input", i, "--output", o, "--progress", "quiet"];
        args.extend_from_slice(extra);
        run_ok(&args);
        summary(&out)
    };
    let first = run(&[]);
    let found = first["files_found"].as_u64().unwrap();

    // Nothing new: nothing is written, and every file is unchanged.
    let generation = std::fs::read_link(out.join(".wirehouse/current")).unwrap();
    let done = wirehouse(&["run", "--input", i, "--output", o, "--progress", "quiet"]);
    let printed = String::from_utf8_lossy(&done.stdout);
    assert!(
        printed.contains(&format!("unchanged   {found:>8}")),
        "{printed}"
    );
    assert_eq!(
        std::fs::read_link(out.join(".wirehouse/current")).unwrap(),
        generation
    );

    // Change one file, remove one, add a duplicate and a new bad file, touch one.
    let rfi = input.join("articles/rfi");
    let changed = rfi.join("1000008.md");
    let text = std::fs::read_to_string(&changed).unwrap();
    let text = with_feed_time(&text, feed_time_ms(&text) + 1000);
    std::fs::write(&changed, text).unwrap();
    std::fs::remove_file(input.join("articles/dw/1023833.md")).unwrap();
    std::fs::copy(rfi.join("1000198.md"), rfi.join("zz-copy.md")).unwrap();
    std::fs::write(input.join("articles/new-bad.md"), "no header at all").unwrap();
    let touched = input.join("articles/voa/1011401.md");
    let bytes = std::fs::read(&touched).unwrap();
    std::fs::write(&touched, bytes).unwrap();

    let second = run(&[]);
    let accounted = ["records", "duplicates", "rejects", "unchanged"]
        .iter()
        .map(|k| second[*k].as_u64().unwrap())
        .sum::<u64>();
    assert_eq!(
        second["files_found"].as_u64().unwrap(),
        accounted,
        "{second}"
    );
    assert!(second["unchanged"].as_u64().unwrap() > 0, "{second}");
    assert_eq!(second["duplicates"], 1, "{second}");
    assert_eq!(second["rejects_by_kind"]["header"], 1, "{second}");

    // The same inputs rebuilt in full give the same files, byte for byte.
    let full = dir.path().join("full");
    run_ok(&[
        "run",
        "--input",
        i,
        "--output",
        full.to_str().unwrap(),
        "--progress",
        "quiet",
        "--full",
    ]);
    assert_eq!(part_files(&out), part_files(&full));
}

#[test]
fn a_second_run_on_a_busy_output_is_refused_with_the_holder_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(out.join(".wirehouse")).unwrap();
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(out.join(".wirehouse/lock"))
        .unwrap();
    lock.try_lock().unwrap();
    std::fs::write(out.join(".wirehouse/lock"), "pid 4242 since a while").unwrap();
    fails_with(
        &[
            "run",
            "--input",
            sample_input().to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
        ],
        "another wirehouse run (pid 4242 since a while) is writing",
    );
    drop(lock);
    run_ok(&[
        "run",
        "--input",
        sample_input().to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "--progress",
        "quiet",
    ]);
}

#[test]
fn the_summary_gives_each_sources_coverage_as_the_dataset_shows_it() {
    let corpus = require_corpus!();
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().join("warehouse");
    let printed = run_ok(&[
        "run",
        "--input",
        corpus.to_str().unwrap(),
        "--output",
        out_dir.to_str().unwrap(),
        "--progress",
        "quiet",
    ]);
    let text = String::from_utf8_lossy(&printed.stdout);
    assert!(text.contains("  coverage    source"), "{text}");
    // The same figures counted from the written records, another route.
    let rows = read_dataset(&out_dir.join("articles"));
    let s = summary(&out_dir);
    let coverage = s["coverage"].as_object().unwrap();
    let sources: BTreeSet<&str> = rows.iter().map(|r| r["source"].as_str()).collect();
    assert_eq!(coverage.len(), sources.len());
    for source in sources {
        let of: Vec<&Row> = rows.iter().filter(|r| r["source"] == source).collect();
        let with = |field: &str| of.iter().filter(|r| !r[field].is_empty()).count() as u64;
        let c = &coverage[source];
        assert_eq!(c["records"], of.len() as u64, "{source}");
        assert_eq!(c["published"], with("published_utc"), "{source}");
        assert_eq!(c["byline"], with("byline"), "{source}");
        assert_eq!(c["lead"], with("lead"), "{source}");
        assert_eq!(c["copyright"], with("copyright"), "{source}");
        assert_eq!(c["images"], with("image_urls"), "{source}");
        let empty = of.iter().filter(|r| r["body_text"].is_empty()).count() as u64;
        assert_eq!(c["empty_body"], empty, "{source}");
        let negative = of
            .iter()
            .filter(|r| r["feed_lag_s"].parse::<i64>().is_ok_and(|lag| lag < 0))
            .count() as u64;
        assert_eq!(c["negative_lag"], negative, "{source}");
        let mut notes: BTreeMap<String, u64> = BTreeMap::new();
        for r in &of {
            if !r["published_note"].is_empty() {
                *notes.entry(r["published_note"].clone()).or_default() += 1;
            }
        }
        let written: BTreeMap<String, u64> = c["published_by_note"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
            .collect();
        assert_eq!(written, notes, "{source}");
    }
    // The corpus has times for every source that states them.
    assert!(coverage["rfi"]["published"] == coverage["rfi"]["records"]);
    // Unplaced pages: text, but not one element or block the profile's
    // rules took, as the record's own columns say.
    for source in coverage.keys() {
        let unplaced = rows
            .iter()
            .filter(|r| r["source"] == *source && r["rules_placed"] == "0")
            .filter(|r| !r["body_text"].is_empty())
            .count() as u64;
        assert_eq!(coverage[source]["unplaced"], unplaced, "{source}");
    }
    // Every record carries its layout; a source's pages share few of them.
    assert!(rows
        .iter()
        .all(|r| r["rules_placed"].parse::<u32>().is_ok()));
    let rfi_layouts: BTreeSet<&str> = rows
        .iter()
        .filter(|r| r["source"] == "rfi")
        .map(|r| r["layout"].as_str())
        .collect();
    assert!(rfi_layouts.len() * 4 <= coverage["rfi"]["records"].as_u64().unwrap() as usize);
}

/// The synthetic pages of a layout no profile was written for.
fn drift_input() -> PathBuf {
    repo().join("data/drift")
}

fn drift_files() -> usize {
    std::fs::read_dir(drift_input().join("rfi-2025"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "md")
        })
        .count()
}

#[test]
fn the_corpus_meets_every_shipped_expectation_even_under_strict() {
    let corpus = require_corpus!();
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().join("warehouse");
    let args = [
        "run",
        "--input",
        corpus.to_str().unwrap(),
        "--output",
        out_dir.to_str().unwrap(),
        "--progress",
        "quiet",
        "--strict",
    ];
    let done = run_ok(&args);
    assert!(
        done.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let s = summary(&out_dir);
    assert_eq!(s["shortfalls"], serde_json::json!([]));
    // Every source of the corpus has at least the default minimum of 10
    // records, so every expectation of every profile was judged: at least
    // one per site profile.
    assert!(s["expectations_checked"].as_u64().unwrap() >= 9, "{s}");
    // A rerun with nothing new writes nothing and checks nothing.
    run_ok(&args);
    let again = summary(&out_dir);
    assert_eq!(again["expectations_checked"], s["expectations_checked"]);
    let rerun = wirehouse(&args);
    assert_eq!(rerun.status.code(), Some(0));
}

#[test]
fn a_new_layout_sets_off_its_profiles_expectations_after_the_commit() {
    let corpus = require_corpus!();
    let rfi_in_corpus = manifest_files_per_source(&corpus)["rfi"];
    let drift = drift_files();
    assert!(
        drift >= 10,
        "the drift set must reach the default min_records"
    );
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().join("warehouse");
    let run = |strict: bool| {
        let mut args = vec![
            "run".to_string(),
            "--input".into(),
            corpus.to_str().unwrap().into(),
            "--input".into(),
            drift_input().to_str().unwrap().into(),
            "--output".into(),
            out_dir.to_str().unwrap().into(),
            "--progress".into(),
            "quiet".into(),
            "--full".into(),
        ];
        if strict {
            args.push("--strict".into());
        }
        wirehouse(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };

    // Warned, not failed, by default.
    let warned = run(false);
    assert_eq!(warned.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&warned.stderr);
    let records = rfi_in_corpus + drift;
    assert!(
        stderr.contains(&format!(
            "rfi published: {rfi_in_corpus} of {records} records"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("profile rfi expects ≥ 0.95"), "{stderr}");
    assert!(stderr.contains("time.article__date[datetime]"), "{stderr}");
    assert!(stderr.contains("e.g. rfi-2025/"), "{stderr}");
    assert!(stderr.contains("wirehouse coverage"), "{stderr}");

    // Under --strict: a distinct status, after the commit.
    let failed = run(true);
    assert_eq!(
        failed.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&failed.stderr)
    );
    let s = summary(&out_dir);
    let rows = read_dataset(&out_dir.join("articles"));
    assert_eq!(
        rows.len(),
        manifest_paths(&corpus).len() + drift,
        "the dataset is committed"
    );
    let shortfalls = s["shortfalls"].as_array().unwrap();
    let named: Vec<(&str, &str)> = shortfalls
        .iter()
        .map(|f| (f["source"].as_str().unwrap(), f["field"].as_str().unwrap()))
        .collect();
    // Only RFI fell short: its time, and its pages no rule placed.
    assert_eq!(named, [("rfi", "published"), ("rfi", "unplaced")]);
    for f in shortfalls {
        let layouts = f["layouts"].as_array().unwrap();
        assert_eq!(layouts.len(), 1, "{f}");
        assert_eq!(layouts[0]["records"], drift as u64);
        assert!(layouts[0]["example"]
            .as_str()
            .unwrap()
            .starts_with("rfi-2025/"));
        // The layout named is the drift pages' own.
        let layout = layouts[0]["layout"].as_str().unwrap();
        assert!(rows
            .iter()
            .filter(|r| r["source_path"].starts_with("rfi-2025/"))
            .all(|r| r["layout"] == layout));
    }
    assert_eq!(shortfalls[0]["found"], rfi_in_corpus as u64);
    assert_eq!(shortfalls[1]["found"], drift as u64);

    // The pipeline file's on_expectation = "fail" does what --strict does.
    let pipeline = out.path().join("nightly.toml");
    std::fs::write(
        &pipeline,
        format!(
            "inputs = [{:?}, {:?}]\noutput = {:?}\non_expectation = \"fail\"\n",
            corpus.to_str().unwrap(),
            drift_input().to_str().unwrap(),
            out_dir.to_str().unwrap()
        ),
    )
    .unwrap();
    let from_file = wirehouse(&[
        "run",
        pipeline.to_str().unwrap(),
        "--full",
        "--progress",
        "quiet",
    ]);
    assert_eq!(from_file.status.code(), Some(3));

    // `wirehouse coverage` finds the new layout: one group, all the drift
    // pages, their year, an example.
    let listed = run_ok(&[
        "coverage",
        out_dir.to_str().unwrap(),
        "--source",
        "rfi",
        "--field",
        "published",
    ]);
    let text = String::from_utf8_lossy(&listed.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        format!("rfi published: {drift} of {records} records, 1 layout(s)"),
        "{text}"
    );
    assert!(
        lines[1].trim_start().starts_with(&format!("{drift}  2025")),
        "{text}"
    );
    assert!(lines[1].contains("e.g. rfi-2025/"), "{text}");
    assert!(
        lines[2].contains("header.article__header time.article__date[datetime]"),
        "{text}"
    );
    assert_eq!(lines.len(), 3, "{text}");
}

#[test]
fn coverage_groups_the_records_that_lack_a_field_by_layout() {
    let corpus = require_corpus!();
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().join("warehouse");
    run_ok(&[
        "run",
        "--input",
        corpus.to_str().unwrap(),
        "--output",
        out_dir.to_str().unwrap(),
        "--progress",
        "quiet",
    ]);
    let rows = read_dataset(&out_dir.join("articles"));
    let listed = run_ok(&[
        "coverage",
        out_dir.to_str().unwrap(),
        "--field",
        "byline",
        "--limit",
        "1000",
    ]);
    let text = String::from_utf8_lossy(&listed.stdout);
    // Per source, the records without a byline counted from the rows, and
    // each layout group's count from the rows of that layout.
    let mut sources = 0;
    for line in text.lines().filter(|l| !l.starts_with(' ')) {
        let (head, _) = line.split_once(':').unwrap();
        let source = head.strip_suffix(" byline").unwrap();
        let missing = rows
            .iter()
            .filter(|r| r["source"] == source && r["byline"].is_empty())
            .count();
        assert!(line.contains(&format!(": {missing} of ")), "{line}");
        sources += 1;
    }
    let without: BTreeSet<&str> = rows
        .iter()
        .filter(|r| r["byline"].is_empty())
        .map(|r| r["source"].as_str())
        .collect();
    assert_eq!(sources, without.len(), "{text}");
    let mut groups = text
        .lines()
        .filter(|l| l.starts_with("  ") && l.contains("e.g. "));
    let mut listed_total = 0;
    for group in groups.by_ref() {
        listed_total += group
            .split_whitespace()
            .next()
            .unwrap()
            .parse::<usize>()
            .unwrap();
    }
    assert_eq!(
        listed_total,
        rows.iter().filter(|r| r["byline"].is_empty()).count()
    );
    // Asking for an unknown field, or a folder without a dataset, says so.
    let bad = wirehouse(&["coverage", out_dir.to_str().unwrap(), "--field", "nope"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("choose from published"));
    let none = wirehouse(&["coverage", out.path().to_str().unwrap()]);
    assert_eq!(none.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&none.stderr).contains("holds no articles dataset"));
}
