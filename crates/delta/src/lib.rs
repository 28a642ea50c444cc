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
//! L/articles/source=…/year=…/part-<run>-<attempt>-<n>.parquet
//! L/rejects/_delta_log/…             Delta table (rejects have no source/year)
//! L/_wirehouse/runs/<n>-<attempt>/manifest.jsonl   what each input became
//! L/run-summary.json                 the last run's accounting and versions
//! ```
//!
//! Which run wrote the table's current version is Delta's own application
//! transaction: every articles commit carries `txn` (app id `wirehouse`,
//! version = the run number `n`) and names its manifest in `commitInfo`,
//! so other writers' commits (a `vacuum`) do not lose it. Every name an
//! attempt writes is unique to it (`<attempt>`: time and process id), so
//! an attempt that lost a race, or died before its commit, left only
//! files no version lists (a `vacuum` removes its manifest).

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

/// Commits read back to find the current run's own (a run's commit is
/// followed by at most a few of other writers': vacuums).
const HISTORY: usize = 100;

/// A name no other attempt at publishing uses, even one of the same run
/// number (two writers racing, a retry after a crash): the time in
/// nanoseconds and the process id.
fn attempt_token() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{:x}{:05x}",
        nanos & 0xffff_ffff_ffff,
        std::process::id() & 0xfffff
    )
}

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
        "Delta table {table}: another writer committed {what} while this run was writing; this run's commit was refused (run again to build on that version)"
    )]
    Conflict { table: String, what: String },
    #[error("cannot read {path}: {source}")]
    Local {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

fn table_error(table: &Location) -> impl Fn(DeltaTableError) -> DeltaError + '_ {
    move |e| match e {
        DeltaTableError::VersionAlreadyExists(version)
        | DeltaTableError::Transaction {
            source: TransactionError::VersionAlreadyExists(version),
        } => DeltaError::Conflict {
            table: table.url().to_string(),
            what: format!("version {version}"),
        },
        DeltaTableError::Transaction {
            source: TransactionError::MaxCommitAttempts(_) | TransactionError::CommitConflict(_),
        } => DeltaError::Conflict {
            table: table.url().to_string(),
            what: "a newer version".into(),
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
    /// Where that run's manifest is, under the dataset (from its commit).
    pub manifest: Option<String>,
}

/// A file's partition values, as the Delta log gives them.
pub type PartitionValues = HashMap<String, Option<String>>;

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
    pub keep: &'a dyn Fn(&PartitionValues) -> bool,
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

/// One attempt at publishing a run: its number, and the folder its
/// manifest and summary go to (unique to the attempt).
struct Attempt {
    run: i64,
    folder: String,
}

/// What a vacuum removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vacuumed {
    /// Data files deleted, per table.
    pub files: Vec<(String, usize)>,
    /// Manifests of runs older than the current one deleted.
    pub manifests: usize,
}

/// delta-rs's default log store (each commit a put-if-absent of the next
/// log entry through `object_store`), for the cloud schemes: deltalake-core
/// registers it for `file://` only, and its S3 crate (`deltalake-aws`)
/// would bring the AWS SDK for a DynamoDB lock wirehouse does not use.
/// On S3 the put-if-absent is a conditional write (`If-None-Match: *`).
struct PutIfAbsent;

impl deltalake_core::logstore::LogStoreFactory for PutIfAbsent {
    fn with_options(
        &self,
        prefixed_store: deltalake_core::logstore::ObjectStoreRef,
        root_store: deltalake_core::logstore::ObjectStoreRef,
        location: &url::Url,
        options: &deltalake_core::logstore::StorageConfig,
    ) -> deltalake_core::DeltaResult<Arc<dyn deltalake_core::logstore::LogStore>> {
        Ok(deltalake_core::logstore::default_logstore(
            prefixed_store,
            root_store,
            location,
            options,
        ))
    }
}

fn register_log_stores() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let registry = deltalake_core::logstore::logstore_factories();
        for scheme in ["s3", "s3a", "gs", "az", "azure", "abfs", "abfss", "adl"] {
            if let Ok(url) = url::Url::parse(&format!("{scheme}://")) {
                registry.insert(url, Arc::new(PutIfAbsent));
            }
        }
    });
}

impl Dataset {
    /// The dataset at `root` (nothing is read yet).
    pub fn new(root: Location) -> Dataset {
        register_log_stores();
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
        // The commit of that run names its manifest (the latest commits
        // are read: others, such as a vacuum's, may have come after it).
        let manifest = match run {
            None => None,
            Some(run) => {
                use futures::TryStreamExt;
                let infos: Vec<_> = runtime()
                    .block_on(table.history(Some(HISTORY)).try_collect())
                    .map_err(&errors)?;
                infos.into_iter().find_map(|info| {
                    (info.info.get("wirehouse.run")?.as_i64()? == run)
                        .then(|| {
                            info.info
                                .get("wirehouse.manifest")?
                                .as_str()
                                .map(String::from)
                        })
                        .flatten()
                })
            }
        };
        Ok(Some(Current {
            version: snapshot.version() as i64,
            run,
            manifest,
        }))
    }

    /// A run's manifest (its key from [`Current::manifest`]), as it was
    /// written (JSON lines).
    pub fn manifest(&self, key: &str) -> Result<bytes::Bytes, DeltaError> {
        Ok(self.root.get(key)?)
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
        // The run's plan still holds: checked before anything is uploaded or
        // committed (the articles commit checks again, atomically).
        let now = self.current()?.map(|c| c.version);
        if now != expected {
            let location = self.table_location("articles");
            return Err(DeltaError::Conflict {
                table: location.url().to_string(),
                what: match now {
                    Some(version) => format!("version {version}"),
                    None => "nothing (the table is gone)".into(),
                },
            });
        }
        // Every name this attempt writes is its own: an attempt that loses
        // a race, or dies, never overwrites a file a committed version uses.
        let attempt = Attempt {
            run,
            folder: format!("{RUNS}/{run:08}-{}", attempt_token()),
        };
        let manifest = generation.join("manifest.jsonl");
        let manifest_key = format!("{}/manifest.jsonl", attempt.folder);
        if manifest.exists() {
            let bytes = std::fs::read(&manifest).map_err(|e| DeltaError::Local {
                path: manifest.display().to_string(),
                source: e,
            })?;
            self.root.put(&manifest_key, bytes.into())?;
        }
        let mut versions = Vec::new();
        for staged in &tables {
            let expected = if staged.name == "articles" {
                Some(expected)
            } else {
                None
            };
            versions.push(self.commit_table(
                generation,
                &attempt,
                &manifest_key,
                expected,
                staged,
                summary,
            )?);
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
        self.root.put(
            &format!("{}/{SUMMARY_FILE}", attempt.folder),
            json.clone().into(),
        )?;
        self.root.put(SUMMARY_FILE, json.into())?;
        Ok(published)
    }

    /// Uploads one staged table's files and commits them; returns the
    /// version written. `expected`: `Some(v)` checks the table is still at
    /// `v` (`None` inside: not created yet).
    fn commit_table(
        &self,
        generation: &Path,
        attempt: &Attempt,
        manifest_key: &str,
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
                    what: match now {
                        Some(version) => format!("version {version}"),
                        None => "nothing (the table is gone)".into(),
                    },
                });
            }
        }
        let run = attempt.run;
        let adds = self.upload(generation, attempt, staged, &location)?;
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
        metadata.insert("wirehouse.manifest".into(), manifest_key.into());
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
                let schema =
                    StructType::try_from_arrow(staged.schema).map_err(|e| DeltaError::Table {
                        table: location.url().to_string(),
                        message: format!("cannot convert the schema: {e}"),
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
                let commit = CommitBuilder::from(properties).with_actions(actions).build(
                    Some(snapshot),
                    table.log_store(),
                    operation,
                );
                let done = runtime().block_on(commit.into_future()).map_err(&errors)?;
                done.version() as i64
            }
        };
        Ok(version)
    }

    /// Uploads every Parquet file of a staged table; returns its `add`s.
    fn upload(
        &self,
        generation: &Path,
        attempt: &Attempt,
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
            let token = attempt.folder.rsplit('-').next().unwrap_or_default();
            let name = format!("part-{:08}-{token}-{n:05}.parquet", attempt.run);
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
            done.files
                .push((name.to_string(), metrics.files_deleted.len()));
        }
        if let Some(Current {
            run: Some(run),
            manifest,
            ..
        }) = self.current()?
        {
            // Runs up to the current one, but for the current run's own
            // folder (attempts that lost a race or died leave theirs).
            let keep = manifest
                .as_deref()
                .and_then(|m| m.strip_prefix(&format!("{RUNS}/")))
                .and_then(|m| m.split_once('/'))
                .map(|(folder, _)| folder.to_string());
            let runs = self.root.join(RUNS);
            let mut old: HashSet<String> = HashSet::new();
            for object in runs.list()? {
                if let Some((folder, _)) = object.key.split_once('/') {
                    let number = folder.split('-').next().unwrap_or_default();
                    if number.parse::<i64>().is_ok_and(|n| n <= run)
                        && Some(folder) != keep.as_deref()
                    {
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
    percent_encoding::percent_decode_str(value)
        .decode_utf8_lossy()
        .into_owned()
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

#[cfg(test)]
mod tests {
    use super::*;
    use deltalake_core::arrow::array::{Int64Array, RecordBatch};
    use deltalake_core::arrow::datatypes::{DataType, Field};
    use deltalake_core::parquet::arrow::ArrowWriter;

    /// A staged generation: `articles/source=a/year=2021/part-00000.parquet`
    /// with `rows` rows, an empty `rejects` file, a manifest.
    fn stage(dir: &Path, rows: i64) {
        let write = |path: &Path, values: Vec<i64>| {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            let schema = Arc::new(ArrowSchema::new(vec![Field::new(
                "n",
                DataType::Int64,
                false,
            )]));
            let batch =
                RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(values))])
                    .unwrap();
            let mut writer =
                ArrowWriter::try_new(std::fs::File::create(path).unwrap(), schema, None).unwrap();
            writer.write(&batch).unwrap();
            writer.close().unwrap();
        };
        write(
            &dir.join("articles/source=a/year=2021/part-00000.parquet"),
            (0..rows).collect(),
        );
        write(&dir.join("rejects/part-00000.parquet"), vec![]);
        std::fs::write(dir.join("manifest.jsonl"), format!("run with {rows}\n")).unwrap();
    }

    fn publish(
        dataset: &Dataset,
        staged: &Path,
        run: i64,
        expected: Option<i64>,
    ) -> Result<Published, DeltaError> {
        let articles = ArrowSchema::new(vec![
            Field::new("n", DataType::Int64, false),
            Field::new("source", DataType::Utf8, false),
            Field::new("year", DataType::Int32, false),
        ]);
        let rejects = ArrowSchema::new(vec![Field::new("n", DataType::Int64, false)]);
        dataset.publish(
            staged,
            run,
            expected,
            [
                Staged {
                    name: "rejects",
                    schema: &rejects,
                    partition_by: &[],
                    keep: &|_| false,
                },
                Staged {
                    name: "articles",
                    schema: &articles,
                    partition_by: &["source", "year"],
                    keep: &|_| false,
                },
            ],
            &serde_json::json!({"records": 1}),
        )
    }

    #[test]
    fn a_run_is_found_again_by_its_transaction_and_a_stale_plan_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (staged, root) = (dir.path().join("staged"), dir.path().join("ds"));
        stage(&staged, 3);
        let dataset = Dataset::new(Location::local(&root).unwrap());
        assert_eq!(dataset.current().unwrap(), None);
        let first = publish(&dataset, &staged, 1, None).unwrap();
        assert_eq!((first.articles_version, first.rejects_version), (0, 0));
        let current = dataset.current().unwrap().unwrap();
        assert_eq!((current.version, current.run), (0, Some(1)));
        let key = current.manifest.unwrap();
        assert!(key.starts_with("_wirehouse/runs/00000001-"), "{key}");
        assert_eq!(&dataset.manifest(&key).unwrap()[..], b"run with 3\n");
        assert_eq!(dataset.files("articles").unwrap().unwrap().len(), 1);

        // Planned on no table, but one exists now: refused, nothing committed.
        let err = publish(&dataset, &staged, 1, None).unwrap_err();
        assert!(matches!(err, DeltaError::Conflict { .. }), "{err}");
        assert!(
            err.to_string()
                .contains("another writer committed version 0"),
            "{err}"
        );
        assert_eq!(dataset.current().unwrap().unwrap().version, 0);

        // A second run replaces the partition's file in one commit.
        let second = publish(&dataset, &staged, 2, Some(0)).unwrap();
        assert_eq!(second.articles_version, 1);
        let files = dataset.files("articles").unwrap().unwrap();
        assert_eq!(files.len(), 1);
        let name = files[0].rsplit_once("source=a/year=2021/").unwrap().1;
        assert!(
            name.starts_with("part-00000002-") && name.ends_with("-00000.parquet"),
            "{files:?}"
        );
    }

    #[test]
    fn of_two_runs_committing_at_once_one_wins_and_the_other_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (staged, root) = (dir.path().join("staged"), dir.path().join("ds"));
        stage(&staged, 2);
        let dataset = Dataset::new(Location::local(&root).unwrap());
        publish(&dataset, &staged, 1, None).unwrap();
        for round in 0..5 {
            let version = dataset.current().unwrap().unwrap().version;
            let run = dataset.current().unwrap().unwrap().run.unwrap() + 1;
            let barrier = std::sync::Barrier::new(2);
            let results: Vec<Result<Published, DeltaError>> = std::thread::scope(|scope| {
                let racers: Vec<_> = (0..2)
                    .map(|_| {
                        scope.spawn(|| {
                            barrier.wait();
                            publish(&dataset, &staged, run, Some(version))
                        })
                    })
                    .collect();
                racers.into_iter().map(|r| r.join().unwrap()).collect()
            });
            let won = results.iter().filter(|r| r.is_ok()).count();
            assert_eq!(won, 1, "round {round}: {results:?}");
            for result in results.iter().filter_map(|r| r.as_ref().err()) {
                assert!(matches!(result, DeltaError::Conflict { .. }), "{result}");
            }
            assert_eq!(dataset.current().unwrap().unwrap().version, version + 1);
            // The winner's files are whole: the loser wrote under names of its own.
            for file in dataset.files("articles").unwrap().unwrap() {
                let bytes = std::fs::read(&file).unwrap();
                assert_eq!(parquet_rows(&bytes), Some(2), "{file}");
            }
        }
    }
}
