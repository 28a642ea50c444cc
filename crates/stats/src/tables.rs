//! The statistics tables, computed with polars' lazy Parquet scan.
//!
//! One lazy, Hive-partitioned scan of `DATASET/articles` reads the dozen
//! narrow columns the tables need (never `body_text`; `image_urls` is reduced
//! to its length inside the scan), with the `sources` filter pushed into it as
//! a partition predicate. That narrow frame of every version is collected
//! once; the latest version of each article is chosen from it, the day
//! filters (`since`, `until`) are applied to that latest version's article
//! time, and every table is a lazy query over the result.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;
use polars::prelude::*;

use crate::{home_zone, Headline, StatsError, StatsQuery, Tables, HOME_ZONES};

/// Precisions whose clock time is meaningful for the hour × weekday matrices.
const CLOCK_PRECISIONS: [&str; 3] = ["second", "minute", "approximate"];

/// Feed lags above this many seconds count in `share_over_24h`.
const DAY_S: i64 = 86_400;

/// How many columns `top_columns` keeps per source.
const TOP_COLUMNS: i64 = 10;

/// Days from 0001-01-01 (CE day 1) to 1970-01-01.
const UNIX_EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// Computes every table of [`Tables`] for `query`.
pub fn compute(query: &StatsQuery) -> Result<Tables, StatsError> {
    let articles_dir = query.dataset.join("articles");
    if !articles_dir.is_dir() {
        return Err(StatsError::NoDataset(query.dataset.clone()));
    }

    // Every version (after the source filter), narrow columns only.
    let records = collect(
        read_records(
            &articles_dir,
            query.files.as_ref().map(|f| f.articles.as_slice()),
            &query.sources,
        )?,
        "reading articles",
    )?;

    let in_days = day_filter(query);
    let versions = collect(
        records
            .clone()
            .lazy()
            .filter(in_days.clone())
            .select([len().cast(DataType::Int64).alias("n")]),
        "counting versions",
    )?;
    let versions = scalar_i64(&versions, "n").unwrap_or(0);

    let latest = collect(
        latest_versions(records.lazy()).filter(in_days),
        "choosing latest versions",
    )?;

    let coverage = collect(coverage(latest.clone().lazy()), "coverage")?;
    let daily_volume = collect(daily_volume(latest.clone().lazy()), "daily_volume")?;
    let weekly_volume = collect(weekly_volume(latest.clone().lazy()), "weekly_volume")?;
    let hour_weekday_utc = collect(hour_weekday_utc(latest.clone().lazy()), "hour_weekday_utc")?;
    let hour_weekday_local = collect(
        hour_weekday_local(latest.clone().lazy(), &query.zones)?,
        "hour_weekday_local",
    )?;
    let feed_lag = collect(feed_lag(latest.clone().lazy()), "feed_lag")?;
    let body_length = collect(body_length(latest.clone().lazy()), "body_length")?;
    let top_columns = collect(top_columns(latest.clone().lazy())?, "top_columns")?;
    let precision_note = collect(precision_note(latest.clone().lazy())?, "precision_note")?;
    let rejects_by_kind = collect(
        rejects_by_kind(
            &query.dataset.join("rejects"),
            query.files.as_ref().map(|f| f.rejects.as_slice()),
        )?,
        "rejects_by_kind",
    )?;

    let headline = headline(&latest, versions, &body_length, &feed_lag, &rejects_by_kind)?;

    Ok(Tables {
        coverage,
        daily_volume,
        weekly_volume,
        hour_weekday_utc,
        hour_weekday_local,
        feed_lag,
        body_length,
        top_columns,
        precision_note,
        rejects_by_kind,
        headline,
    })
}

/// Writes every table as `OUT/tables/NAME.parquet` and `OUT/tables/NAME.csv`;
/// returns the files written.
pub fn write_tables(tables: &Tables, out: &Path) -> Result<Vec<PathBuf>, StatsError> {
    let dir = out.join("tables");
    std::fs::create_dir_all(&dir).map_err(|source| StatsError::Io {
        path: dir.clone(),
        source,
    })?;
    let mut written = Vec::with_capacity(2 * tables.named().len());
    for (name, df) in tables.named() {
        let path = crate::table_path(out, name, "parquet");
        write_atomically(&path, |file| {
            ParquetWriter::new(file).finish(&mut df.clone()).map(drop)
        })?;
        written.push(path);
        let path = crate::table_path(out, name, "csv");
        write_atomically(&path, |file| {
            CsvWriter::new(file)
                .include_header(true)
                .finish(&mut df.clone())
        })?;
        written.push(path);
    }
    Ok(written)
}

/// Writes `path` through a temporary sibling renamed into place, so a reader
/// never sees half a table.
fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut File) -> PolarsResult<()>,
) -> Result<(), StatsError> {
    let io = |source| StatsError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    let mut file = File::create(&tmp).map_err(io)?;
    if let Err(e) = write(&mut file) {
        drop(file);
        let _ = std::fs::remove_file(&tmp);
        return Err(polars_error(&format!("writing {}", path.display()))(e));
    }
    file.sync_all().map_err(io)?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(io)
}

// ---------------------------------------------------------------------------
// The scan

/// The columns read from `articles`, with the types every table relies on
/// (`image_count` is derived in the scan from `image_urls`, the `has_`
/// flags from their fields' nulls).
fn records_schema() -> Schema {
    let utc_ms = DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC));
    Schema::from_iter([
        Field::new("article_id".into(), DataType::String),
        Field::new("source".into(), DataType::String),
        Field::new("content_sha256".into(), DataType::String),
        Field::new("feed_time_utc".into(), utc_ms.clone()),
        Field::new("published_utc".into(), utc_ms),
        Field::new("published_precision".into(), DataType::String),
        Field::new("published_note".into(), DataType::String),
        Field::new("feed_lag_s".into(), DataType::Int64),
        Field::new("column_name".into(), DataType::String),
        Field::new("char_count".into(), DataType::Int64),
        Field::new("paragraph_count".into(), DataType::Int64),
        Field::new("image_count".into(), DataType::Int64),
        Field::new("has_byline".into(), DataType::Boolean),
        Field::new("has_lead".into(), DataType::Boolean),
        Field::new("has_copyright".into(), DataType::Boolean),
        Field::new("rules_placed".into(), DataType::Int64),
    ])
}

/// The lazy scan of every record (all versions) of the selected sources,
/// projected to [`records_schema`] plus the UTC `day` of the article time.
/// The lazy, Hive-partitioned scan of every file of `articles_dir` (with
/// `source` and `year` from the folders), or `None` when it holds no
/// Parquet file (`wirehouse run` over no input writes an empty folder).
/// Scans `articles`: the folder, or (a Delta dataset) exactly `files`.
pub(crate) fn scan_articles(
    articles_dir: &Path,
    files: Option<&[PathBuf]>,
) -> Result<Option<LazyFrame>, StatsError> {
    let present = match files {
        Some(files) => !files.is_empty(),
        None => has_parquet_files(articles_dir),
    };
    if !present {
        return Ok(None);
    }
    let hive_schema = Schema::from_iter([
        Field::new("source".into(), DataType::String),
        Field::new("year".into(), DataType::Int64),
    ]);
    let args = ScanArgsParquet {
        hive_options: HiveOptions {
            enabled: Some(true),
            hive_start_idx: 0,
            schema: Some(Arc::new(hive_schema)),
            try_parse_dates: false,
        },
        ..Default::default()
    };
    let context = format!("scanning {}", articles_dir.display());
    let scanning = polars_error(&context);
    if let Some(files) = files {
        let paths = files
            .iter()
            .map(|f| PlRefPath::try_from_path(f))
            .collect::<PolarsResult<Vec<_>>>()
            .map_err(&scanning)?;
        return LazyFrame::scan_parquet_files(paths.into_iter().collect(), args)
            .map(Some)
            .map_err(scanning);
    }
    // A folder (not a glob): polars lists it recursively, following the
    // `articles` link, and parses `source=…/year=…` only below it.
    let path = PlRefPath::try_from_path(articles_dir).map_err(&scanning)?;
    LazyFrame::scan_parquet(path, args)
        .map(Some)
        .map_err(polars_error(&format!(
            "scanning {}",
            articles_dir.display()
        )))
}

fn read_records(
    articles_dir: &Path,
    files: Option<&[PathBuf]>,
    sources: &[String],
) -> Result<LazyFrame, StatsError> {
    let schema = records_schema();
    let base = if let Some(mut scan) = scan_articles(articles_dir, files)? {
        // Datasets written before `rules_placed` existed lack it (and
        // hand-made ones may lack the text fields): null there.
        let stored = scan.collect_schema().map_err(polars_error(&format!(
            "reading the schema of {}",
            articles_dir.display()
        )))?;
        let projection: Vec<Expr> = schema
            .iter()
            .map(|(name, dtype)| {
                let stored_col = |name: &str| {
                    if stored.contains(name) {
                        col(name)
                    } else {
                        lit(NULL)
                    }
                };
                let column = match name.as_str() {
                    "image_count" => col("image_urls").list().len(),
                    "has_byline" => stored_col("byline").is_not_null(),
                    "has_lead" => stored_col("lead").is_not_null(),
                    "has_copyright" => stored_col("copyright").is_not_null(),
                    "rules_placed" => stored_col("rules_placed"),
                    _ => col(name.clone()),
                };
                column.strict_cast(dtype.clone()).alias(name.clone())
            })
            .collect();
        scan.select(projection)
    } else {
        // `wirehouse run` over no input writes an empty `articles` folder.
        DataFrame::empty_with_schema(&schema).lazy()
    };
    let selected = if sources.is_empty() {
        base
    } else {
        let wanted = Series::new("sources".into(), sources);
        base.filter(col("source").is_in(lit(wanted).implode(true), false))
    };
    // The article time: the site's own, else the feed's (ft, cdt).
    let time = coalesce(&[col("published_utc"), col("feed_time_utc")]);
    Ok(selected.with_column(time.dt().date().alias("day")))
}

/// Whether `dir` holds a non-empty `.parquet` file anywhere below it
/// (following links, as the scan does).
fn has_parquet_files(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|entry| {
        let path = entry.path();
        match std::fs::metadata(&path) {
            Ok(md) if md.is_dir() => has_parquet_files(&path),
            Ok(md) => md.len() > 0 && path.extension().is_some_and(|e| e == "parquet"),
            Err(_) => false,
        }
    })
}

/// The `since`/`until` predicate on the UTC day of the article time.
fn day_filter(query: &StatsQuery) -> Expr {
    let mut keep = lit(true);
    if let Some(since) = query.since {
        keep = keep.and(col("day").gt_eq(date_lit(since)));
    }
    if let Some(until) = query.until {
        keep = keep.and(col("day").lt_eq(date_lit(until)));
    }
    keep
}

fn date_lit(day: NaiveDate) -> Expr {
    lit(day.num_days_from_ce() - UNIX_EPOCH_DAYS_FROM_CE).cast(DataType::Date)
}

/// One row per `article_id`: the version with the latest `feed_time_utc`,
/// ties broken by the larger `content_sha256`.
fn latest_versions(records: LazyFrame) -> LazyFrame {
    records
        .sort(
            ["article_id", "feed_time_utc", "content_sha256"],
            SortMultipleOptions::default()
                .with_order_descending_multi([false, true, true])
                .with_maintain_order(true),
        )
        .unique_stable_generic(Some(vec![col("article_id")]), UniqueKeepStrategy::First)
}

// ---------------------------------------------------------------------------
// The tables

fn articles_count() -> Expr {
    len().cast(DataType::Int64).alias("articles")
}

fn ascending() -> SortMultipleOptions {
    SortMultipleOptions::default().with_maintain_order(true)
}

/// How many of each source's articles of each year have each field (see
/// [`Tables::coverage`](crate::Tables)).
fn coverage(latest: LazyFrame) -> LazyFrame {
    let count = |flag: Expr, name: &str| {
        flag.fill_null(lit(false))
            .cast(DataType::Int64)
            .sum()
            .alias(name)
    };
    let mut columns = vec![
        articles_count(),
        count(col("published_utc").is_not_null(), "published"),
    ];
    for precision in ["second", "minute", "day", "approximate"] {
        columns.push(count(
            col("published_utc")
                .is_not_null()
                .and(col("published_precision").eq(lit(precision))),
            &format!("published_{precision}"),
        ));
    }
    for note in [
        "ambiguous",
        "nonexistent",
        "invalid",
        "unrecognized",
        "missing",
        "relative",
    ] {
        columns.push(count(
            col("published_note").eq(lit(note)),
            &format!("note_{note}"),
        ));
    }
    columns.extend([
        count(col("has_byline"), "byline"),
        count(col("has_lead"), "lead"),
        count(col("has_copyright"), "copyright"),
        count(col("image_count").gt(lit(0)), "images"),
        count(col("paragraph_count").eq(lit(0)), "empty_body"),
        count(
            col("rules_placed")
                .eq(lit(0))
                .and(col("paragraph_count").gt(lit(0))),
            "unplaced",
        ),
        count(col("feed_lag_s").lt(lit(0)), "negative_lag"),
    ]);
    latest
        .with_column(col("day").dt().year().cast(DataType::Int32).alias("year"))
        .group_by([col("source"), col("year")])
        .agg(columns)
        .sort(["source", "year"], ascending())
}

fn daily_volume(latest: LazyFrame) -> LazyFrame {
    latest
        .group_by([col("source"), col("day")])
        .agg([articles_count()])
        .sort(["source", "day"], ascending())
}

fn weekly_volume(latest: LazyFrame) -> LazyFrame {
    let weekday = col("day").dt().weekday().cast(DataType::Int32);
    let monday = (col("day").cast(DataType::Int32) - (weekday - lit(1))).cast(DataType::Date);
    latest
        .with_columns([
            col("day")
                .dt()
                .iso_year()
                .cast(DataType::Int32)
                .alias("iso_year"),
            col("day")
                .dt()
                .week()
                .cast(DataType::Int32)
                .alias("iso_week"),
            monday.alias("week_start"),
        ])
        .group_by([
            col("source"),
            col("iso_year"),
            col("iso_week"),
            col("week_start"),
        ])
        .agg([articles_count()])
        .sort(["source", "iso_year", "iso_week"], ascending())
}

/// Articles whose published clock time means something.
fn with_clock(latest: LazyFrame) -> LazyFrame {
    let precisions = Series::new("precisions".into(), CLOCK_PRECISIONS);
    latest.filter(
        col("published_utc")
            .is_not_null()
            .and(col("published_precision").is_in(lit(precisions).implode(true), false)),
    )
}

fn hour_weekday_utc(latest: LazyFrame) -> LazyFrame {
    with_clock(latest)
        .with_columns([
            col("published_utc")
                .dt()
                .weekday()
                .cast(DataType::Int32)
                .alias("weekday"),
            col("published_utc")
                .dt()
                .hour()
                .cast(DataType::Int32)
                .alias("hour"),
        ])
        .group_by([col("source"), col("weekday"), col("hour")])
        .agg([articles_count()])
        .sort(["source", "weekday", "hour"], ascending())
}

/// One branch per zone in use: the sources drawn in it are converted with
/// polars' `convert_time_zone` (a column holds a single zone), then the
/// branches are concatenated.
fn hour_weekday_local(
    latest: LazyFrame,
    overrides: &BTreeMap<String, Tz>,
) -> Result<LazyFrame, StatsError> {
    // Source → zone for every source named anywhere; others use home_zone's default.
    let mut named: BTreeMap<String, Tz> = HOME_ZONES
        .iter()
        .map(|(s, _)| ((*s).to_string(), home_zone(s)))
        .collect();
    named.extend(overrides.iter().map(|(s, z)| (s.clone(), *z)));
    let default_zone = home_zone("");
    let mut by_zone: BTreeMap<String, (Tz, Vec<String>)> = BTreeMap::new();
    for (source, zone) in &named {
        by_zone
            .entry(zone.name().to_string())
            .or_insert_with(|| (*zone, Vec::new()))
            .1
            .push(source.clone());
    }
    by_zone
        .entry(default_zone.name().to_string())
        .or_insert_with(|| (default_zone, Vec::new()));
    let all_named = Series::new("named".into(), named.keys().cloned().collect::<Vec<_>>());

    let clocked = with_clock(latest);
    let mut branches = Vec::with_capacity(by_zone.len());
    for (name, (zone, sources)) in by_zone {
        let mut members = col("source").is_in(
            lit(Series::new("members".into(), sources)).implode(true),
            false,
        );
        if zone == default_zone {
            members = members.or(col("source")
                .is_in(lit(all_named.clone()).implode(true), false)
                .not());
        }
        let time_zone = TimeZone::opt_try_new(Some(name.as_str()))
            .map_err(polars_error(&format!("zone {name}")))?
            .unwrap_or(TimeZone::UTC);
        let local = col("published_utc").dt().convert_time_zone(time_zone);
        branches.push(
            clocked
                .clone()
                .filter(members)
                .select([
                    col("source"),
                    lit(name.clone()).alias("zone"),
                    local
                        .clone()
                        .dt()
                        .weekday()
                        .cast(DataType::Int32)
                        .alias("weekday"),
                    local.dt().hour().cast(DataType::Int32).alias("hour"),
                ])
                .group_by([col("source"), col("zone"), col("weekday"), col("hour")])
                .agg([articles_count()]),
        );
    }
    concat(branches, UnionArgs::default())
        .map(|all| all.sort(["source", "weekday", "hour"], ascending()))
        .map_err(polars_error("hour_weekday_local"))
}

fn feed_lag(latest: LazyFrame) -> LazyFrame {
    let lag = || col("feed_lag_s");
    let quantile = |q: f64, name: &str| {
        lag()
            .cast(DataType::Float64)
            .quantile(lit(q), QuantileMethod::Linear)
            .alias(name)
    };
    latest
        .filter(
            lag()
                .is_not_null()
                .and(col("published_precision").neq_missing(lit("day"))),
        )
        .group_by([col("source")])
        .agg([
            len().cast(DataType::Int64).alias("count"),
            quantile(0.5, "p50_s"),
            quantile(0.9, "p90_s"),
            quantile(0.99, "p99_s"),
            lag().max().cast(DataType::Int64).alias("max_s"),
            lag()
                .gt(lit(DAY_S))
                .cast(DataType::Float64)
                .mean()
                .alias("share_over_24h"),
        ])
        .sort(["source"], ascending())
}

fn body_length(latest: LazyFrame) -> LazyFrame {
    let mut aggs = vec![articles_count()];
    for (prefix, column) in [
        ("chars", "char_count"),
        ("paragraphs", "paragraph_count"),
        ("images", "image_count"),
    ] {
        let values = col(column).cast(DataType::Float64);
        aggs.push(values.clone().mean().alias(format!("{prefix}_mean")));
        aggs.push(
            values
                .quantile(lit(0.5), QuantileMethod::Linear)
                .alias(format!("{prefix}_p50")),
        );
        aggs.push(
            col(column)
                .max()
                .cast(DataType::Int64)
                .alias(format!("{prefix}_max")),
        );
    }
    latest
        .group_by([col("source")])
        .agg(aggs)
        .sort(["source"], ascending())
}

fn top_columns(latest: LazyFrame) -> Result<LazyFrame, StatsError> {
    // Rows are in (source, most articles, name) order before ranking, so the
    // ordinal rank within each source breaks ties by name.
    let rank = col("articles")
        .cum_count(false)
        .cast(DataType::Int64)
        .over([col("source")])
        .map_err(polars_error("top_columns"))?;
    Ok(latest
        .filter(col("column_name").is_not_null())
        .group_by([col("source"), col("column_name")])
        .agg([articles_count()])
        .sort(
            ["source", "articles", "column_name"],
            SortMultipleOptions::default()
                .with_order_descending_multi([false, true, false])
                .with_maintain_order(true),
        )
        .with_column(rank.alias("rank"))
        .filter(col("rank").lt_eq(lit(TOP_COLUMNS)))
        .select([
            col("source"),
            col("rank"),
            col("column_name"),
            col("articles"),
        ]))
}

fn precision_note(latest: LazyFrame) -> Result<LazyFrame, StatsError> {
    let of_source = col("articles")
        .sum()
        .over([col("source")])
        .map_err(polars_error("precision_note"))?;
    Ok(latest
        .group_by([
            col("source"),
            col("published_precision"),
            col("published_note"),
        ])
        .agg([articles_count()])
        .with_column(
            (col("articles").cast(DataType::Float64) / of_source.cast(DataType::Float64))
                .alias("share"),
        )
        .sort(
            ["source", "published_precision", "published_note"],
            SortMultipleOptions::default()
                .with_nulls_last(true)
                .with_maintain_order(true),
        ))
}

/// Rejects per kind, over the whole dataset (rejects have no source or time).
fn rejects_by_kind(rejects_dir: &Path, files: Option<&[PathBuf]>) -> Result<LazyFrame, StatsError> {
    let context = format!("scanning {}", rejects_dir.display());
    let scanning = polars_error(&context);
    let present = match files {
        Some(files) => !files.is_empty(),
        None => has_parquet_files(rejects_dir),
    };
    let kinds = if present {
        let scan = match files {
            Some(files) => {
                let paths = files
                    .iter()
                    .map(|f| PlRefPath::try_from_path(f))
                    .collect::<PolarsResult<Vec<_>>>()
                    .map_err(&scanning)?;
                LazyFrame::scan_parquet_files(
                    paths.into_iter().collect(),
                    ScanArgsParquet::default(),
                )
            }
            None => LazyFrame::scan_parquet(
                PlRefPath::try_from_path(rejects_dir).map_err(&scanning)?,
                ScanArgsParquet::default(),
            ),
        };
        scan.map_err(scanning)?
            .select([col("error_kind").strict_cast(DataType::String)])
    } else {
        DataFrame::empty_with_schema(&Schema::from_iter([Field::new(
            "error_kind".into(),
            DataType::String,
        )]))
        .lazy()
    };
    Ok(kinds
        .group_by([col("error_kind")])
        .agg([len().cast(DataType::Int64).alias("rejects")])
        .sort(["error_kind"], ascending()))
}

fn headline(
    latest: &DataFrame,
    versions: i64,
    body_length: &DataFrame,
    feed_lag: &DataFrame,
    rejects_by_kind: &DataFrame,
) -> Result<Headline, StatsError> {
    let days = collect(
        latest.clone().lazy().select([
            col("day").min().cast(DataType::Int32).alias("first"),
            col("day").max().cast(DataType::Int32).alias("last"),
        ]),
        "headline days",
    )?;
    let day = |name: &str| {
        scalar_i64(&days, name)
            .and_then(|d| NaiveDate::from_num_days_from_ce_opt(d as i32 + UNIX_EPOCH_DAYS_FROM_CE))
    };
    let rejects = rejects_by_kind
        .column("rejects")
        .ok()
        .and_then(|c| c.i64().ok().map(|v| v.sum().unwrap_or(0)))
        .unwrap_or(0);
    Ok(Headline {
        articles: latest.height() as i64,
        versions,
        rejects,
        first_day: day("first"),
        last_day: day("last"),
        articles_by_source: keyed(body_length, "articles", |c| {
            c.cast(&DataType::Int64)
                .ok()
                .and_then(|c| c.i64().ok().map(|v| v.iter().collect()))
        }),
        median_lag_s_by_source: keyed(feed_lag, "p50_s", |c| {
            c.f64().ok().map(|v| v.iter().collect())
        }),
    })
}

/// `source` → the non-null values of `value` in a per-source table.
fn keyed<T>(
    df: &DataFrame,
    value: &str,
    values: impl Fn(&Column) -> Option<Vec<Option<T>>>,
) -> BTreeMap<String, T> {
    let (Ok(source), Ok(value)) = (df.column("source"), df.column(value)) else {
        return BTreeMap::new();
    };
    let (Ok(source), Some(value)) = (source.str(), values(value)) else {
        return BTreeMap::new();
    };
    source
        .iter()
        .zip(value)
        .filter_map(|(s, v)| Some((s?.to_string(), v?)))
        .collect()
}

/// The first value of an integer column, as i64.
fn scalar_i64(df: &DataFrame, name: &str) -> Option<i64> {
    let column = df.column(name).ok()?.cast(&DataType::Int64).ok()?;
    column.i64().ok()?.get(0)
}

fn collect(lf: LazyFrame, context: &str) -> Result<DataFrame, StatsError> {
    lf.collect().map_err(polars_error(context))
}

pub(crate) fn polars_error(context: &str) -> impl Fn(PolarsError) -> StatsError + '_ {
    move |source| StatsError::Polars {
        context: context.to_string(),
        source,
    }
}

#[cfg(test)]
mod tests {
    //! Rules on a synthetic dataset written here with polars, in the layout
    //! and types of `wirehouse run` (Hive folders, `body_text`, UTC ms).
    use super::*;

    /// One record: id, source, sha, feed time, published time, precision,
    /// note, lag, column, chars, images.
    type Rec = (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
        Option<&'static str>,
        Option<i64>,
        Option<&'static str>,
        i32,
        usize,
    );

    fn millis(t: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(t)
            .unwrap()
            .timestamp_millis()
    }

    /// Writes `records` as DIR/articles/source=S/year=Y/part-00000.parquet
    /// (year = UTC year of the feed time), with every spec column the tables
    /// don't need padded with values.
    fn dataset(records: &[Rec]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let mut parts: BTreeMap<(String, i32), Vec<&Rec>> = BTreeMap::new();
        for r in records {
            let year = r.3[..4].parse().unwrap();
            parts.entry((r.1.to_string(), year)).or_default().push(r);
        }
        let utc_ms = DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC));
        for ((source, year), recs) in parts {
            let strs =
                |f: fn(&Rec) -> Option<&'static str>| recs.iter().map(|r| f(r)).collect::<Vec<_>>();
            let times = |name: &str, f: fn(&Rec) -> Option<&'static str>| {
                Series::new(
                    name.into(),
                    recs.iter().map(|r| f(r).map(millis)).collect::<Vec<_>>(),
                )
                .cast(&utc_ms)
                .unwrap()
            };
            let images: Vec<Series> = recs
                .iter()
                .map(|r| Series::new("".into(), vec!["https://x/y.jpg"; r.10]))
                .collect();
            let mut df = DataFrame::new_infer_height(vec![
                Series::new("article_id".into(), strs(|r| Some(r.0))).into(),
                Series::new("content_sha256".into(), strs(|r| Some(r.2))).into(),
                Series::new("url".into(), strs(|r| Some(r.0))).into(),
                times("feed_time_utc", |r| Some(r.3)).into(),
                times("published_utc", |r| r.4).into(),
                Series::new("published_precision".into(), strs(|r| r.5)).into(),
                Series::new("published_note".into(), strs(|r| r.6)).into(),
                Series::new(
                    "feed_lag_s".into(),
                    recs.iter().map(|r| r.7).collect::<Vec<_>>(),
                )
                .into(),
                Series::new("column_name".into(), strs(|r| r.8)).into(),
                Series::new("body_text".into(), strs(|_| Some("body"))).into(),
                Series::new(
                    "paragraph_count".into(),
                    recs.iter().map(|r| r.9 / 100).collect::<Vec<_>>(),
                )
                .into(),
                Series::new(
                    "char_count".into(),
                    recs.iter().map(|r| r.9).collect::<Vec<_>>(),
                )
                .into(),
                Series::new("image_urls".into(), images).into(),
            ])
            .unwrap();
            let folder = dir
                .path()
                .join(format!("articles/source={source}/year={year}"));
            std::fs::create_dir_all(&folder).unwrap();
            let file = File::create(folder.join("part-00000.parquet")).unwrap();
            ParquetWriter::new(file).finish(&mut df).unwrap();
        }
        dir
    }

    fn query(dir: &tempfile::TempDir) -> StatsQuery {
        StatsQuery {
            dataset: dir.path().to_path_buf(),
            ..Default::default()
        }
    }

    /// Every row, cells as text.
    fn rows(df: &DataFrame) -> Vec<Vec<String>> {
        let columns: Vec<Vec<String>> = df
            .columns()
            .iter()
            .map(|c| {
                let text = c.cast(&DataType::String).unwrap();
                text.str()
                    .unwrap()
                    .iter()
                    .map(|v| v.unwrap_or("null").to_string())
                    .collect()
            })
            .collect();
        (0..df.height())
            .map(|i| columns.iter().map(|c| c[i].clone()).collect())
            .collect()
    }

    const T: &str = "2021-06-01T12:00:00Z";

    fn rec(id: &'static str, source: &'static str) -> Rec {
        (
            id,
            source,
            "00",
            T,
            Some(T),
            Some("second"),
            None,
            Some(0),
            None,
            100,
            0,
        )
    }

    #[test]
    fn the_scan_reads_neither_body_text_nor_other_sources() {
        let dir = dataset(&[rec("a", "rfi"), rec("b", "dw")]);
        let plan = read_records(&dir.path().join("articles"), None, &["rfi".to_string()])
            .unwrap()
            .explain(true)
            .unwrap();
        assert!(!plan.contains("body_text"), "{plan}");
        // 11 file columns + the `source` partition, of 13 + 2.
        assert!(plan.contains("PROJECT 12/15 COLUMNS"), "{plan}");
        // The source filter prunes partitions: only rfi's file is listed.
        assert!(
            plan.contains("source=rfi") && !plan.contains("source=dw"),
            "{plan}"
        );
    }

    #[test]
    fn day_precision_has_no_clock_and_no_lag() {
        let mut day = rec("d", "rfi");
        day.5 = Some("day");
        day.7 = Some(5000);
        let dir = dataset(&[rec("a", "rfi"), day]);
        let t = compute(&query(&dir)).unwrap();
        assert_eq!(rows(&t.daily_volume), [["rfi", "2021-06-01", "2"]]);
        assert_eq!(rows(&t.hour_weekday_utc), [["rfi", "2", "12", "1"]]);
        assert_eq!(
            rows(&t.hour_weekday_local),
            [["rfi", "Europe/Paris", "2", "14", "1"]]
        );
        assert_eq!(rows(&t.feed_lag)[0][..2], ["rfi", "1"]);
        assert_eq!(
            rows(&t.precision_note),
            [
                ["rfi", "day", "null", "1", "0.5"],
                ["rfi", "second", "null", "1", "0.5"]
            ]
        );
    }

    #[test]
    fn lag_share_is_strictly_over_a_day_and_keeps_negative_lags() {
        let lags = [-60, 86_400, 86_401, 100];
        let ids = ["a", "b", "c", "d"];
        let recs: Vec<Rec> = ids
            .iter()
            .zip(lags)
            .map(|(id, lag)| {
                let mut r = rec(id, "voa");
                r.7 = Some(lag);
                r
            })
            .collect();
        let t = compute(&query(&dataset(&recs))).unwrap();
        // Sorted: -60 100 86400 86401; p50 = 43 250; p90 rank 2.7 → 86 400.7.
        assert_eq!(
            rows(&t.feed_lag),
            [["voa", "4", "43250.0", "86400.7", "86400.97", "86401", "0.25"]]
        );
        assert_eq!(t.headline.median_lag_s_by_source["voa"], 43_250.0);
    }

    #[test]
    fn iso_weeks_across_new_year() {
        let mut a = rec("a", "ft");
        (a.3, a.4, a.5) = ("2021-01-03T10:00:00Z", None, None); // Sunday of 2020-W53
        let mut b = rec("b", "ft");
        (b.3, b.4, b.5) = ("2024-12-30T10:00:00Z", None, None); // Monday of 2025-W01
        let t = compute(&query(&dataset(&[a, b]))).unwrap();
        assert_eq!(
            rows(&t.weekly_volume),
            [
                ["ft", "2020", "53", "2020-12-28", "1"],
                ["ft", "2025", "1", "2024-12-30", "1"]
            ]
        );
        assert_eq!(t.hour_weekday_utc.height(), 0);
    }

    #[test]
    fn latest_version_wins_then_larger_hash() {
        let mut old = rec("a", "rfi");
        (old.2, old.3, old.8) = ("ff", "2021-06-01T10:00:00Z", Some("old"));
        let mut new_small = rec("a", "rfi");
        (new_small.2, new_small.8) = ("aa", Some("small"));
        let mut new_large = rec("a", "rfi");
        (new_large.2, new_large.8) = ("ab", Some("large"));
        let t = compute(&query(&dataset(&[old, new_small, new_large]))).unwrap();
        assert_eq!(rows(&t.top_columns), [["rfi", "1", "large", "1"]]);
        assert_eq!((t.headline.articles, t.headline.versions), (1, 3));
    }

    #[test]
    fn top_columns_keeps_ten_by_count_then_name() {
        let names = ["k", "j", "i", "h", "g", "f", "e", "d", "c", "b", "a"];
        let ids = [
            "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12",
        ];
        let mut recs = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let mut r = rec(ids[i], "cdt");
            r.8 = Some(name);
            recs.push(r);
        }
        for id in ["11", "12"] {
            let mut r = rec(id, "cdt");
            r.8 = Some("k");
            recs.push(r);
        }
        let t = compute(&query(&dataset(&recs))).unwrap();
        let top = rows(&t.top_columns);
        assert_eq!(top.len(), 10);
        assert_eq!(top[0], ["cdt", "1", "k", "3"]);
        assert_eq!(top[1], ["cdt", "2", "a", "1"]);
        assert_eq!(top[9], ["cdt", "10", "i", "1"]); // j is eleventh
    }

    #[test]
    fn unknown_sources_are_drawn_in_utc() {
        let t = compute(&query(&dataset(&[rec("a", "zz"), rec("b", "rfi")]))).unwrap();
        assert_eq!(
            rows(&t.hour_weekday_local),
            [
                ["rfi", "Europe/Paris", "2", "14", "1"],
                ["zz", "UTC", "2", "12", "1"]
            ]
        );
    }
}
