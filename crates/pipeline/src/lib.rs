//! # pipeline: a run's orchestration, shared by every front end
//!
//! The crates of the data path each own one boundary (extract: bytes →
//! `RawArticle`; transform: → `Article`; load: → Arrow → Parquet). This crate
//! wires them into runs, and is the only place that does: `wirehouse run`
//! (the binary), the Python package and the Ray and Spark jobs all call it.
//!
//! - [`config`]: a pipeline file and overrides → one validated [`RunConfig`];
//! - [`discover`]: the input order (roots in the order given, then paths in
//!   byte order) and what could not be listed;
//! - [`run()`]: a run on one machine — discover, extract and transform on
//!   every core, duplicates, accounting, the incremental plan, the commit;
//! - [`units`]: the same run cut into work units for engines that spread
//!   them over many processes or machines, and the driver's side of it
//!   (duplicates across units, accounting, the commit);
//! - [`records`]: records in memory, without a dataset (the package's `read`).
//!
//! Invariants: every file found is accounted for as a record, a duplicate
//! or a reject (`files_found = records + duplicates + rejects`); of files
//! with identical bytes, the first in input order is the record; a run
//! publishes its output in one atomic step or not at all.

pub mod config;
#[cfg(feature = "delta")]
mod delta;
pub mod discover;
mod file;
pub mod records;
pub mod run;
mod seen;
pub mod units;

pub use config::{resolve, Format, Overrides, RunConfig};
#[cfg(feature = "delta")]
pub use delta::{dataset, vacuum};
pub use run::{interrupt, run, Interrupted, NotPublished, Progress, Silent};

/// The exit status of a run that committed its output but fell short of a
/// profile's expectations, under `--strict` / `on_expectation = "fail"`.
pub const EXPECTATIONS_NOT_MET: u8 = 3;

/// The exit status of a run stopped by SIGINT (128 + 2, as a shell reports
/// a process the signal killed).
pub const INTERRUPTED_BY_SIGINT: u8 = 130;
/// The exit status of a run stopped by SIGTERM (128 + 15).
pub const INTERRUPTED_BY_SIGTERM: u8 = 143;
