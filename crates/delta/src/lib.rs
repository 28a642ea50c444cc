//! A wirehouse dataset as Delta Lake tables, on a local disk or in any
//! object store: the commit step of the data path when the output is
//! `format = "delta"`.
//!
//! The run writes its generation as it always does (in a local staging
//! folder: the same Parquet files, Hive-partitioned); [`Dataset::publish`]
//! then uploads the new files next to the table's and makes them visible
//! in one Delta commit per table (`rejects` first, then `articles`, the
//! run's commit point), removing in that same commit the files of the
//! partitions the run rewrote. The transaction log, its atomic
//! put-if-absent commits and conflict checks, schema conversion, snapshots
//! and `vacuum` are delta-rs's (`deltalake-core`, no DataFusion).
//!
//! Layout under the dataset's location `L`:
//!
//! ```text
//! L/articles/_delta_log/…            Delta table, partitioned by source, year
//! L/articles/source=…/year=…/part-<run>-<n>.parquet
//! L/rejects/_delta_log/…             Delta table (rejects have no source/year)
//! L/_wirehouse/runs/<n>/manifest.jsonl   what became of every input file
//! L/run-summary.json                 the last run's accounting and versions
//! ```
//!
//! Which manifest belongs to the table's current version is Delta's own
//! application transaction: every articles commit carries `txn` (app id
//! `wirehouse`, version = the run number `n`), so other writers' commits
//! (a `vacuum`) do not lose it, and a run that died before its commit left
//! a manifest nobody points to (the next run writes over it).

use std::collections::{HashMap, HashSet};
use std::future::IntoFuture;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use deltalake_core::arrow::datatypes::Schema as ArrowSchema;
use deltalake_core::kernel::engine::arrow_conversion::TryFromArrow;
use deltalake_core::kernel::transaction::{CommitBuilder, CommitProperties, TransactionError};
use deltalake_core::kernel::{Action, Add, StructType, Transaction};
use deltalake_core::protocol::{DeltaOperation, SaveMode};
use deltalake_core::{DeltaTable, DeltaTableBuilder, DeltaTableError};
use wirehouse_store::{runtime, Location, StoreError};

/// The application id of wirehouse's transactions in the Delta log.
pub const APP_ID: &str = "wirehouse";

/// Where runs keep their manifests, under the dataset.
const RUNS: &str = "_wirehouse/runs";

/// The run summary at the dataset's top.
pub const SUMMARY_FILE: &str = "run-summary.json";

/// What went wrong with a Delta dataset.
#[derive(Debug, thiserror::Error)]
pub enum DeltaError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("Delta table {table}: {message}")]
    Table { table: String, message: String },
    /// Another writer committed first: Delta's concurrency rule.
    #[error(
        "Delta table {table}: another writer committed version {version} while this run was writing; nothing of this run was committed to it (run again to build on that version)"
    )]
    Conflict { table: String, version: i64 },
    #[error("cannot read {path}: {source}")]
    Local {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

fn table_error(table: &Location) -> impl Fn(DeltaTableError) -> DeltaError + '_ {
    move |e| match e {
        DeltaTableError::Transaction {
            source: TransactionError::VersionAlreadyExists(version),
        } => DeltaError::Conflict {
            table: table.url().to_string(),
            version: version as i64,
        },
        other => DeltaError::Table {
            table: table.url().to_string(),
            message: wirehouse_store::one_line(&other),
        },
    }
}

/// A dataset's Delta tables at one location.
#[derive(Debug, Clone)]
pub struct Dataset {
    root: Location,
}

/// What the dataset's articles table holds now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Current {
    /// The articles table's version.
    pub version: i64,
    /// The run that wrote it, when wirehouse did (its application
    /// transaction version).
    pub run: Option<i64>,
}

/// One table of a run's output, staged on local disk.
pub struct Staged<'a> {
    /// `articles` or `rejects`: the folder in the staging generation and the
    /// table's name under the dataset.
    pub name: &'a str,
    /// Every column readers see, partition columns included.
    pub schema: &'a ArrowSchema,
    /// The partition columns, in folder order.
    pub partition_by: &'a [&'a str],
    /// Whether the table's current files in a partition (given by its
    /// values) stay: the run did not rewrite that partition.
    pub keep: &'a dyn Fn(&HashMap<String, Option<String>>) -> bool,
}

/// The versions one publish wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Published {
    /// The run number (the application transaction's version).
    pub run: i64,
    /// Version of `articles` the run committed.
    pub articles_version: i64,
    /// Version of `rejects` the run committed.
    pub rejects_version: i64,
}

/// What a vacuum removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vacuumed {
    /// Data files deleted, per table.
    pub files: Vec<(String, usize)>,
    /// Manifests of runs older than the current one deleted.
    pub manifests: usize,
}

impl Dataset {
    /// The dataset at `root` (nothing is read yet).
    pub fn new(root: Location) -> Dataset {
        Dataset { root }
    }

    /// The dataset's location.
    pub fn location(&self) -> &Location {
        &self.root
    }

    fn table_location(&self, name: &str) -> Location {
        self.root.join(name)
    }

    fn builder(&self, table: &Location) -> DeltaTableBuilder {
        let url = table.url().clone();
        DeltaTableBuilder::from_url(url.clone())
            .expect("a Location's URL is a URL")
            .with_storage_backend(table.store(), url)
    }

    /// Loads `name`, or `None` when it is not a Delta table yet (no log:
    /// one listing request tells, on any store).
    fn load(&self, name: &str) -> Result<Option<DeltaTable>, DeltaError> {
        let table = self.table_location(name);
        if table.join("_delta_log").list()?.is_empty() {
            return Ok(None);
        }
        let builder = self.builder(&table);
        match runtime().block_on(builder.load()) {
            Ok(loaded) => Ok(Some(loaded)),
            Err(DeltaTableError::NotATable(_)) => Ok(None),
            Err(e) => Err(table_error(&table)(e)),
        }
    }

    /// What the articles table holds now; `None` before the first run.
    pub fn current(&self) -> Result<Option<Current>, DeltaError> {
        let Some(table) = self.load("articles")? else {
            return Ok(None);
        };
        let location = self.table_location("articles");
        let errors = table_error(&location);
        let snapshot = table.snapshot().map_err(&errors)?;
        let run = runtime()
            .block_on(snapshot.transaction_version(table.log_store().as_ref(), APP_ID))
            .map_err(&errors)?;
        Ok(Some(Current {
            version: snapshot.version() as i64,
            run,
        }))
    }

    /// The manifest of run `run`, as it was written (JSON lines).
    pub fn manifest(&self, run: i64) -> Result<bytes::Bytes, DeltaError> {
        Ok(self.root.get(&format!("{RUNS}/{run:08}/manifest.jsonl"))?)
    }

    /// Publishes a run staged in `generation` (a local folder holding
    /// `articles/…`, `rejects/…`, `manifest.jsonl`) as run `run`: uploads its
    /// files, then one commit to `rejects` and one to `articles`, each
    /// removing the files of the partitions `keep` does not keep. A table
    /// that does not exist yet is created by that commit.
    ///
    /// `expected` is the articles version the run was planned on: a commit
    /// by another writer since then fails this one ([`DeltaError::Conflict`]).
    pub fn publish(
        &self,
        generation: &Path,
        run: i64,
        expected: Option<i64>,
        tables: [Staged; 2],
        summary: &serde_json::Value,
    ) -> Result<Published, DeltaError> {
        let manifest = generation.join("manifest.jsonl");
        if manifest.exists() {
            let bytes = std::fs::read(&manifest).map_err(|e| DeltaError::Local {
                path: manifest.display().to_string(),
                source: e,
            })?;
            self.root
                .put(&format!("{RUNS}/{run:08}/manifest.jsonl"), bytes.into())?;
        }
        let mut versions = Vec::new();
        for staged in &tables {
            let expected = if staged.name == "articles" {
                Some(expected)
            } else {
                None
            };
            versions.push(self.commit_table(generation, run, expected, staged, summary)?);
        }
        let published = Published {
            run,
            rejects_version: versions[0],
            articles_version: versions[1],
        };
        let mut summary = summary.clone();
        if let Some(map) = summary.as_object_mut() {
            map.insert(
                "delta".into(),
                serde_json::to_value(published).unwrap_or_default(),
            );
        }
        let json = serde_json::to_vec_pretty(&summary).unwrap_or_default();
        self.root
            .put(&format!("{RUNS}/{run:08}/{SUMMARY_FILE}"), json.clone().into())?;
        self.root.put(SUMMARY_FILE, json.into())?;
        Ok(published)
    }

    /// Uploads one staged table's files and commits them; returns the
    /// version written. `expected`: `Some(v)` checks the table is still at
    /// `v` (`None` inside: not created yet).
    fn commit_table(
        &self,
        generation: &Path,
        run: i64,
        expected: Option<Option<i64>>,
        staged: &Staged,
        summary: &serde_json::Value,
    ) -> Result<i64, DeltaError> {
        let location = self.table_location(staged.name);
        let errors = table_error(&location);
        let existing = self.load(staged.name)?;
        if let Some(expected) = expected {
            let now = match &existing {
                Some(table) => Some(table.snapshot().map_err(&errors)?.version() as i64),
                None => None,
            };
            if now != expected {
                return Err(DeltaError::Conflict {
                    table: location.url().to_string(),
                    version: now.unwrap_or(0),
                });
            }
        }
        let adds = self.upload(generation, run, staged, &location)?;
        let mut actions: Vec<Action> = Vec::new();
        if let Some(table) = &existing {
            let snapshot = table.snapshot().map_err(&errors)?;
            let deleted_at = chrono_now_ms();
            for file in snapshot.log_data().iter() {
                if !(staged.keep)(&file.partition_values_map()) {
                    let mut remove = file.remove_action(true);
                    remove.deletion_timestamp = Some(deleted_at);
                    actions.push(Action::Remove(remove));
                }
            }
        }
        actions.extend(adds.into_iter().map(Action::Add));
        let mut metadata: HashMap<String, serde_json::Value> = HashMap::new();
        metadata.insert("wirehouse.run".into(), run.into());
        metadata.insert("wirehouse.summary".into(), summary.clone());
        let properties = CommitProperties::default()
            .with_metadata(metadata)
            .with_application_transaction(Transaction::new(APP_ID, run))
            // One writer at a time: a concurrent commit fails this one.
            .with_max_retries(0)
            .with_create_checkpoint(true);
        let partition_by: Vec<String> = staged.partition_by.iter().map(|c| c.to_string()).collect();
        let version = match existing {
            None => {
                let schema = StructType::try_from_arrow(staged.schema).map_err(|e| {
                    DeltaError::Table {
                        table: location.url().to_string(),
                        message: format!("cannot convert the schema: {e}"),
                    }
                })?;
                let log_store = self.builder(&location).build_storage().map_err(&errors)?;
                let create = deltalake_core::operations::create::CreateBuilder::new()
                    .with_log_store(log_store)
                    .with_table_name(staged.name)
                    .with_columns(schema.fields().cloned())
                    .with_partition_columns(partition_by)
                    .with_actions(actions)
                    .with_save_mode(SaveMode::ErrorIfExists)
                    .with_commit_properties(properties);
                let table = runtime().block_on(create.into_future()).map_err(&errors)?;
                table.version().unwrap_or(0) as i64
            }
            Some(table) => {
                let snapshot = table.snapshot().map_err(&errors)?;
                let operation = DeltaOperation::Write {
                    mode: SaveMode::Overwrite,
                    partition_by: Some(partition_by),
                    predicate: None,
                };
                let commit = CommitBuilder::from(properties)
                    .with_actions(actions)
                    .build(Some(snapshot), table.log_store(), operation);
                let done = runtime()
                    .block_on(commit.into_future())
                    .map_err(|e| errors(DeltaTableError::from(e)))?;
                done.version() as i64
            }
        };
        Ok(version)
    }

    /// Uploads every Parquet file of a staged table; returns its `add`s.
    fn upload(
        &self,
        generation: &Path,
        run: i64,
        staged: &Staged,
        location: &Location,
    ) -> Result<Vec<Add>, DeltaError> {
        let folder = generation.join(staged.name);
        let mut files = Vec::new();
        collect_parquet(&folder, &folder, &mut files)?;
        files.sort();
        let store = location.store();
        let mut adds = Vec::with_capacity(files.len());
        let mut uploads = Vec::new();
        for (n, relative) in files.iter().enumerate() {
            let local = folder.join(relative);
            let dir = relative.rsplit_once('/').map_or("", |(dir, _)| dir);
            let name = format!("part-{run:08}-{n:05}.parquet");
            let key = if dir.is_empty() {
                name
            } else {
                format!("{dir}/{name}")
            };
            let bytes = std::fs::read(&local).map_err(|e| DeltaError::Local {
                path: local.display().to_string(),
                source: e,
            })?;
            let mut partition_values = HashMap::new();
            for part in dir.split('/').filter(|p| !p.is_empty()) {
                if let Some((column, value)) = part.split_once('=') {
                    partition_values.insert(column.to_string(), Some(unescape(value)));
                }
            }
            adds.push(Add {
                // A URI path: a literal `%` (Hive's escapes) is encoded.
                path: key.replace('%', "%25"),
                partition_values,
                size: bytes.len() as i64,
                modification_time: chrono_now_ms(),
                data_change: true,
                stats: parquet_rows(&bytes).map(|rows| format!("{{\"numRecords\":{rows}}}")),
                ..Default::default()
            });
            let (store, path) = (Arc::clone(&store), location.child(&key));
            uploads.push(async move {
                use wirehouse_store::object_store::ObjectStoreExt;
                store
                    .put(&path, bytes.into())
                    .await
                    .map_err(|e| (path.to_string(), e))
            });
        }
        // A few uploads at a time: the files are up to a partition each.
        use futures::StreamExt;
        let results: Vec<_> = runtime().block_on(
            futures::stream::iter(uploads)
                .buffer_unordered(8)
                .collect::<Vec<_>>(),
        );
        for result in results {
            if let Err((path, source)) = result {
                return Err(DeltaError::Store(StoreError::Store {
                    action: "write",
                    location: path,
                    source,
                }));
            }
        }
        Ok(adds)
    }

    /// The files a reader of `name` opens at the current version (local
    /// paths for a local dataset, else URLs), or `None` when `name` is not
    /// a Delta table.
    pub fn files(&self, name: &str) -> Result<Option<Vec<String>>, DeltaError> {
        let Some(table) = self.load(name)? else {
            return Ok(None);
        };
        let location = self.table_location(name);
        let uris = table.get_file_uris().map_err(table_error(&location))?;
        Ok(Some(
            uris.map(|uri| {
                url::Url::parse(&uri)
                    .ok()
                    .filter(|u| u.scheme() == "file")
                    .and_then(|u| u.to_file_path().ok())
                    .map_or(uri, |p| p.display().to_string())
            })
            .collect(),
        ))
    }

    /// Deletes data files no version newer than `retain` ago needs, in both
    /// tables, and the manifests of runs before the current one. Versions
    /// older than `retain` can no longer be read afterwards.
    pub fn vacuum(&self, retain: Duration, dry_run: bool) -> Result<Vacuumed, DeltaError> {
        let mut done = Vacuumed::default();
        for name in ["articles", "rejects"] {
            let Some(table) = self.load(name)? else {
                continue;
            };
            let location = self.table_location(name);
            let errors = table_error(&location);
            let vacuum = table
                .vacuum()
                .with_retention_period(chrono::Duration::from_std(retain).unwrap_or_default())
            .with_enforce_retention_duration(false)
            .with_dry_run(dry_run);
            let (_, metrics) = runtime().block_on(vacuum.into_future()).map_err(&errors)?;
            done.files.push((name.to_string(), metrics.files_deleted.len()));
        }
        if let Some(Current { run: Some(run), .. }) = self.current()? {
            let runs = self.root.join(RUNS);
            let mut old: HashSet<String> = HashSet::new();
            for object in runs.list()? {
                if let Some((number, _)) = object.key.split_once('/') {
                    if number.parse::<i64>().is_ok_and(|n| n < run) {
                        old.insert(object.key);
                    }
                }
            }
            if !dry_run {
                let store = runs.store();
                for key in &old {
                    let path = runs.child(key);
                    use wirehouse_store::object_store::ObjectStoreExt;
                    runtime()
                        .block_on(async { store.delete(&path).await })
                        .map_err(|e| StoreError::Store {
                            action: "delete",
                            location: path.to_string(),
                            source: e,
                        })?;
                }
            }
            done.manifests = old.iter().filter(|k| k.ends_with("manifest.jsonl")).count();
        }
        Ok(done)
    }
}

fn chrono_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Hive's escaping of partition values (`%XX`) undone.
fn unescape(value: &str) -> String {
    percent_decode(value)
}

fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let digit = |b: u8| (b as char).to_digit(16);
            if let (Some(high), Some(low)) = (digit(bytes[i + 1]), digit(bytes[i + 2])) {
                out.push((high * 16 + low) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The row count in a Parquet file's footer, for the `add`'s statistics.
fn parquet_rows(bytes: &[u8]) -> Option<i64> {
    use deltalake_core::parquet::file::metadata::ParquetMetaDataReader;
    let bytes = bytes::Bytes::copy_from_slice(bytes);
    let metadata = ParquetMetaDataReader::new().parse_and_finish(&bytes).ok()?;
    Some(metadata.file_metadata().num_rows())
}

/// Relative paths of the `.parquet` files under `dir` (hidden names skipped).
fn collect_parquet(base: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), DeltaError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(DeltaError::Local {
                path: dir.display().to_string(),
                source: e,
            })
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            collect_parquet(base, &path, out)?;
        } else if name.ends_with(".parquet") {
            if let Ok(relative) = path.strip_prefix(base) {
                out.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    Ok(())
}
