//! Micro-benchmark of building Arrow batches from records (the load hot path).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use wirehouse_load::batch::ArticleBatch;
use wirehouse_load::Article;

fn article(i: usize) -> Article {
    let feed =
        chrono::DateTime::from_timestamp_millis(1_616_075_711_000 + i as i64).unwrap_or_default();
    Article {
        article_id: format!("{i:032x}"),
        source: "rfi".into(),
        profile: "rfi".into(),
        source_path: format!("rfi/{i:08}.md"),
        content_sha256: format!("{i:064x}"),
        title: "中美首次高层会 双方皆对成果不表期待".into(),
        title_raw: "中美首次高层会 双方皆对成果不表期待 - 要闻解说".into(),
        column_name: Some("要闻解说".into()),
        url: format!("https://www.rfi.fr/cn/{i}"),
        url_raw: format!("https://www.rfi.fr//cn/{i}"),
        feed_time_utc: feed,
        published_utc: Some(feed - chrono::Duration::minutes(29)),
        published_raw: Some("18/03/2021 - 14:26".into()),
        published_tz: Some("Europe/Paris".into()),
        published_precision: None,
        published_note: None,
        feed_lag_s: Some(1751),
        byline: None,
        lead: Some("导语".repeat(40)),
        body_text: "正文段落。".repeat(600),
        paragraph_count: 12,
        char_count: 3000,
        image_urls: vec!["https://s.rfi.fr/media/display/a.jpg".into()],
        copyright: None,
        has_feed_footer: true,
        layout: "h1 p+".into(),
        rules_placed: 1,
    }
}

fn benches(c: &mut Criterion) {
    let articles: Vec<Article> = (0..1000).map(article).collect();
    let mut group = c.benchmark_group("arrow");
    group.throughput(Throughput::Elements(articles.len() as u64));
    group.bench_function("1000 records → RecordBatch", |b| {
        b.iter(|| ArticleBatch::of(black_box(&articles)).map(|b| b.num_rows()))
    });
    group.finish();
}

criterion_group!(arrow, benches);
criterion_main!(arrow);
