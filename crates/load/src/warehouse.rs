//! The output folder: generations, partition writers, the atomic commit.
//!
//! ```text
//! OUT/
//!   articles          -> .wirehouse/current/articles       (symbolic links,
//!   rejects           -> .wirehouse/current/rejects         laid once, before
//!                                                           the first `current`)
//!   run-summary.json  -> .wirehouse/current/run-summary.json
//!   .wirehouse/
//!     current         -> generations/gen-000007              (swapped by commit)
//!     generations/gen-000007/articles/source=rfi/year=2021/part-00000.parquet
//!                                  /rejects/part-00000.parquet
//!                                  /run-summary.json
//!                                  /.spill/rfi=2021.0.arrows  (rows set aside
//!                                             while the run writes; removed at commit)
//!     generations/gen-000006/…     (the previous generation, kept for readers
//!                                   still scanning it; older ones are removed)
//! ```
//!
//! A run writes and syncs a whole generation, then replaces `current` with a
//! single `rename(2)` of a symbolic link: the only step readers can observe.
//! A process killed before it leaves the previous generation current, and its
//! partial generation is removed by the next commit.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

use arrow_array::{Array, RecordBatch, StringArray};
use arrow_ipc::reader::StreamReader;
use arrow_ipc::writer::{IpcWriteOptions, StreamWriter};
use arrow_ipc::CompressionType;
use arrow_select::concat::concat_batches;

use chrono::Datelike;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;
use rayon::prelude::*;

use crate::batch::{held_bytes, reject_batch, ArticleBatch};
use crate::manifest::ManifestWriter;
use crate::schema::{article_file_schema, reject_schema};
use crate::spill::{from_spill, spill_schema, to_spill};
use crate::{Article, LoadError, ManifestEntry, Reject, RunSummary};

const META_DIR: &str = ".wirehouse";
const GENERATIONS: &str = "generations";
const CURRENT: &str = "current";
const GENERATION_PREFIX: &str = "gen-";
const SUMMARY_FILE: &str = "run-summary.json";
const PART_FILE: &str = "part-00000.parquet";

/// The names a reader opens, each a link into the current generation.
const PUBLISHED: [&str; 3] = ["articles", "rejects", SUMMARY_FILE];

/// A row group of a partition's file ends after this many rows …
const ROW_GROUP_ROWS: usize = 65_536;
/// … or once its `body_text` reaches this many bytes, whichever comes first.
/// Both depend on the partition's rows alone, so a partition's file is the
/// same whatever the thread count, the memory budget, or which other
/// partitions a run writes.
const ROW_GROUP_TEXT_BYTES: usize = 32 << 20;
/// Rows wait in memory, and all partitions together hold at most about this
/// many bytes of text ([`held_bytes`]); past it, the fullest partition's rows
/// are set aside on disk (Arrow IPC, see [`RAW_SPILL_BYTES`]) until commit,
/// when each partition's
/// file is written from its rows set aside and those still waiting, in
/// order, one partition per thread. So memory does not grow with the number
/// of files or partitions, and row groups are full size however the input
/// order scatters rows across partitions (writing row groups as the budget
/// forced them made ~150-row groups on a corpus whose files span 89
/// partitions, and their metadata grew ~140 B a file until the files closed).
const BUFFER_BUDGET: usize = 32 << 20;

/// Rows are set aside in batches of about this many bytes of text.
const SPILL_BATCH_BYTES: usize = 4 << 20;

/// The first this many bytes of text a run sets aside are written as they
/// are; what follows is compressed with LZ4. A spill of this size lives and
/// dies in the page cache (it is read back and deleted at commit, before the
/// kernel writes it out: the kernel starts writing dirty pages in the
/// background past 10% of memory, 2.4 GB here), where compressing it only
/// costs time: 200,000 files took 11.7 s with 256 MiB raw and 10.2 s with
/// this (medians of three); 20,000 files set aside less than either. A much
/// larger one reaches the disk: uncompressed throughout, a million-file run
/// wrote 4.5 GB of it and took twice as long (126 s against 63 s with LZ4);
/// with 1 GiB raw and LZ4 after it takes 57–65 s, as with 256 MiB (61–65 s).
const RAW_SPILL_BYTES: usize = 1 << 30;

/// Where a generation keeps rows set aside until commit.
const SPILL_DIR: &str = ".spill";

fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> LoadError + 'a {
    move |source| LoadError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// The lock file of an output folder: one writer at a time.
const LOCK: &str = "lock";

/// An output folder wirehouse writes datasets into, locked for this process
/// while the value lives.
///
/// The lock is an advisory `flock` on `.wirehouse/lock`: the kernel drops it
/// when the process ends, however it ends, so a killed run never leaves a
/// stale lock behind.
#[derive(Debug)]
pub struct Warehouse {
    root: PathBuf,
    meta: PathBuf,
    _lock: File,
}

impl Warehouse {
    /// Opens (creating if needed) the output folder `root`.
    ///
    /// Fails, before any input is read, if the folder cannot be created or
    /// written, or if `articles`, `rejects` or `run-summary.json` exist there
    /// but are not wirehouse's links.
    pub fn open(root: &Path) -> Result<Warehouse, LoadError> {
        Warehouse::open_waiting(root, std::time::Duration::ZERO)
    }

    /// Like [`Warehouse::open`], but waits up to `wait` for another run
    /// holding the output folder to finish before giving up with
    /// [`LoadError::Busy`].
    pub fn open_waiting(root: &Path, wait: std::time::Duration) -> Result<Warehouse, LoadError> {
        fs::create_dir_all(root).map_err(io("cannot create the output folder", root))?;
        let meta = root.join(META_DIR);
        let generations = meta.join(GENERATIONS);
        fs::create_dir_all(&generations)
            .map_err(io("cannot write to the output folder", &generations))?;
        let lock = take_lock(root, &meta.join(LOCK), wait)?;
        remove_unpublished(&generations);
        for name in PUBLISHED {
            let path = root.join(name);
            if let Ok(found) = fs::symlink_metadata(&path) {
                let ours = found.file_type().is_symlink()
                    && fs::read_link(&path).ok()
                        == Some(Path::new(META_DIR).join(CURRENT).join(name));
                if !ours {
                    return Err(LoadError::Foreign { path });
                }
            }
        }
        Ok(Warehouse {
            root: root.to_path_buf(),
            meta,
            _lock: lock,
        })
    }

    /// The folder of the current generation, if a run has committed one.
    pub fn current(&self) -> Option<PathBuf> {
        let link = self.meta.join(CURRENT);
        let target = fs::read_link(&link).ok()?;
        Some(self.meta.join(target))
    }

    /// Starts a new generation next to the current one.
    pub fn begin(&self) -> Result<Generation, LoadError> {
        let generations = self.meta.join(GENERATIONS);
        let mut next = generation_numbers(&generations)?
            .into_iter()
            .max()
            .unwrap_or(0)
            + 1;
        loop {
            let name = format!("{GENERATION_PREFIX}{next:06}");
            let dir = generations.join(&name);
            match fs::create_dir(&dir) {
                Ok(()) => {
                    return Ok(Generation {
                        root: self.root.clone(),
                        meta: self.meta.clone(),
                        name,
                        dir,
                        partitions: BTreeMap::new(),
                        held: 0,
                        raw_spill_left: RAW_SPILL_BYTES,
                        rejects: Vec::new(),
                        manifest: None,
                        properties: writer_properties(),
                        published: false,
                    })
                }
                // Another writer took the number: take the next one.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => next += 1,
                Err(e) => return Err(io("cannot create a generation in", &generations)(e)),
            }
        }
    }
}

/// Takes the writer lock, polling until `wait` has passed; then writes who
/// holds it into the file, for the message another run would print.
fn take_lock(root: &Path, path: &Path, wait: std::time::Duration) -> Result<File, LoadError> {
    use std::io::Write;
    let mut file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(path)
        .map_err(io("cannot open the lock file", path))?;
    let deadline = std::time::Instant::now() + wait;
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            Err(fs::TryLockError::WouldBlock) => {
                let holder = fs::read_to_string(path)
                    .ok()
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| "unknown process".into());
                return Err(LoadError::Busy {
                    path: root.to_path_buf(),
                    holder,
                });
            }
            Err(fs::TryLockError::Error(e)) => return Err(io("cannot lock", path)(e)),
        }
    }
    let holder = format!(
        "pid {} since {}",
        std::process::id(),
        chrono::Utc::now().to_rfc3339()
    );
    // Who holds the lock is information for others; failing to write it is harmless.
    let _ = file
        .set_len(0)
        .and_then(|()| file.write_all(holder.as_bytes()));
    Ok(file)
}

/// Empties the generations a killed run left: those numbered above the
/// current one (or all, when none is current), see [`empty_generation`].
/// Runs only with the writer lock held, so no run is writing them; the
/// current generation and the one before it (kept for readers still
/// scanning it) are numbered below. Failures only leave disk space behind.
fn remove_unpublished(generations: &Path) {
    let current = fs::read_link(generations.with_file_name(CURRENT))
        .ok()
        .and_then(|target| generation_number(target.file_name()?.to_str()?));
    let Ok(entries) = fs::read_dir(generations) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let number = entry.file_name().to_str().and_then(generation_number);
        if number.is_some_and(|n| current.is_none_or(|c| n > c)) {
            empty_generation(&entry.path());
        }
    }
}

/// The number of a generation folder's name (`gen-000007` → 7).
fn generation_number(name: &str) -> Option<u64> {
    name.strip_prefix(GENERATION_PREFIX)?.parse().ok()
}

fn generation_numbers(generations: &Path) -> Result<Vec<u64>, LoadError> {
    let entries = fs::read_dir(generations).map_err(io("cannot list", generations))?;
    Ok(entries
        .filter_map(Result::ok)
        .filter_map(|e| generation_number(e.file_name().to_str()?))
        .collect())
}

/// Columns whose every value is its own (one per input file or URL): a
/// dictionary cannot shrink them, and building one hashes every value until
/// the writer gives up on it, so they are written plain.
const UNIQUE_COLUMNS: [&str; 5] = [
    "article_id",
    "source_path",
    "content_sha256",
    "url",
    "url_raw",
];

fn writer_properties() -> WriterProperties {
    UNIQUE_COLUMNS
        .iter()
        .fold(WriterProperties::builder(), |builder, column| {
            builder.set_column_dictionary_enabled(ColumnPath::from(*column), false)
        })
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_write_batch_size(CHUNK_ROWS)
        .set_created_by(format!("wirehouse {}", env!("CARGO_PKG_VERSION")))
        .build()
}

/// One partition of `articles`: its rows, waiting in memory or set aside on
/// disk, until commit writes its file.
struct Partition {
    /// The Parquet file it becomes.
    path: PathBuf,
    /// Rows waiting, as the workers made them.
    rows: Vec<Article>,
    /// [`held_bytes`] of `rows`.
    held: usize,
    /// Where its rows set aside go, as `{stem}.{n}.arrows`.
    spill_dir: PathBuf,
    spill_stem: String,
    /// The files rows were set aside in so far, in order …
    spill_files: Vec<PathBuf>,
    /// … the last one open while rows go there, and whether it is
    /// compressed (a new file starts when that changes).
    spill: Option<(StreamWriter<BufWriter<File>>, bool)>,
}

/// Where the file of partition (`source`, `year`) named `file` goes in the
/// generation folder `generation`.
fn partition_file(generation: &Path, source: &str, year: i32, file: &str) -> PathBuf {
    generation
        .join("articles")
        .join(format!("source={}", partition_value(source)))
        .join(format!("year={year}"))
        .join(file)
}

impl Partition {
    fn new(generation: &Path, spill_dir: &Path, (source, year): &(String, i32)) -> Partition {
        let path = partition_file(generation, source, *year, PART_FILE);
        let source = partition_value(source);
        Partition {
            path,
            rows: Vec::new(),
            held: 0,
            spill_dir: spill_dir.to_path_buf(),
            // `=` is escaped in partition values, so no two partitions
            // share a name (`-` is not, and years may be negative).
            spill_stem: format!("{source}={year}"),
            spill_files: Vec::new(),
            spill: None,
        }
    }

    /// Moves the waiting rows to the partition's spill file, `compressed`
    /// with LZ4 or not.
    fn set_aside(&mut self, compressed: bool) -> Result<(), LoadError> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.rows);
        self.held = 0;
        if self.spill.as_ref().is_some_and(|(_, c)| *c != compressed) {
            self.finish_spill()?;
        }
        let path = match &self.spill {
            Some(_) => self.spill_files.last().cloned().unwrap_or_default(),
            None => self.spill_dir.join(format!(
                "{}.{}.arrows",
                self.spill_stem,
                self.spill_files.len()
            )),
        };
        let spill = |source| LoadError::Spill {
            path: path.clone(),
            source,
        };
        let (writer, _) = match &mut self.spill {
            Some(open) => open,
            None => {
                fs::create_dir_all(&self.spill_dir)
                    .map_err(io("cannot create", &self.spill_dir))?;
                let file = File::create(&path).map_err(io("cannot create", &path))?;
                let options = IpcWriteOptions::default()
                    .try_with_compression(compressed.then_some(CompressionType::LZ4_FRAME))
                    .map_err(spill)?;
                let writer = StreamWriter::try_new_with_options(
                    BufWriter::new(file),
                    &spill_schema(),
                    options,
                )
                .map_err(spill)?;
                self.spill_files.push(path.clone());
                self.spill.insert((writer, compressed))
            }
        };
        // In batches of a few MiB, so neither writing them nor reading them
        // back at commit needs much more memory than that.
        let mut start = 0;
        let mut bytes = 0;
        for (row, article) in rows.iter().enumerate() {
            bytes += held_bytes(article);
            if bytes >= SPILL_BATCH_BYTES || row + 1 == rows.len() {
                let batch = to_spill(&ArticleBatch::of(&rows[start..=row])?)?;
                writer.write(&batch).map_err(spill)?;
                start = row + 1;
                bytes = 0;
            }
        }
        Ok(())
    }

    /// Ends the spill file being written, if one is.
    fn finish_spill(&mut self) -> Result<(), LoadError> {
        if let Some((mut writer, _)) = self.spill.take() {
            writer.finish().map_err(|source| LoadError::Spill {
                path: self.spill_files.last().cloned().unwrap_or_default(),
                source,
            })?;
        }
        Ok(())
    }

    /// Writes the partition's file: the rows set aside, then those waiting,
    /// in row groups cut by [`ROW_GROUP_ROWS`] and [`ROW_GROUP_TEXT_BYTES`];
    /// removes the spill files. Returns the file, not yet synced.
    fn close(mut self, properties: &WriterProperties) -> Result<Written, LoadError> {
        self.finish_spill()?;
        let mut groups = RowGroups::new(self.path.clone(), properties)?;
        for path in &self.spill_files {
            let spill = |source| LoadError::Spill {
                path: path.clone(),
                source,
            };
            let file = File::open(path).map_err(io("cannot read", path))?;
            let reader = StreamReader::try_new(BufReader::new(file), None).map_err(spill)?;
            for batch in reader {
                groups.write(&from_spill(&batch.map_err(spill)?).map_err(spill)?)?;
            }
            fs::remove_file(path).map_err(io("cannot remove", path))?;
        }
        if !self.rows.is_empty() {
            groups.write(&ArticleBatch::of(&self.rows)?)?;
        }
        groups.finish()
    }
}

/// A file written and closed by its writer, not yet synced.
struct Written {
    file: File,
    path: PathBuf,
}

impl Written {
    /// Syncs the file and the folder holding it, so both its bytes and its
    /// name survive a power loss.
    fn sync(self) -> Result<(), LoadError> {
        self.file
            .sync_all()
            .map_err(io("cannot sync", &self.path))?;
        sync_parent(&self.path)
    }
}

/// Rows handed to the Parquet writer at a time: its write batch size, so
/// every call is one of its mini-batches.
const CHUNK_ROWS: usize = 1024;

/// A partition's file being written, cut into row groups by its rows alone.
///
/// The Parquet writer ends pages between the chunks it is given, so rows
/// reach it in chunks of [`CHUNK_ROWS`] counted from the start of each row
/// group, joined across batch boundaries: the file's bytes then depend on
/// its rows, not on how they were batched when set aside (a test).
struct RowGroups {
    path: PathBuf,
    writer: ArrowWriter<File>,
    /// Rows in the row group being written …
    rows: usize,
    /// … and the bytes of their `body_text`.
    text: usize,
    /// Rows of the next chunk, not handed over yet.
    pending: Vec<RecordBatch>,
    pending_rows: usize,
}

impl RowGroups {
    fn new(path: PathBuf, properties: &WriterProperties) -> Result<RowGroups, LoadError> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(io("cannot create", dir))?;
        }
        let file = File::create(&path).map_err(io("cannot create", &path))?;
        let writer = ArrowWriter::try_new(file, article_file_schema(), Some(properties.clone()))
            .map_err(|source| LoadError::Parquet {
                path: path.clone(),
                source,
            })?;
        Ok(RowGroups {
            path,
            writer,
            rows: 0,
            text: 0,
            pending: Vec::new(),
            pending_rows: 0,
        })
    }

    fn parquet(&self) -> impl FnOnce(parquet::errors::ParquetError) -> LoadError + '_ {
        |source| LoadError::Parquet {
            path: self.path.clone(),
            source,
        }
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<(), LoadError> {
        let body = batch
            .column_by_name("body_text")
            .and_then(|c| c.as_any().downcast_ref::<StringArray>())
            .map(|c| c.value_offsets());
        let mut start = 0;
        for row in 0..batch.num_rows() {
            self.rows += 1;
            self.text += body.map_or(0, |o| o[row + 1].abs_diff(o[row]) as usize);
            let cut = self.rows >= ROW_GROUP_ROWS || self.text >= ROW_GROUP_TEXT_BYTES;
            let taken = row + 1 - start;
            if cut || self.pending_rows + taken == CHUNK_ROWS {
                self.pending.push(batch.slice(start, taken));
                self.pending_rows += taken;
                self.hand_over()?;
                start = row + 1;
            }
            if cut {
                self.writer.flush().map_err(self.parquet())?;
                self.rows = 0;
                self.text = 0;
            }
        }
        if start < batch.num_rows() {
            self.pending
                .push(batch.slice(start, batch.num_rows() - start));
            self.pending_rows += batch.num_rows() - start;
        }
        Ok(())
    }

    /// Gives the pending rows to the Parquet writer as one chunk.
    fn hand_over(&mut self) -> Result<(), LoadError> {
        let chunk = match self.pending.len() {
            0 => return Ok(()),
            1 => self.pending.remove(0),
            _ => concat_batches(&article_file_schema(), &self.pending)?,
        };
        self.pending.clear();
        self.pending_rows = 0;
        self.writer.write(&chunk).map_err(self.parquet())
    }

    /// Writes what is pending and closes the file; returns it, to be synced.
    fn finish(mut self) -> Result<Written, LoadError> {
        self.hand_over()?;
        let file = self
            .writer
            .into_inner()
            .map_err(|source| LoadError::Parquet {
                path: self.path.clone(),
                source,
            })?;
        Ok(Written {
            file,
            path: self.path,
        })
    }
}

/// A generation being written: records go to their partition files as they
/// come, rejects are kept (they are few) and written at commit.
pub struct Generation {
    root: PathBuf,
    meta: PathBuf,
    name: String,
    dir: PathBuf,
    partitions: BTreeMap<(String, i32), Partition>,
    /// Text bytes waiting unencoded in all partitions together.
    held: usize,
    /// Text bytes still to be set aside uncompressed ([`RAW_SPILL_BYTES`]).
    raw_spill_left: usize,
    rejects: Vec<Reject>,
    manifest: Option<ManifestWriter>,
    properties: WriterProperties,
    /// Set once `current` names this generation; until then dropping it
    /// removes its folder (see the `Drop` impl).
    published: bool,
}

/// A generation dropped before it was published (the run failed, or was
/// interrupted) removes everything it wrote: a failed run leaves the disk as
/// it found it (a run that failed on a full disk must not keep it full), and
/// the previous dataset current. A run killed outright cannot do this; the
/// next run to open the folder does ([`Warehouse::open_waiting`]).
impl Drop for Generation {
    fn drop(&mut self) {
        if !self.published {
            // The files' handles close after this; removing the names
            // first is fine on the systems wirehouse runs on.
            empty_generation(&self.dir);
        }
    }
}

/// Removes what an unpublished generation holds, keeping its empty folder
/// until the next commit removes it ([`Generation::publish`]): its number
/// is never given to a later run, so a task of an engine job that outlived
/// its driver cannot write into a generation that will be published.
fn empty_generation(dir: &Path) {
    if fs::remove_dir_all(dir).is_ok() {
        let _ = fs::create_dir(dir);
    }
}

impl Generation {
    /// The generation's name (`gen-000007`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The generation's folder, where [`write_parts`] puts the files of
    /// work units written by other processes.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A folder for the run's temporary files, removed at commit, which
    /// fails if anything is left in it (so files kept there must have no
    /// names: unnamed temporary files).
    pub fn scratch_dir(&self) -> PathBuf {
        self.dir.join(SPILL_DIR)
    }

    /// Adds one record to its partition (`source`, UTC year of the feed time).
    pub fn push_article(&mut self, article: Article) -> Result<(), LoadError> {
        let key = (article.source.clone(), article.feed_time_utc.year());
        let dir = &self.dir;
        let partition = self
            .partitions
            .entry(key)
            .or_insert_with_key(|key| Partition::new(dir, &dir.join(SPILL_DIR), key));
        let bytes = held_bytes(&article);
        partition.rows.push(article);
        partition.held += bytes;
        self.held += bytes;
        if partition.rows.len() >= ROW_GROUP_ROWS || partition.held >= ROW_GROUP_TEXT_BYTES {
            Self::set_aside(partition, &mut self.held, &mut self.raw_spill_left)?;
        }
        while self.held > BUFFER_BUDGET {
            let Some(fullest) = self.partitions.values_mut().max_by_key(|p| p.held) else {
                break;
            };
            Self::set_aside(fullest, &mut self.held, &mut self.raw_spill_left)?;
        }
        Ok(())
    }

    /// Sets `partition`'s waiting rows aside, keeping the generation's
    /// counts of text `held` and of text that may still go uncompressed.
    fn set_aside(
        partition: &mut Partition,
        held: &mut usize,
        raw_spill_left: &mut usize,
    ) -> Result<(), LoadError> {
        *held -= partition.held;
        let compressed = *raw_spill_left == 0;
        *raw_spill_left = raw_spill_left.saturating_sub(partition.held);
        partition.set_aside(compressed)
    }

    /// Takes a partition of an earlier generation in `previous` unchanged: its
    /// file is hard-linked (copied where links are impossible) into this one.
    /// Used when none of the partition's input files changed, so its file is
    /// exactly what writing its rows again would produce.
    pub fn reuse_partition(
        &mut self,
        previous: &Path,
        source: &str,
        year: i32,
    ) -> Result<(), LoadError> {
        let relative = Path::new("articles")
            .join(format!("source={}", partition_value(source)))
            .join(format!("year={year}"))
            .join(PART_FILE);
        let from = previous.join(&relative);
        let to = self.dir.join(&relative);
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent).map_err(io("cannot create", parent))?;
        }
        if fs::hard_link(&from, &to).is_err() {
            fs::copy(&from, &to).map_err(io("cannot copy", &from))?;
            // A link shares the old file's synced data; a copy has its own.
            File::open(&to)
                .and_then(|f| f.sync_all())
                .map_err(io("cannot sync", &to))?;
        }
        sync_parent(&to)
    }

    /// Records what became of one input file, for the next run.
    /// Does nothing before [`Generation::start_manifest`].
    pub fn push_manifest(&mut self, entry: ManifestEntry) -> Result<(), LoadError> {
        match &mut self.manifest {
            Some(writer) => writer.push(&entry),
            None => Ok(()),
        }
    }

    /// Starts this generation's manifest, for runs with `fingerprint`.
    pub fn start_manifest(&mut self, fingerprint: &str) -> Result<(), LoadError> {
        self.manifest = Some(ManifestWriter::create(&self.dir, fingerprint)?);
        Ok(())
    }

    /// Adds one reject row.
    pub fn push_reject(&mut self, reject: Reject) {
        self.rejects.push(reject);
    }

    /// Closes every file, writes the rejects and `summary`, syncs, and makes
    /// this generation current in one atomic step; then removes generations
    /// older than the one it replaced. Returns the generation's folder.
    pub fn commit(mut self, summary: &mut RunSummary) -> Result<PathBuf, LoadError> {
        self.stage(summary)?;
        self.publish()
    }

    /// Closes and syncs every file, and writes the rejects, the manifest
    /// and `summary`, without publishing: for a run whose output is
    /// committed elsewhere (a Delta table), which reads the files from
    /// [`Generation::dir`] and then drops the generation (emptying it).
    pub fn close(&mut self, summary: &mut RunSummary) -> Result<(), LoadError> {
        self.stage(summary)
    }

    /// Everything a commit does before the one step readers can observe:
    /// closes and syncs every file of the generation, and lays the links
    /// readers open. On a first run those links dangle until [`publish`]
    /// creates `current`, so `articles`, `rejects` and `run-summary.json`
    /// appear together, never one without the others.
    ///
    /// [`publish`]: Generation::publish
    fn stage(&mut self, summary: &mut RunSummary) -> Result<(), LoadError> {
        summary.generation = self.name.clone();
        remove_unfinished_parts(&self.dir);
        let articles = self.dir.join("articles");
        fs::create_dir_all(&articles).map_err(io("cannot create", &articles))?;
        // Partitions are files of their own, written in parallel on the
        // run's threads; a thread of its own syncs each file and its folder
        // as it is written. Syncing on the writing threads left a core idle
        // for a third of the commit: on a file system without a journal
        // every sync is a synchronous write.
        let properties = &self.properties;
        let partitions = std::mem::take(&mut self.partitions);
        std::thread::scope(|scope| {
            let (written, to_sync) = std::sync::mpsc::channel::<Written>();
            let syncer = scope.spawn(move || to_sync.into_iter().try_for_each(Written::sync));
            let closed =
                partitions
                    .into_par_iter()
                    .try_for_each_with(written, |written, (_, partition)| {
                        // The syncer only stops early on an error of its own,
                        // which `join` below reports.
                        let _ = written.send(partition.close(properties)?);
                        Ok(())
                    });
            let synced = syncer
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            closed.and(synced)
        })?;
        self.held = 0;
        let spill_dir = self.dir.join(SPILL_DIR);
        if spill_dir.exists() {
            fs::remove_dir(&spill_dir).map_err(io("cannot remove", &spill_dir))?;
        }
        self.write_rejects()?;
        if let Some(manifest) = self.manifest.take() {
            manifest.finish()?;
        }
        let summary_path = self.dir.join(SUMMARY_FILE);
        let json = serde_json::to_vec_pretty(summary).unwrap_or_default();
        write_synced(&summary_path, &json)?;
        sync_tree(&self.dir, PARTITION_DEPTH - 1)?;
        for name in PUBLISHED {
            let link = Path::new(META_DIR).join(CURRENT).join(name);
            if fs::read_link(self.root.join(name)).ok() != Some(link.clone()) {
                replace_link(&self.root, name, &link)?;
            }
        }
        Ok(())
    }

    /// The commit point: one `rename(2)` makes this generation current.
    fn publish(mut self) -> Result<PathBuf, LoadError> {
        let previous = fs::read_link(self.meta.join(CURRENT)).ok();
        let target = Path::new(GENERATIONS).join(&self.name);
        replace_link(&self.meta, CURRENT, &target)?;
        self.published = true;
        self.remove_old_generations(previous.as_deref());
        Ok(self.dir.clone())
    }

    fn write_rejects(&self) -> Result<(), LoadError> {
        let dir = self.dir.join("rejects");
        fs::create_dir_all(&dir).map_err(io("cannot create", &dir))?;
        let path = dir.join(PART_FILE);
        let file = File::create(&path).map_err(io("cannot create", &path))?;
        let parquet = |source| LoadError::Parquet {
            path: path.clone(),
            source,
        };
        let mut writer = ArrowWriter::try_new(file, reject_schema(), Some(self.properties.clone()))
            .map_err(parquet)?;
        writer
            .write(&reject_batch(&self.rejects)?)
            .map_err(parquet)?;
        let file = writer.into_inner().map_err(parquet)?;
        file.sync_all().map_err(io("cannot sync", &path))
    }

    /// Removes every generation but this one and the one it replaced.
    /// Failures only leave disk space behind, so they are not errors.
    fn remove_old_generations(&self, previous: Option<&Path>) {
        let generations = self.meta.join(GENERATIONS);
        let keep_previous = previous
            .and_then(|p| p.file_name())
            .map(|n| n.to_os_string());
        let Ok(entries) = fs::read_dir(&generations) else {
            return;
        };
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name();
            if name.to_str() == Some(self.name.as_str()) || Some(&name) == keep_previous.as_ref() {
                continue;
            }
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// Writes records of one work unit into the generation folder `generation`
/// (of a [`Generation`] another process began): one file named `name` per
/// partition the records fall in, with the schema, row groups and
/// compression of the files a commit writes. Each file is written under a
/// hidden temporary name, synced, and renamed into place, so a retried unit
/// replaces its files whole and a killed attempt leaves only a hidden file
/// readers skip (removed when the generation is committed). Returns the
/// files, in partition order.
pub fn write_parts(
    generation: &Path,
    name: &str,
    articles: Vec<Article>,
) -> Result<Vec<PathBuf>, LoadError> {
    let mut partitions: BTreeMap<(String, i32), Vec<Article>> = BTreeMap::new();
    for article in articles {
        let key = (article.source.clone(), article.feed_time_utc.year());
        partitions.entry(key).or_default().push(article);
    }
    let properties = writer_properties();
    // As at a commit, a thread of its own syncs and renames each file while
    // the next is written: a unit's task has one core, and its ~90 small
    // files' syncs would otherwise leave it idle for a sixth of the unit.
    std::thread::scope(|scope| {
        let (to_sync, synced) = std::sync::mpsc::channel::<(Written, PathBuf)>();
        let syncer = scope.spawn(move || {
            synced
                .into_iter()
                .map(|(file, path)| {
                    let temporary = file.path.clone();
                    file.file
                        .sync_all()
                        .map_err(io("cannot sync", &temporary))?;
                    fs::rename(&temporary, &path).map_err(io("cannot rename", &temporary))?;
                    sync_parent(&path)?;
                    Ok(path)
                })
                .collect::<Result<Vec<PathBuf>, LoadError>>()
        });
        let wrote = partitions
            .into_iter()
            .try_for_each(|((source, year), rows)| {
                let path = partition_file(generation, &source, year, name);
                let temporary = path.with_file_name(format!(
                    ".{name}.{}.{:?}.tmp",
                    std::process::id(),
                    std::thread::current().id()
                ));
                let mut groups = RowGroups::new(temporary, &properties)?;
                for chunk in rows.chunks(CHUNK_ROWS) {
                    groups.write(&ArticleBatch::of(chunk)?)?;
                }
                // The syncer only stops early on an error of its own,
                // which its result below reports.
                let _ = to_sync.send((groups.finish()?, path));
                Ok(())
            });
        drop(to_sync);
        let synced = syncer
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        wrote.and(synced)
    })
}

/// Removes the hidden temporary files [`write_parts`] attempts that did not
/// finish left under `articles/` of the generation `dir`.
fn remove_unfinished_parts(dir: &Path) {
    let Ok(sources) = fs::read_dir(dir.join("articles")) else {
        return;
    };
    for source in sources.filter_map(Result::ok) {
        let Ok(years) = fs::read_dir(source.path()) else {
            continue;
        };
        for year in years.filter_map(Result::ok) {
            let Ok(files) = fs::read_dir(year.path()) else {
                continue;
            };
            for file in files.filter_map(Result::ok) {
                if file.file_name().to_string_lossy().starts_with('.') {
                    let _ = fs::remove_file(file.path());
                }
            }
        }
    }
}

/// Characters that would break a `key=value` folder name are percent-escaped,
/// as Hive does.
fn partition_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), LoadError> {
    use std::io::Write;
    let mut file = File::create(path).map_err(io("cannot create", path))?;
    file.write_all(bytes).map_err(io("cannot write", path))?;
    file.sync_all().map_err(io("cannot sync", path))
}

/// How deep under a generation a partition's folder is
/// (`articles/source=…/year=…`).
const PARTITION_DEPTH: usize = 3;

/// Syncs `dir` and the folders under it down to `depth` levels, so the names
/// of the files written there survive a power loss as well as the files.
/// Partition folders, one level deeper, are synced with their file, while
/// other partitions are still being written ([`Written::sync`],
/// [`Generation::reuse_partition`]), not ~100 of them one after another at
/// the end.
fn sync_tree(dir: &Path, depth: usize) -> Result<(), LoadError> {
    let mut stack = vec![(dir.to_path_buf(), 0)];
    while let Some((dir, level)) = stack.pop() {
        if level < depth {
            for entry in fs::read_dir(&dir)
                .map_err(io("cannot list", &dir))?
                .flatten()
            {
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    stack.push((entry.path(), level + 1));
                }
            }
        }
        sync_dir(&dir)?;
    }
    Ok(())
}

/// Syncs the folder holding `path`, so its name survives a power loss.
fn sync_parent(path: &Path) -> Result<(), LoadError> {
    match path.parent() {
        Some(dir) => sync_dir(dir),
        None => Ok(()),
    }
}

fn sync_dir(dir: &Path) -> Result<(), LoadError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io("cannot sync", dir))
}

/// Points `dir/name` at `target` atomically: a new link is made under a
/// temporary name and renamed over the old one.
fn replace_link(dir: &Path, name: &str, target: &Path) -> Result<(), LoadError> {
    let temporary = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let _ = fs::remove_file(&temporary);
    std::os::unix::fs::symlink(target, &temporary).map_err(io("cannot create link", &temporary))?;
    let link = dir.join(name);
    fs::rename(&temporary, &link).map_err(io("cannot replace", &link))?;
    sync_dir(dir)
}

#[cfg(test)]
pub(crate) mod tests;
