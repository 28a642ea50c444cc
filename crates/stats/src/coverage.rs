//! `wirehouse coverage`: the records of a dataset that lack a field,
//! grouped by layout fingerprint — where a profile author starts when a
//! source's coverage drops.
//!
//! Every record counts (every version: each is a page some template made).
//! Groups are per source and field, biggest first; each names its years
//! (UTC year of the article time, as in the stats tables) and one example
//! input path (the smallest, so the answer is the same on every run).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::tables::{polars_error, scan_articles};
use crate::StatsError;

/// The fields `coverage` can ask about, as `run-summary.json` names them:
/// the first five are missing when null or empty, the last three are
/// properties a record should not have.
pub const FIELDS: [&str; 8] = [
    "published",
    "byline",
    "lead",
    "copyright",
    "images",
    "empty_body",
    "unplaced",
    "negative_lag",
];

/// What to look for.
#[derive(Debug, Clone, Default)]
pub struct CoverageQuery {
    /// The output folder of `wirehouse run`.
    pub dataset: PathBuf,
    /// Only these sources (all when empty).
    pub sources: Vec<String>,
    /// Only these fields of [`FIELDS`] (all when empty).
    pub fields: Vec<String>,
    /// A Delta dataset's `articles` files at the version read (see
    /// [`crate::StatsQuery::files`]).
    pub files: Option<Vec<PathBuf>>,
}

/// The records of one source that lack one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// The source.
    pub source: String,
    /// The field.
    pub field: String,
    /// Records of the source.
    pub records: u64,
    /// Of them, those that lack the field (or have the property).
    pub missing: u64,
    /// Their layouts, biggest group first (ties by fingerprint).
    pub groups: Vec<LayoutGroup>,
}

/// Records of one layout fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayoutGroup {
    /// The fingerprint (empty: bare markup).
    pub layout: String,
    /// Records.
    pub records: u64,
    /// Their years, ascending.
    pub years: Vec<i32>,
    /// The smallest of their input paths.
    pub example: String,
}

/// The predicate "lacks `field`" on the `articles` columns.
fn lacks(field: &str) -> Option<Expr> {
    Some(match field {
        "published" => col("published_utc").is_null(),
        "byline" => col("byline").is_null(),
        "lead" => col("lead").is_null(),
        "copyright" => col("copyright").is_null(),
        "images" => col("image_urls").list().len().eq(lit(0)),
        "empty_body" => col("paragraph_count").eq(lit(0)),
        "unplaced" => col("rules_placed")
            .eq(lit(0))
            .and(col("paragraph_count").gt(lit(0))),
        "negative_lag" => col("feed_lag_s").lt(lit(0)).fill_null(lit(false)),
        _ => return None,
    })
}

/// Per source and field, the records that lack it, grouped by layout;
/// sources and fields with nothing missing are left out. Sources in
/// name order, fields in [`FIELDS`] order.
pub fn missing(query: &CoverageQuery) -> Result<Vec<Missing>, StatsError> {
    let articles_dir = query.dataset.join("articles");
    if !articles_dir.is_dir() {
        return Err(StatsError::NoDataset(query.dataset.clone()));
    }
    for field in &query.fields {
        if lacks(field).is_none() {
            return Err(StatsError::Usage(format!(
                "no field {field:?}: choose from {}",
                FIELDS.join(", ")
            )));
        }
    }
    let Some(mut scan) = scan_articles(&articles_dir, query.files.as_deref())? else {
        return Ok(Vec::new());
    };
    let stored = scan
        .collect_schema()
        .map_err(polars_error("reading the articles schema"))?;
    if !stored.contains("layout") || !stored.contains("rules_placed") {
        return Err(StatsError::Usage(format!(
            "{} was written before wirehouse recorded layouts (no `layout` column): run `wirehouse run --full` over it once",
            query.dataset.display()
        )));
    }
    if !query.sources.is_empty() {
        let wanted = Series::new("sources".into(), &query.sources);
        scan = scan.filter(col("source").is_in(lit(wanted).implode(true), false));
    }
    let year = coalesce(&[col("published_utc"), col("feed_time_utc")])
        .dt()
        .year()
        .alias("year");
    let fields: Vec<&str> = if query.fields.is_empty() {
        FIELDS.to_vec()
    } else {
        FIELDS
            .into_iter()
            .filter(|f| query.fields.iter().any(|q| q == f))
            .collect()
    };
    // One narrow frame: the grouping keys and one flag per field asked.
    let mut columns = vec![col("source"), col("layout"), col("source_path"), year];
    columns.extend(fields.iter().filter_map(|f| lacks(f).map(|e| e.alias(*f))));
    let frame = scan
        .select(columns)
        .collect()
        .map_err(polars_error("reading articles"))?;

    let totals = frame
        .clone()
        .lazy()
        .group_by([col("source")])
        .agg([len().cast(DataType::UInt64).alias("n")])
        .collect()
        .map_err(polars_error("counting records"))?;
    let mut records: BTreeMap<String, u64> = BTreeMap::new();
    for (source, n) in strings(&totals, "source")?
        .into_iter()
        .zip(u64s(&totals, "n")?)
    {
        records.insert(source, n);
    }

    let mut out = Vec::new();
    for field in fields {
        let groups = frame
            .clone()
            .lazy()
            .filter(col(field))
            .group_by([col("source"), col("layout")])
            .agg([
                len().cast(DataType::UInt64).alias("records"),
                col("year")
                    .unique()
                    .sort(SortOptions::default())
                    .alias("years"),
                col("source_path").min().alias("example"),
            ])
            .sort_by_exprs(
                [col("source"), col("records"), col("layout")],
                SortMultipleOptions::default().with_order_descending_multi([false, true, false]),
            )
            .collect()
            .map_err(polars_error(&format!("grouping records without {field}")))?;
        let sources = strings(&groups, "source")?;
        let layouts = strings(&groups, "layout")?;
        let counts = u64s(&groups, "records")?;
        let examples = strings(&groups, "example")?;
        let years = groups
            .column("years")
            .and_then(|c| c.list())
            .map_err(polars_error("years"))?
            .clone();
        let mut by_source: BTreeMap<String, Vec<LayoutGroup>> = BTreeMap::new();
        for (i, source) in sources.into_iter().enumerate() {
            let group_years: Vec<i32> = years
                .get_as_series(i)
                .and_then(|s| s.i32().ok().map(|y| y.iter().flatten().collect()))
                .unwrap_or_default();
            by_source.entry(source).or_default().push(LayoutGroup {
                layout: layouts[i].clone(),
                records: counts[i],
                years: group_years,
                example: examples[i].clone(),
            });
        }
        for (source, groups) in by_source {
            out.push(Missing {
                records: records.get(&source).copied().unwrap_or(0),
                missing: groups.iter().map(|g| g.records).sum(),
                field: field.to_string(),
                source,
                groups,
            });
        }
    }
    out.sort_by(|a, b| {
        let rank = |f: &str| FIELDS.iter().position(|x| *x == f);
        a.source
            .cmp(&b.source)
            .then_with(|| rank(&a.field).cmp(&rank(&b.field)))
    });
    Ok(out)
}

fn strings(df: &DataFrame, name: &str) -> Result<Vec<String>, StatsError> {
    let column = df
        .column(name)
        .and_then(|c| c.cast(&DataType::String))
        .map_err(polars_error(name))?;
    let values = column.str().map_err(polars_error(name))?;
    Ok(values
        .iter()
        .map(|v| v.unwrap_or_default().to_string())
        .collect())
}

fn u64s(df: &DataFrame, name: &str) -> Result<Vec<u64>, StatsError> {
    let column = df.column(name).map_err(polars_error(name))?;
    let values = column.u64().map_err(polars_error(name))?;
    Ok(values.iter().map(Option::unwrap_or_default).collect())
}

/// `2020–2022, 2024`: years as ranges.
pub fn year_ranges(years: &[i32]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < years.len() {
        let start = years[i];
        let mut end = start;
        while i + 1 < years.len() && years[i + 1] == end + 1 {
            i += 1;
            end = years[i];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}–{end}")
        });
        i += 1;
    }
    parts.join(", ")
}

/// The listing people read: per source and field, the count, then each
/// layout group (at most `limit`) with its records, years, example and
/// fingerprint.
pub fn render(found: &[Missing], limit: usize, dataset: &Path) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    if found.is_empty() {
        let _ = writeln!(
            out,
            "{}: no record lacks the fields asked for",
            dataset.display()
        );
        return out;
    }
    for m in found {
        let _ = writeln!(
            out,
            "{} {}: {} of {} records, {} layout(s)",
            m.source,
            m.field,
            m.missing,
            m.records,
            m.groups.len()
        );
        for g in m.groups.iter().take(limit) {
            let layout = if g.layout.is_empty() {
                "(bare markup: no classes or template attributes)".to_string()
            } else {
                g.layout.clone()
            };
            let _ = writeln!(
                out,
                "  {:>7}  {:<11}  e.g. {}\n           layout {layout}",
                g.records,
                year_ranges(&g.years),
                g.example
            );
        }
        if m.groups.len() > limit {
            let rest: u64 = m.groups[limit..].iter().map(|g| g.records).sum();
            let _ = writeln!(
                out,
                "  … {} more layout(s), {rest} record(s)",
                m.groups.len() - limit
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_read_as_ranges() {
        assert_eq!(year_ranges(&[2020, 2021, 2022, 2024]), "2020–2022, 2024");
        assert_eq!(year_ranges(&[2023]), "2023");
        assert_eq!(year_ranges(&[]), "");
    }

    #[test]
    fn every_field_has_a_predicate_and_nothing_else_does() {
        assert!(FIELDS.iter().all(|f| lacks(f).is_some()));
        assert!(lacks("title").is_none());
    }
}
