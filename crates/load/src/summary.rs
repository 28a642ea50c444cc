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
    /// Per source, how many of the records this run wrote have each field:
    /// the figures that show a layout a profile no longer reads.
    #[serde(default)]
    pub coverage: BTreeMap<String, Coverage>,
}

/// How many of a source's records have each field found (records written
/// by one run: new and changed files, not those an incremental run kept).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    /// Records.
    pub records: u64,
    /// Records with a `published_utc`.
    pub published: u64,
    /// Records with a `published_utc`, per `published_precision`.
    pub published_by_precision: BTreeMap<String, u64>,
    /// Records per `published_note` (with a time or without: `missing`,
    /// `unrecognized`, `invalid`, `relative`, …).
    pub published_by_note: BTreeMap<String, u64>,
    /// Records with a byline.
    pub byline: u64,
    /// Records with a lead.
    pub lead: u64,
    /// Records with a copyright line.
    pub copyright: u64,
    /// Records with at least one image.
    pub images: u64,
    /// Records whose body is empty.
    pub empty_body: u64,
    /// Records whose page has text blocks but none a rule of the profile
    /// placed (`rules_placed = 0`): every block reached the body by the
    /// default rule, so the profile recognized nothing on the page.
    #[serde(default)]
    pub unplaced: u64,
    /// Records published after the feed served them (`feed_lag_s < 0`): a
    /// time read in the wrong zone shows here first.
    pub negative_lag: u64,
}

impl Coverage {
    /// Counts one record.
    pub fn count(&mut self, article: &crate::Article) {
        self.records += 1;
        if article.published_utc.is_some() {
            self.published += 1;
            if let Some(precision) = article.published_precision {
                *self
                    .published_by_precision
                    .entry(precision.as_str().to_string())
                    .or_default() += 1;
            }
        }
        if let Some(note) = article.published_note {
            *self
                .published_by_note
                .entry(note.as_str().to_string())
                .or_default() += 1;
        }
        self.byline += u64::from(article.byline.is_some());
        self.lead += u64::from(article.lead.is_some());
        self.copyright += u64::from(article.copyright.is_some());
        self.images += u64::from(!article.image_urls.is_empty());
        self.empty_body += u64::from(article.body_text.is_empty());
        self.unplaced += u64::from(article.rules_placed == 0 && !article.body_text.is_empty());
        self.negative_lag += u64::from(article.feed_lag_s.is_some_and(|lag| lag < 0));
    }
}

impl RunSummary {
    /// Whether every file found is accounted for exactly once.
    pub fn accounts_for_every_file(&self) -> bool {
        self.files_found == self.records + self.duplicates + self.rejects + self.unchanged
            && self.rejects == self.rejects_by_kind.values().sum::<u64>()
            && self.records == self.records_by_source.values().sum::<u64>()
    }
}
