//! The run summary kept beside the datasets.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What one run did, written as `run-summary.json` in its generation and
/// printed at the end of the run.
///
/// Accounting invariant: `files_found = records + duplicates + rejects +
/// unchanged`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// wirehouse version that wrote the run.
    pub wirehouse_version: String,
    /// Generation the run committed (`gen-000001`, …).
    pub generation: String,
    /// UTC start, RFC 3339.
    pub started_at: String,
    /// UTC end, RFC 3339.
    pub finished_at: String,
    /// Wall-clock seconds.
    pub elapsed_s: f64,
    /// Input roots as given.
    pub inputs: Vec<String>,
    /// Worker threads used for extraction.
    pub threads: usize,
    /// Article files found under the inputs.
    pub files_found: u64,
    /// Records written to `articles`.
    pub records: u64,
    /// Files whose bytes equal an earlier file's (no second record).
    pub duplicates: u64,
    /// Files written to `rejects`.
    pub rejects: u64,
    /// Files skipped as unchanged since the previous run (incremental runs).
    pub unchanged: u64,
    /// Rejects per `error_kind`.
    pub rejects_by_kind: BTreeMap<String, u64>,
    /// Records per `source`.
    pub records_by_source: BTreeMap<String, u64>,
    /// Bytes read from input files.
    pub bytes_read: u64,
    /// `files_found / elapsed_s`.
    pub files_per_s: f64,
}

impl RunSummary {
    /// Whether every file found is accounted for exactly once.
    pub fn accounts_for_every_file(&self) -> bool {
        self.files_found == self.records + self.duplicates + self.rejects + self.unchanged
            && self.rejects == self.rejects_by_kind.values().sum::<u64>()
            && self.records == self.records_by_source.values().sum::<u64>()
    }
}
