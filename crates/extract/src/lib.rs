//! # extract: file bytes → [`RawArticle`]
//!
//! The first boundary of the wirehouse data path. Its principal type is
//! [`RawArticle`]: one feed-archive file, read and framed into its four parts
//! (feed-time header, title, URL, HTML), with the file's identity (path
//! relative to its input root, size, SHA-256 of its bytes).
//!
//! Bytes come from the file system through [`read_input`] (which enforces the
//! size limit and hashes the bytes) and are framed by [`frame`]. Anything that
//! keeps a file from being framed is an [`ExtractError`] with a short
//! machine-readable [`ExtractError::kind`] and a message that says what is wrong
//! and where, so that the caller can turn it into a reject row.
//!
//! Invariants this crate keeps:
//! - it never interprets dates or HTML: the header value is handed on as the
//!   text between `<!--` and `-->`, the HTML as the text after the dash line;
//! - it never panics on input, whatever the bytes;
//! - it never modifies or moves input files.

mod frame;
mod input;

pub use frame::{frame, RawArticle};
pub use input::{read_input, sha256_hex, FileMeta, InputFile, Limits, Rejected};

/// Why a file could not become a [`RawArticle`].
///
/// Every variant's message names the problem and where it is (line, byte
/// offset or size), in words a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// The file could not be read (permissions, vanished, is a directory …).
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    /// The file has no bytes, or only whitespace.
    #[error("the file is empty")]
    Empty,
    /// The file is larger than [`Limits::max_file_bytes`].
    #[error("the file is {size} bytes, over the limit of {limit} bytes (raise max_file_bytes if this is a real article)")]
    TooLarge {
        /// Size of the file in bytes.
        size: u64,
        /// The limit in force.
        limit: u64,
    },
    /// The file holds a NUL byte: it is binary, not a text article.
    #[error("the file is binary: NUL byte at byte offset {offset}")]
    Binary {
        /// Byte offset of the first NUL byte.
        offset: usize,
    },
    /// The bytes are not valid UTF-8 (for example GBK-encoded text).
    #[error("the file is not UTF-8: invalid byte sequence at byte offset {offset} (line {line}); re-encode it as UTF-8")]
    Encoding {
        /// Byte offset of the first invalid sequence.
        offset: usize,
        /// 1-based line of that byte.
        line: usize,
    },
    /// Line 1 is not a `<!--…-->` comment.
    #[error("line 1 should be the feed-time comment <!--EPOCH_MS-->, found {found}")]
    Header {
        /// The start of what line 1 holds instead.
        found: String,
    },
    /// Line 2 is not a markdown link `[title](url)`.
    #[error("line 2 should be a markdown link [title](url), found {found}")]
    Link {
        /// The start of what line 2 holds instead.
        found: String,
    },
    /// Line 3 is not a line of three or more dashes.
    #[error("line 3 should be a line of three or more dashes, found {found}")]
    Separator {
        /// The start of what line 3 holds instead.
        found: String,
    },
}

impl ExtractError {
    /// The short, stable name of this kind of error, as written to the
    /// `error_kind` column of the rejects dataset.
    pub fn kind(&self) -> &'static str {
        match self {
            ExtractError::Io(_) => "io",
            ExtractError::Empty => "empty",
            ExtractError::TooLarge { .. } => "too_large",
            ExtractError::Binary { .. } => "binary",
            ExtractError::Encoding { .. } => "encoding",
            ExtractError::Header { .. } => "header",
            ExtractError::Link { .. } => "link",
            ExtractError::Separator { .. } => "separator",
        }
    }
}
