//! Records in memory, without a dataset on disk: what the Python package's
//! `read` and `transform` return.

use std::collections::HashSet;
use std::path::PathBuf;

use anyhow::Context;
use rayon::prelude::*;
use wirehouse_extract::Limits;
use wirehouse_load::Reject;
use wirehouse_transform::{Article, Transformer};

use crate::discover::{discover, InputPath};
use crate::file::{hash_key, process, process_bytes, Outcome};

/// What became of some files, in input order: the rows a run would write
/// for them into `articles` and `rejects`, and the duplicates it would count.
#[derive(Debug, Default)]
pub struct Records {
    /// The records, in input order, without duplicates.
    pub articles: Vec<Article>,
    /// The rejects, in input order.
    pub rejects: Vec<Reject>,
    /// Files whose bytes an earlier record already had.
    pub duplicates: u64,
    /// Files found (`articles + duplicates + rejects`).
    pub files: u64,
}

impl Records {
    /// Takes outcomes in input order: the first record of each content is
    /// kept, later ones are counted as duplicates, as a run does.
    fn sort(outcomes: impl IntoIterator<Item = Outcome>) -> Records {
        let mut records = Records::default();
        let mut seen: HashSet<u128> = HashSet::new();
        for outcome in outcomes {
            records.files += 1;
            match outcome {
                Outcome::Record(article) => {
                    if seen.insert(hash_key(&article.content_sha256)) {
                        records.articles.push(*article);
                    } else {
                        records.duplicates += 1;
                    }
                }
                Outcome::Reject(reject) => records.rejects.push(reject),
                Outcome::Reused => {}
            }
        }
        records
    }
}

/// Reads the article files under `inputs` (files or folders, in the input
/// order `wirehouse run` uses) on `threads` threads, and returns the records
/// and rejects a run over them would write.
pub fn read(
    inputs: &[PathBuf],
    limits: &Limits,
    transformer: &Transformer,
    threads: usize,
) -> anyhow::Result<Records> {
    for input in inputs {
        anyhow::ensure!(input.exists(), "input {} does not exist", input.display());
    }
    let (files, unlisted) = discover(inputs);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .context("cannot start worker threads")?;
    let outcomes: Vec<Outcome> = pool.install(|| {
        files
            .par_iter()
            .map(|file: &InputPath| process(file, inputs, limits, transformer).0)
            .collect()
    });
    let mut records = Records::sort(outcomes);
    for u in unlisted {
        records.files += 1;
        records.rejects.push(Reject {
            source_path: u.source_path,
            content_sha256: None,
            file_size: None,
            error_kind: "io".into(),
            error_message: u.message,
        });
    }
    Ok(records)
}

/// Transforms files given as bytes (`source_path`, bytes), in the order
/// given, on `threads` threads.
pub fn transform_bytes(
    items: Vec<(String, Vec<u8>)>,
    limits: &Limits,
    transformer: &Transformer,
    threads: usize,
) -> anyhow::Result<Records> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .context("cannot start worker threads")?;
    let outcomes: Vec<Outcome> = pool.install(|| {
        items
            .into_par_iter()
            .map(|(path, bytes)| process_bytes(path, bytes, limits, transformer))
            .collect()
    });
    Ok(Records::sort(outcomes))
}
