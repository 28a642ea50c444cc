//! # load: [`Article`] → Arrow `RecordBatch` → Parquet dataset
//!
//! The last boundary of the wirehouse data path. Its principal type is
//! [`Warehouse`], an output folder holding two Parquet datasets, `articles`
//! (Hive-partitioned by `source` and `year`) and `rejects`, and a run summary
//! ([`RunSummary`]). A run writes a new [`Generation`] beside the current one
//! and [`Generation::commit`]s it by swapping one symbolic link, so readers see
//! either the previous datasets or the new ones, never a mix or a half-written
//! file, whenever the process dies.
//!
//! - [`schema`]: the Arrow schemas of the two datasets (record spec, §4–5);
//! - [`batch`]: building `RecordBatch`es from records and rejects;
//! - [`warehouse`]: the folder layout, partition writers, the atomic commit.
//!
//! Invariants: load never sees HTML or raw files, only [`Article`]s and
//! [`Reject`]s; it never changes a committed generation; every timestamp is
//! written as `TIMESTAMP(MILLIS, isAdjustedToUTC=true)`.

pub mod batch;
pub mod manifest;
pub mod schema;
mod spill;
pub mod summary;
pub mod warehouse;

pub use manifest::{FileOutcome, Manifest, ManifestEntry};
pub use summary::{Coverage, DeltaVersions, RunSummary};
pub use warehouse::{write_parts, Generation, Warehouse};
pub use wirehouse_transform::Article;

/// One input file that did not become a record: a row of the `rejects` dataset.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Reject {
    /// Input path relative to its input root.
    pub source_path: String,
    /// Hex SHA-256 of the bytes, when they could be read.
    pub content_sha256: Option<String>,
    /// Size in bytes, when known.
    pub file_size: Option<u64>,
    /// Short stable kind (`io`, `encoding`, `header`, `timestamp`, …).
    pub error_kind: String,
    /// What is wrong and where, for a person.
    pub error_message: String,
}

/// Why the output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A file-system operation on the output failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// On what.
        path: std::path::PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Writing Parquet failed.
    #[error("writing {path}: {source}")]
    Parquet {
        /// The file being written.
        path: std::path::PathBuf,
        /// The Parquet error.
        source: parquet::errors::ParquetError,
    },
    /// Setting rows aside on disk, or reading them back, failed (a full disk,
    /// most likely: the rows set aside take about as much room as their text).
    #[error("rows set aside in {path}: {source}")]
    Spill {
        /// The spill file.
        path: std::path::PathBuf,
        /// The Arrow IPC error (an I/O error inside, as a rule).
        source: arrow_schema::ArrowError,
    },
    /// Building an Arrow batch failed (a bug: the schema and builders disagree).
    #[error("building an Arrow batch: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    /// The output folder holds something wirehouse did not make where it
    /// would write.
    #[error("{path} exists and was not made by wirehouse; choose an empty output folder or one wirehouse wrote")]
    Foreign {
        /// The path in the way.
        path: std::path::PathBuf,
    },
    /// Another run is writing this output folder.
    #[error("another wirehouse run ({holder}) is writing {path}; wait for it to finish, or pass --wait SECONDS to queue behind it")]
    Busy {
        /// The output folder.
        path: std::path::PathBuf,
        /// What the lock file says of its holder.
        holder: String,
    },
}
