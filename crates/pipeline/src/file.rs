//! One input file through extract and transform: what became of it.

use std::path::PathBuf;

use chrono::Datelike;
use wirehouse_extract::{frame, read_input, ExtractError, InputFile, Limits, Rejected};
use wirehouse_load::Reject;
use wirehouse_transform::{Article, Transformer};

use wirehouse_store::{start_get, Location, Object, Pending};

use crate::discover::InputPath;

/// What became of one file.
pub(crate) enum Outcome {
    Record(Box<Article>),
    Reject(Reject),
    /// Carried over from the previous generation as it was.
    Reused,
}

impl Outcome {
    pub(crate) fn sha256(&self) -> Option<&str> {
        match self {
            Outcome::Record(article) => Some(&article.content_sha256),
            Outcome::Reject(reject) => reject.content_sha256.as_deref(),
            Outcome::Reused => None,
        }
    }

    pub(crate) fn partition(&self) -> Option<(String, i32)> {
        match self {
            Outcome::Record(article) => {
                Some((article.source.clone(), article.feed_time_utc.year()))
            }
            Outcome::Reject(_) | Outcome::Reused => None,
        }
    }
}

/// Reads, frames and transforms one file; says what became of it and how
/// the file looked when it was read (what could be known of it).
pub(crate) fn process(
    file: &InputPath,
    roots: &[PathBuf],
    limits: &Limits,
    transformer: &Transformer,
) -> (Outcome, Stat) {
    let seen = |size: Option<u64>, modified_ns: Option<i64>| Stat {
        size: size.unwrap_or(0),
        mtime_ns: modified_ns.unwrap_or(0),
    };
    let input = match read_input(&file.path(roots), file.source_path.to_string(), limits) {
        Ok(input) => input,
        Err(rejected) => {
            let stat = seen(rejected.file_size, rejected.modified_ns);
            return (Outcome::Reject(extract_reject(rejected)), stat);
        }
    };
    let stat = seen(Some(input.meta.file_size), input.meta.modified_ns);
    (transform_input(input, transformer), stat)
}

/// Reads (or takes, when a GET was started ahead: `pending`), frames and
/// transforms one object of a store. Its size is checked from the listing
/// before any GET; an object that cannot be read after the store's
/// retries is an `io` reject naming its key and the error.
pub(crate) fn process_object(
    file: &InputPath,
    object: &Object,
    location: &Location,
    pending: Option<Pending>,
    limits: &Limits,
    transformer: &Transformer,
) -> (Outcome, Stat) {
    let stat = Stat {
        size: object.size,
        mtime_ns: object.modified_ns,
    };
    let source_path = file.source_path.to_string();
    if object.size > limits.max_file_bytes {
        let reject = extract_reject(Rejected {
            source_path,
            file_size: Some(object.size),
            content_sha256: None,
            modified_ns: Some(object.modified_ns),
            error: ExtractError::TooLarge {
                size: object.size,
                limit: limits.max_file_bytes,
            },
        });
        return (Outcome::Reject(reject), stat);
    }
    let fetched = pending
        .unwrap_or_else(|| start_get(location, &file.source_path))
        .wait();
    let outcome = match fetched {
        Ok(bytes) => process_bytes(source_path, bytes.to_vec(), limits, transformer),
        Err(message) => unreadable(source_path, message),
    };
    (outcome, stat)
}

/// Frames and transforms bytes that did not come from a local file (an
/// object store, a caller's batch) as [`process`] does a file's: over the
/// size limit they are rejected as `too_large`, as a file would be.
pub(crate) fn process_bytes(
    source_path: String,
    bytes: Vec<u8>,
    limits: &Limits,
    transformer: &Transformer,
) -> Outcome {
    let size = bytes.len() as u64;
    if size > limits.max_file_bytes {
        return Outcome::Reject(extract_reject(Rejected {
            source_path,
            file_size: Some(size),
            content_sha256: None,
            modified_ns: None,
            error: ExtractError::TooLarge {
                size,
                limit: limits.max_file_bytes,
            },
        }));
    }
    transform_input(InputFile::from_bytes(source_path, bytes), transformer)
}

/// An `io` reject for a file whose bytes could not be had (`message` says
/// why, for a person).
pub(crate) fn unreadable(source_path: String, message: String) -> Outcome {
    Outcome::Reject(Reject {
        source_path,
        content_sha256: None,
        file_size: None,
        error_kind: "io".into(),
        error_message: message,
    })
}

/// Frames and transforms a file's bytes.
fn transform_input(input: InputFile, transformer: &Transformer) -> Outcome {
    let raw = match frame(input) {
        Ok(raw) => raw,
        Err(rejected) => return Outcome::Reject(extract_reject(rejected)),
    };
    match transformer.transform(&raw) {
        Ok(article) => Outcome::Record(Box::new(article)),
        Err(err) => Outcome::Reject(Reject {
            source_path: raw.meta.source_path.clone(),
            content_sha256: Some(raw.meta.content_sha256.clone()),
            file_size: Some(raw.meta.file_size),
            error_kind: err.kind().into(),
            error_message: err.to_string(),
        }),
    }
}

/// The first 128 bits of a hex SHA-256, as a compact set key.
pub(crate) fn hash_key(sha256_hex: &str) -> u128 {
    u128::from_str_radix(sha256_hex.get(..32).unwrap_or(sha256_hex), 16).unwrap_or(0)
}

pub(crate) fn extract_reject(rejected: wirehouse_extract::Rejected) -> Reject {
    Reject {
        error_kind: rejected.error.kind().into(),
        error_message: rejected.error.to_string(),
        source_path: rejected.source_path,
        content_sha256: rejected.content_sha256,
        file_size: rejected.file_size,
    }
}

/// A partition of `articles`: source and UTC year of the feed time.
pub(crate) type Partition = (String, i32);

/// How an input file looked when the run started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Stat {
    pub(crate) size: u64,
    /// Nanoseconds since 1970 (an `i64` lasts until 2262, and keeps the
    /// per-file plan small; the manifest keeps `i128`).
    pub(crate) mtime_ns: i64,
}

pub(crate) fn stat(path: &std::path::Path) -> Stat {
    std::fs::metadata(path)
        .map(|m| Stat {
            size: m.len(),
            mtime_ns: m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)),
        })
        .unwrap_or_default()
}
