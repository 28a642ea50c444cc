//! `wirehouse run`: discover → extract → transform → load, with accounting.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::time::Instant;

use anyhow::Context;
use chrono::Datelike;
use rayon::prelude::*;
use wirehouse_load::{
    FileOutcome, Generation, Manifest, ManifestEntry, Reject, RunSummary, Warehouse,
};
use wirehouse_transform::{Article, ProfileSet, Transformer};

use wirehouse_store::{start_get, Pending};

use crate::discover::{walk_roots, Found, InputPath};
use crate::file::{hash_key, process, process_object, stat, Outcome, Partition, Stat};
use crate::seen::SeenKeys;
use crate::{Format, RunConfig};

/// Told how far a run has got; the CLI draws a bar or logs lines.
pub trait Progress {
    /// Whether a total is shown: a full run then counts the files in a
    /// second walk while it works (a list of names, not a file read).
    fn shows(&self) -> bool {
        false
    }
    /// There are `total` files (counted ahead, or all found).
    fn set_total(&mut self, _total: u64) {}
    /// `done` files are done.
    fn advance_to(&mut self, _done: u64) {}
    /// The run has taken every file.
    fn finish(&mut self) {}
}

/// Progress nobody watches.
pub struct Silent;

impl Progress for Silent {}

/// Files read at a time when an incremental run looks for what changed.
const CHUNK: usize = 512;

/// How far ahead of the writer a worker may extract: bounds the results
/// that wait, out of order, for the writer.
const WINDOW: usize = 1024;

/// Results a worker sends to the writer at a time.
const SEND_BATCH: usize = 16;

/// What a run must reproduce to be reused: the same program, profiles,
/// limits and inputs give the same records for the same bytes, in files of
/// the same columns (a build that adds a column rewrites every partition,
/// so no dataset mixes files with and without it).
fn fingerprint(config: &RunConfig, profiles: &ProfileSet) -> String {
    let inputs: Vec<String> = config
        .inputs
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let columns: Vec<String> = wirehouse_load::schema::article_file_schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    format!(
        "wirehouse {} | columns {} | profiles {} | max_file_bytes {} | inputs {}",
        env!("CARGO_PKG_VERSION"),
        columns.join(","),
        profiles.fingerprint(),
        config.limits.max_file_bytes,
        inputs.join("\u{1f}")
    )
}

/// One discovered file (or unlisted folder) and, on an incremental run,
/// what the previous run knew of it.
struct Job<'a> {
    found: Found,
    /// As `stat` saw it when the run was planned; a full run does not plan,
    /// and takes the stat of the open file instead.
    stat: Option<Stat>,
    previous: Option<&'a ManifestEntry>,
    /// Unchanged, in a clean partition: carried over, not read.
    reuse: bool,
    /// The GET of an object, started ahead of the workers ([`Prefetch`]).
    pending: Option<Pending>,
}

impl Job<'_> {
    fn file(&self) -> Option<&InputPath> {
        match &self.found {
            Found::File(file) => Some(file),
            Found::Unlisted(_) => None,
        }
    }

    fn object(&self) -> Option<&wirehouse_store::Object> {
        self.file().and_then(|f| f.object.as_deref())
    }

    /// Unchanged since the previous run by what a listing tells: a file's
    /// size and modification time; an object's size and entity tag (its
    /// time changes when the same bytes are uploaded again).
    fn unchanged_by_stat(&self) -> bool {
        let object = self.object();
        self.previous
            .zip(self.stat)
            .is_some_and(|(p, stat)| match object {
                Some(object) => {
                    p.size == stat.size && object.etag.is_some() && p.etag == object.etag
                }
                None => {
                    p.size == stat.size
                        && p.mtime_ns == i128::from(stat.mtime_ns)
                        && p.mtime_ns != 0
                }
            })
    }
}

/// The jobs in input order, handed to the workers a few at a time.
struct Feed<'a, I: Iterator<Item = Job<'a>>> {
    jobs: I,
    /// Index of the next job handed out: the number handed out so far.
    next: usize,
}

/// GETs kept in flight ahead of the workers for objects in a store.
const PREFETCH: usize = 64;

/// The jobs in input order, each object's GET started [`PREFETCH`] jobs
/// before a worker takes it: a bounded number of requests in flight, and
/// the workers rarely wait for bytes.
struct Prefetch<'a, 'c, I: Iterator<Item = Job<'a>>> {
    jobs: I,
    ahead: std::collections::VecDeque<Job<'a>>,
    config: &'c RunConfig,
}

impl<'a, I: Iterator<Item = Job<'a>>> Iterator for Prefetch<'a, '_, I> {
    type Item = Job<'a>;

    fn next(&mut self) -> Option<Job<'a>> {
        while self.ahead.len() < PREFETCH {
            let Some(mut job) = self.jobs.next() else {
                break;
            };
            if let Found::File(file) = &job.found {
                let location = self.config.stores.get(file.root).and_then(Option::as_ref);
                if let (Some(object), Some(location), false) = (&file.object, location, job.reuse) {
                    // Over the size limit: rejected from the listing, never fetched.
                    if object.size <= self.config.limits.max_file_bytes {
                        job.pending = Some(start_get(location, &file.source_path));
                    }
                }
            }
            self.ahead.push_back(job);
        }
        self.ahead.pop_front()
    }
}

/// Reads one input: a local file, or an object (whose GET may be in
/// flight already).
fn read_one(
    file: &InputPath,
    pending: Option<Pending>,
    config: &RunConfig,
    transformer: &Transformer,
) -> (Outcome, Stat) {
    let location = config.stores.get(file.root).and_then(Option::as_ref);
    match (&file.object, location) {
        (Some(object), Some(location)) => {
            process_object(file, object, location, pending, &config.limits, transformer)
        }
        _ => process(file, &config.inputs, &config.limits, transformer),
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

/// Set by [`interrupt`]: runs stop taking files and fail with
/// [`Interrupted`].
static INTERRUPT: AtomicBool = AtomicBool::new(false);

/// Asks every run of this process to stop: each fails at its next file with
/// [`Interrupted`], removing what it wrote (for a signal handler: it only
/// stores a flag).
pub fn interrupt() {
    INTERRUPT.store(true, Ordering::SeqCst);
}

pub(crate) fn check_interrupt() -> anyhow::Result<()> {
    if INTERRUPT.load(Ordering::Relaxed) {
        return Err(Interrupted.into());
    }
    Ok(())
}

/// Why a run stopped early: [`interrupt`] was called.
#[derive(Debug, Clone, Copy)]
pub struct Interrupted;

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("interrupted")
    }
}

impl std::error::Error for Interrupted {}

/// The context of every error of a run that had opened its output folder:
/// nothing of it was published, and what readers see instead. Front ends
/// find it with `anyhow::Error::downcast_ref` to say so once.
#[derive(Debug, Clone)]
pub struct NotPublished {
    /// The output folder.
    pub output: PathBuf,
    /// The generation readers still see, if a run published one before.
    pub current: Option<String>,
}

impl std::fmt::Display for NotPublished {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.current {
            Some(generation) => write!(
                f,
                "nothing was published; the previous dataset in {} ({generation}) is intact",
                self.output.display()
            ),
            None => write!(
                f,
                "nothing was published to {} (it held no dataset before)",
                self.output.display()
            ),
        }
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
///
/// A run that fails, or is [`interrupt`]ed, once it has opened the output
/// folder removes what it wrote and fails with [`NotPublished`] as the
/// outermost context.
pub fn run(config: &RunConfig, progress: &mut dyn Progress) -> anyhow::Result<RunSummary> {
    let started_at = chrono::Utc::now();
    let clock = Instant::now();
    let profiles = match &config.profiles {
        Some(dir) => ProfileSet::from_dir(dir)?,
        None => ProfileSet::builtin()?,
    };
    let fingerprint = fingerprint(config, &profiles);
    let transformer = Transformer::new(profiles);
    let start = Start {
        transformer,
        fingerprint,
        started_at,
        clock,
    };
    match config.format {
        Format::Parquet => run_folder(config, progress, start),
        #[cfg(feature = "delta")]
        Format::Delta => crate::delta::run(config, progress, start),
        #[cfg(not(feature = "delta"))]
        Format::Delta => anyhow::bail!(
            "this build has no Delta output (wirehouse-pipeline's feature `delta`): use the wirehouse binary"
        ),
    }
}

/// A run whose output is a local folder of generations.
fn run_folder(
    config: &RunConfig,
    progress: &mut dyn Progress,
    start: Start,
) -> anyhow::Result<RunSummary> {
    let warehouse = Warehouse::open_waiting(&config.output, config.wait)
        .with_context(|| format!("cannot use output folder {}", config.output.display()))?;
    let current = warehouse.current();
    let not_published = NotPublished {
        output: config.output.clone(),
        current: current
            .as_ref()
            .and_then(|dir| Some(dir.file_name()?.to_string_lossy().into_owned())),
    };
    let previous = match &current {
        Some(dir) if !config.full => Manifest::read(dir)
            .filter(|m| m.fingerprint == start.fingerprint)
            .map(|manifest| Previous {
                name: dir
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                manifest,
            }),
        _ => None,
    };
    // Partitions none of whose files changed are taken over from the
    // current generation as they are (hard links).
    let commit = |mut generation: Generation,
                  reused: Vec<Partition>,
                  summary: &mut RunSummary,
                  pool: &rayon::ThreadPool|
     -> anyhow::Result<()> {
        if let Some(dir) = &current {
            for (source, year) in reused {
                generation.reuse_partition(dir, &source, year)?;
            }
        }
        check_interrupt()?;
        // The last row groups are encoded in parallel, on the run's own threads.
        pool.install(|| generation.commit(summary))
            .with_context(|| format!("cannot commit the output in {}", config.output.display()))?;
        Ok(())
    };
    run_in(
        config,
        progress,
        &warehouse,
        previous,
        Box::new(commit),
        start,
    )
    .map_err(|err| err.context(not_published))
}

/// What a run knows before it opens its output folder.
pub(crate) struct Start {
    pub(crate) transformer: Transformer,
    pub(crate) fingerprint: String,
    pub(crate) started_at: chrono::DateTime<chrono::Utc>,
    pub(crate) clock: Instant,
}

/// The dataset a run builds on: the name readers know it by (a
/// generation, a table version) and its manifest.
pub(crate) struct Previous {
    pub(crate) name: String,
    pub(crate) manifest: Manifest,
}

/// How a run's generation is published once every file is written: given
/// the partitions carried over unchanged (in order), the summary (which it
/// completes) and the run's threads.
pub(crate) type Commit<'c> = Box<
    dyn FnOnce(
            Generation,
            Vec<Partition>,
            &mut RunSummary,
            &rayon::ThreadPool,
        ) -> anyhow::Result<()>
        + 'c,
>;

/// The run once its output is open: every error here means nothing was
/// published (the generation it began removes itself when dropped).
pub(crate) fn run_in(
    config: &RunConfig,
    progress: &mut dyn Progress,
    warehouse: &Warehouse,
    previous: Option<Previous>,
    commit: Commit,
    start: Start,
) -> anyhow::Result<RunSummary> {
    let Start {
        transformer,
        fingerprint,
        started_at,
        clock,
    } = start;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.threads)
        .build()
        .context("cannot start worker threads")?;

    // Roots as the manifest names them; files refer to them by index.
    let roots: Vec<String> = config
        .inputs
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let mut summary = RunSummary {
        wirehouse_version: env!("CARGO_PKG_VERSION").into(),
        started_at: started_at.to_rfc3339(),
        inputs: roots.clone(),
        threads: config.threads,
        ..RunSummary::default()
    };

    // A full run hands the workers each file as the walk finds it: no list
    // of the archive is held, and extraction starts at once. An incremental
    // run must see every file before it writes (which partitions changed
    // decides what is rewritten), so it plans them all first.
    type Jobs<'a> = Box<dyn Iterator<Item = Job<'a>> + Send + 'a>;
    let (jobs, total): (Jobs, Option<u64>) = match &previous {
        None => {
            let jobs = walk_roots(&config.inputs, &config.stores).map(|found| Job {
                found,
                stat: None,
                previous: None,
                reuse: false,
                pending: None,
            });
            (Box::new(jobs), None)
        }
        Some(Previous { name, manifest }) => {
            match plan(config, &roots, &pool, &transformer, manifest) {
                Some(jobs) => {
                    let total = jobs.len() as u64;
                    (Box::new(jobs.into_iter()), Some(total))
                }
                None => {
                    // A signal during the plan's walk stops the run here too.
                    check_interrupt()?;
                    // Nothing new: every file as it was, none gone, nothing unlisted.
                    summary.files_found = manifest.entries.len() as u64;
                    summary.unchanged = summary.files_found;
                    summary.generation = name.clone();
                    finish_timing(&mut summary, clock);
                    return Ok(summary);
                }
            }
        }
    };

    // Objects in a store are fetched ahead of the workers.
    let jobs: Jobs = if config.stores.iter().any(Option::is_some) {
        Box::new(Prefetch {
            jobs,
            ahead: std::collections::VecDeque::new(),
            config,
        })
    } else {
        jobs
    };
    check_interrupt()?;
    let mut generation = warehouse.begin()?;
    generation.start_manifest(&fingerprint)?;
    if let Some(total) = total {
        progress.set_total(total);
    }
    // A full run learns how many files there are only at the end of its
    // walk; when progress is shown, a second walk counts them meanwhile, so
    // the bar can show a total and an ETA (a list of names, not a file read).
    let counted = Arc::new(OnceLock::new());
    // (Not for objects: a second listing of a store costs requests.)
    if total.is_none() && progress.shows() && config.stores.iter().all(Option::is_none) {
        let (inputs, counted) = (config.inputs.clone(), Arc::clone(&counted));
        std::thread::spawn(move || counted.set(walk_roots(&inputs, &[]).count() as u64));
    }
    let mut tally = Tally::default();
    let mut reused: HashSet<(String, i32)> = HashSet::new();
    let found = write_in_order(
        config,
        &pool,
        &transformer,
        jobs,
        &mut |job, outcome, read| {
            check_interrupt()?;
            tally.take(&mut generation, &roots, job, outcome, read, &mut reused)?;
            if tally.files % 256 == 0 {
                if let Some(&counted) = counted.get() {
                    progress.set_total(counted.max(tally.files));
                }
                progress.advance_to(tally.files);
            }
            Ok(())
        },
    );
    let found = found?;
    summary.files_found = found as u64;
    progress.set_total(summary.files_found);
    progress.advance_to(summary.files_found);
    progress.finish();
    let mut reused: Vec<Partition> = reused.into_iter().collect();
    reused.sort();

    tally.fill(&mut summary);
    summary.check_expectations(transformer.profiles());
    finish_timing(&mut summary, clock);
    debug_assert!(summary.accounts_for_every_file(), "{summary:?}");
    check_interrupt()?;
    commit(generation, reused, &mut summary, &pool)?;
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

/// Every file found and its stat and previous entry, for an incremental
/// run: which files can be carried over, and which must be read again.
/// `None` when nothing changed at all.
fn plan<'a>(
    config: &RunConfig,
    roots: &[String],
    pool: &rayon::ThreadPool,
    transformer: &Transformer,
    manifest: &'a Manifest,
) -> Option<Vec<Job<'a>>> {
    let known: HashMap<(&str, &str), &ManifestEntry> = manifest
        .entries
        .iter()
        .map(|e| ((e.root.as_str(), e.path.as_str()), e))
        .collect();
    let found: Vec<Found> = walk_roots(&config.inputs, &config.stores).collect();
    let mut jobs: Vec<Job> = pool.install(|| {
        found
            .into_par_iter()
            .map(|found| {
                let (stat, previous) = match &found {
                    Found::File(f) => (
                        Some(match &f.object {
                            Some(o) => Stat {
                                size: o.size,
                                mtime_ns: o.modified_ns,
                            },
                            None => stat(&f.path(&config.inputs)),
                        }),
                        known
                            .get(&(roots[f.root].as_str(), &*f.source_path))
                            .copied(),
                    ),
                    Found::Unlisted(_) => (None, None),
                };
                Job {
                    found,
                    stat,
                    previous,
                    reuse: false,
                    pending: None,
                }
            })
            .collect()
    });
    if manifest.entries.len() == jobs.len() && jobs.iter().all(Job::unchanged_by_stat) {
        return None;
    }

    // Which partitions change: those of new, changed and removed files.
    // A previous entry no file matched was removed (entries are told apart
    // by address).
    let still_there: HashSet<*const ManifestEntry> = jobs
        .iter()
        .filter_map(|j| j.previous)
        .map(std::ptr::from_ref)
        .collect();
    let mut dirty: HashSet<(String, i32)> = HashSet::new();
    for entry in &manifest.entries {
        if !still_there.contains(&std::ptr::from_ref(entry)) {
            dirty.extend(partition_of(entry));
        }
    }
    // Which files changed, and which partitions they touch: only new and
    // changed files are read here, and only their content hash and partition
    // are kept.
    let mut confirmed_unchanged: HashSet<usize> = HashSet::new();
    let changed: Vec<usize> = (0..jobs.len())
        .filter(|&i| jobs[i].file().is_some() && !jobs[i].unchanged_by_stat())
        .collect();
    for chunk in changed.chunks(CHUNK) {
        let light: Vec<(Option<String>, Option<Partition>)> = pool.install(|| {
            chunk
                .par_iter()
                .filter_map(|&i| jobs[i].file())
                .map(|file| {
                    let (outcome, _) = read_one(file, None, config, transformer);
                    (outcome.sha256().map(str::to_string), outcome.partition())
                })
                .collect()
        });
        for (&i, (sha, partition)) in chunk.iter().zip(light) {
            let job = &jobs[i];
            if job
                .previous
                .is_some_and(|p| p.sha256.is_some() && p.sha256 == sha)
            {
                confirmed_unchanged.insert(i);
            } else {
                dirty.extend(partition);
                dirty.extend(job.previous.and_then(partition_of));
            }
        }
    }
    // A file is carried over when it is unchanged and its partition is clean.
    for (i, job) in jobs.iter_mut().enumerate() {
        let unchanged = job.unchanged_by_stat() || confirmed_unchanged.contains(&i);
        job.reuse = unchanged
            && job
                .previous
                .is_some_and(|p| partition_of(p).is_none_or(|part| !dirty.contains(&part)));
    }
    Some(jobs)
}

/// A file's outcome, and its stat when it was read.
type Done<'a> = (Job<'a>, Outcome, Option<Stat>);

/// Hands `jobs` to the worker threads and gives what became of each, in
/// input order, to `write`; returns the number of jobs.
///
/// Every worker takes the next few jobs as soon as it is free and sends what
/// became of them; the writer (this thread) takes the results in input
/// order, holding those that arrive early. No worker gets more than WINDOW
/// jobs ahead of the writer, which bounds what waits in between.
fn write_in_order<'a>(
    config: &RunConfig,
    pool: &rayon::ThreadPool,
    transformer: &Transformer,
    jobs: impl Iterator<Item = Job<'a>> + Send,
    write: &mut dyn FnMut(Job<'a>, Outcome, Option<Stat>) -> anyhow::Result<()>,
) -> anyhow::Result<usize> {
    let feed = Mutex::new(Feed { jobs, next: 0 });
    let (sender, receiver) = mpsc::channel::<Vec<(usize, Done<'a>)>>();
    let writer_at = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (feed, writer_at, stop) = (&feed, &writer_at, &stop);
    std::thread::scope(|scope| {
        scope.spawn(move || {
            pool.scope(|workers| {
                for _ in 0..pool.current_num_threads() {
                    let sender = sender.clone();
                    workers.spawn(move |_| {
                        let mut claimed = Vec::with_capacity(SEND_BATCH);
                        while !stop.load(Ordering::Relaxed) {
                            // The next few jobs, in order; the walk itself
                            // advances here, one worker at a time.
                            let first = match feed.lock() {
                                Ok(mut feed) => {
                                    claimed.extend(feed.jobs.by_ref().take(SEND_BATCH));
                                    let first = feed.next;
                                    feed.next += claimed.len();
                                    first
                                }
                                Err(_) => return,
                            };
                            if claimed.is_empty() {
                                return;
                            }
                            // All this worker's earlier results are sent, so
                            // the writer is not waiting for this one.
                            let last = first + claimed.len() - 1;
                            while last >= writer_at.load(Ordering::Acquire) + WINDOW {
                                if stop.load(Ordering::Relaxed) {
                                    return;
                                }
                                std::thread::sleep(std::time::Duration::from_micros(200));
                            }
                            let done: Vec<(usize, Done)> = claimed
                                .drain(..)
                                .enumerate()
                                .map(|(k, mut job)| {
                                    let pending = job.pending.take();
                                    let (outcome, read) = work(&job, pending, config, transformer);
                                    (first + k, (job, outcome, read))
                                })
                                .collect();
                            // The writer hung up: it failed, and says why.
                            if sender.send(done).is_err() {
                                return;
                            }
                        }
                    });
                }
            });
        });
        let mut early: HashMap<usize, Done> = HashMap::new();
        let mut results = receiver.iter();
        let wrote = (|| -> anyhow::Result<usize> {
            let mut next = 0;
            loop {
                writer_at.store(next, Ordering::Release);
                let done = loop {
                    if let Some(done) = early.remove(&next) {
                        break Some(done);
                    }
                    match results.next() {
                        Some(batch) => early.extend(batch),
                        // Every worker is gone: the jobs are all done.
                        None => break None,
                    }
                };
                let Some((job, outcome, read)) = done else {
                    anyhow::ensure!(
                        early.is_empty(),
                        "the extraction workers stopped before file {next}"
                    );
                    return Ok(next);
                };
                write(job, outcome, read)?;
                next += 1;
            }
        })();
        // On failure, workers stop at their next few files.
        stop.store(true, Ordering::Release);
        drop(receiver);
        wrote
    })
}

/// What becomes of one job on a worker thread.
fn work(
    job: &Job,
    pending: Option<Pending>,
    config: &RunConfig,
    transformer: &Transformer,
) -> (Outcome, Option<Stat>) {
    if job.reuse {
        return (Outcome::Reused, None);
    }
    match &job.found {
        Found::File(file) => {
            let (outcome, read) = read_one(file, pending, config, transformer);
            (outcome, Some(read))
        }
        Found::Unlisted(u) => (
            Outcome::Reject(Reject {
                source_path: u.source_path.clone(),
                content_sha256: None,
                file_size: None,
                error_kind: "io".into(),
                error_message: u.message.clone(),
            }),
            None,
        ),
    }
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
        etag: None,
    }
}

/// Counts as the writer sees outcomes, in input order.
#[derive(Default)]
struct Tally {
    /// Content hashes of the records so far (first 128 bits: no collision in practice).
    seen: SeenKeys,
    summary: RunSummary,
    bytes_read: u64,
    /// Files taken so far.
    files: u64,
}

impl Tally {
    /// Adds a record's content hash to those seen; returns whether it is new.
    fn remember(&mut self, sha256_hex: &str, generation: &Generation) -> anyhow::Result<bool> {
        self.seen
            .insert(hash_key(sha256_hex), || generation.scratch_dir())
            .with_context(|| {
                format!(
                    "cannot set aside the keys of the records written so far in {}",
                    generation.scratch_dir().display()
                )
            })
    }

    /// Writes `article` unless it is a duplicate; says which it was.
    fn record(
        &mut self,
        generation: &mut Generation,
        article: Article,
    ) -> anyhow::Result<FileOutcome> {
        // Same bytes as an earlier file: the earlier one (in input order) is the record.
        if !self.remember(&article.content_sha256, generation)? {
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
        match self.summary.coverage.get_mut(&article.source) {
            Some(coverage) => coverage.count(&article),
            None => {
                let mut coverage = wirehouse_load::Coverage::default();
                coverage.count(&article);
                self.summary
                    .coverage
                    .insert(article.source.clone(), coverage);
            }
        }
        generation.push_article(article)?;
        Ok(FileOutcome::Record)
    }

    /// Writes what became of one file: its record, duplicate or reject, or
    /// what the previous run left of it; and its manifest entry.
    fn take(
        &mut self,
        generation: &mut Generation,
        roots: &[String],
        job: Job,
        outcome: Outcome,
        read: Option<Stat>,
        reused: &mut HashSet<(String, i32)>,
    ) -> anyhow::Result<()> {
        self.files += 1;
        let etag = job.object().and_then(|o| o.etag.clone());
        let (root, path) = match &job.found {
            Found::File(file) => (file.root, &*file.source_path),
            Found::Unlisted(u) => (u.root, u.source_path.as_str()),
        };
        let root = roots[root].as_str();
        // The file as the run saw it: when it was planned (incremental runs),
        // else when it was read.
        let stat = job.stat.or(read).unwrap_or_default();
        let entry = match outcome {
            Outcome::Reused => {
                let Some(previous) = job.previous else {
                    anyhow::bail!("{path} was to be carried over, but the manifest has no entry");
                };
                self.summary.unchanged += 1;
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
                            self.remember(sha, generation)?;
                        }
                        reused.extend(partition_of(previous));
                    }
                    FileOutcome::Duplicate => {}
                }
                ManifestEntry {
                    size: stat.size,
                    mtime_ns: i128::from(stat.mtime_ns),
                    ..previous.clone()
                }
            }
            Outcome::Record(article) => {
                self.bytes_read += read.map_or(0, |r| r.size);
                let entry = ManifestEntry {
                    root: root.to_string(),
                    path: path.to_string(),
                    size: stat.size,
                    mtime_ns: i128::from(stat.mtime_ns),
                    sha256: Some(article.content_sha256.clone()),
                    outcome: FileOutcome::Record,
                    source: Some(article.source.clone()),
                    year: Some(article.feed_time_utc.year()),
                    error_kind: None,
                    error_message: None,
                    etag: None,
                };
                let outcome = self.record(generation, *article)?;
                ManifestEntry { outcome, ..entry }
            }
            Outcome::Reject(reject) => {
                self.bytes_read += reject.file_size.unwrap_or(0);
                let entry = reject_entry(root, path, stat, &reject);
                self.reject(generation, reject);
                entry
            }
        };
        generation.push_manifest(ManifestEntry { etag, ..entry })?;
        Ok(())
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
        summary.coverage = self.summary.coverage;
        summary.unchanged = self.summary.unchanged;
        summary.bytes_read = self.bytes_read;
    }
}
