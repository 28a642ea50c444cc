//! `wirehouse run`: discover → extract → transform → load, with accounting.

use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Instant;

use anyhow::Context;
use rayon::prelude::*;
use wirehouse_extract::{frame, read_input, Limits};
use wirehouse_load::{Generation, Reject, RunSummary, Warehouse};
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
}

/// Files handed to the workers at a time. Chunks keep memory bounded (at most
/// two chunks wait for the writer) while letting the writer work on one chunk
/// as the workers extract the next.
const CHUNK: usize = 512;

/// What became of one file.
enum Outcome {
    Record(Box<Article>, u64),
    Reject(Reject),
}

fn process(file: &InputPath, limits: &Limits, transformer: &Transformer) -> Outcome {
    let input = match read_input(&file.path, file.source_path.clone(), limits) {
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

/// Runs the pipeline and commits its output; returns the run's summary.
pub fn run(config: &RunConfig) -> anyhow::Result<RunSummary> {
    let started_at = chrono::Utc::now();
    let clock = Instant::now();
    let profiles = match &config.profiles {
        Some(dir) => ProfileSet::from_dir(dir)?,
        None => ProfileSet::builtin()?,
    };
    let transformer = Transformer::new(profiles);
    let warehouse = Warehouse::open(&config.output)
        .with_context(|| format!("cannot use output folder {}", config.output.display()))?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.threads)
        .build()
        .context("cannot start worker threads")?;

    let (files, unlisted) = discover(&config.inputs);
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
    let mut generation = warehouse.begin()?;
    let mut tally = Tally::default();
    for u in unlisted {
        tally.reject(
            &mut generation,
            Reject {
                source_path: u.source_path,
                content_sha256: None,
                file_size: None,
                error_kind: "io".into(),
                error_message: u.message,
            },
        );
    }

    let mut progress = Progress::new(config.progress, files.len() as u64);
    let (sender, receiver) = mpsc::sync_channel::<Vec<Outcome>>(1);
    let (files_ref, pool_ref, transformer_ref) = (&files, &pool, &transformer);
    let written: anyhow::Result<()> = std::thread::scope(|scope| {
        // The sender moves into the worker thread, so the channel closes
        // (and the writer's loop ends) when the workers are done.
        scope.spawn(move || {
            let (files, pool, transformer) = (files_ref, pool_ref, transformer_ref);
            for chunk in files.chunks(CHUNK) {
                let outcomes: Vec<Outcome> = pool.install(|| {
                    chunk
                        .par_iter()
                        .map(|f| process(f, &config.limits, transformer))
                        .collect()
                });
                // The writer hung up: it failed, and says why.
                if sender.send(outcomes).is_err() {
                    break;
                }
            }
        });
        for outcomes in receiver {
            let n = outcomes.len() as u64;
            for outcome in outcomes {
                match outcome {
                    Outcome::Record(article, size) => {
                        tally.bytes_read += size;
                        tally.record(&mut generation, &article)?;
                    }
                    Outcome::Reject(reject) => {
                        tally.bytes_read += reject.file_size.unwrap_or(0);
                        tally.reject(&mut generation, reject);
                    }
                }
            }
            progress.advance(n);
        }
        Ok(())
    });
    progress.finish();
    written?;

    tally.fill(&mut summary);
    let elapsed = clock.elapsed().as_secs_f64();
    summary.finished_at = chrono::Utc::now().to_rfc3339();
    summary.elapsed_s = elapsed;
    summary.files_per_s = if elapsed > 0.0 {
        summary.files_found as f64 / elapsed
    } else {
        0.0
    };
    debug_assert!(summary.accounts_for_every_file(), "{summary:?}");
    generation
        .commit(&mut summary)
        .with_context(|| format!("cannot commit the output in {}", config.output.display()))?;
    Ok(summary)
}

/// Counts as the writer sees outcomes, in input order.
#[derive(Default)]
struct Tally {
    seen: HashSet<String>,
    summary: RunSummary,
    bytes_read: u64,
}

impl Tally {
    fn record(&mut self, generation: &mut Generation, article: &Article) -> anyhow::Result<()> {
        // Same bytes as an earlier file: the earlier one (in input order) is the record.
        if !self.seen.insert(article.content_sha256.clone()) {
            self.summary.duplicates += 1;
            return Ok(());
        }
        generation.push_article(article)?;
        self.summary.records += 1;
        *self
            .summary
            .records_by_source
            .entry(article.source.clone())
            .or_default() += 1;
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
