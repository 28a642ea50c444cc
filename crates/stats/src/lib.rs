//! # stats: a dataset → publication statistics
//!
//! The analysis boundary of wirehouse. Its principal function is [`compute`]:
//! it scans an `articles` dataset (and its `rejects`) written by
//! `wirehouse run` lazily with polars — only the columns a table needs are
//! read, the source filter is pushed into the scan (whole partitions are
//! skipped), and `body_text` is never loaded — and returns every table of
//! [`Tables`]. Date filters apply after deduplication, to each article's
//! latest version, so an article falls in exactly one date window. [`write_tables`] saves them as
//! Parquet and CSV, [`markdown`] renders the summary, [`charts`] draws the
//! PNG charts and [`report`] the HTML page that shows them together.
//!
//! Invariant: each article counts once, as its latest version by
//! `feed_time_utc` (ties broken by the larger `content_sha256`), in every
//! table except `rejects_by_kind`.

pub mod charts;
pub mod coverage;
pub mod report;
mod tables;
mod zones;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use polars::prelude::DataFrame;

pub use tables::{compute, write_tables};
pub use zones::{home_zone, HOME_ZONES};

/// What to compute over.
#[derive(Debug, Clone, Default)]
pub struct StatsQuery {
    /// The output folder of `wirehouse run` (holding `articles/` and `rejects/`).
    pub dataset: PathBuf,
    /// Only these sources (all when empty).
    pub sources: Vec<String>,
    /// Only articles whose time (see [`Tables`]) is on or after this UTC day.
    pub since: Option<NaiveDate>,
    /// Only articles whose time is on or before this UTC day.
    pub until: Option<NaiveDate>,
    /// Zone overrides per source for the local hour × weekday matrix.
    pub zones: BTreeMap<String, chrono_tz::Tz>,
    /// For a dataset published as Delta tables: the files of the version
    /// read (a table's folder also holds older versions' files); `None`
    /// reads the folder layout.
    pub files: Option<DatasetFiles>,
}

/// The data files of a dataset's tables at one version, as the Delta log
/// lists them (the front end reads the log; this crate reads Parquet).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DatasetFiles {
    /// `articles` files, under `source=…/year=…` folders.
    pub articles: Vec<PathBuf>,
    /// `rejects` files.
    pub rejects: Vec<PathBuf>,
}

/// Every statistics table. Column names and types are part of the contract
/// (CSV/Parquet files, notebooks and tests read them):
///
/// The *article time* is `published_utc` when the site states one, else
/// `feed_time_utc` (ft and cdt state none). Filters `since`/`until` apply to it.
#[derive(Debug, Clone)]
pub struct Tables {
    /// `source` str, `year` i32 (UTC year of the article time), `articles`
    /// i64, then how many of them have each field, all i64: `published`
    /// (a `published_utc`), `published_second`, `_minute`, `_day`,
    /// `_approximate` (those by precision), `note_ambiguous`,
    /// `note_nonexistent`, `note_invalid`, `note_unrecognized`,
    /// `note_missing`, `note_relative` (by `published_note`, with a time or
    /// without), `byline`, `lead`, `copyright`, `images` (at least one),
    /// `empty_body`, `unplaced` (text blocks, but no rule of the profile
    /// placed any: `rules_placed = 0`), `negative_lag` (`feed_lag_s < 0`).
    /// The figures of `run-summary.json`'s coverage, per year: which years
    /// of which source lack a field, before a chart is trusted.
    pub coverage: DataFrame,
    /// `source` str, `day` date (UTC day of the article time), `articles` i64.
    pub daily_volume: DataFrame,
    /// `source` str, `iso_year` i32, `iso_week` i32, `week_start` date (Monday),
    /// `articles` i64.
    pub weekly_volume: DataFrame,
    /// `source` str, `weekday` i32 (1 = Monday … 7 = Sunday), `hour` i32
    /// (0–23), `articles` i64 — from `published_utc` in UTC, only articles
    /// whose precision is `second`, `minute` or `approximate`.
    pub hour_weekday_utc: DataFrame,
    /// As `hour_weekday_utc` plus `zone` str, in the source's home zone
    /// ([`home_zone`]).
    pub hour_weekday_local: DataFrame,
    /// `source` str, `count` i64, `p50_s`, `p90_s`, `p99_s` f64 (linear
    /// interpolation), `max_s` i64, `share_over_24h` f64 — over `feed_lag_s`
    /// of articles whose precision is not `day`.
    pub feed_lag: DataFrame,
    /// `source` str, `articles` i64, then for `chars` (char_count),
    /// `paragraphs` (paragraph_count) and `images` (number of image_urls):
    /// `_mean` f64, `_p50` f64, `_max` i64.
    pub body_length: DataFrame,
    /// `source` str, `rank` i64 (1 = most), `column_name` str, `articles` i64:
    /// the ten most frequent non-null columns per source (ties by name).
    pub top_columns: DataFrame,
    /// `source` str, `published_precision` str (null = no time), `published_note`
    /// str (null = none), `articles` i64, `share` f64 (of the source's articles).
    pub precision_note: DataFrame,
    /// `error_kind` str, `rejects` i64 (all rejects; not filtered).
    pub rejects_by_kind: DataFrame,
    /// The headline numbers.
    pub headline: Headline,
}

/// The numbers a summary leads with.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Headline {
    /// Articles (latest versions) after filters.
    pub articles: i64,
    /// Records (all versions) after filters.
    pub versions: i64,
    /// Rejects in the dataset.
    pub rejects: i64,
    /// First and last UTC day of the article times.
    pub first_day: Option<NaiveDate>,
    /// Last day.
    pub last_day: Option<NaiveDate>,
    /// Articles per source.
    pub articles_by_source: BTreeMap<String, i64>,
    /// Median feed lag (seconds) per source, where there is one.
    pub median_lag_s_by_source: BTreeMap<String, f64>,
}

/// The file names of the tables, in the order they are reported.
pub const TABLE_NAMES: [&str; 10] = [
    "coverage",
    "daily_volume",
    "weekly_volume",
    "hour_weekday_utc",
    "hour_weekday_local",
    "feed_lag",
    "body_length",
    "top_columns",
    "precision_note",
    "rejects_by_kind",
];

impl Tables {
    /// The tables with their names, in [`TABLE_NAMES`] order.
    pub fn named(&self) -> [(&'static str, &DataFrame); 10] {
        [
            ("coverage", &self.coverage),
            ("daily_volume", &self.daily_volume),
            ("weekly_volume", &self.weekly_volume),
            ("hour_weekday_utc", &self.hour_weekday_utc),
            ("hour_weekday_local", &self.hour_weekday_local),
            ("feed_lag", &self.feed_lag),
            ("body_length", &self.body_length),
            ("top_columns", &self.top_columns),
            ("precision_note", &self.precision_note),
            ("rejects_by_kind", &self.rejects_by_kind),
        ]
    }
}

/// Why statistics could not be computed or written.
#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    /// The dataset folder has no `articles` dataset.
    #[error("{0} holds no articles dataset (expected {0}/articles/ written by `wirehouse run`)")]
    NoDataset(PathBuf),
    /// polars failed.
    #[error("{context}: {source}")]
    Polars {
        /// What was being computed.
        context: String,
        /// The polars error.
        source: polars::prelude::PolarsError,
    },
    /// Writing an output failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A query that asks for something the dataset cannot answer.
    #[error("{0}")]
    Usage(String),
    /// Drawing a chart failed.
    #[error("cannot draw {path}: {message}")]
    Chart {
        /// The chart file.
        path: PathBuf,
        /// What plotters said.
        message: String,
    },
}

/// The Markdown summary: headline numbers and every table.
pub fn markdown(tables: &Tables, query: &StatsQuery) -> String {
    report::markdown(tables, query)
}

/// Where a table is written under the output folder.
pub fn table_path(out: &Path, name: &str, extension: &str) -> PathBuf {
    out.join("tables").join(format!("{name}.{extension}"))
}
