//! `wirehouse run`: discover → extract → transform → load, with accounting.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use anyhow::Context;
use chrono::Datelike;
use rayon::prelude::*;
use wirehouse_extract::{frame, read_input, Limits};
use wirehouse_load::{
    FileOutcome, Generation, Manifest, ManifestEntry, Reject, RunSummary, Warehouse,
};
use wirehouse_transform::{Article, ProfileSet, Transformer};

use crate::cli::ProgressMode;
use crate::discover::{discover, InputPath};
use crate::progress::Progress;

/// Everything a run needs, validated.
#[derive(Debug)]
pub struct RunConfig {
    pub name: Option<String>,
    pub inputs: Vec<PathBuf>,
    pub output: PathBuf,
    pub profiles: Option<PathBuf>,
    pub threads: usize,
    pub limits: Limits,
    pub progress: ProgressMode,
    pub wait: std::time::Duration,
    pub full: bool,
}

/// Files read at a time when an incremental run looks for what changed.
const CHUNK: usize = 512;

/// How far ahead of the writer a worker may extract: bounds the results
/// that wait, out of order, for the writer.
const WINDOW: usize = 1024;

/// Results a worker sends to the writer at a time.
const SEND_BATCH: usize = 16;

/// What became of one file.
enum Outcome {
    Record(Box<Article>, u64),
    Reject(Reject),
}

impl Outcome {
    fn sha256(&self) -> Option<&str> {
        match self {
            Outcome::Record(article, _) => Some(&article.content_sha256),
            Outcome::Reject(reject) => reject.content_sha256.as_deref(),
        }
    }

    fn partition(&self) -> Option<(String, i32)> {
        match self {
            Outcome::Record(article, _) => {
                Some((article.source.clone(), article.feed_time_utc.year()))
            }
            Outcome::Reject(_) => None,
        }
    }
}

fn process(
    file: &InputPath,
    roots: &[PathBuf],
    limits: &Limits,
    transformer: &Transformer,
) -> Outcome {
    let input = match read_input(&file.path(roots), file.source_path.to_string(), limits) {
        Ok(input) => input,
        Err(rejected) => return Outcome::Reject(extract_reject(rejected)),
    };
    let size = input.meta.file_size;
    let raw = match frame(input) {
        Ok(raw) => raw,
        Err(rejected) => return Outcome::Reject(extract_reject(rejected)),
    };
    match transformer.transform(&raw) {
        Ok(article) => Outcome::Record(Box::new(article), size),
        Err(err) => Outcome::Reject(Reject {
            source_path: raw.meta.source_path.clone(),
            content_sha256: Some(raw.meta.content_sha256.clone()),
            file_size: Some(raw.meta.file_size),
            error_kind: err.kind().into(),
            error_message: err.to_string(),
        }),
    }
}

fn extract_reject(rejected: wirehouse_extract::Rejected) -> Reject {
    Reject {
        error_kind: rejected.error.kind().into(),
        error_message: rejected.error.to_string(),
        source_path: rejected.source_path,
        content_sha256: rejected.content_sha256,
        file_size: rejected.file_size,
    }
}

/// A partition of `articles`: source and UTC year of the feed time.
type Partition = (String, i32);

/// How an input file looked when the run started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Stat {
    size: u64,
    /// Nanoseconds since 1970 (an `i64` lasts until 2262, and keeps the
    /// per-file plan small; the manifest keeps `i128`).
    mtime_ns: i64,
}

fn stat(path: &std::path::Path) -> Stat {
    std::fs::metadata(path)
        .map(|m| Stat {
            size: m.len(),
            mtime_ns: m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)),
        })
        .unwrap_or_default()
}

/// What a run must reproduce to be reused: the same program, profiles,
/// limits and inputs give the same records for the same bytes.
fn fingerprint(config: &RunConfig, profiles: &ProfileSet) -> String {
    let inputs: Vec<String> = config
        .inputs
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    format!(
        "wirehouse {} | profiles {} | max_file_bytes {} | inputs {}",
        env!("CARGO_PKG_VERSION"),
        profiles.fingerprint(),
        config.limits.max_file_bytes,
        inputs.join("\u{1f}")
    )
}

/// One discovered file and what the previous run knew of it.
struct Planned<'a> {
    file: InputPath,
    stat: Stat,
    previous: Option<&'a ManifestEntry>,
}

impl Planned<'_> {
    fn unchanged_by_stat(&self) -> bool {
        self.previous.is_some_and(|p| {
            p.size == self.stat.size
                && p.mtime_ns == i128::from(self.stat.mtime_ns)
                && p.mtime_ns != 0
        })
    }
}

fn partition_of(entry: &ManifestEntry) -> Option<(String, i32)> {
    match (entry.outcome, &entry.source, entry.year) {
        (FileOutcome::Record | FileOutcome::Duplicate, Some(source), Some(year)) => {
            Some((source.clone(), year))
        }
        _ => None,
    }
}

/// Runs the pipeline and commits its output; returns the run's summary.
///
/// Incremental unless `config.full`: files whose size and modification time
/// (or, when those changed, content hash) match the previous run's manifest
/// are not processed again. A partition none of whose files changed is taken
/// over from the previous generation as it is; a partition with any new,
/// changed or removed file is written again from all its files, in input
/// order — so the dataset is exactly what a full rebuild would write. With
/// nothing new, nothing is written at all.
pub fn run(config: &RunConfig) -> anyhow::Result<RunSummary> {
    let started_at = chrono::Utc::now();
    let clock = Instant::now();
    let profiles = match &config.profiles {
        Some(dir) => ProfileSet::from_dir(dir)?,
        None => ProfileSet::builtin()?,
    };
    let fingerprint = fingerprint(config, &profiles);
    let transformer = Transformer::new(profiles);
    let warehouse = Warehouse::open_waiting(&config.output, config.wait)
        .with_context(|| format!("cannot use output folder {}", config.output.display()))?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.threads)
        .build()
        .context("cannot start worker threads")?;

    let previous: Option<(PathBuf, Manifest)> = if config.full {
        None
    } else {
        warehouse
            .current()
            .and_then(|dir| Manifest::read(&dir).map(|m| (dir, m)))
            .filter(|(_, m)| m.fingerprint == fingerprint)
    };
    let known: HashMap<(&str, &str), &ManifestEntry> = previous
        .iter()
        .flat_map(|(_, m)| m.entries.iter())
        .map(|e| ((e.root.as_str(), e.path.as_str()), e))
        .collect();

    let (files, unlisted) = discover(&config.inputs);
    // Roots as the manifest names them; files refer to them by index.
    let roots: Vec<String> = config
        .inputs
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let mut summary = RunSummary {
        wirehouse_version: env!("CARGO_PKG_VERSION").into(),
        started_at: started_at.to_rfc3339(),
        inputs: config
            .inputs
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        threads: config.threads,
        files_found: (files.len() + unlisted.len()) as u64,
        ..RunSummary::default()
    };
    let plan: Vec<Planned> = pool.install(|| {
        files
            .into_par_iter()
            .map(|f| {
                let previous = known
                    .get(&(roots[f.root].as_str(), &*f.source_path))
                    .copied();
                Planned {
                    stat: stat(&f.path(&config.inputs)),
                    file: f,
                    previous,
                }
            })
            .collect()
    });

    // Nothing new: every file as it was, none gone, nothing unlisted.
    if let Some((dir, manifest)) = &previous {
        if unlisted.is_empty()
            && manifest.entries.len() == plan.len()
            && plan.iter().all(Planned::unchanged_by_stat)
        {
            summary.unchanged = summary.files_found;
            summary.generation = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            finish_timing(&mut summary, clock);
            return Ok(summary);
        }
    }

    // Which partitions change: those of new, changed and removed files.
    // A previous entry no file matched was removed. (Entries are told apart
    // by address: a first run has none, and keeps no per-file set here.)
    let still_there: HashSet<*const ManifestEntry> = plan
        .iter()
        .filter_map(|p| p.previous)
        .map(std::ptr::from_ref)
        .collect();
    let mut dirty: HashSet<(String, i32)> = HashSet::new();
    for entry in previous.iter().flat_map(|(_, m)| m.entries.iter()) {
        if !still_there.contains(&std::ptr::from_ref(entry)) {
            dirty.extend(partition_of(entry));
        }
    }
    // Which files changed, and which partitions they touch: only new and
    // changed files are read here, and only their content hash and partition
    // are kept (a first run has nothing to compare and skips this).
    let mut confirmed_unchanged: HashSet<usize> = HashSet::new();
    if previous.is_some() {
        let changed: Vec<usize> = (0..plan.len())
            .filter(|&i| !plan[i].unchanged_by_stat())
            .collect();
        for chunk in changed.chunks(CHUNK) {
            let light: Vec<(Option<String>, Option<Partition>)> = pool.install(|| {
                chunk
                    .par_iter()
                    .map(|&i| {
                        let outcome =
                            process(&plan[i].file, &config.inputs, &config.limits, &transformer);
                        (outcome.sha256().map(str::to_string), outcome.partition())
                    })
                    .collect()
            });
            for (&i, (sha, partition)) in chunk.iter().zip(light) {
                let planned = &plan[i];
                let same_bytes = planned
                    .previous
                    .is_some_and(|p| p.sha256.is_some() && p.sha256 == sha);
                if same_bytes {
                    confirmed_unchanged.insert(i);
                } else {
                    dirty.extend(partition);
                    dirty.extend(planned.previous.and_then(partition_of));
                }
            }
        }
    }
    // A file is carried over when it is unchanged and its partition is clean.
    let reusable = |i: usize| -> Option<&ManifestEntry> {
        let planned = &plan[i];
        planned.previous.filter(|p| {
            (planned.unchanged_by_stat() || confirmed_unchanged.contains(&i))
                && partition_of(p).is_none_or(|part| !dirty.contains(&part))
        })
    };

    let mut generation = warehouse.begin()?;
    generation.start_manifest(&fingerprint)?;
    let mut tally = Tally::default();
    for u in unlisted {
        let reject = Reject {
            source_path: u.source_path.clone(),
            content_sha256: None,
            file_size: None,
            error_kind: "io".into(),
            error_message: u.message,
        };
        generation.push_manifest(reject_entry(
            &roots[u.root],
            &u.source_path,
            Stat::default(),
            &reject,
        ))?;
        tally.reject(&mut generation, reject);
    }
    let mut progress = Progress::new(config.progress, plan.len() as u64);
    let mut reused: HashSet<(String, i32)> = HashSet::new();
    // Every worker takes the next file to extract as soon as it is free, and
    // sends what became of it; the writer takes the results in input order,
    // holding those that arrive early. No worker gets more than WINDOW files
    // ahead of the writer, which bounds what waits in between.
    let (sender, receiver) = mpsc::channel::<Vec<(usize, Outcome)>>();
    let next_file = AtomicUsize::new(0);
    let writer_at = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (plan_ref, pool_ref, transformer_ref, reusable_ref) =
        (&plan, &pool, &transformer, &reusable);
    let (next_file, writer_at, stop) = (&next_file, &writer_at, &stop);
    let written: anyhow::Result<()> = std::thread::scope(|scope| {
        scope.spawn(move || {
            pool_ref.scope(|workers| {
                for _ in 0..pool_ref.current_num_threads() {
                    let sender = sender.clone();
                    workers.spawn(move |_| {
                        // Results go to the writer a few at a time: one
                        // wake-up of the writer per file costs system time.
                        let mut batch = Vec::with_capacity(SEND_BATCH);
                        let send = |batch: &mut Vec<(usize, Outcome)>| {
                            batch.is_empty() || sender.send(std::mem::take(batch)).is_ok()
                        };
                        loop {
                            let i = next_file.fetch_add(1, Ordering::Relaxed);
                            if i >= plan_ref.len() || stop.load(Ordering::Relaxed) {
                                break;
                            }
                            if reusable_ref(i).is_some() {
                                continue;
                            }
                            if i >= writer_at.load(Ordering::Acquire) + WINDOW {
                                // The writer may be waiting for one of these.
                                if !send(&mut batch) {
                                    return;
                                }
                                while i >= writer_at.load(Ordering::Acquire) + WINDOW {
                                    if stop.load(Ordering::Relaxed) {
                                        return;
                                    }
                                    std::thread::sleep(std::time::Duration::from_micros(200));
                                }
                            }
                            let outcome = process(
                                &plan_ref[i].file,
                                &config.inputs,
                                &config.limits,
                                transformer_ref,
                            );
                            batch.push((i, outcome));
                            // The writer hung up: it failed, and says why.
                            if batch.len() >= SEND_BATCH && !send(&mut batch) {
                                return;
                            }
                        }
                        send(&mut batch);
                    });
                }
            });
        });
        let mut early: HashMap<usize, Outcome> = HashMap::new();
        let mut results = receiver.iter();
        let wrote = (|| -> anyhow::Result<()> {
            for (i, planned) in plan.iter().enumerate() {
                writer_at.store(i, Ordering::Release);
                if i % 256 == 0 {
                    progress.advance_to(i as u64);
                }
                if let Some(previous) = reusable(i) {
                    // Carried over as the previous run left it.
                    tally.summary.unchanged += 1;
                    let mut entry = previous.clone();
                    entry.size = planned.stat.size;
                    entry.mtime_ns = i128::from(planned.stat.mtime_ns);
                    match previous.outcome {
                        FileOutcome::Reject => generation.push_reject(Reject {
                            source_path: previous.path.clone(),
                            content_sha256: previous.sha256.clone(),
                            file_size: Some(previous.size),
                            error_kind: previous.error_kind.clone().unwrap_or_default(),
                            error_message: previous.error_message.clone().unwrap_or_default(),
                        }),
                        FileOutcome::Record => {
                            if let Some(sha) = &previous.sha256 {
                                tally.seen.insert(hash_key(sha));
                            }
                            reused.extend(partition_of(previous));
                        }
                        FileOutcome::Duplicate => {}
                    }
                    generation.push_manifest(entry)?;
                } else {
                    let outcome = loop {
                        if let Some(outcome) = early.remove(&i) {
                            break outcome;
                        }
                        match results.next() {
                            Some(batch) => early.extend(batch),
                            None => anyhow::bail!("the extraction workers stopped early"),
                        }
                    };
                    let entry =
                        tally.take(&mut generation, outcome, planned, &roots[planned.file.root])?;
                    generation.push_manifest(entry)?;
                }
            }
            progress.advance_to(plan.len() as u64);
            Ok(())
        })();
        // On failure, workers stop at their next file.
        stop.store(true, Ordering::Relaxed);
        drop(receiver);
        wrote
    });
    progress.finish();
    written?;
    if let Some((dir, _)) = &previous {
        let mut reused: Vec<_> = reused.into_iter().collect();
        reused.sort();
        for (source, year) in reused {
            generation.reuse_partition(dir, &source, year)?;
        }
    }

    tally.fill(&mut summary);
    finish_timing(&mut summary, clock);
    debug_assert!(summary.accounts_for_every_file(), "{summary:?}");
    // The last row groups are encoded in parallel, on the run's own threads.
    pool.install(|| generation.commit(&mut summary))
        .with_context(|| format!("cannot commit the output in {}", config.output.display()))?;
    Ok(summary)
}

fn finish_timing(summary: &mut RunSummary, clock: Instant) {
    let elapsed = clock.elapsed().as_secs_f64();
    summary.finished_at = chrono::Utc::now().to_rfc3339();
    summary.elapsed_s = elapsed;
    summary.files_per_s = if elapsed > 0.0 {
        summary.files_found as f64 / elapsed
    } else {
        0.0
    };
}

/// The first 128 bits of a hex SHA-256, as a compact set key.
fn hash_key(sha256_hex: &str) -> u128 {
    u128::from_str_radix(sha256_hex.get(..32).unwrap_or(sha256_hex), 16).unwrap_or(0)
}

fn reject_entry(root: &str, path: &str, stat: Stat, reject: &Reject) -> ManifestEntry {
    ManifestEntry {
        root: root.to_string(),
        path: path.to_string(),
        size: stat.size,
        mtime_ns: i128::from(stat.mtime_ns),
        sha256: reject.content_sha256.clone(),
        outcome: FileOutcome::Reject,
        source: None,
        year: None,
        error_kind: Some(reject.error_kind.clone()),
        error_message: Some(reject.error_message.clone()),
    }
}

/// Counts as the writer sees outcomes, in input order.
#[derive(Default)]
struct Tally {
    /// Content hashes of the records so far (first 128 bits: no collision in practice).
    seen: HashSet<u128>,
    summary: RunSummary,
    bytes_read: u64,
}

impl Tally {
    /// Writes `article` unless it is a duplicate; says which it was.
    fn record(
        &mut self,
        generation: &mut Generation,
        article: Article,
    ) -> anyhow::Result<FileOutcome> {
        // Same bytes as an earlier file: the earlier one (in input order) is the record.
        if !self.seen.insert(hash_key(&article.content_sha256)) {
            self.summary.duplicates += 1;
            return Ok(FileOutcome::Duplicate);
        }
        match self.summary.records_by_source.get_mut(&article.source) {
            Some(count) => *count += 1,
            None => {
                self.summary
                    .records_by_source
                    .insert(article.source.clone(), 1);
            }
        }
        self.summary.records += 1;
        generation.push_article(article)?;
        Ok(FileOutcome::Record)
    }

    /// Writes one fresh outcome and says what became of the file.
    fn take(
        &mut self,
        generation: &mut Generation,
        outcome: Outcome,
        planned: &Planned,
        root: &str,
    ) -> anyhow::Result<ManifestEntry> {
        match outcome {
            Outcome::Record(article, size) => {
                self.bytes_read += size;
                let entry = ManifestEntry {
                    root: root.to_string(),
                    path: planned.file.source_path.to_string(),
                    size: planned.stat.size,
                    mtime_ns: i128::from(planned.stat.mtime_ns),
                    sha256: Some(article.content_sha256.clone()),
                    outcome: FileOutcome::Record,
                    source: Some(article.source.clone()),
                    year: Some(article.feed_time_utc.year()),
                    error_kind: None,
                    error_message: None,
                };
                let outcome = self.record(generation, *article)?;
                Ok(ManifestEntry { outcome, ..entry })
            }
            Outcome::Reject(reject) => {
                self.bytes_read += reject.file_size.unwrap_or(0);
                let entry = reject_entry(root, &planned.file.source_path, planned.stat, &reject);
                self.reject(generation, reject);
                Ok(entry)
            }
        }
    }

    fn reject(&mut self, generation: &mut Generation, reject: Reject) {
        self.summary.rejects += 1;
        *self
            .summary
            .rejects_by_kind
            .entry(reject.error_kind.clone())
            .or_default() += 1;
        generation.push_reject(reject);
    }

    fn fill(self, summary: &mut RunSummary) {
        summary.records = self.summary.records;
        summary.duplicates = self.summary.duplicates;
        summary.rejects = self.summary.rejects;
        summary.rejects_by_kind = self.summary.rejects_by_kind;
        summary.records_by_source = self.summary.records_by_source;
        summary.unchanged = self.summary.unchanged;
        summary.bytes_read = self.bytes_read;
    }
}

/// Prints the end-of-run summary for people.
pub fn print_summary(config: &RunConfig, s: &RunSummary) -> std::io::Result<()> {
    let by = |map: &std::collections::BTreeMap<String, u64>| {
        if map.is_empty() {
            return String::new();
        }
        let parts: Vec<String> = map.iter().map(|(k, v)| format!("{k} {v}")).collect();
        format!("  ({})", parts.join(", "))
    };
    let out = &mut std::io::stdout().lock();
    let name = config
        .name
        .as_deref()
        .map(|n| format!(" {n}"))
        .unwrap_or_default();
    writeln!(
        out,
        "wirehouse run{name}: {} files found in {:.2} s ({:.0} files/s, {} read)",
        s.files_found,
        s.elapsed_s,
        s.files_per_s,
        human_bytes(s.bytes_read)
    )?;
    writeln!(
        out,
        "  records     {:>8}{}",
        s.records,
        by(&s.records_by_source)
    )?;
    writeln!(out, "  duplicates  {:>8}", s.duplicates)?;
    writeln!(
        out,
        "  rejects     {:>8}{}",
        s.rejects,
        by(&s.rejects_by_kind)
    )?;
    if s.unchanged > 0 {
        writeln!(out, "  unchanged   {:>8}", s.unchanged)?;
    }
    let dir = config.output.display();
    writeln!(out, "  output      {dir} ({})", s.generation)?;
    writeln!(
        out,
        "    articles  {dir}/articles   (Parquet, partitioned by source and year)"
    )?;
    writeln!(out, "    rejects   {dir}/rejects")?;
    writeln!(out, "    summary   {dir}/run-summary.json")?;
    Ok(())
}

fn human_bytes(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GB", b as f64 / f64::from(1u32 << 30)),
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / f64::from(1u32 << 20)),
        b if b >= 1 << 10 => format!("{:.1} KB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}
