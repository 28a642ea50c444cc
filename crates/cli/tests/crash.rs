//! Crash safety: `kill -9` at random moments of a run — discovery,
//! extraction, Parquet writing, commit — then a rerun. Readers must only ever
//! see a complete dataset (the previous one or the new one), and after the
//! rerun the dataset must equal that of an uninterrupted run: no row lost or
//! duplicated, no partial or orphan file where readers look.
//!
//! `WIREHOUSE_KILLS` sets how many kills (30 by default; `just crash-test`
//! runs hundreds), `WIREHOUSE_KILL_SEED` the seed of the kill times.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// A corpus big enough for a run to take a while: every real file, many
/// times, each copy with its own feed time so that all are distinct records.
fn build_input(corpus: &Path, dir: &Path, copies: usize) -> usize {
    let mut files = Vec::new();
    let mut stack = vec![corpus.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "md" || x == "txt")
                && !p.ends_with("README.md")
            {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut n = 0;
    for copy in 0..copies {
        let folder = dir.join(format!("copy{copy:03}"));
        std::fs::create_dir_all(&folder).unwrap();
        for (i, path) in files.iter().enumerate() {
            let text = std::fs::read_to_string(path).unwrap();
            let shifted = with_feed_time(&text, feed_time_ms(&text) + copy as i64 * 1000);
            std::fs::write(folder.join(format!("{i:03}.md")), shifted).unwrap();
            n += 1;
        }
    }
    n
}

/// Every row of both datasets, as sorted text, so two runs can be compared.
fn snapshot(out: &Path) -> (Vec<String>, Vec<String>) {
    let rows = |dir: PathBuf| {
        let mut rows: Vec<String> = read_dataset(&dir)
            .into_iter()
            .map(|r| format!("{r:?}"))
            .collect();
        rows.sort();
        rows
    };
    (rows(out.join("articles")), rows(out.join("rejects")))
}

/// Files where readers look must all be complete Parquet files.
fn assert_no_partial_files(out: &Path) {
    let articles = out.join("articles");
    if !articles.exists() {
        return;
    }
    let mut stack = vec![articles, out.join("rejects")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            assert!(
                name.ends_with(".parquet"),
                "unexpected file {}",
                p.display()
            );
            let bytes = std::fs::read(&p).unwrap();
            assert!(
                bytes.len() > 8 && bytes.ends_with(b"PAR1"),
                "partial file {}",
                p.display()
            );
        }
    }
}

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

fn run_args<'a>(input: &'a str, out: &'a str) -> Vec<&'a str> {
    vec![
        "run",
        "--input",
        input,
        "--output",
        out,
        "--progress",
        "quiet",
        "--full",
    ]
}

#[test]
fn kill_9_at_random_moments_never_exposes_a_partial_dataset_and_a_rerun_heals_it() {
    let corpus = require_corpus!();
    let kills: usize = std::env::var("WIREHOUSE_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let seed: u64 = std::env::var("WIREHOUSE_KILL_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20261126);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input");
    let files = build_input(&corpus, &input, 8);
    assert_eq!(files, 8 * manifest_paths(&corpus).len());
    let input_s = input.to_str().unwrap().to_string();

    // The reference: one uninterrupted run, timed.
    let reference = dir.path().join("reference");
    let reference_s = reference.to_str().unwrap().to_string();
    let started = Instant::now();
    run_ok(&run_args(&input_s, &reference_s));
    let full = started.elapsed();
    let expected = snapshot(&reference);
    assert_eq!(expected.0.len(), files);

    let mut rng = Lcg(seed);
    let out = dir.path().join("out");
    let out_s = out.to_str().unwrap().to_string();
    let mut killed_before_commit = 0;
    for kill in 0..kills {
        // Every other round starts from nothing, the others from a committed dataset.
        if kill % 2 == 0 {
            let _ = std::fs::remove_dir_all(&out);
        }
        let delay = Duration::from_micros(rng.next() % (full.as_micros() as u64 * 11 / 10 + 1));
        let mut child = Command::new(env!("CARGO_BIN_EXE_wirehouse"))
            .args(run_args(&input_s, &out_s))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
        let status = child.wait().unwrap();
        if !status.success() {
            killed_before_commit += 1;
        }
        // Whatever readers can see is complete: nothing, or the whole dataset.
        assert_no_partial_files(&out);
        if out.join("articles").exists() {
            assert_eq!(
                snapshot(&out),
                expected,
                "kill {kill} after {delay:?}: readers see a different dataset"
            );
        }
        // A rerun heals, and leaves exactly the uninterrupted run's dataset.
        run_ok(&run_args(&input_s, &out_s));
        assert_no_partial_files(&out);
        assert_eq!(
            snapshot(&out),
            expected,
            "kill {kill} after {delay:?}: rerun differs"
        );
        let generations = std::fs::read_dir(out.join(".wirehouse/generations"))
            .unwrap()
            .count();
        assert!(
            generations <= 2,
            "kill {kill}: {generations} generations left behind"
        );
    }
    eprintln!("{kills} kills (seed {seed}), {killed_before_commit} before the run finished; a full run takes {full:?}");
    assert!(
        killed_before_commit > 0,
        "no kill landed inside a run: the test proves nothing"
    );
}
