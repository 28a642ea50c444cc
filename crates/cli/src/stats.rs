//! `wirehouse stats`: wires the stats crate to the command line.

use std::collections::BTreeMap;

use anyhow::{bail, Context};
use wirehouse_stats::{charts, report, StatsQuery};

use crate::cli::{CoverageArgs, StatsArgs};

/// Lists the records of `args.dataset` that lack each field asked for,
/// grouped by layout.
pub fn coverage(args: &CoverageArgs) -> anyhow::Result<()> {
    use wirehouse_stats::coverage;
    let found = coverage::missing(&coverage::CoverageQuery {
        dataset: args.dataset.clone(),
        sources: args.sources.clone(),
        fields: args.fields.clone(),
        files: delta_files(&args.dataset)?.map(|f| f.articles),
    })?;
    print!("{}", coverage::render(&found, args.limit, &args.dataset));
    Ok(())
}

/// A Delta dataset's files at its current version; `None` for the folder
/// layout (no `articles/_delta_log`).
fn delta_files(dataset: &std::path::Path) -> anyhow::Result<Option<wirehouse_stats::DatasetFiles>> {
    if !dataset.join("articles").join("_delta_log").is_dir() {
        return Ok(None);
    }
    let delta = wirehouse_pipeline::dataset(dataset, &Default::default())?;
    let list = |name: &str| -> anyhow::Result<Vec<std::path::PathBuf>> {
        Ok(delta
            .files(name)?
            .unwrap_or_default()
            .into_iter()
            .map(std::path::PathBuf::from)
            .collect())
    };
    Ok(Some(wirehouse_stats::DatasetFiles {
        articles: list("articles")?,
        rejects: list("rejects")?,
    }))
}

/// Computes, writes and prints the statistics of `args.dataset`.
pub fn stats(args: &StatsArgs) -> anyhow::Result<()> {
    let mut zones = BTreeMap::new();
    for spec in &args.zones {
        let Some((source, zone)) = spec.split_once('=') else {
            bail!("--zone {spec:?}: expected SOURCE=ZONE, e.g. dw=Europe/Berlin");
        };
        let zone: chrono_tz::Tz = zone.parse().map_err(|_| {
            anyhow::anyhow!("--zone {spec:?}: {zone:?} is not an IANA time zone name")
        })?;
        zones.insert(source.to_string(), zone);
    }
    if let (Some(since), Some(until)) = (args.since, args.until) {
        if since > until {
            bail!("--since {since} is after --until {until}");
        }
    }
    let query = StatsQuery {
        dataset: args.dataset.clone(),
        sources: args.sources.clone(),
        since: args.since,
        until: args.until,
        zones,
        files: delta_files(&args.dataset)?,
    };
    let tables = wirehouse_stats::compute(&query)?;
    let out = &args.out;
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create output folder {}", out.display()))?;
    let written = wirehouse_stats::write_tables(&tables, out)?;
    let summary = wirehouse_stats::markdown(&tables, &query);
    let summary_path = out.join("summary.md");
    std::fs::write(&summary_path, &summary)
        .with_context(|| format!("cannot write {}", summary_path.display()))?;
    let charts = if args.no_charts {
        Vec::new()
    } else {
        charts::draw(&tables, out)?
    };
    let html = report::write_html(&tables, &query, &charts, out)?;
    print!("{summary}");
    eprintln!(
        "wirehouse stats: {} table files, {} charts, summary {}, report {}",
        written.len(),
        charts.len(),
        summary_path.display(),
        html.display()
    );
    Ok(())
}
