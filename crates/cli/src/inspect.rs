//! `wirehouse profiles` and `wirehouse inspect`: the tools for writing and
//! debugging site profiles.

use std::io::Write;

use anyhow::Context;
use wirehouse_extract::{frame, read_input, Limits};
use wirehouse_transform::{Article, Block, Place, ProfileSet, Transformer};

use crate::cli::{InspectArgs, ProfilesArgs};

fn load_profiles(dir: Option<&std::path::Path>) -> anyhow::Result<ProfileSet> {
    Ok(match dir {
        Some(dir) => ProfileSet::from_dir(dir)?,
        None => ProfileSet::builtin()?,
    })
}

/// Prints every profile: name, source, hosts, and its locators.
pub fn profiles(args: &ProfilesArgs) -> anyhow::Result<()> {
    let set = load_profiles(args.profiles.as_deref())?;
    let out = &mut std::io::stdout().lock();
    for profile in set.iter() {
        writeln!(
            out,
            "{}  source={}  hosts={}  ({})",
            profile.name,
            profile.source.as_deref().unwrap_or("by host"),
            if profile.hosts.is_empty() {
                "every other host".to_string()
            } else {
                profile.hosts.join(",")
            },
            profile.origin
        )?;
        for p in &profile.published {
            writeln!(out, "    {}", p.locator.describe)?;
        }
        let singles = [&profile.lead, &profile.copyright];
        for locator in profile.byline.iter().chain(singles.into_iter().flatten()) {
            writeln!(out, "    {}", locator.describe)?;
        }
        let body = &profile.spec.body;
        writeln!(
            out,
            "    body: {} remove, {} caption and {} repeat selector(s), {} paragraph pattern(s), {} line pattern(s), {} strip pattern(s)",
            body.remove.len(),
            body.captions.len(),
            body.drop_repeats.len(),
            body.drop_paragraphs.len(),
            body.drop_lines.len(),
            body.strip.len()
        )?;
    }
    Ok(())
}

fn show(value: Option<&str>) -> String {
    value.map_or_else(|| "null".to_string(), |v| format!("{v:?}"))
}

/// Prints the record `args.file` becomes, with the rule behind each field.
/// Returns `Ok(false)` when the file is rejected.
pub fn inspect(args: &InspectArgs) -> anyhow::Result<bool> {
    let transformer = Transformer::new(load_profiles(args.profiles.as_deref())?);
    let name = args.file.display().to_string();
    let out = &mut std::io::stdout().lock();
    let rejected = |out: &mut dyn Write, kind: &str, message: String| -> anyhow::Result<bool> {
        writeln!(out, "{name}: reject ({kind}): {message}")?;
        Ok(false)
    };
    let input = match read_input(&args.file, name.clone(), &Limits::default()) {
        Ok(input) => input,
        Err(r) => return rejected(out, r.error.kind(), r.error.to_string()),
    };
    let raw = match frame(input) {
        Ok(raw) => raw,
        Err(r) => return rejected(out, r.error.kind(), r.error.to_string()),
    };
    let (a, trace) = match transformer.inspect(&raw) {
        Ok(done) => done,
        Err(e) => return rejected(out, e.kind(), e.to_string()),
    };
    print_article(out, &a, args.full).context("cannot print")?;
    writeln!(out, "\nrules:")?;
    for (field, rule) in &trace.fields {
        writeln!(out, "  {field:<16} {rule}")?;
    }
    if args.blocks {
        print_blocks(out, &trace.blocks).context("cannot print")?;
    }
    Ok(true)
}

/// Every text block with its place and rule, then a count per place.
fn print_blocks(out: &mut dyn Write, blocks: &[Block]) -> std::io::Result<()> {
    writeln!(
        out,
        "\nblocks ({} in page order: place | text | rule):",
        blocks.len()
    )?;
    let mut counts: std::collections::BTreeMap<Place, usize> = Default::default();
    for block in blocks {
        *counts.entry(block.place).or_default() += 1;
        writeln!(
            out,
            "  {:<9} | {} | {}",
            block.place.as_str(),
            block.text,
            block.rule
        )?;
    }
    let summary: Vec<String> = counts
        .iter()
        .map(|(place, n)| format!("{} {n}", place.as_str()))
        .collect();
    writeln!(out, "  = {}", summary.join(", "))
}

fn print_article(out: &mut dyn Write, a: &Article, full: bool) -> std::io::Result<()> {
    let iso =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    let rows: Vec<(&str, String)> = vec![
        ("article_id", a.article_id.clone()),
        ("source", a.source.clone()),
        ("profile", a.profile.clone()),
        ("content_sha256", a.content_sha256.clone()),
        ("title", format!("{:?}", a.title)),
        ("title_raw", format!("{:?}", a.title_raw)),
        ("column_name", show(a.column_name.as_deref())),
        ("url", a.url.clone()),
        ("url_raw", a.url_raw.clone()),
        ("feed_time_utc", iso(a.feed_time_utc)),
        ("published_utc", a.published_utc.map_or("null".into(), iso)),
        ("published_raw", show(a.published_raw.as_deref())),
        ("published_tz", show(a.published_tz.as_deref())),
        (
            "published_precision",
            show(a.published_precision.map(|p| p.as_str())),
        ),
        ("published_note", show(a.published_note.map(|n| n.as_str()))),
        (
            "feed_lag_s",
            a.feed_lag_s.map_or("null".into(), |s| s.to_string()),
        ),
        ("byline", show(a.byline.as_deref())),
        ("lead", show(a.lead.as_deref())),
        ("paragraph_count", a.paragraph_count.to_string()),
        ("char_count", a.char_count.to_string()),
        ("copyright", show(a.copyright.as_deref())),
        ("has_feed_footer", a.has_feed_footer.to_string()),
        ("layout", format!("{:?}", a.layout)),
        ("rules_placed", a.rules_placed.to_string()),
        ("image_urls", format!("{} image(s)", a.image_urls.len())),
    ];
    for (field, value) in rows {
        writeln!(out, "{field:<20} {value}")?;
    }
    for url in &a.image_urls {
        writeln!(out, "{:<20} {url}", "")?;
    }
    let paragraphs: Vec<&str> = a
        .body_text
        .split("\n\n")
        .filter(|p| !p.is_empty())
        .collect();
    writeln!(out, "body_text")?;
    if full || paragraphs.len() <= 2 {
        for p in &paragraphs {
            writeln!(out, "  | {p}")?;
        }
    } else {
        writeln!(out, "  | {}", paragraphs[0])?;
        writeln!(out, "  | … {} more paragraph(s) …", paragraphs.len() - 2)?;
        writeln!(out, "  | {}", paragraphs[paragraphs.len() - 1])?;
    }
    Ok(())
}
