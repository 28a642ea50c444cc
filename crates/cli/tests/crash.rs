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

/// The generation folders of an output folder that hold anything, by name
/// (a failed or killed run's is emptied, and kept so that its number is not
/// given again, until the next commit).
fn generations(out: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(out.join(".wirehouse/generations"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| std::fs::read_dir(p).unwrap().next().is_some())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// What `current` names.
fn current(out: &Path) -> String {
    std::fs::read_link(out.join(".wirehouse/current"))
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// `wirehouse ARGS` under `sh` with a file-size limit of `kib` KiB and
/// SIGXFSZ ignored (so a write past it fails with EFBIG, as a full disk fails
/// with ENOSPC, instead of killing the process): a full disk, without root.
fn run_with_file_size_limit(kib: u64, args: &[&str]) -> std::process::Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -f {kib} && trap '' XFSZ && exec \"$0\" \"$@\""
        ))
        .arg(env!("CARGO_BIN_EXE_wirehouse"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_run_that_cannot_write_says_so_once_removes_what_it_wrote_and_keeps_the_previous_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let sample = repo().join("data/sample");
    let (input, out) = (sample.to_str().unwrap(), dir.path().join("out"));
    let out_s = out.to_str().unwrap();
    run_ok(&run_args(input, out_s));
    let before = snapshot(&out);
    assert_eq!(generations(&out), ["gen-000001"]);

    // 16 KiB: the manifest of the sample's files does not fit.
    let failed = run_with_file_size_limit(16, &run_args(input, out_s));
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert_eq!(failed.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert_eq!(stderr.matches("File too large").count(), 1, "{stderr}");
    assert!(
        stderr.ends_with(&format!(
            "; nothing was published; the previous dataset in {out_s} (gen-000001) is intact\n"
        )),
        "{stderr}"
    );
    assert_eq!(
        generations(&out),
        ["gen-000001"],
        "the failed run's folder stays"
    );
    assert_eq!(current(&out), "gen-000001");
    assert_eq!(snapshot(&out), before);
}

#[test]
fn any_run_clears_the_generations_a_killed_run_left_even_with_nothing_new() {
    let dir = tempfile::tempdir().unwrap();
    let sample = repo().join("data/sample");
    let (input, out) = (sample.to_str().unwrap(), dir.path().join("out"));
    let out_s = out.to_str().unwrap();
    let incremental = [
        "run",
        "--input",
        input,
        "--output",
        out_s,
        "--progress",
        "quiet",
    ];
    run_ok(&incremental);
    run_ok(&run_args(input, out_s));
    assert_eq!(generations(&out), ["gen-000001", "gen-000002"]);
    // What `kill -9` in the middle of a third run leaves: a generation
    // above the current one, with files in it.
    let left = out.join(".wirehouse/generations/gen-000003/articles/source=rfi/year=2021");
    std::fs::create_dir_all(&left).unwrap();
    std::fs::write(left.join("part-00000.parquet"), b"PAR1 half").unwrap();

    let rerun = run_ok(&incremental);
    assert!(String::from_utf8_lossy(&rerun.stdout).contains("unchanged"));
    assert_eq!(
        current(&out),
        "gen-000002",
        "nothing new: nothing committed"
    );
    // The previous generation stays for readers still scanning it; the
    // killed run's is empty, and its number taken.
    assert_eq!(generations(&out), ["gen-000001", "gen-000002"]);
    run_ok(&run_args(input, out_s));
    assert_eq!(current(&out), "gen-000004");
}

#[test]
fn sigint_and_sigterm_stop_a_run_which_removes_what_it_wrote_and_says_so() {
    let corpus = require_corpus!();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input");
    build_input(&corpus, &input, 20);
    let input_s = input.to_str().unwrap();
    let out = dir.path().join("out");
    let out_s = out.to_str().unwrap();
    run_ok(&run_args(
        repo().join("data/sample").to_str().unwrap(),
        out_s,
    ));
    let before = snapshot(&out);
    for (signal, code) in [("INT", 130), ("TERM", 143)] {
        let mut args = run_args(input_s, out_s);
        args.extend(["--threads", "1"]);
        let child = Command::new(env!("CARGO_BIN_EXE_wirehouse"))
            .args(&args)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Once the run has begun its generation, it is writing.
        let deadline = Instant::now() + Duration::from_secs(60);
        while generations(&out).len() < 2 {
            assert!(Instant::now() < deadline, "the run never began");
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(300));
        let sent = Instant::now();
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let output = child.wait_with_output().unwrap();
        let stopped_in = sent.elapsed();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(code), "{stderr}");
        assert_eq!(
            stderr,
            format!(
                "wirehouse: stopped by SIG{signal}; nothing was published; the previous dataset in {out_s} (gen-000001) is intact\n"
            )
        );
        assert!(stopped_in < Duration::from_secs(10), "{stopped_in:?}");
        assert_eq!(generations(&out), ["gen-000001"]);
        assert_eq!(current(&out), "gen-000001");
        assert_eq!(snapshot(&out), before);
    }
}

/// Unmounts the test's tmpfs however the test ends.
struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_ends_cleanly_on_a_small_tmpfs_where_root_may_mount_one() {
    let corpus = require_corpus!();
    let dir = tempfile::tempdir().unwrap();
    let disk = dir.path().join("disk");
    std::fs::create_dir_all(&disk).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(&disk)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("SKIPPED a_full_disk_ends_cleanly_on_a_small_tmpfs: cannot mount a tmpfs (not root); the file-size limit test covers the behaviour");
        return;
    }
    let _mounted = Mounted(disk.clone());
    let out = disk.join("out");
    let out_s = out.to_str().unwrap();
    run_ok(&run_args(
        repo().join("data/sample").to_str().unwrap(),
        out_s,
    ));
    let before = snapshot(&out);
    let input = dir.path().join("input");
    build_input(&corpus, &input, 8);
    let failed = wirehouse(&run_args(input.to_str().unwrap(), out_s));
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert_eq!(failed.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr.matches("No space left on device").count(),
        1,
        "{stderr}"
    );
    assert!(stderr.contains("the previous dataset"), "{stderr}");
    assert_eq!(generations(&out), ["gen-000001"]);
    assert_eq!(snapshot(&out), before);
}
