//! `cargo run -p wirehouse-transform --example blocks -- FILE…`: the record
//! fields and every text block of each file, with its place and rule — the
//! same listing as `wirehouse inspect FILE --blocks`, without building the
//! binary (which compiles polars for `stats`). With `BLOCKS_TSV=1` it prints
//! one tab-separated line per file instead (title, column, published raw and
//! UTC, byline, the first 12 characters of lead, first and last paragraph,
//! counts, copyright, the paragraphs): the form used to compare the corpus
//! with an independent reading of its pages.

use wirehouse_extract::{frame, read_input, Limits};
use wirehouse_transform::{ProfileSet, Transformer};

fn main() {
    let transformer = Transformer::new(ProfileSet::builtin().expect("built-in profiles compile"));
    let tsv = std::env::var_os("BLOCKS_TSV").is_some();
    for path in std::env::args().skip(1) {
        let file = match read_input(path.as_ref(), path.clone(), &Limits::default()) {
            Ok(file) => file,
            Err(r) => {
                println!("{path}: reject: {}", r.error);
                continue;
            }
        };
        let raw = match frame(file) {
            Ok(raw) => raw,
            Err(r) => {
                println!("{path}: reject: {}", r.error);
                continue;
            }
        };
        match transformer.inspect(&raw) {
            Ok((a, _)) if tsv => {
                let head =
                    |t: Option<&str>| t.map_or(String::new(), |t| t.chars().take(12).collect());
                let paragraphs: Vec<&str> = a
                    .body_text
                    .split("\n\n")
                    .filter(|p| !p.is_empty())
                    .collect();
                println!(
                    "{path}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    a.title,
                    a.column_name.as_deref().unwrap_or(""),
                    a.published_raw.as_deref().unwrap_or(""),
                    a.published_utc
                        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
                        .unwrap_or_default(),
                    a.byline.as_deref().unwrap_or(""),
                    head(a.lead.as_deref()),
                    a.paragraph_count,
                    head(paragraphs.first().copied()),
                    head(paragraphs.last().copied()),
                    a.image_urls.len(),
                    a.copyright.as_deref().unwrap_or(""),
                    paragraphs.join("\u{1f}"),
                );
            }
            Ok((a, trace)) => {
                println!("== {path}");
                println!("title={:?} column={:?}", a.title, a.column_name);
                println!(
                    "published={:?} raw={:?} byline={:?}",
                    a.published_utc, a.published_raw, a.byline
                );
                println!("lead={:?}", a.lead);
                println!(
                    "paragraphs={} images={} copyright={:?}",
                    a.paragraph_count,
                    a.image_urls.len(),
                    a.copyright
                );
                println!("layout={:?} rules_placed={}", a.layout, a.rules_placed);
                for url in &a.image_urls {
                    println!("  img {url}");
                }
                for block in &trace.blocks {
                    let text: String = block.text.chars().take(60).collect();
                    println!("  [{}] {} | {}", block.place.as_str(), text, block.rule);
                }
            }
            Err(e) => println!("{path}: reject: {e}"),
        }
    }
}
