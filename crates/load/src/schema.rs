//! Arrow schemas of the `articles` and `rejects` datasets.

use std::sync::Arc;

use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// Columns that name a partition folder rather than being stored in files.
pub const PARTITION_COLUMNS: [&str; 2] = ["source", "year"];

fn utc_millis() -> DataType {
    DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
}

/// The article columns stored in each Parquet file, in spec order.
///
/// `source` is not among them: it is the `source=…` partition folder, as in
/// any Hive-partitioned dataset, and readers (DuckDB, polars, pyarrow, Spark)
/// restore it as a column, together with `year` (the UTC year of
/// `feed_time_utc`).
pub fn article_file_schema() -> SchemaRef {
    let s = |name: &str, nullable: bool| Field::new(name, DataType::Utf8, nullable);
    Arc::new(Schema::new(vec![
        s("article_id", false),
        s("profile", false),
        s("source_path", false),
        s("content_sha256", false),
        s("title", false),
        s("title_raw", false),
        s("column_name", true),
        s("url", false),
        s("url_raw", false),
        Field::new("feed_time_utc", utc_millis(), false),
        Field::new("published_utc", utc_millis(), true),
        s("published_raw", true),
        s("published_tz", true),
        s("published_precision", true),
        s("published_note", true),
        Field::new("feed_lag_s", DataType::Int64, true),
        s("byline", true),
        s("lead", true),
        s("body_text", false),
        Field::new("paragraph_count", DataType::Int32, false),
        Field::new("char_count", DataType::Int32, false),
        Field::new(
            "image_urls",
            DataType::List(Arc::new(Field::new("item", DataType::Utf8, false))),
            false,
        ),
        s("copyright", true),
        Field::new("has_feed_footer", DataType::Boolean, false),
        // Beyond the spec's columns: what `wirehouse coverage` groups by.
        s("layout", false),
        Field::new("rules_placed", DataType::Int32, false),
    ]))
}

/// The `articles` dataset as a reader sees it: [`article_file_schema`] and
/// the partition columns, `source` (string) and `year` (int32, the UTC year
/// of `feed_time_utc`), as pyarrow reads the Hive partitions back.
pub fn article_schema() -> SchemaRef {
    let mut fields: Vec<Field> = article_file_schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    fields.push(Field::new("source", DataType::Utf8, false));
    fields.push(Field::new("year", DataType::Int32, false));
    Arc::new(Schema::new(fields))
}

/// The columns of the `rejects` dataset (one unpartitioned file per run).
pub fn reject_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("source_path", DataType::Utf8, false),
        Field::new("content_sha256", DataType::Utf8, true),
        Field::new("file_size", DataType::Int64, true),
        Field::new("error_kind", DataType::Utf8, false),
        Field::new("error_message", DataType::Utf8, false),
    ]))
}
