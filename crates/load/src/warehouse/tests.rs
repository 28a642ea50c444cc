//! Writing and committing generations.

use super::*;
use chrono::{DateTime, Utc};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::reader::{FileReader, SerializedFileReader};
use wirehouse_transform::{Note, Precision};

pub(crate) fn article(source: &str, feed: &str, path: &str) -> Article {
    let feed: DateTime<Utc> = feed.parse().unwrap();
    Article {
        article_id: "0".repeat(32),
        source: source.into(),
        profile: "generic".into(),
        source_path: path.into(),
        content_sha256: "a".repeat(64),
        title: "标题".into(),
        title_raw: "标题".into(),
        column_name: None,
        url: "https://x.org/a".into(),
        url_raw: "https://x.org/a".into(),
        feed_time_utc: feed,
        published_utc: Some(feed - chrono::Duration::minutes(5)),
        published_raw: Some("raw".into()),
        published_tz: Some("Europe/Paris".into()),
        published_precision: Some(Precision::Minute),
        published_note: Some(Note::Ambiguous),
        feed_lag_s: Some(300),
        byline: None,
        lead: None,
        body_text: "一\n\n二".into(),
        paragraph_count: 2,
        char_count: 2,
        image_urls: vec!["https://x.org/1.jpg".into(), "https://x.org/2.jpg".into()],
        copyright: None,
        has_feed_footer: true,
        layout: "h1 p+".into(),
        rules_placed: 1,
    }
}

fn reject(path: &str) -> Reject {
    Reject {
        source_path: path.into(),
        content_sha256: None,
        file_size: Some(0),
        error_kind: "empty".into(),
        error_message: "the file is empty".into(),
    }
}

fn rows(path: &Path) -> usize {
    let file = File::open(path).unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    reader.map(|b| b.unwrap().num_rows()).sum()
}

fn commit(out: &Path, articles: &[Article], rejects: &[Reject]) -> PathBuf {
    let warehouse = Warehouse::open(out).unwrap();
    let mut generation = warehouse.begin().unwrap();
    for a in articles {
        generation.push_article(a.clone()).unwrap();
    }
    for r in rejects {
        generation.push_reject(r.clone());
    }
    generation.commit(&mut RunSummary::default()).unwrap()
}

#[test]
fn records_land_in_source_and_year_partitions_behind_the_published_links() {
    let out = tempfile::tempdir().unwrap();
    commit(
        out.path(),
        &[
            article("rfi", "2021-03-18T13:55:11Z", "a"),
            article("rfi", "2021-05-01T00:00:00Z", "b"),
            article("rfi", "2023-01-01T00:00:00Z", "c"),
            article("dw", "2020-10-13T00:00:00Z", "d"),
        ],
        &[reject("e")],
    );
    let articles = out.path().join("articles");
    assert!(fs::symlink_metadata(&articles)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        rows(&articles.join("source=rfi/year=2021").join(PART_FILE)),
        2
    );
    assert_eq!(
        rows(&articles.join("source=rfi/year=2023").join(PART_FILE)),
        1
    );
    assert_eq!(
        rows(&articles.join("source=dw/year=2020").join(PART_FILE)),
        1
    );
    assert_eq!(rows(&out.path().join("rejects").join(PART_FILE)), 1);
    let summary: RunSummary =
        serde_json::from_slice(&fs::read(out.path().join(SUMMARY_FILE)).unwrap()).unwrap();
    assert_eq!(summary.generation, "gen-000001");
}

#[test]
fn timestamps_are_utc_adjusted_millis_and_every_column_is_zstd() {
    let out = tempfile::tempdir().unwrap();
    commit(
        out.path(),
        &[article("rfi", "2021-03-18T13:55:11Z", "a")],
        &[],
    );
    let path = out
        .path()
        .join("articles/source=rfi/year=2021")
        .join(PART_FILE);
    let reader = SerializedFileReader::new(File::open(&path).unwrap()).unwrap();
    let schema = reader.metadata().file_metadata().schema_descr();
    let feed = schema
        .columns()
        .iter()
        .find(|c| c.name() == "feed_time_utc")
        .unwrap();
    assert_eq!(
        feed.logical_type_ref(),
        Some(&parquet::basic::LogicalType::timestamp(
            true,
            parquet::basic::TimeUnit::MILLIS
        ))
    );
    // Every column zstd, as the spec's layout says.
    let group = reader.metadata().row_group(0);
    // One leaf per column of the schema (the list column has one).
    assert_eq!(group.num_columns(), article_file_schema().fields().len());
    for column in group.columns() {
        assert_eq!(
            column.compression(),
            Compression::ZSTD(ZstdLevel::default()),
            "{}",
            column.column_descr().name()
        );
    }
    let batch = ParquetRecordBatchReaderBuilder::try_new(File::open(&path).unwrap())
        .unwrap()
        .build()
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(batch.schema(), article_file_schema());
}

#[test]
fn a_second_commit_replaces_the_first_and_keeps_only_one_older_generation() {
    let out = tempfile::tempdir().unwrap();
    commit(
        out.path(),
        &[article("rfi", "2021-03-18T13:55:11Z", "a")],
        &[],
    );
    commit(
        out.path(),
        &[article("dw", "2021-03-18T13:55:11Z", "b")],
        &[],
    );
    assert!(!out.path().join("articles/source=rfi").exists());
    assert!(out.path().join("articles/source=dw").exists());
    commit(
        out.path(),
        &[article("bbc", "2021-03-18T13:55:11Z", "c")],
        &[],
    );
    let mut generations: Vec<_> = fs::read_dir(out.path().join(".wirehouse/generations"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    generations.sort();
    assert_eq!(generations, vec!["gen-000002", "gen-000003"]);
}

#[test]
fn an_uncommitted_generation_is_invisible_and_cleared_by_the_next_commit() {
    let out = tempfile::tempdir().unwrap();
    commit(
        out.path(),
        &[article("rfi", "2021-03-18T13:55:11Z", "a")],
        &[],
    );
    {
        // A run that dies mid-way: files written, never committed.
        let warehouse = Warehouse::open(out.path()).unwrap();
        let mut generation = warehouse.begin().unwrap();
        generation
            .push_article(article("dw", "2021-03-18T13:55:11Z", "b"))
            .unwrap();
        std::mem::forget(generation);
    }
    assert!(out.path().join("articles/source=rfi").exists());
    assert!(!out.path().join("articles/source=dw").exists());
    commit(
        out.path(),
        &[article("bbc", "2021-03-18T13:55:11Z", "c")],
        &[],
    );
    let names: Vec<_> = fs::read_dir(out.path().join(".wirehouse/generations"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(!names.contains(&"gen-000002".to_string()), "{names:?}");
}

#[test]
fn on_a_first_run_the_published_names_appear_all_at_once() {
    // A kill between laying the links and swapping `current` must not leave
    // `articles` readable while `rejects` or the summary are missing.
    let out = tempfile::tempdir().unwrap();
    let warehouse = Warehouse::open(out.path()).unwrap();
    let mut generation = warehouse.begin().unwrap();
    generation
        .push_article(article("rfi", "2021-03-18T13:55:11Z", "a"))
        .unwrap();
    let mut summary = RunSummary::default();
    generation.stage(&mut summary).unwrap();
    for name in PUBLISHED {
        let path = out.path().join(name);
        assert!(fs::symlink_metadata(&path).is_ok(), "{name} not laid");
        assert!(!path.exists(), "{name} readable before the commit point");
    }
    generation.publish().unwrap();
    for name in PUBLISHED {
        assert!(
            out.path().join(name).exists(),
            "{name} missing after commit"
        );
    }
}

#[test]
fn an_empty_run_still_publishes_an_empty_rejects_file() {
    let out = tempfile::tempdir().unwrap();
    commit(out.path(), &[], &[]);
    assert_eq!(rows(&out.path().join("rejects").join(PART_FILE)), 0);
    assert!(out.path().join("articles").is_dir());
}

#[test]
fn a_folder_already_holding_an_articles_folder_is_refused() {
    let out = tempfile::tempdir().unwrap();
    fs::create_dir(out.path().join("articles")).unwrap();
    let err = Warehouse::open(out.path()).unwrap_err();
    assert!(matches!(err, LoadError::Foreign { .. }));
    assert!(err.to_string().contains("not made by wirehouse"));
}

#[test]
fn an_output_under_a_file_cannot_be_opened() {
    let out = tempfile::tempdir().unwrap();
    fs::write(out.path().join("file"), b"x").unwrap();
    let err = Warehouse::open(&out.path().join("file/sub")).unwrap_err();
    assert!(
        err.to_string().contains("cannot create the output folder"),
        "{err}"
    );
}

#[test]
fn partition_values_escape_what_a_folder_name_cannot_hold() {
    assert_eq!(partition_value("rfi"), "rfi");
    assert_eq!(partition_value("a/b=c"), "a%2Fb%3Dc");
}

#[test]
fn a_second_writer_is_refused_while_the_first_holds_the_folder() {
    let out = tempfile::tempdir().unwrap();
    let first = Warehouse::open(out.path()).unwrap();
    let err = Warehouse::open(out.path()).unwrap_err();
    assert!(matches!(err, LoadError::Busy { .. }));
    let message = err.to_string();
    assert!(
        message.contains(&format!("pid {}", std::process::id())),
        "{message}"
    );
    assert!(message.contains("--wait"), "{message}");
    drop(first);
    assert!(Warehouse::open(out.path()).is_ok());
}

#[test]
fn a_waiting_writer_gets_the_folder_when_the_first_lets_go() {
    let out = tempfile::tempdir().unwrap();
    let first = Warehouse::open(out.path()).unwrap();
    let path = out.path().to_path_buf();
    let waiter = std::thread::spawn(move || {
        Warehouse::open_waiting(&path, std::time::Duration::from_secs(10)).is_ok()
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    drop(first);
    assert!(waiter.join().unwrap());
}

#[test]
fn unencoded_rows_stay_within_the_budget_and_land_as_row_groups_in_order() {
    // 3 partitions × 60 rows of 1.5 MB text = 270 MB, several times the budget.
    let out = tempfile::tempdir().unwrap();
    let warehouse = Warehouse::open(out.path()).unwrap();
    let mut generation = warehouse.begin().unwrap();
    let body = "文".repeat(500_000);
    let mut most_held = 0;
    for i in 0..180 {
        let source = ["rfi", "dw", "bbc"][i % 3];
        let mut a = article(source, "2021-03-18T13:55:11Z", &format!("{i:03}.md"));
        a.body_text = body.clone();
        generation.push_article(a).unwrap();
        let held: usize = generation
            .partitions
            .values()
            .map(|p| {
                assert_eq!(p.held, p.rows.iter().map(held_bytes).sum::<usize>());
                p.held
            })
            .sum();
        assert_eq!(held, generation.held, "the running total is exact");
        most_held = most_held.max(held);
    }
    assert!(most_held <= BUFFER_BUDGET, "{most_held} bytes held");
    let dir = generation.commit(&mut RunSummary::default()).unwrap();
    for source in ["rfi", "dw", "bbc"] {
        let path = dir.join(format!("articles/source={source}/year=2021/{PART_FILE}"));
        let reader = SerializedFileReader::new(File::open(&path).unwrap()).unwrap();
        assert!(reader.metadata().num_row_groups() > 1, "{source}");
        // Every row, in the order pushed.
        let file = File::open(&path).unwrap();
        let paths: Vec<String> = ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap()
            .flat_map(|b| {
                let b = b.unwrap();
                let column = b.column_by_name("source_path").unwrap().clone();
                let column = column
                    .as_any()
                    .downcast_ref::<arrow_array::StringArray>()
                    .unwrap()
                    .clone();
                column
                    .iter()
                    .map(|v| v.unwrap().to_string())
                    .collect::<Vec<_>>()
            })
            .collect();
        let offset = ["rfi", "dw", "bbc"]
            .iter()
            .position(|s| *s == source)
            .unwrap();
        let expected: Vec<String> = (0..180)
            .filter(|i| i % 3 == offset)
            .map(|i| format!("{i:03}.md"))
            .collect();
        assert_eq!(paths, expected, "{source}");
    }
}

#[test]
fn a_partition_file_depends_on_its_rows_alone_not_on_when_they_were_set_aside() {
    // The same rfi rows, written once alone (nothing set aside) and once
    // among large rows of many other partitions, which push rfi's rows to
    // disk, uncompressed or not: the rfi files are the same bytes.
    let rfi = |i: usize| {
        let mut a = article("rfi", "2021-03-18T13:55:11Z", &format!("rfi/{i:03}.md"));
        a.body_text = format!("{i} {}", "文".repeat(20_000 + i));
        a
    };
    let big = "x".repeat(1 << 20);
    // `crowded`: with other partitions; `raw_spill`: text set aside before
    // the spill is compressed. Returns the rfi file and, for each of rfi's
    // spill files, whether it was compressed.
    let write = |crowded: bool, raw_spill: usize| {
        let out = tempfile::tempdir().unwrap();
        let warehouse = Warehouse::open(out.path()).unwrap();
        let mut generation = warehouse.begin().unwrap();
        generation.raw_spill_left = raw_spill;
        let mut kinds: Vec<bool> = Vec::new();
        for i in 0..120 {
            generation.push_article(rfi(i)).unwrap();
            if crowded {
                // One 1 MiB row into one of forty other partitions: once
                // rfi holds more than any of them, it is the fullest.
                let feed = format!("{}-01-01T00:00:00Z", 1980 + i % 40);
                let mut a = article("dw", &feed, &format!("dw/{i}.md"));
                a.body_text = big.clone();
                generation.push_article(a).unwrap();
            }
            let rfi = &generation.partitions[&("rfi".to_string(), 2021)];
            if let Some((_, compressed)) = &rfi.spill {
                kinds.resize(rfi.spill_files.len(), *compressed);
            }
        }
        let dir = generation.commit(&mut RunSummary::default()).unwrap();
        assert!(!dir.join(SPILL_DIR).exists(), "nothing set aside is left");
        let path = dir.join(format!("articles/source=rfi/year=2021/{PART_FILE}"));
        (out, path, kinds)
    };
    let (_alone_dir, alone, kinds) = write(false, RAW_SPILL_BYTES);
    assert!(kinds.is_empty(), "nothing was set aside when alone");
    let (_raw_dir, raw, kinds) = write(true, RAW_SPILL_BYTES);
    assert_eq!(kinds, [false], "one uncompressed spill file when crowded");
    // Past 20 MiB set aside, the rest is compressed: rfi's rows go to an
    // uncompressed file and then to a compressed one.
    let (_mixed_dir, mixed, kinds) = write(true, 20 << 20);
    assert_eq!(
        kinds,
        [false, true],
        "an uncompressed then a compressed file"
    );
    for other in [&raw, &mixed] {
        assert!(
            fs::read(&alone).unwrap() == fs::read(other).unwrap(),
            "the rfi file differs"
        );
    }
    // 120 rows of ~60 KB: one row group (the text limit is 32 MiB).
    let reader = SerializedFileReader::new(File::open(&alone).unwrap()).unwrap();
    assert_eq!(reader.metadata().num_row_groups(), 1);
    assert_eq!(reader.metadata().file_metadata().num_rows(), 120);
}

#[test]
fn row_groups_are_cut_at_the_text_limit_exactly_where_the_rows_say() {
    // Rows of 3 MiB of body text: the limit (32 MiB) is reached at the 11th
    // row, so row groups hold 11, 11 and 3 rows, wherever batches began.
    let out = tempfile::tempdir().unwrap();
    let warehouse = Warehouse::open(out.path()).unwrap();
    let mut generation = warehouse.begin().unwrap();
    for i in 0..25 {
        let mut a = article("rfi", "2021-03-18T13:55:11Z", &format!("{i:03}.md"));
        a.body_text = "x".repeat(3 << 20);
        generation.push_article(a).unwrap();
    }
    let dir = generation.commit(&mut RunSummary::default()).unwrap();
    let file = File::open(dir.join(format!("articles/source=rfi/year=2021/{PART_FILE}"))).unwrap();
    let reader = SerializedFileReader::new(file).unwrap();
    let rows: Vec<i64> = reader
        .metadata()
        .row_groups()
        .iter()
        .map(|g| g.num_rows())
        .collect();
    assert_eq!(rows, vec![11, 11, 3]);
}
