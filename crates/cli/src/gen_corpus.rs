//! `wirehouse gen-corpus`: scales real article files into a large synthetic
//! corpus for benchmarks and tests.
//!
//! Each generated file is a template with all its clocks moved by one random
//! offset (a whole number of minutes, up to three years either way): the
//! feed-time header, the page's displayed time in its own zone (Paris,
//! Shanghai, ISO UTC, RFC-822), BBC's `dateTime` day, and the dates in the
//! URL (RFA's New York timestamp, the UTC day of RFI, NYT, VOA and CDT
//! paths). So DST changes are crossed, and every file stays consistent: the
//! pipeline reads the same lag from a generated file as from its template.
//! Each file also gets its own URL (`/g{n}` after the host), so it is its own
//! article. The same seed always gives the same files.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use anyhow::{bail, Context};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use regex::{Captures, Regex};
use wirehouse_transform::published::chinese_clock;
use wirehouse_transform::time::resolve_local;

use wirehouse_pipeline::discover::discover;

/// The largest offset, in minutes (three years).
const MAX_OFFSET_MINUTES: i64 = 3 * 366 * 24 * 60;
/// How much of the HTML holds the displayed time (it opens the item).
const HEAD_BYTES: usize = 600;

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| unreachable!("{e}"))
}

static RFI: LazyLock<Regex> =
    LazyLock::new(|| regex(r"<div>(\d{2}/\d{2}/\d{4} - \d{2}:\d{2})</div>"));
static NYT: LazyLock<Regex> =
    LazyLock::new(|| regex(r"<br>(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})</i>"));
static NYT_PUDATE: LazyLock<Regex> =
    LazyLock::new(|| regex(r#"(pudate=")(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})(")"#));
static ISO: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?Z"));
static RFC: LazyLock<Regex> =
    LazyLock::new(|| regex(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT"));
static DATETIME_ATTR: LazyLock<Regex> =
    LazyLock::new(|| regex(r#"(?i)(datetime=")(\d{4}-\d{2}-\d{2})(")"#));
static TIME_TEXT: LazyLock<Regex> = LazyLock::new(|| regex(r"(<time[^>]*>)([^<]*)(</time>)"));
static RFA_URL: LazyLock<Regex> = LazyLock::new(|| regex(r"-(\d{14})\.html$"));
static DAY_URL: LazyLock<Regex> = LazyLock::new(|| regex(r"/(\d{8})(-|/)"));
static VOA_URL: LazyLock<Regex> = LazyLock::new(|| regex(r"-(20\d{6})(/|-)"));
static YEAR_MONTH_URL: LazyLock<Regex> = LazyLock::new(|| regex(r"/(20\d{2})/(\d{2})/"));

/// A small deterministic generator (SplitMix64): the same seed, the same corpus.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Moves a wall-clock time in `zone` by `offset`.
fn shift_local(text: &str, format: &str, zone: Tz, offset: Duration) -> Option<String> {
    let naive = NaiveDateTime::parse_from_str(text, format).ok()?;
    let moved = resolve_local(naive, zone).utc + offset;
    Some(moved.with_timezone(&zone).format(format).to_string())
}

/// A time as the BBC writes it: `2020年10月2日凌晨5点08分` (12-hour clock).
fn chinese_clock_text(t: DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    let (hour, period) = match t.hour() {
        h @ 0..=5 => (h, "凌晨"),
        h @ 6..=11 => (h, "上午"),
        12 => (12, "中午"),
        h @ 13..=17 => (h - 12, "下午"),
        h => (h - 12, "晚上"),
    };
    format!(
        "{}年{}月{}日{period}{hour}点{:02}分",
        t.year(),
        t.month(),
        t.day(),
        t.minute()
    )
}

/// One template moved by `offset`, as the `n`-th file of the corpus.
pub fn shift_file(text: &str, offset: Duration, n: u64) -> Option<String> {
    let (header, rest) = text.split_once('\n')?;
    let (link, rest) = rest.split_once('\n')?;
    let ms: i64 = header
        .trim()
        .strip_prefix("<!--")?
        .strip_suffix("-->")?
        .trim()
        .parse()
        .ok()?;
    let feed = DateTime::<Utc>::from_timestamp_millis(ms)? + offset;
    let (dashes, html) = rest.split_once('\n').unwrap_or((rest, ""));

    // The displayed time, near the start of the HTML.
    let cut = (0..=HEAD_BYTES.min(html.len()))
        .rev()
        .find(|&i| html.is_char_boundary(i))
        .unwrap_or(0);
    let (head, tail) = html.split_at(cut);
    let mut published: Option<DateTime<Utc>> = None;
    let head = RFI.replace(head, |c: &Captures| {
        let moved = shift_local(&c[1], "%d/%m/%Y - %H:%M", chrono_tz::Europe::Paris, offset);
        if let Some(m) = &moved {
            published = NaiveDateTime::parse_from_str(m, "%d/%m/%Y - %H:%M")
                .ok()
                .map(|n| resolve_local(n, chrono_tz::Europe::Paris).utc);
        }
        format!("<div>{}</div>", moved.unwrap_or_else(|| c[1].to_string()))
    });
    let head = NYT.replace(&head, |c: &Captures| {
        let moved = shift_local(
            &c[1],
            "%Y-%m-%d %H:%M:%S",
            chrono_tz::Asia::Shanghai,
            offset,
        );
        format!("<br>{}</i>", moved.unwrap_or_else(|| c[1].to_string()))
    });
    // The New York Times from 2021: <time pudate="YYYY-MM-DD HH:MM:SS">, Beijing time.
    let head = NYT_PUDATE.replace(&head, |c: &Captures| {
        let moved = shift_local(
            &c[2],
            "%Y-%m-%d %H:%M:%S",
            chrono_tz::Asia::Shanghai,
            offset,
        );
        format!(
            "{}{}{}",
            &c[1],
            moved.unwrap_or_else(|| c[2].to_string()),
            &c[3]
        )
    });
    let head = ISO.replace(&head, |c: &Captures| {
        let moved = NaiveDateTime::parse_from_str(&c[1], "%Y-%m-%dT%H:%M:%S")
            .map(|t| {
                (t.and_utc() + offset)
                    .format("%Y-%m-%dT%H:%M:%S")
                    .to_string()
            })
            .unwrap_or_else(|_| c[1].to_string());
        format!("{moved}{}Z", c.get(2).map_or("", |m| m.as_str()))
    });
    let head = RFC.replace(&head, |c: &Captures| {
        DateTime::parse_from_rfc2822(&c[0].replace("GMT", "+0000"))
            .map(|t| {
                (t.with_timezone(&Utc) + offset)
                    .format("%a, %d %b %Y %H:%M:%S GMT")
                    .to_string()
            })
            .unwrap_or_else(|_| c[0].to_string())
    });
    let html = format!("{head}{tail}");
    // BBC's day: the day of the moved instant the template's day stood for.
    let html = DATETIME_ATTR.replace_all(&html, |c: &Captures| {
        let moved = NaiveDate::parse_from_str(&c[2], "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .map(|t| (t.and_utc() + offset).format("%Y-%m-%d").to_string())
            .unwrap_or_else(|| c[2].to_string());
        format!("{}{moved}{}", &c[1], &c[3])
    });

    // BBC's absolute clocks ("2020年10月2日凌晨5点08分", GMT) move too.
    let html = TIME_TEXT.replace_all(&html, |c: &Captures| {
        let moved = chinese_clock(&c[2])
            .and_then(|t| NaiveDateTime::parse_from_str(&t, "%Y-%m-%d %H:%M").ok())
            .map(|t| chinese_clock_text(t.and_utc() + offset));
        format!(
            "{}{}{}",
            &c[1],
            moved.unwrap_or_else(|| c[2].to_string()),
            &c[3]
        )
    });

    // The URL: its own path, and its dates moved.
    let split = link.rfind("](")?;
    let (title, url) = (
        &link[..split + 2],
        link[split + 2..].trim_end().strip_suffix(')')?,
    );
    let url = RFA_URL.replace(url, |c: &Captures| {
        let moved = shift_local(&c[1], "%m%d%Y%H%M%S", chrono_tz::America::New_York, offset);
        format!("-{}.html", moved.unwrap_or_else(|| c[1].to_string()))
    });
    let day_of = |text: &str, format: &str| -> Option<String> {
        let day = NaiveDate::parse_from_str(text, format).ok()?;
        // The URL's day follows the published time where the page states one.
        let moved = match published {
            Some(p) => p.date_naive(),
            None => (day.and_hms_opt(12, 0, 0)?.and_utc() + offset).date_naive(),
        };
        Some(moved.format(format).to_string())
    };
    let url = DAY_URL.replace(&url, |c: &Captures| {
        format!(
            "/{}{}",
            day_of(&c[1], "%Y%m%d").unwrap_or_else(|| c[1].to_string()),
            &c[2]
        )
    });
    let url = VOA_URL.replace(&url, |c: &Captures| {
        format!(
            "-{}{}",
            day_of(&c[1], "%Y%m%d").unwrap_or_else(|| c[1].to_string()),
            &c[2]
        )
    });
    let url = YEAR_MONTH_URL.replace(&url, |c: &Captures| {
        let moved =
            NaiveDate::from_ymd_opt(c[1].parse().unwrap_or(2020), c[2].parse().unwrap_or(1), 15)
                .and_then(|d| d.and_hms_opt(12, 0, 0))
                .map(|t| (t.and_utc() + offset).format("/%Y/%m/").to_string());
        moved.unwrap_or_else(|| c[0].to_string())
    });
    let url = match url
        .find("://")
        .and_then(|s| url[s + 3..].find('/').map(|p| s + 3 + p))
    {
        Some(path) => format!("{}/g{n}{}", &url[..path], &url[path..]),
        None => format!("{url}/g{n}"),
    };
    Some(format!(
        "<!--{}-->\n{title}{url})\n{dashes}\n{html}",
        feed.timestamp_millis()
    ))
}

/// Writes `count` files generated from the templates under `templates` into
/// `out` (1,000 per folder); returns how many templates were used.
pub fn generate(templates: &Path, count: u64, out: &Path, seed: u64) -> anyhow::Result<usize> {
    let roots = [templates.to_path_buf()];
    let (found, _) = discover(&roots);
    let mut texts = Vec::new();
    for file in &found {
        let path = file.path(&roots);
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        if let Ok(text) = String::from_utf8(bytes) {
            if shift_file(&text, Duration::zero(), 0).is_some() {
                texts.push(text);
            }
        }
    }
    if texts.is_empty() {
        bail!("no usable article files under {}", templates.display());
    }
    let mut rng = SplitMix(seed);
    for n in 0..count {
        let template = &texts[(n % texts.len() as u64) as usize];
        let minutes =
            (rng.next() % (2 * MAX_OFFSET_MINUTES as u64 + 1)) as i64 - MAX_OFFSET_MINUTES;
        let Some(text) = shift_file(template, Duration::minutes(minutes), n) else {
            continue;
        };
        let dir: PathBuf = out.join(format!("{:04}", n / 1000));
        if n % 1000 == 0 {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let path = dir.join(format!("{n:08}.md"));
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(texts.len())
}
