//! What `wirehouse run` prints at its end: the summary for people, and the
//! expectations it fell short of.

use std::io::Write;

use wirehouse_load::RunSummary;
use wirehouse_pipeline::RunConfig;

/// Prints the expectations a run fell short of, on stderr: per source and
/// field, what was found against what the profile expects and why, and
/// the layouts of the records that missed.
pub fn print_shortfalls(config: &RunConfig, s: &RunSummary) -> std::io::Result<()> {
    if s.shortfalls.is_empty() {
        return Ok(());
    }
    let err = &mut std::io::stderr().lock();
    writeln!(
        err,
        "wirehouse: {} of {} expectations not met — the dataset is committed ({}); a site may have a layout its profile does not read:",
        s.shortfalls.len(),
        s.expectations_checked,
        s.generation
    )?;
    for f in &s.shortfalls {
        writeln!(
            err,
            "  {} {}: {} of {} records ({:.0}%), profile {} expects {} — {}",
            f.source,
            f.field,
            f.found,
            f.records,
            100.0 * f.share,
            f.profile,
            f.expected,
            f.why
        )?;
        for layout in &f.layouts {
            let shown = if layout.layout.is_empty() {
                "(bare markup)".to_string()
            } else {
                format!("{:?}", layout.layout)
            };
            writeln!(
                err,
                "    {:>6} records  layout {shown}  e.g. {}",
                layout.records, layout.example
            )?;
        }
        writeln!(
            err,
            "    list them: wirehouse coverage {} --source {} --field {}",
            config.output.display(),
            f.source,
            f.field
        )?;
    }
    Ok(())
}

/// Prints the end-of-run summary for people.
pub fn print_summary(config: &RunConfig, s: &RunSummary) -> std::io::Result<()> {
    let by = |map: &std::collections::BTreeMap<String, u64>| {
        if map.is_empty() {
            return String::new();
        }
        let parts: Vec<String> = map.iter().map(|(k, v)| format!("{k} {v}")).collect();
        format!("  ({})", parts.join(", "))
    };
    let out = &mut std::io::stdout().lock();
    let name = config
        .name
        .as_deref()
        .map(|n| format!(" {n}"))
        .unwrap_or_default();
    writeln!(
        out,
        "wirehouse run{name}: {} files found in {:.2} s ({:.0} files/s, {} read)",
        s.files_found,
        s.elapsed_s,
        s.files_per_s,
        human_bytes(s.bytes_read)
    )?;
    writeln!(
        out,
        "  records     {:>8}{}",
        s.records,
        by(&s.records_by_source)
    )?;
    writeln!(out, "  duplicates  {:>8}", s.duplicates)?;
    writeln!(
        out,
        "  rejects     {:>8}{}",
        s.rejects,
        by(&s.rejects_by_kind)
    )?;
    if s.unchanged > 0 {
        writeln!(out, "  unchanged   {:>8}", s.unchanged)?;
    }
    if !s.coverage.is_empty() {
        // Per source, the share of this run's records with each field.
        writeln!(
            out,
            "  coverage    {:<9} {:>7} {:>9} {:>7} {:>6} {:>9} {:>7} {:>10} {:>8} {:>9}",
            "source",
            "records",
            "published",
            "byline",
            "lead",
            "copyright",
            "images",
            "empty body",
            "lag < 0",
            "no rule",
        )?;
        for (source, c) in &s.coverage {
            let share = |n: u64| format!("{:.0}%", 100.0 * n as f64 / c.records.max(1) as f64);
            writeln!(
                out,
                "              {:<9} {:>7} {:>9} {:>7} {:>6} {:>9} {:>7} {:>10} {:>8} {:>9}",
                source,
                c.records,
                share(c.published),
                share(c.byline),
                share(c.lead),
                share(c.copyright),
                share(c.images),
                c.empty_body,
                c.negative_lag,
                c.unplaced,
            )?;
        }
    }
    let dir = config.output.display().to_string();
    let dir = dir.trim_end_matches('/');
    match &s.delta {
        Some(delta) => {
            writeln!(out, "  output      {dir} (Delta tables, {})", s.generation)?;
            writeln!(
                out,
                "    articles  {dir}/articles   (Delta version {}, partitioned by source and year)",
                delta.articles_version
            )?;
            writeln!(
                out,
                "    rejects   {dir}/rejects    (Delta version {})",
                delta.rejects_version
            )?;
        }
        None if config.format == wirehouse_pipeline::Format::Delta => {
            // A rerun with nothing new commits nothing.
            writeln!(
                out,
                "  output      {dir} (Delta tables, unchanged: {})",
                s.generation
            )?;
        }
        None => {
            writeln!(out, "  output      {dir} ({})", s.generation)?;
            writeln!(
                out,
                "    articles  {dir}/articles   (Parquet, partitioned by source and year)"
            )?;
            writeln!(out, "    rejects   {dir}/rejects")?;
        }
    }
    writeln!(out, "    summary   {dir}/run-summary.json")?;
    Ok(())
}

fn human_bytes(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GB", b as f64 / f64::from(1u32 << 30)),
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / f64::from(1u32 << 20)),
        b if b >= 1 << 10 => format!("{:.1} KB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}
