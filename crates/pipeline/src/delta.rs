//! A run whose output is Delta tables (`format = "delta"`), on a local
//! disk or in an object store.
//!
//! The run is the same run: it writes its generation into a local staging
//! folder (under the system's temporary folder, `TMPDIR`), then
//! `wirehouse_delta` uploads the files and commits them, one commit per
//! table. The previous run's manifest comes from the dataset, so reruns
//! are incremental as on a folder: partitions none of whose inputs changed
//! keep their files in the table (nothing is removed or added for them),
//! and a rerun with nothing new commits nothing.

use std::collections::HashSet;
use std::path::Path;

use anyhow::Context;
use wirehouse_delta::{Current, Dataset, Staged, Vacuumed};
use wirehouse_load::{DeltaVersions, Generation, Manifest, RunSummary, Warehouse};
use wirehouse_store::Location;

use crate::config::is_remote;
use crate::run::{check_interrupt, run_in, NotPublished, Previous, Progress, Start};
use crate::RunConfig;

/// The Delta dataset at `output` (a local folder or a store's URL).
pub fn dataset(output: &Path, storage: &wirehouse_store::StoreOptions) -> anyhow::Result<Dataset> {
    let location = match output.to_str() {
        Some(url) if is_remote(output) => Location::parse(url, storage)?,
        _ => Location::local(output)?,
    };
    Ok(Dataset::new(location))
}

/// Removes what no version newer than `retain` needs from the Delta dataset
/// at `output` (see [`Dataset::vacuum`]).
pub fn vacuum(
    output: &Path,
    storage: &wirehouse_store::StoreOptions,
    retain: std::time::Duration,
    dry_run: bool,
) -> anyhow::Result<Vacuumed> {
    let dataset = dataset(output, storage)?;
    dataset
        .vacuum(retain, dry_run)
        .with_context(|| format!("cannot vacuum {}", output.display()))
}

pub(crate) fn run(
    config: &RunConfig,
    progress: &mut dyn Progress,
    start: Start,
) -> anyhow::Result<RunSummary> {
    let dataset = dataset(&config.output, &config.storage)?;
    let current = dataset
        .current()
        .with_context(|| format!("cannot read the Delta dataset {}", config.output.display()))?;
    let not_published = NotPublished {
        output: config.output.clone(),
        current: current
            .as_ref()
            .map(|c| format!("articles version {}", c.version)),
    };
    let staging = tempfile::Builder::new()
        .prefix("wirehouse-staging-")
        .tempdir()
        .context("cannot create a staging folder (set TMPDIR to a disk with room)")?;
    (|| {
        let previous = match &current {
            Some(Current {
                version,
                manifest: Some(key),
                ..
            }) if !config.full => dataset
                .manifest(key)
                .ok()
                .and_then(|bytes| Manifest::parse(&bytes))
                .filter(|m| m.fingerprint == start.fingerprint)
                .map(|manifest| Previous {
                    name: format!("articles version {version}"),
                    manifest,
                }),
            _ => None,
        };
        let run_number = current.as_ref().and_then(|c| c.run).unwrap_or(0) + 1;
        let expected = current.as_ref().map(|c| c.version);
        let warehouse = Warehouse::open(staging.path())
            .with_context(|| format!("cannot stage in {}", staging.path().display()))?;
        let dataset = &dataset;
        let commit = move |mut generation: Generation,
                           reused: Vec<(String, i32)>,
                           summary: &mut RunSummary,
                           pool: &rayon::ThreadPool|
              -> anyhow::Result<()> {
            pool.install(|| generation.close(summary))
                .context("cannot write the staged files")?;
            check_interrupt()?;
            summary.generation = format!("run-{run_number:08}");
            let kept: HashSet<(String, String)> = reused
                .into_iter()
                .map(|(source, year)| (source, year.to_string()))
                .collect();
            let keep_articles = |values: &std::collections::HashMap<String, Option<String>>| match (
                values.get("source"),
                values.get("year"),
            ) {
                (Some(Some(source)), Some(Some(year))) => {
                    kept.contains(&(source.clone(), year.clone()))
                }
                _ => false,
            };
            let articles_schema = wirehouse_load::schema::article_schema();
            let rejects_schema = wirehouse_load::schema::reject_schema();
            let json = serde_json::to_value(&*summary).unwrap_or_default();
            let published = dataset
                .publish(
                    generation.dir(),
                    run_number,
                    expected,
                    [
                        Staged {
                            name: "rejects",
                            schema: &rejects_schema,
                            partition_by: &[],
                            keep: &|_| false,
                        },
                        Staged {
                            name: "articles",
                            schema: &articles_schema,
                            partition_by: &["source", "year"],
                            keep: &keep_articles,
                        },
                    ],
                    &json,
                )
                .with_context(|| format!("cannot publish to {}", config.output.display()))?;
            summary.delta = Some(DeltaVersions {
                run: published.run,
                articles_version: published.articles_version,
                rejects_version: published.rejects_version,
            });
            Ok(())
        };
        run_in(
            config,
            progress,
            &warehouse,
            previous,
            Box::new(commit),
            start,
        )
    })()
    .map_err(|err| err.context(not_published))
}
