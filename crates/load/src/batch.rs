//! Records and rejects → Arrow `RecordBatch`es.

use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Int32Builder, Int64Builder, ListBuilder, StringBuilder,
    TimestampMillisecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field};

use crate::schema::{article_file_schema, reject_schema};
use crate::{Article, Reject};

/// Accumulates articles column by column; [`ArticleBatch::finish`] yields a
/// `RecordBatch` with [`article_file_schema`].
pub struct ArticleBatch {
    article_id: StringBuilder,
    profile: StringBuilder,
    source_path: StringBuilder,
    content_sha256: StringBuilder,
    title: StringBuilder,
    title_raw: StringBuilder,
    column_name: StringBuilder,
    url: StringBuilder,
    url_raw: StringBuilder,
    feed_time_utc: TimestampMillisecondBuilder,
    published_utc: TimestampMillisecondBuilder,
    published_raw: StringBuilder,
    published_tz: StringBuilder,
    published_precision: StringBuilder,
    published_note: StringBuilder,
    feed_lag_s: Int64Builder,
    byline: StringBuilder,
    lead: StringBuilder,
    body_text: StringBuilder,
    paragraph_count: Int32Builder,
    char_count: Int32Builder,
    image_urls: ListBuilder<StringBuilder>,
    copyright: StringBuilder,
    has_feed_footer: BooleanBuilder,
    layout: StringBuilder,
    rules_placed: Int32Builder,
    rows: usize,
}

impl Default for ArticleBatch {
    fn default() -> Self {
        ArticleBatch::new()
    }
}

fn utc_millis() -> TimestampMillisecondBuilder {
    TimestampMillisecondBuilder::new().with_timezone("UTC")
}

impl ArticleBatch {
    /// An empty batch.
    pub fn new() -> ArticleBatch {
        ArticleBatch {
            article_id: StringBuilder::new(),
            profile: StringBuilder::new(),
            source_path: StringBuilder::new(),
            content_sha256: StringBuilder::new(),
            title: StringBuilder::new(),
            title_raw: StringBuilder::new(),
            column_name: StringBuilder::new(),
            url: StringBuilder::new(),
            url_raw: StringBuilder::new(),
            feed_time_utc: utc_millis(),
            published_utc: utc_millis(),
            published_raw: StringBuilder::new(),
            published_tz: StringBuilder::new(),
            published_precision: StringBuilder::new(),
            published_note: StringBuilder::new(),
            feed_lag_s: Int64Builder::new(),
            byline: StringBuilder::new(),
            lead: StringBuilder::new(),
            body_text: StringBuilder::new(),
            paragraph_count: Int32Builder::new(),
            char_count: Int32Builder::new(),
            image_urls: ListBuilder::new(StringBuilder::new()).with_field(Arc::new(Field::new(
                "item",
                DataType::Utf8,
                false,
            ))),
            copyright: StringBuilder::new(),
            has_feed_footer: BooleanBuilder::new(),
            layout: StringBuilder::new(),
            rules_placed: Int32Builder::new(),
            rows: 0,
        }
    }

    /// An empty batch with room for `articles` exactly, so that building it
    /// copies every string once and never grows a buffer.
    pub fn for_articles(articles: &[Article]) -> ArticleBatch {
        let rows = articles.len();
        let text = |f: fn(&Article) -> usize| {
            StringBuilder::with_capacity(rows, articles.iter().map(f).sum())
        };
        fn opt(o: &Option<String>) -> usize {
            o.as_ref().map_or(0, String::len)
        }
        let images: usize = articles.iter().map(|a| a.image_urls.len()).sum();
        ArticleBatch {
            article_id: text(|a| a.article_id.len()),
            profile: text(|a| a.profile.len()),
            source_path: text(|a| a.source_path.len()),
            content_sha256: text(|a| a.content_sha256.len()),
            title: text(|a| a.title.len()),
            title_raw: text(|a| a.title_raw.len()),
            column_name: text(|a| opt(&a.column_name)),
            url: text(|a| a.url.len()),
            url_raw: text(|a| a.url_raw.len()),
            feed_time_utc: TimestampMillisecondBuilder::with_capacity(rows).with_timezone("UTC"),
            published_utc: TimestampMillisecondBuilder::with_capacity(rows).with_timezone("UTC"),
            published_raw: text(|a| opt(&a.published_raw)),
            published_tz: text(|a| opt(&a.published_tz)),
            published_precision: text(|a| a.published_precision.map_or(0, |p| p.as_str().len())),
            published_note: text(|a| a.published_note.map_or(0, |n| n.as_str().len())),
            feed_lag_s: Int64Builder::with_capacity(rows),
            byline: text(|a| opt(&a.byline)),
            lead: text(|a| opt(&a.lead)),
            body_text: text(|a| a.body_text.len()),
            paragraph_count: Int32Builder::with_capacity(rows),
            char_count: Int32Builder::with_capacity(rows),
            image_urls: ListBuilder::with_capacity(
                StringBuilder::with_capacity(
                    images,
                    articles
                        .iter()
                        .flat_map(|a| a.image_urls.iter().map(String::len))
                        .sum(),
                ),
                rows,
            )
            .with_field(Arc::new(Field::new("item", DataType::Utf8, false))),
            copyright: text(|a| opt(&a.copyright)),
            has_feed_footer: BooleanBuilder::with_capacity(rows),
            layout: text(|a| a.layout.len()),
            rules_placed: Int32Builder::with_capacity(rows),
            rows: 0,
        }
    }

    /// `articles` as one batch with [`article_file_schema`].
    pub fn of(articles: &[Article]) -> Result<RecordBatch, ArrowError> {
        let mut batch = ArticleBatch::for_articles(articles);
        for article in articles {
            batch.push(article);
        }
        batch.finish()
    }

    /// `articles` as one batch with [`crate::schema::article_schema`]: the
    /// file's columns and the partition columns `source` and `year`, as a
    /// reader of the dataset sees them.
    pub fn with_partition_columns(articles: &[Article]) -> Result<RecordBatch, ArrowError> {
        use arrow_array::{Int32Array, StringArray};
        use chrono::Datelike;
        let batch = ArticleBatch::of(articles)?;
        let mut columns = batch.columns().to_vec();
        columns.push(Arc::new(StringArray::from_iter_values(
            articles.iter().map(|a| a.source.as_str()),
        )));
        columns.push(Arc::new(Int32Array::from_iter_values(
            articles.iter().map(|a| a.feed_time_utc.year()),
        )));
        RecordBatch::try_new(crate::schema::article_schema(), columns)
    }

    /// Rows appended since the last `finish`.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether no row was appended since the last `finish`.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Appends one record.
    pub fn push(&mut self, a: &Article) {
        self.article_id.append_value(&a.article_id);
        self.profile.append_value(&a.profile);
        self.source_path.append_value(&a.source_path);
        self.content_sha256.append_value(&a.content_sha256);
        self.title.append_value(&a.title);
        self.title_raw.append_value(&a.title_raw);
        self.column_name.append_option(a.column_name.as_deref());
        self.url.append_value(&a.url);
        self.url_raw.append_value(&a.url_raw);
        self.feed_time_utc
            .append_value(a.feed_time_utc.timestamp_millis());
        self.published_utc
            .append_option(a.published_utc.map(|t| t.timestamp_millis()));
        self.published_raw.append_option(a.published_raw.as_deref());
        self.published_tz.append_option(a.published_tz.as_deref());
        self.published_precision
            .append_option(a.published_precision.map(|p| p.as_str()));
        self.published_note
            .append_option(a.published_note.map(|n| n.as_str()));
        self.feed_lag_s.append_option(a.feed_lag_s);
        self.byline.append_option(a.byline.as_deref());
        self.lead.append_option(a.lead.as_deref());
        self.body_text.append_value(&a.body_text);
        self.paragraph_count.append_value(a.paragraph_count);
        self.char_count.append_value(a.char_count);
        for url in &a.image_urls {
            self.image_urls.values().append_value(url);
        }
        self.image_urls.append(true);
        self.copyright.append_option(a.copyright.as_deref());
        self.has_feed_footer.append_value(a.has_feed_footer);
        self.layout.append_value(&a.layout);
        self.rules_placed.append_value(a.rules_placed);
        self.rows += 1;
    }

    /// The rows appended so far as a batch; the builder is empty afterwards.
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.article_id.finish()),
            Arc::new(self.profile.finish()),
            Arc::new(self.source_path.finish()),
            Arc::new(self.content_sha256.finish()),
            Arc::new(self.title.finish()),
            Arc::new(self.title_raw.finish()),
            Arc::new(self.column_name.finish()),
            Arc::new(self.url.finish()),
            Arc::new(self.url_raw.finish()),
            Arc::new(self.feed_time_utc.finish()),
            Arc::new(self.published_utc.finish()),
            Arc::new(self.published_raw.finish()),
            Arc::new(self.published_tz.finish()),
            Arc::new(self.published_precision.finish()),
            Arc::new(self.published_note.finish()),
            Arc::new(self.feed_lag_s.finish()),
            Arc::new(self.byline.finish()),
            Arc::new(self.lead.finish()),
            Arc::new(self.body_text.finish()),
            Arc::new(self.paragraph_count.finish()),
            Arc::new(self.char_count.finish()),
            Arc::new(self.image_urls.finish()),
            Arc::new(self.copyright.finish()),
            Arc::new(self.has_feed_footer.finish()),
            Arc::new(self.layout.finish()),
            Arc::new(self.rules_placed.finish()),
        ];
        self.rows = 0;
        RecordBatch::try_new(article_file_schema(), columns)
    }
}

/// About how many bytes `article` takes in memory, to bound what waits to
/// be written.
pub fn held_bytes(a: &Article) -> usize {
    a.body_text.len()
        + a.title_raw.len() * 2
        + a.url_raw.len() * 2
        + a.lead.as_ref().map_or(0, String::len)
        + a.image_urls.iter().map(String::len).sum::<usize>()
        + a.layout.len()
        + 256
}

/// The rejects as one batch with [`reject_schema`].
pub fn reject_batch(rejects: &[Reject]) -> Result<RecordBatch, ArrowError> {
    let mut path = StringBuilder::new();
    let mut sha = StringBuilder::new();
    let mut size = Int64Builder::new();
    let mut kind = StringBuilder::new();
    let mut message = StringBuilder::new();
    for r in rejects {
        path.append_value(&r.source_path);
        sha.append_option(r.content_sha256.as_deref());
        size.append_option(r.file_size.map(|s| i64::try_from(s).unwrap_or(i64::MAX)));
        kind.append_value(&r.error_kind);
        message.append_value(&r.error_message);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(path.finish()),
        Arc::new(sha.finish()),
        Arc::new(size.finish()),
        Arc::new(kind.finish()),
        Arc::new(message.finish()),
    ];
    RecordBatch::try_new(reject_schema(), columns)
}
