//! The Markdown summary and the HTML report that shows charts and tables
//! together.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use polars::prelude::{AnyValue, DataFrame};

use crate::{StatsError, StatsQuery, Tables};

/// Rows of a table shown in the Markdown summary before it points at the CSV.
const MARKDOWN_ROWS: usize = 40;

/// What each table answers, for readers of the summary and the report.
fn describe(name: &str) -> &'static str {
    match name {
        "coverage" => {
            "Per source and year: how many articles have each field (a year without times is not charted by hour)."
        }
        "daily_volume" => {
            "Articles per source per UTC day of the article time (published, else feed time)."
        }
        "weekly_volume" => "Articles per source per ISO week (UTC).",
        "hour_weekday_utc" => "Articles by weekday (1 = Monday) and hour of publication, UTC.",
        "hour_weekday_local" => {
            "Articles by weekday and hour of publication in the newsroom's zone."
        }
        "feed_lag" => {
            "Feed lag (feed time − published time) in seconds: quantiles, maximum, share over 24 h."
        }
        "body_length" => "Body length in characters and paragraphs, and images, per article.",
        "top_columns" => "The ten most frequent programmes/columns per source.",
        "precision_note" => "Share of articles by published-time precision and note.",
        "rejects_by_kind" => "Files that did not become records, by kind.",
        _ => "",
    }
}

fn cell(value: AnyValue) -> String {
    match value {
        AnyValue::Null => String::new(),
        AnyValue::String(s) => s.to_string(),
        AnyValue::StringOwned(s) => s.to_string(),
        AnyValue::Float64(f) => format!("{f:.3}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string(),
        AnyValue::Float32(f) => format!("{f:.3}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string(),
        other => other.to_string(),
    }
}

fn rows(df: &DataFrame, limit: usize) -> Vec<Vec<String>> {
    (0..df.height().min(limit))
        .map(|i| {
            df.columns()
                .iter()
                .map(|c| c.get(i).map(cell).unwrap_or_default())
                .collect()
        })
        .collect()
}

fn headers(df: &DataFrame) -> Vec<String> {
    df.columns().iter().map(|c| c.name().to_string()).collect()
}

fn filters(query: &StatsQuery) -> String {
    let mut parts = Vec::new();
    if !query.sources.is_empty() {
        parts.push(format!("sources {}", query.sources.join(", ")));
    }
    if let Some(since) = query.since {
        parts.push(format!("since {since}"));
    }
    if let Some(until) = query.until {
        parts.push(format!("until {until}"));
    }
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join("; ")
    }
}

fn headline_lines(tables: &Tables, query: &StatsQuery) -> Vec<String> {
    let h = &tables.headline;
    let span = match (h.first_day, h.last_day) {
        (Some(a), Some(b)) => format!("{a} to {b}"),
        _ => "no articles".into(),
    };
    let mut lines = vec![
        format!("Dataset: {}", query.dataset.display()),
        format!("Filters: {}", filters(query)),
        format!(
            "Articles: {} (latest versions of {} records); rejects: {}",
            h.articles, h.versions, h.rejects
        ),
        format!("Article days (UTC): {span}"),
    ];
    for (source, n) in &h.articles_by_source {
        let lag = h
            .median_lag_s_by_source
            .get(source)
            .map_or("no published time".to_string(), |s| {
                format!("median feed lag {}", human_seconds(*s))
            });
        lines.push(format!("{source}: {n} articles, {lag}"));
    }
    lines
}

/// `5400.0` → `1 h 30 min`.
pub fn human_seconds(seconds: f64) -> String {
    let s = seconds.round() as i64;
    let (d, h, m) = (s / 86_400, (s % 86_400) / 3600, (s % 3600) / 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

/// The Markdown summary: headline numbers, then every table (long ones cut,
/// with a pointer to their CSV).
pub fn markdown(tables: &Tables, query: &StatsQuery) -> String {
    let mut md = String::from("# wirehouse stats\n\n");
    for line in headline_lines(tables, query) {
        let _ = writeln!(md, "- {line}");
    }
    for (name, df) in tables.named() {
        let _ = writeln!(md, "\n## {name}\n\n{}\n", describe(name));
        let head = headers(df);
        let _ = writeln!(md, "| {} |", head.join(" | "));
        let _ = writeln!(md, "|{}", "---|".repeat(head.len()));
        for row in rows(df, MARKDOWN_ROWS) {
            let escaped: Vec<String> = row.iter().map(|c| c.replace('|', "\\\\|")).collect();
            let _ = writeln!(md, "| {} |", escaped.join(" | "));
        }
        if df.height() > MARKDOWN_ROWS {
            let _ = writeln!(
                md,
                "\n… {} more rows in `tables/{name}.csv`.",
                df.height() - MARKDOWN_ROWS
            );
        }
    }
    md
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Writes `OUT/report.html`: headline, every chart, every table (all rows),
/// with links to the CSV and Parquet files.
pub fn write_html(
    tables: &Tables,
    query: &StatsQuery,
    charts: &[PathBuf],
    out: &Path,
) -> Result<PathBuf, StatsError> {
    let mut html = String::from(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>wirehouse stats</title>\n<style>\n\
         body{font-family:system-ui,'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif;margin:2em auto;padding:0 1.5em;max-width:1500px;color:#222}\n\
         table{border-collapse:collapse;margin:0.5em 0 2em;font-size:14px}\n\
         th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}\n\
         th{background:#f2f2f2}td:first-child,th:first-child{text-align:left}\n\
         img{max-width:100%;border:1px solid #ddd;margin:0.5em 0 1.5em}\n\
         details{margin-bottom:1em}\n</style></head><body>\n<h1>wirehouse stats</h1>\n<ul>\n",
    );
    for line in headline_lines(tables, query) {
        let _ = writeln!(html, "<li>{}</li>", escape(&line));
    }
    html.push_str("</ul>\n<h2>Charts</h2>\n");
    for chart in charts {
        let rel = chart
            .strip_prefix(out)
            .unwrap_or(chart)
            .display()
            .to_string();
        let _ = writeln!(
            html,
            "<figure><a href=\"{0}\"><img src=\"{0}\" alt=\"{0}\"></a></figure>",
            escape(&rel)
        );
    }
    html.push_str("<h2>Tables</h2>\n");
    for (name, df) in tables.named() {
        let _ = writeln!(
            html,
            "<h3 id=\"{name}\">{name}</h3>\n<p>{} <a href=\"tables/{name}.csv\">CSV</a> · <a href=\"tables/{name}.parquet\">Parquet</a> · {} rows</p>",
            escape(describe(name)),
            df.height()
        );
        let open = if df.height() > 60 {
            "<details><summary>show rows</summary>"
        } else {
            ""
        };
        let close = if open.is_empty() { "" } else { "</details>" };
        let _ = write!(html, "{open}<table><tr>");
        for h in headers(df) {
            let _ = write!(html, "<th>{}</th>", escape(&h));
        }
        html.push_str("</tr>\n");
        for row in rows(df, usize::MAX) {
            html.push_str("<tr>");
            for c in row {
                let _ = write!(html, "<td>{}</td>", escape(&c));
            }
            html.push_str("</tr>\n");
        }
        let _ = writeln!(html, "</table>{close}");
    }
    html.push_str("</body></html>\n");
    let path = out.join("report.html");
    std::fs::write(&path, html).map_err(|source| StatsError::Io {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(human_seconds(42.0), "42 s");
        assert_eq!(human_seconds(1751.0), "29 min");
        assert_eq!(human_seconds(5400.0), "1 h 30 min");
        assert_eq!(human_seconds(90_000.0), "1 d 1 h");
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">&</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
        );
    }
}
