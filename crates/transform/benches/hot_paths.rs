//! Micro-benchmarks of the per-file hot paths: framing, HTML → record,
//! zone conversion, URL canonicalization. Inputs are the bundled synthetic
//! sample files, so the numbers need no external corpus.

use std::hint::black_box;
use std::path::Path;

use chrono::NaiveDate;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use wirehouse_extract::{frame, InputFile};
use wirehouse_transform::time::resolve_local;
use wirehouse_transform::url::canonical_url;
use wirehouse_transform::{ProfileSet, Transformer};

fn sample(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/sample")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn benches(c: &mut Criterion) {
    let files = [
        (
            "rfi",
            sample("rfi/1100101_巴黎迎来今冬首场降雪 公交地铁基本正常 - 要闻解说.md"),
        ),
        ("bbc", sample("other/1300306.md")),
        ("dw", sample("other/1300301.md")),
    ];
    let transformer = Transformer::new(ProfileSet::builtin().expect("built-in profiles"));

    let mut group = c.benchmark_group("frame");
    for (name, bytes) in &files {
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(*name, |b| {
            b.iter(|| frame(InputFile::from_bytes("x.md", black_box(bytes.clone()))).is_ok())
        });
    }
    group.finish();

    let mut group = c.benchmark_group("transform");
    for (name, bytes) in &files {
        let raw = frame(InputFile::from_bytes("x.md", bytes.clone())).expect("sample frames");
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(*name, |b| {
            b.iter(|| transformer.transform(black_box(&raw)).is_ok())
        });
    }
    group.finish();

    let naive = NaiveDate::from_ymd_opt(2021, 3, 28)
        .and_then(|d| d.and_hms_opt(2, 30, 0))
        .expect("a date");
    c.bench_function("resolve_local Paris (gap)", |b| {
        b.iter(|| resolve_local(black_box(naive), chrono_tz::Europe::Paris))
    });
    c.bench_function("canonical_url", |b| {
        b.iter(|| {
            canonical_url(black_box(
                "http://www.rfi.fr//cn/%e4%b8%93%e6%a0%8f/20210318-x#top",
            ))
        })
    });
}

criterion_group!(hot_paths, benches);
criterion_main!(hot_paths);
