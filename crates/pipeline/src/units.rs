//! A run cut into work units, for engines (Ray, Spark) that spread them over
//! processes and machines; the engine only schedules, this module decides.
//!
//! ```text
//! driver                              tasks (anywhere the output folder is)
//! EngineRun::begin  (lock, generation)
//!   plan_local / plan_listing → units ──► run_unit: read, extract, transform,
//!                                          write part-uNNNNNN.parquet per
//!                                 ◄────── partition; UnitReport (counts,
//!   add(report) …                          rejects, content keys)
//!   redo() → units with duplicates ─────► run_unit again, skipping them
//!   commit (rejects, summary, one rename)
//! ```
//!
//! Duplicates are decided as `wirehouse run` decides them: of files with the
//! same bytes, the first in input order is the record. A unit drops its own
//! later copies; the driver, taking the units' content keys in unit order,
//! finds records whose bytes an earlier unit already wrote, and has those
//! units run again without them (in practice few: a file saved twice lands
//! in another unit only when its copies are far apart in input order).
//!
//! A unit's files are named after the unit and replaced whole (written under
//! a hidden name, then renamed), so an engine that retries a failed or slow
//! task, even twice at once, leaves one copy of each; the driver keeps one
//! report per unit. Nothing is visible to readers before
//! [`EngineRun::commit`], which is the same atomic step as `wirehouse run`'s.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use wirehouse_extract::Limits;
use wirehouse_load::{write_parts, Coverage, Generation, Reject, RunSummary, Warehouse};
use wirehouse_transform::{ProfileSet, Transformer};

use crate::discover::{is_article_name, walk, Found};
use crate::file::{hash_key, process_bytes, unreadable, Outcome};
use crate::seen::SeenKeys;
use crate::RunConfig;

/// What every task of one run needs: the same for all its units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitSpec {
    /// The folder of site profiles; the built-in ones when `None`.
    pub profiles: Option<PathBuf>,
    /// Files larger than this are rejected as `too_large`.
    pub max_file_bytes: u64,
    /// The generation folder the run writes, where units put their files.
    pub generation: PathBuf,
}

impl UnitSpec {
    /// The limits on input files.
    pub fn limits(&self) -> Limits {
        Limits {
            max_file_bytes: self.max_file_bytes,
        }
    }

    /// The transformer of this run's profiles.
    pub fn transformer(&self) -> anyhow::Result<Transformer> {
        Ok(Transformer::new(load_profiles(self.profiles.as_deref())?))
    }
}

fn load_profiles(dir: Option<&std::path::Path>) -> anyhow::Result<ProfileSet> {
    Ok(match dir {
        Some(dir) => ProfileSet::from_dir(dir)?,
        None => ProfileSet::builtin()?,
    })
}

/// Consecutive files in input order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    /// The unit's number, from 0 in input order.
    pub index: u32,
    /// The input position of its first file (positions count every file
    /// found, from 0).
    pub first: u64,
    /// Each file's `source_path` (relative to its input root).
    pub source_paths: Vec<String>,
    /// Where each file is: a local path, or an object's URL for tasks that
    /// fetch bytes themselves.
    pub locations: Vec<String>,
}

/// A unit's files: read by the task from local paths, or bytes the caller
/// fetched (an error message where a fetch failed).
pub enum UnitInput {
    /// Local paths, in the unit's order.
    Paths(Vec<PathBuf>),
    /// Bytes, or why they could not be had, in the unit's order.
    Bytes(Vec<Result<Vec<u8>, String>>),
}

/// Per field, per layout: the records that missed it and the first of them.
pub type Misses = BTreeMap<String, BTreeMap<String, (u64, String)>>;

/// What a unit's task reports to the driver.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UnitReport {
    /// The unit.
    pub unit: u32,
    /// Files in the unit.
    pub files: u64,
    /// Records written.
    pub records: u64,
    /// Files whose bytes an earlier record of the unit had, or that the
    /// driver named as duplicates of an earlier unit's records.
    pub duplicates: u64,
    /// Bytes of the files read.
    pub bytes_read: u64,
    /// Records written, per source.
    pub records_by_source: BTreeMap<String, u64>,
    /// Coverage of the records written, per source.
    pub coverage: BTreeMap<String, Coverage>,
    /// Per source, field and layout, the records that missed the field and
    /// the first of them (what [`Coverage::misses`] holds, which a summary
    /// does not serialize).
    pub misses: BTreeMap<String, Misses>,
    /// The unit's rejects, in input order.
    pub rejects: Vec<Reject>,
    /// Each record written: its input position and the first 128 bits of
    /// its content's SHA-256 (32 hex digits), in input order.
    pub keys: Vec<(u64, String)>,
    /// The files written, relative to the generation folder.
    pub parts: Vec<String>,
}

/// Runs one unit: reads (or takes) its files, extracts and transforms them
/// on this thread, writes its records into the generation's partition
/// folders as `part-uNNNNNN.parquet`, and reports. Files at the input
/// positions in `skip` are duplicates of earlier units' records: counted,
/// not written. Fails only when its files cannot be written.
pub fn run_unit(
    spec: &UnitSpec,
    transformer: &Transformer,
    unit: &Unit,
    input: UnitInput,
    skip: &[u64],
) -> anyhow::Result<UnitReport> {
    let n = unit.source_paths.len();
    let limits = spec.limits();
    // What became of each file, and the bytes read of it.
    let outcomes: Vec<(Outcome, u64)> = match input {
        UnitInput::Paths(paths) => {
            if paths.len() != n {
                bail!("unit {}: {} paths for {n} files", unit.index, paths.len());
            }
            paths
                .iter()
                .zip(&unit.source_paths)
                .map(|(path, source_path)| {
                    match wirehouse_extract::read_input(path, source_path.clone(), &limits) {
                        Ok(input) => {
                            let size = input.meta.file_size;
                            let outcome = process_bytes(
                                input.meta.source_path,
                                input.bytes,
                                &limits,
                                transformer,
                            );
                            (outcome, size)
                        }
                        Err(rejected) => {
                            let size = rejected.file_size.unwrap_or(0);
                            (Outcome::Reject(crate::file::extract_reject(rejected)), size)
                        }
                    }
                })
                .collect()
        }
        UnitInput::Bytes(items) => {
            if items.len() != n {
                bail!("unit {}: {} files given for {n}", unit.index, items.len());
            }
            items
                .into_iter()
                .zip(&unit.source_paths)
                .map(|(item, source_path)| match item {
                    Ok(bytes) => {
                        let size = bytes.len() as u64;
                        let outcome =
                            process_bytes(source_path.clone(), bytes, &limits, transformer);
                        (outcome, size)
                    }
                    Err(message) => (unreadable(source_path.clone(), message), 0),
                })
                .collect()
        }
    };
    let skip: HashSet<u64> = skip.iter().copied().collect();
    let mut report = UnitReport {
        unit: unit.index,
        files: n as u64,
        ..UnitReport::default()
    };
    let mut seen: HashSet<u128> = HashSet::new();
    let mut articles = Vec::new();
    for (k, (outcome, size)) in outcomes.into_iter().enumerate() {
        let position = unit.first + k as u64;
        report.bytes_read += size;
        match outcome {
            Outcome::Record(article) => {
                let key = hash_key(&article.content_sha256);
                if skip.contains(&position) || !seen.insert(key) {
                    report.duplicates += 1;
                    continue;
                }
                report.records += 1;
                *report
                    .records_by_source
                    .entry(article.source.clone())
                    .or_default() += 1;
                report
                    .coverage
                    .entry(article.source.clone())
                    .or_default()
                    .count(&article);
                report.keys.push((position, format!("{key:032x}")));
                articles.push(*article);
            }
            Outcome::Reject(reject) => report.rejects.push(reject),
            Outcome::Reused => {}
        }
    }
    for (source, coverage) in &mut report.coverage {
        let misses = std::mem::take(&mut coverage.misses);
        report.misses.insert(
            source.clone(),
            misses
                .into_iter()
                .map(|(field, layouts)| (field.to_string(), layouts))
                .collect(),
        );
    }
    let name = format!("part-u{:06}.parquet", unit.index);
    let written = write_parts(&spec.generation, &name, articles)
        .with_context(|| format!("cannot write the files of unit {}", unit.index))?;
    report.parts = written
        .iter()
        .map(|p| {
            p.strip_prefix(&spec.generation)
                .unwrap_or(p)
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    Ok(report)
}

/// The driver's side of a run on an engine: it holds the output folder's
/// lock and the new generation from [`EngineRun::begin`] to
/// [`EngineRun::commit`]; a driver that dies in between leaves the previous
/// dataset current, and the next run's commit removes what it left.
pub struct EngineRun {
    config: RunConfig,
    transformer: Transformer,
    warehouse: Warehouse,
    generation: Generation,
    started_at: chrono::DateTime<chrono::Utc>,
    clock: Instant,
    /// Folders that could not be listed: rejects of the driver's own.
    unlisted: Vec<Reject>,
    /// Files in each planned unit, by unit.
    planned: Vec<u64>,
    /// Each unit's report in force, without its content keys…
    reports: BTreeMap<u32, UnitReport>,
    /// …which are kept here, parsed: (input position, key) of each record,
    /// 24 bytes a record where the report's text took ~80 (the driver holds
    /// every record's key until the commit).
    keys: BTreeMap<u32, Vec<(u64, u128)>>,
    engine: String,
    workers: usize,
}

impl EngineRun {
    /// Opens the output folder (waiting as `config.wait` says for another
    /// run holding it) and begins a generation. `engine` and `workers` are
    /// recorded in the summary.
    pub fn begin(config: RunConfig, engine: &str, workers: usize) -> anyhow::Result<EngineRun> {
        if config.format != crate::Format::Parquet {
            anyhow::bail!(
                "engine jobs write the folder layout (format = \"parquet\"); Delta output is wirehouse run's (run it on the folder's inputs, or publish with wirehouse run --format delta)"
            );
        }
        let transformer = Transformer::new(load_profiles(config.profiles.as_deref())?);
        let warehouse = Warehouse::open_waiting(&config.output, config.wait)
            .with_context(|| format!("cannot use output folder {}", config.output.display()))?;
        let generation = warehouse.begin()?;
        Ok(EngineRun {
            config,
            transformer,
            warehouse,
            generation,
            started_at: chrono::Utc::now(),
            clock: Instant::now(),
            unlisted: Vec::new(),
            planned: Vec::new(),
            reports: BTreeMap::new(),
            keys: BTreeMap::new(),
            engine: engine.to_string(),
            workers,
        })
    }

    /// The run's configuration.
    pub fn config(&self) -> &RunConfig {
        &self.config
    }

    /// What the tasks need.
    pub fn spec(&self) -> UnitSpec {
        UnitSpec {
            profiles: self.config.profiles.clone(),
            max_file_bytes: self.config.limits.max_file_bytes,
            generation: self.generation.dir().to_path_buf(),
        }
    }

    /// The run's local inputs, walked as `wirehouse run` walks them, cut into
    /// units of `files_per_unit` files in input order.
    pub fn plan_local(&mut self, files_per_unit: usize) -> anyhow::Result<Vec<Unit>> {
        self.config.require_local_inputs()?;
        let mut files = Vec::new();
        for found in walk(&self.config.inputs) {
            match found {
                Found::File(file) => files.push((
                    file.source_path.to_string(),
                    file.path(&self.config.inputs)
                        .to_string_lossy()
                        .into_owned(),
                )),
                Found::Unlisted(u) => self.unlisted.push(Reject {
                    source_path: u.source_path,
                    content_sha256: None,
                    file_size: None,
                    error_kind: "io".into(),
                    error_message: u.message,
                }),
            }
        }
        self.cut(files, files_per_unit)
    }

    /// Objects an engine listed itself (an object store), per input root in
    /// the order the roots were given, as (`source_path`, location) pairs:
    /// the article files among them, each root's in byte order of
    /// `source_path` (the order of a local walk), cut into units.
    pub fn plan_listing(
        &mut self,
        roots: Vec<Vec<(String, String)>>,
        files_per_unit: usize,
    ) -> anyhow::Result<Vec<Unit>> {
        let mut files = Vec::new();
        for mut root in roots {
            root.retain(|(source_path, _)| {
                let name = source_path.rsplit('/').next().unwrap_or(source_path);
                // As the walk skips hidden folders and files.
                is_article_name(name) && !source_path.split('/').any(|part| part.starts_with('.'))
            });
            // Depth-first in byte order of names, as the walk goes: by path
            // component (`a/b` before `a.x`, which a plain string sort inverts).
            root.sort_by(|a, b| a.0.split('/').cmp(b.0.split('/')));
            files.extend(root);
        }
        self.cut(files, files_per_unit)
    }

    fn cut(
        &mut self,
        files: Vec<(String, String)>,
        files_per_unit: usize,
    ) -> anyhow::Result<Vec<Unit>> {
        if !self.planned.is_empty() {
            bail!("this run is already planned");
        }
        let per = files_per_unit.max(1);
        let units: Vec<Unit> = files
            .chunks(per)
            .enumerate()
            .map(|(i, chunk)| {
                let (source_paths, locations) = chunk.iter().cloned().unzip();
                Ok(Unit {
                    index: u32::try_from(i).context("too many units")?,
                    first: (i * per) as u64,
                    source_paths,
                    locations,
                })
            })
            .collect::<anyhow::Result<_>>()?;
        self.planned = units.iter().map(|u| u.source_paths.len() as u64).collect();
        Ok(units)
    }

    /// Takes a unit's report; a later report of the same unit (a retry, or
    /// a [`EngineRun::redo`]) replaces the earlier one.
    pub fn add(&mut self, mut report: UnitReport) -> anyhow::Result<()> {
        let Some(&files) = self.planned.get(report.unit as usize) else {
            bail!(
                "a report for unit {}, which this run did not plan",
                report.unit
            );
        };
        let accounted = report.records + report.duplicates + report.rejects.len() as u64;
        if report.files != files || accounted != files {
            bail!(
                "the report of unit {} accounts for {accounted} of {} files, and the unit has {files}",
                report.unit,
                report.files
            );
        }
        let keys = std::mem::take(&mut report.keys)
            .into_iter()
            .map(|(position, key)| {
                u128::from_str_radix(&key, 16)
                    .map(|key| (position, key))
                    .with_context(|| format!("unit {}: bad content key {key}", report.unit))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        self.keys.insert(report.unit, keys);
        self.reports.insert(report.unit, report);
        Ok(())
    }

    /// Units that wrote records whose bytes an earlier unit's record
    /// already had, with the input positions of those records: run each
    /// again with them skipped and [`EngineRun::add`] the new reports.
    /// Empty when every unit's records are the first of their content.
    pub fn redo(&self) -> anyhow::Result<Vec<(u32, Vec<u64>)>> {
        if let Some(missing) =
            (0..self.planned.len() as u32).find(|u| !self.reports.contains_key(u))
        {
            bail!("unit {missing} has not reported");
        }
        let mut seen = SeenKeys::default();
        let scratch = self.generation.scratch_dir();
        let mut redo = Vec::new();
        for (&unit, keys) in &self.keys {
            let mut skip = Vec::new();
            for &(position, key) in keys {
                if !seen.insert(key, || scratch.clone())? {
                    skip.push(position);
                }
            }
            if !skip.is_empty() {
                redo.push((unit, skip));
            }
        }
        Ok(redo)
    }

    /// Adds up the reports, checks the profiles' expectations, and commits
    /// the generation: the one step readers see. Fails, leaving the previous
    /// dataset current, when a unit has not reported or duplicates remain.
    pub fn commit(mut self) -> anyhow::Result<RunSummary> {
        if let Some((unit, _)) = self.redo()?.first() {
            bail!("unit {unit} wrote records an earlier unit has: run the units redo() names again first");
        }
        let mut summary = RunSummary {
            wirehouse_version: env!("CARGO_PKG_VERSION").into(),
            started_at: self.started_at.to_rfc3339(),
            inputs: self
                .config
                .inputs
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
            threads: self.workers,
            ..RunSummary::default()
        };
        self.remove_unclaimed_parts()?;
        let reports = std::mem::take(&mut self.reports);
        for (_, report) in reports {
            summary.files_found += report.files;
            summary.records += report.records;
            summary.duplicates += report.duplicates;
            summary.bytes_read += report.bytes_read;
            for (source, n) in report.records_by_source {
                *summary.records_by_source.entry(source).or_default() += n;
            }
            let mut misses = report.misses;
            for (source, mut coverage) in report.coverage {
                for (field, layouts) in misses.remove(&source).unwrap_or_default() {
                    if let Some(field) = wirehouse_load::summary::COVERAGE_FIELDS
                        .into_iter()
                        .find(|f| *f == field)
                    {
                        coverage.misses.insert(field, layouts);
                    }
                }
                summary.coverage.entry(source).or_default().absorb(coverage);
            }
            for reject in report.rejects {
                self.push_reject(&mut summary, reject);
            }
        }
        for reject in std::mem::take(&mut self.unlisted) {
            summary.files_found += 1;
            self.push_reject(&mut summary, reject);
        }
        summary.check_expectations(self.transformer.profiles());
        summary.finished_at = chrono::Utc::now().to_rfc3339();
        summary.elapsed_s = self.clock.elapsed().as_secs_f64();
        summary.files_per_s = if summary.elapsed_s > 0.0 {
            summary.files_found as f64 / summary.elapsed_s
        } else {
            0.0
        };
        summary.engine = Some(self.engine.clone());
        debug_assert!(summary.accounts_for_every_file(), "{summary:?}");
        self.generation.commit(&mut summary).with_context(|| {
            format!(
                "cannot commit the output in {}",
                self.config.output.display()
            )
        })?;
        drop(self.warehouse);
        Ok(summary)
    }

    /// Removes unit files no report in force claims: a unit run again
    /// without its duplicates writes no file for a partition where it only
    /// had duplicates, and the first attempt's file must not stay.
    fn remove_unclaimed_parts(&self) -> anyhow::Result<()> {
        let claimed: HashSet<PathBuf> = self
            .reports
            .values()
            .flat_map(|r| r.parts.iter().map(PathBuf::from))
            .collect();
        let root = self.generation.dir();
        let articles = root.join("articles");
        if !articles.exists() {
            return Ok(());
        }
        for entry in walkdir::WalkDir::new(&articles).min_depth(3).max_depth(3) {
            let entry = entry.with_context(|| format!("cannot list {}", articles.display()))?;
            let name = entry.file_name().to_string_lossy();
            let relative = entry.path().strip_prefix(root).unwrap_or(entry.path());
            if name.starts_with("part-u") && !claimed.contains(relative) {
                std::fs::remove_file(entry.path())
                    .with_context(|| format!("cannot remove {}", entry.path().display()))?;
            }
        }
        Ok(())
    }

    fn push_reject(&mut self, summary: &mut RunSummary, reject: Reject) {
        summary.rejects += 1;
        *summary
            .rejects_by_kind
            .entry(reject.error_kind.clone())
            .or_default() += 1;
        self.generation.push_reject(reject);
    }
}
