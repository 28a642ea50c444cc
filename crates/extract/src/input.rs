//! Reading one input file: size limit, hashing, identity.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::ExtractError;

/// Limits that turn pathological files into rejects instead of exhausting memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Files larger than this many bytes are rejected as `too_large` without
    /// being read. Real articles are a few kilobytes to a few hundred.
    pub max_file_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 16 * 1024 * 1024,
        }
    }
}

/// Identity of one input file, known once its bytes were read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMeta {
    /// Path relative to its input root, `/`-separated.
    pub source_path: String,
    /// Size in bytes.
    pub file_size: u64,
    /// Lower-case hex SHA-256 of the raw bytes.
    pub content_sha256: String,
    /// Modification time when it was read, nanoseconds since 1970 (`None`
    /// when the file system does not say, and for bytes not read from disk).
    pub modified_ns: Option<i64>,
}

/// A file whose bytes were read and hashed, not yet framed.
#[derive(Debug, Clone)]
pub struct InputFile {
    /// Who the file is.
    pub meta: FileMeta,
    /// Its bytes, unchanged.
    pub bytes: Vec<u8>,
}

impl InputFile {
    /// Wraps bytes that did not come from disk (tests, fuzzing, generated
    /// corpora), hashing them as [`read_input`] would.
    pub fn from_bytes(source_path: impl Into<String>, bytes: Vec<u8>) -> InputFile {
        InputFile {
            meta: FileMeta {
                source_path: source_path.into(),
                file_size: bytes.len() as u64,
                content_sha256: sha256_hex(&bytes),
                modified_ns: None,
            },
            bytes,
        }
    }
}

/// A file that could not become a raw article, with whatever is known of it.
#[derive(Debug)]
pub struct Rejected {
    /// Path relative to its input root.
    pub source_path: String,
    /// Size in bytes, when the file could be inspected.
    pub file_size: Option<u64>,
    /// SHA-256 of the bytes, when they could be read.
    pub content_sha256: Option<String>,
    /// Modification time, when the file could be inspected (as
    /// [`FileMeta::modified_ns`]).
    pub modified_ns: Option<i64>,
    /// What went wrong.
    pub error: ExtractError,
}

impl Rejected {
    pub(crate) fn of(meta: FileMeta, error: ExtractError) -> Rejected {
        Rejected {
            source_path: meta.source_path,
            file_size: Some(meta.file_size),
            content_sha256: Some(meta.content_sha256),
            modified_ns: meta.modified_ns,
            error,
        }
    }
}

/// Reads the file at `path`, known to users as `source_path`.
///
/// Files over [`Limits::max_file_bytes`] are rejected from their metadata
/// alone, before any byte is read; a file that grows while being read is cut
/// off at the limit plus one byte and rejected too.
pub fn read_input(
    path: &Path,
    source_path: String,
    limits: &Limits,
) -> Result<InputFile, Rejected> {
    let unreadable = |file_size, modified_ns, error| Rejected {
        source_path: source_path.clone(),
        file_size,
        content_sha256: None,
        modified_ns,
        error,
    };
    let file = File::open(path).map_err(|e| unreadable(None, None, e.into()))?;
    // One `fstat` of the open file gives the size to allocate and the
    // modification time the manifest keeps; no second look-up by path.
    let metadata = file
        .metadata()
        .map_err(|e| unreadable(None, None, e.into()))?;
    let size = metadata.len();
    let modified_ns = metadata
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .and_then(|d| i64::try_from(d.as_nanos()).ok());
    if size > limits.max_file_bytes {
        return Err(unreadable(
            Some(size),
            modified_ns,
            ExtractError::TooLarge {
                size,
                limit: limits.max_file_bytes,
            },
        ));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(limits.max_file_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| unreadable(Some(size), modified_ns, e.into()))?;
    if bytes.len() as u64 > limits.max_file_bytes {
        let grown = bytes.len() as u64;
        return Err(unreadable(
            Some(grown),
            modified_ns,
            ExtractError::TooLarge {
                size: grown,
                limit: limits.max_file_bytes,
            },
        ));
    }
    let mut input = InputFile::from_bytes(source_path, bytes);
    input.meta.modified_ns = modified_ns;
    Ok(input)
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for byte in digest.iter() {
        hex.push(char::from_digit(u32::from(byte >> 4), 16).unwrap_or('0'));
        hex.push(char::from_digit(u32::from(byte & 0xf), 16).unwrap_or('0'));
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_abc_matches_the_published_test_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_file_over_the_limit_is_rejected_with_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.md");
        std::fs::write(&path, vec![b'x'; 100]).unwrap();
        let limits = Limits { max_file_bytes: 99 };
        let err = read_input(&path, "big.md".into(), &limits).unwrap_err();
        assert_eq!(err.error.kind(), "too_large");
        assert_eq!(err.file_size, Some(100));
        assert!(err.content_sha256.is_none());
        assert!(err.error.to_string().contains("100 bytes"));
    }

    #[test]
    fn a_missing_file_is_an_io_reject_naming_the_cause() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_input(
            &dir.path().join("nope.md"),
            "nope.md".into(),
            &Limits::default(),
        )
        .unwrap_err();
        assert_eq!(err.error.kind(), "io");
        assert_eq!(err.file_size, None);
    }

    #[test]
    fn a_readable_file_keeps_its_bytes_size_and_hash() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.md");
        std::fs::write(&path, b"abc").unwrap();
        let file = read_input(&path, "a.md".into(), &Limits::default()).unwrap();
        assert_eq!(file.bytes, b"abc");
        assert_eq!(file.meta.file_size, 3);
        assert_eq!(file.meta.content_sha256, sha256_hex(b"abc"));
    }

    #[test]
    fn a_read_file_and_a_file_over_the_limit_keep_their_modification_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.md");
        std::fs::write(&path, b"abc").unwrap();
        // A time with nanoseconds, set explicitly, so the test does not
        // depend on the clock or on the file system's defaults.
        let when = std::time::UNIX_EPOCH + std::time::Duration::new(1_616_075_711, 123_456_789);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(when)
            .unwrap();
        let file = read_input(&path, "a.md".into(), &Limits::default()).unwrap();
        assert_eq!(file.meta.modified_ns, Some(1_616_075_711_123_456_789));
        let err = read_input(&path, "a.md".into(), &Limits { max_file_bytes: 2 }).unwrap_err();
        assert_eq!(err.modified_ns, Some(1_616_075_711_123_456_789));
        assert_eq!(
            InputFile::from_bytes("x", b"abc".to_vec()).meta.modified_ns,
            None
        );
    }
}
