//! The manifest: what became of every input file in a generation, so the
//! next run can skip what has not changed.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::LoadError;

/// The manifest's file name inside a generation.
pub const MANIFEST_FILE: &str = "manifest.jsonl";

/// What became of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileOutcome {
    /// A row of `articles`.
    Record,
    /// Same bytes as an earlier record.
    Duplicate,
    /// A row of `rejects`.
    Reject,
}

/// One input file as the run that wrote a generation saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// Input root as given.
    pub root: String,
    /// Path relative to the root.
    pub path: String,
    /// Size in bytes (0 when it could not be read).
    pub size: u64,
    /// Modification time, nanoseconds since the epoch (0 when unknown).
    pub mtime_ns: i128,
    /// SHA-256 of the bytes, when they were read.
    pub sha256: Option<String>,
    /// Record, duplicate or reject.
    pub outcome: FileOutcome,
    /// Partition of a record or duplicate: source …
    pub source: Option<String>,
    /// … and UTC year of its feed time.
    pub year: Option<i32>,
    /// A reject's kind.
    pub error_kind: Option<String>,
    /// A reject's message.
    pub error_message: Option<String>,
    /// The entity tag an object store listed for it (objects only): with
    /// the size, what tells an unchanged object on a rerun.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
}

/// Every file of a generation, with a fingerprint of what produced it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    /// wirehouse version, profiles, limits and inputs of the run: a run with
    /// another fingerprint cannot reuse this generation.
    pub fingerprint: String,
    /// The files, in input order.
    pub entries: Vec<ManifestEntry>,
}

#[derive(Serialize, Deserialize)]
struct Header {
    fingerprint: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Footer {
    files: usize,
}

impl Manifest {
    /// Reads the manifest of the generation in `dir`; `None` when it has none
    /// or it is not whole (the next run then rebuilds in full).
    pub fn read(dir: &Path) -> Option<Manifest> {
        let file = std::fs::File::open(dir.join(MANIFEST_FILE)).ok()?;
        Self::from_reader(BufReader::new(file))
    }

    /// Reads a manifest from its bytes (as a Delta dataset keeps it); `None`
    /// when it is not whole.
    pub fn parse(bytes: &[u8]) -> Option<Manifest> {
        Self::from_reader(bytes)
    }

    fn from_reader(reader: impl BufRead) -> Option<Manifest> {
        let mut lines = reader.lines();
        let header: Header = serde_json::from_str(&lines.next()?.ok()?).ok()?;
        let mut entries = Vec::new();
        for line in lines {
            let line = line.ok()?;
            if let Ok(footer) = serde_json::from_str::<Footer>(&line) {
                return (footer.files == entries.len()).then_some(Manifest {
                    fingerprint: header.fingerprint,
                    entries,
                });
            }
            entries.push(serde_json::from_str(&line).ok()?);
        }
        None
    }

    /// Writes the manifest into the generation folder `dir`, synced.
    pub fn write(&self, dir: &Path) -> Result<(), LoadError> {
        let mut writer = ManifestWriter::create(dir, &self.fingerprint)?;
        for entry in &self.entries {
            writer.push(entry)?;
        }
        writer.finish()
    }
}

/// Writes a manifest line by line as a run goes, so its size never sits in
/// memory; the closing line (the file count) marks it whole.
#[derive(Debug)]
pub struct ManifestWriter {
    path: std::path::PathBuf,
    out: BufWriter<std::fs::File>,
    files: usize,
}

impl ManifestWriter {
    /// Starts `dir/manifest.jsonl` with the run's fingerprint.
    pub fn create(dir: &Path, fingerprint: &str) -> Result<ManifestWriter, LoadError> {
        let path = dir.join(MANIFEST_FILE);
        let file = std::fs::File::create(&path).map_err(|source| LoadError::Io {
            action: "cannot write",
            path: path.clone(),
            source,
        })?;
        let mut writer = ManifestWriter {
            path,
            out: BufWriter::new(file),
            files: 0,
        };
        writer.line(&Header {
            fingerprint: fingerprint.to_string(),
        })?;
        Ok(writer)
    }

    fn line<T: Serialize>(&mut self, value: &T) -> Result<(), LoadError> {
        let path = &self.path;
        self.out
            .write_all(json_line(value).as_bytes())
            .map_err(|source| LoadError::Io {
                action: "cannot write",
                path: path.clone(),
                source,
            })
    }

    /// Adds one file.
    pub fn push(&mut self, entry: &ManifestEntry) -> Result<(), LoadError> {
        self.files += 1;
        self.line(entry)
    }

    /// Closes the manifest and syncs it.
    pub fn finish(mut self) -> Result<(), LoadError> {
        let files = self.files;
        self.line(&Footer { files })?;
        let path = self.path.clone();
        let fail = |source| LoadError::Io {
            action: "cannot write",
            path: path.clone(),
            source,
        };
        let file = self.out.into_inner().map_err(|e| fail(e.into_error()))?;
        file.sync_all().map_err(fail)
    }
}

/// A value as one line of JSON (these types always serialize).
fn json_line<T: Serialize>(value: &T) -> String {
    let mut line = serde_json::to_string(value).unwrap_or_default();
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_round_trips_and_a_truncated_one_is_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let manifest = Manifest {
            fingerprint: "v1".into(),
            entries: vec![ManifestEntry {
                root: "in".into(),
                path: "a.md".into(),
                size: 3,
                mtime_ns: 1_700_000_000_000_000_000,
                sha256: Some("ab".into()),
                outcome: FileOutcome::Record,
                source: Some("rfi".into()),
                year: Some(2021),
                error_kind: None,
                error_message: None,
                etag: Some("\"e1\"".into()),
            }],
        };
        manifest.write(dir.path()).unwrap();
        assert_eq!(Manifest::read(dir.path()), Some(manifest));
        let path = dir.path().join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.lines().next().unwrap()).unwrap();
        assert_eq!(Manifest::read(dir.path()), None);
    }
}
