//! Finding article files under the input roots, in a deterministic order.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;
use wirehouse_store::{Location, Object};

/// One file to process. Kept small: a run holds one per input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputPath {
    /// Index of the input root it was found under, in the order given.
    pub root: usize,
    /// Its path relative to its input root, `/`-separated (the `source_path`
    /// column). For an input that is a file, its name.
    pub source_path: Box<str>,
    /// Where it is, only when that is not `root/source_path`: an input that
    /// is a file, or a name that is not UTF-8 (`source_path` shows it lossily).
    exact: Option<Box<Path>>,
    /// For an object in a store: what its listing said (the key is
    /// `source_path` under the root's location).
    pub object: Option<Box<Object>>,
}

impl InputPath {
    /// Where the file is, given the input roots in the order they were given.
    pub fn path(&self, roots: &[PathBuf]) -> PathBuf {
        match &self.exact {
            Some(path) => path.to_path_buf(),
            None => roots[self.root].join(&*self.source_path),
        }
    }
}

/// Something under an input that could not be listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unlisted {
    /// Index of the input root, in the order given.
    pub root: usize,
    /// Path relative to its input root.
    pub source_path: String,
    /// Why.
    pub message: String,
}

/// Whether a file name is an article file: extension `.md`, `.txt` or none,
/// not hidden, and not an archive's own README or MANIFEST.
pub fn is_article_name(name: &str) -> bool {
    if name.starts_with('.') {
        return false;
    }
    let (stem, extension) = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => (stem, Some(ext)),
        _ => (name, None),
    };
    let article_extension = match extension {
        None => true,
        Some(ext) => ext.eq_ignore_ascii_case("md") || ext.eq_ignore_ascii_case("txt"),
    };
    let documentation = ["readme", "manifest"]
        .iter()
        .any(|doc| stem.eq_ignore_ascii_case(doc));
    article_extension && !documentation
}

/// What the walk finds: a file to process, or something it could not list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    File(InputPath),
    Unlisted(Unlisted),
}

/// Walks `inputs` for article files: each root in the order given, and under
/// a root depth-first in byte order of names, so the same tree always gives
/// the same order. Symbolic links are followed (loops are reported, not
/// followed); hidden folders such as `.git` are skipped.
///
/// The walk is lazy: a folder is listed (and its names sorted) only when the
/// walk reaches it, so a run can process the first files while later folders
/// are still unlisted, and holds the names of the folders on the current
/// path only — not one entry per file of the archive.
pub fn walk(inputs: &[PathBuf]) -> impl Iterator<Item = Found> + Send + '_ {
    walk_roots(inputs, &[])
}

/// [`walk`], where `stores[i]`, when given, is input `i`'s place in an
/// object store: it is listed whole when the walk reaches it, and its
/// objects come in byte order of keys under the same rules as files (a
/// key with a hidden segment is skipped, names as [`is_article_name`]).
/// A listing that fails, after the store's retries, is one
/// [`Found::Unlisted`] naming the input and the error.
pub fn walk_roots<'a>(
    inputs: &'a [PathBuf],
    stores: &'a [Option<Location>],
) -> impl Iterator<Item = Found> + Send + 'a {
    inputs.iter().enumerate().flat_map(move |(index, root)| {
        let found: Box<dyn Iterator<Item = Found> + Send> =
            if let Some(Some(location)) = stores.get(index) {
                Box::new(objects(index, location))
            } else if root.is_file() {
                let name = root
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| root.display().to_string());
                Box::new(std::iter::once(Found::File(InputPath {
                    root: index,
                    source_path: name.into(),
                    exact: Some(root.clone().into_boxed_path()),
                    object: None,
                })))
            } else {
                let walker = WalkDir::new(root)
                    .follow_links(true)
                    .sort_by_file_name()
                    .into_iter()
                    .filter_entry(|e| {
                        e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.')
                    });
                Box::new(walker.filter_map(move |entry| found(index, root, entry)))
            };
        found
    })
}

/// The article objects under one input in a store, in key order.
fn objects(index: usize, location: &Location) -> Box<dyn Iterator<Item = Found> + Send> {
    match location.list() {
        Ok(objects) => Box::new(
            objects
                .into_iter()
                .filter(|object| {
                    let mut segments = object.key.split('/');
                    let name = segments.next_back().unwrap_or_default();
                    is_article_name(name) && segments.all(|s| !s.starts_with('.'))
                })
                .map(move |object| {
                    Found::File(InputPath {
                        root: index,
                        source_path: object.key.as_str().into(),
                        exact: None,
                        object: Some(Box::new(object)),
                    })
                }),
        ),
        Err(err) => Box::new(std::iter::once(Found::Unlisted(Unlisted {
            root: index,
            source_path: String::new(),
            message: wirehouse_store::one_line(&err),
        }))),
    }
}

/// One walk entry as a file to process, a folder that could not be listed,
/// or nothing (folders, other files).
fn found(index: usize, root: &Path, entry: walkdir::Result<walkdir::DirEntry>) -> Option<Found> {
    match entry {
        Ok(entry) => {
            if !(entry.file_type().is_file()
                && is_article_name(&entry.file_name().to_string_lossy()))
            {
                return None;
            }
            let source_path = relative(root, entry.path());
            let faithful = entry
                .path()
                .strip_prefix(root)
                .is_ok_and(|rel| rel.to_str().is_some());
            Some(Found::File(InputPath {
                root: index,
                source_path: source_path.into(),
                exact: (!faithful).then(|| entry.into_path().into_boxed_path()),
                object: None,
            }))
        }
        Err(err) => {
            let source_path = err
                .path()
                .map(|p| relative(root, p))
                .unwrap_or_else(|| root.display().to_string());
            Some(Found::Unlisted(Unlisted {
                root: index,
                source_path,
                message: format!("cannot list: {err}"),
            }))
        }
    }
}

/// The whole [`walk`] at once: the files in order, and what could not be
/// listed.
pub fn discover(inputs: &[PathBuf]) -> (Vec<InputPath>, Vec<Unlisted>) {
    let mut files = Vec::new();
    let mut unlisted = Vec::new();
    for found in walk(inputs) {
        match found {
            Found::File(file) => files.push(file),
            Found::Unlisted(u) => unlisted.push(u),
        }
    }
    (files, unlisted)
}

fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn article_names_are_md_txt_or_bare_but_not_docs_or_hidden() {
        for name in [
            "1.md",
            "a b [c]（全角） .md",
            "x.TXT",
            "1047482",
            "notes.v2.md",
        ] {
            assert!(is_article_name(name), "{name}");
        }
        for name in [
            "README.md",
            "readme",
            "MANIFEST.tsv",
            "a.tsv",
            "a.parquet",
            ".hidden.md",
            "x.json",
        ] {
            assert!(!is_article_name(name), "{name}");
        }
    }

    #[test]
    fn discovery_is_recursive_sorted_and_skips_hidden_folders() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for p in [
            "b/2.md",
            "b/1.md",
            "a.md",
            ".git/x.md",
            "c/README.md",
            "c/d/e",
            "c/skip.json",
        ] {
            let path = root.join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, b"x").unwrap();
        }
        let (files, unlisted) = discover(&[root.to_path_buf()]);
        let names: Vec<_> = files.iter().map(|f| &*f.source_path).collect();
        assert_eq!(names, vec!["a.md", "b/1.md", "b/2.md", "c/d/e"]);
        assert!(unlisted.is_empty());
        let roots = [root.to_path_buf()];
        assert_eq!(files[1].path(&roots), root.join("b/1.md"));
        assert!(files.iter().all(|f| f.path(&roots).is_file()));
    }

    #[test]
    fn a_file_input_is_named_by_its_file_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.md");
        std::fs::write(&path, b"x").unwrap();
        let (files, _) = discover(std::slice::from_ref(&path));
        assert_eq!(&*files[0].source_path, "x.md");
        assert_eq!(files[0].path(std::slice::from_ref(&path)), path);
    }

    #[test]
    fn a_name_that_is_not_utf8_keeps_its_exact_path() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        let name = std::ffi::OsStr::from_bytes(b"caf\xe9.md");
        let path = dir.path().join(name);
        std::fs::write(&path, b"x").unwrap();
        let roots = [dir.path().to_path_buf()];
        let (files, _) = discover(&roots);
        assert_eq!(&*files[0].source_path, "caf\u{FFFD}.md");
        assert_eq!(files[0].path(&roots), path);
    }

    #[test]
    fn a_symlink_loop_is_reported_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("a")).unwrap();
        std::os::unix::fs::symlink(dir.path(), dir.path().join("a/loop")).unwrap();
        let (files, unlisted) = discover(&[dir.path().to_path_buf()]);
        assert!(files.is_empty());
        assert_eq!(unlisted.len(), 1);
        assert_eq!(unlisted[0].source_path, "a/loop");
    }

    #[test]
    fn the_walk_lists_a_folder_only_when_it_reaches_it() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for p in ["a/1.md", "c/1.md"] {
            let path = root.join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, b"x").unwrap();
        }
        let roots = [root.to_path_buf()];
        let mut walk = walk(&roots);
        let first = walk.next();
        assert!(matches!(&first, Some(Found::File(f)) if &*f.source_path == "a/1.md"));
        // `c` was not listed yet, so a file added there now is still found;
        // a walk that listed everything first would miss it.
        std::fs::write(root.join("c/0.md"), b"x").unwrap();
        let rest: Vec<String> = walk
            .map(|f| match f {
                Found::File(f) => f.source_path.to_string(),
                Found::Unlisted(u) => u.source_path,
            })
            .collect();
        assert_eq!(rest, vec!["c/0.md", "c/1.md"]);
    }
}
