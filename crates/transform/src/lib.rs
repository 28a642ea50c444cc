//! # transform: [`RawArticle`] → [`Article`]
//!
//! The second boundary of the wirehouse data path. Its principal type is
//! [`Transformer`], built from a [`ProfileSet`]; [`Transformer::transform`]
//! turns one framed file (from `wirehouse-extract`) into one normalized
//! [`Article`] — the record of the record spec — or a [`TransformError`] that
//! becomes a reject row.
//!
//! What it decides, and where:
//! - the source, from the URL host ([`source`]), and the profile that reads
//!   the page ([`profile`]: site rules as data, `generic` for the rest);
//! - the canonical URL and article id ([`url`]);
//! - every time, in UTC ([`time`]): the feed time from the header, the
//!   published time from the page in its site's zone, with the spec's DST rules;
//! - the title, column, lead, body text, copyright line and images ([`text`]).
//!
//! Invariants: every field is computed from the file alone (no clock, no
//! network, no state between files), so the same bytes always give the same
//! record; a value that cannot be read is null with a note, never a guess;
//! nothing here panics on input.

pub mod blocks;
pub mod layout;
pub mod locate;
pub mod profile;
pub mod published;
pub mod source;
pub mod text;
pub mod time;
pub mod url;

use chrono::{DateTime, Utc};
use std::borrow::Cow;

use scraper::{ElementRef, Html};
use wirehouse_extract::RawArticle;

pub use blocks::{Block, Place};
pub use profile::{Profile, ProfileError, ProfileSet};
pub use time::{FeedTimeError, Note, Precision};
pub use url::UrlError;

/// One normalized article record: the row of the `articles` dataset.
///
/// Field meanings are those of the record spec, section 4.
#[derive(Debug, Clone, PartialEq)]
pub struct Article {
    /// Stable id from the canonical URL ([`url::article_id`]).
    pub article_id: String,
    /// Source key (`rfi`, …, `other`).
    pub source: String,
    /// Profile that read the page.
    pub profile: String,
    /// Input path relative to its input root.
    pub source_path: String,
    /// Hex SHA-256 of the file's bytes.
    pub content_sha256: String,
    /// Title: whitespace collapsed, site suffix and column removed.
    pub title: String,
    /// Link text as in the file.
    pub title_raw: String,
    /// Programme/column named in the title or URL.
    pub column_name: Option<String>,
    /// Canonical URL.
    pub url: String,
    /// URL as in the file.
    pub url_raw: String,
    /// When the feed served the item.
    pub feed_time_utc: DateTime<Utc>,
    /// When the site says it published the item.
    pub published_utc: Option<DateTime<Utc>>,
    /// The text the published time came from.
    pub published_raw: Option<String>,
    /// IANA zone the published time was read in (`UTC` for zoned input).
    pub published_tz: Option<String>,
    /// How exact the published time is.
    pub published_precision: Option<Precision>,
    /// Why the published time is special or null.
    pub published_note: Option<Note>,
    /// `feed_time_utc − published_utc` in whole seconds (truncated toward zero).
    pub feed_lag_s: Option<i64>,
    /// Author line, where the source gives one.
    pub byline: Option<String>,
    /// Lead paragraph, where the source marks one.
    pub lead: Option<String>,
    /// Paragraphs joined by a blank line.
    pub body_text: String,
    /// Paragraphs in `body_text`.
    pub paragraph_count: i32,
    /// Non-whitespace characters in `body_text`.
    pub char_count: i32,
    /// Absolute image URLs in document order.
    pub image_urls: Vec<String>,
    /// Copyright line, e.g. `© 2020 AFP`.
    pub copyright: Option<String>,
    /// Whether the feed reader's footer was present (and removed).
    pub has_feed_footer: bool,
    /// The page's layout fingerprint: the tag-and-attribute skeleton of its
    /// first elements ([`layout`]); records of one template share it.
    pub layout: String,
    /// Elements and text blocks of the page the profile's own rules placed:
    /// elements its locators took (published, byline, lead, copyright) or
    /// its `body.remove` / `captions` / `drop_repeats` selectors matched,
    /// blocks its block rules dropped or cut. `0` on a page with text means
    /// the profile recognized nothing there: every block reached the body
    /// by the default rule (a layout no rule was written for, or a page of
    /// bare text).
    pub rules_placed: i32,
}

/// Why a framed file cannot become a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransformError {
    /// The feed-time header is not a usable timestamp.
    #[error(transparent)]
    FeedTime(#[from] FeedTimeError),
    /// The link is not an absolute URL.
    #[error(transparent)]
    Url(#[from] UrlError),
    /// The HTML nests deeper than any real page; reading it could take
    /// time quadratic in its size.
    #[error("the HTML nests {depth} elements deep, over the limit of {limit}; real articles nest a few dozen")]
    TooDeep {
        /// The depth found (at least).
        depth: usize,
        /// The limit.
        limit: usize,
    },
}

impl TransformError {
    /// The short, stable name written to the rejects' `error_kind` column.
    pub fn kind(&self) -> &'static str {
        match self {
            TransformError::FeedTime(_) => "timestamp",
            TransformError::Url(_) => "url",
            TransformError::TooDeep { .. } => "too_deep",
        }
    }
}

/// Elements may nest this deep in an article's HTML. Selector matching walks
/// ancestors, so pathological nesting would cost time quadratic in the size
/// of the file; real pages nest a few dozen deep.
pub const MAX_DEPTH: usize = 512;

/// Turns framed files into records with a fixed set of profiles.
///
/// Shareable across threads: it holds only compiled, immutable profiles.
#[derive(Debug)]
pub struct Transformer {
    profiles: ProfileSet,
}

impl Transformer {
    /// A transformer using `profiles`.
    pub fn new(profiles: ProfileSet) -> Transformer {
        Transformer { profiles }
    }

    /// The profiles in use.
    pub fn profiles(&self) -> &ProfileSet {
        &self.profiles
    }

    /// Turns one framed file into its record.
    pub fn transform(&self, raw: &RawArticle) -> Result<Article, TransformError> {
        self.build(raw, None).map(|(article, _)| article)
    }

    /// Like [`Transformer::transform`], and says which rule produced each
    /// field: the tool for debugging a profile.
    pub fn inspect(&self, raw: &RawArticle) -> Result<(Article, Trace), TransformError> {
        let mut fields = Vec::new();
        let (article, blocks) = self.build(raw, Some(&mut fields))?;
        Ok((
            article,
            Trace {
                fields,
                blocks: blocks.unwrap_or_default(),
            },
        ))
    }

    fn build(
        &self,
        raw: &RawArticle,
        mut trace: Option<&mut Vec<(&'static str, String)>>,
    ) -> Result<(Article, Option<Vec<Block>>), TransformError> {
        let log_blocks = trace.is_some();
        // A rule's description is only written when someone asks (`inspect`).
        let mut note = |field: &'static str, rule: &dyn Fn() -> String| {
            if let Some(trace) = trace.as_deref_mut() {
                trace.push((field, rule()));
            }
        };
        let feed_time_utc = time::feed_time(raw.feed_time_raw())?;
        note("feed_time_utc", &|| "line 1: epoch milliseconds".into());
        let canonical = url::canonical_url(raw.url_raw())?;
        let profile = self.profiles.for_host(&canonical.host);
        note("profile", &|| {
            format!(
                "{} ({}), chosen by host {}",
                profile.name, profile.origin, canonical.host
            )
        });
        let source = match &profile.source {
            Some(source) => {
                note("source", &|| format!("profile {}", profile.name));
                source.clone()
            }
            None => {
                let known = source::known_source(&canonical.host);
                note("source", &|| match known {
                    Some(_) => format!("host {} in the spec's source table", canonical.host),
                    None => format!("host {} is no known source", canonical.host),
                });
                known.unwrap_or(source::OTHER_SOURCE).to_string()
            }
        };

        let (title, column_name, title_rule) =
            clean_title(raw.title_raw(), &canonical.url, profile);
        note("title", &|| title_rule.clone());

        let (html, has_feed_footer) = text::split_feed_footer(raw.html());
        // Count before parsing: the parser's own cost grows with depth squared.
        if text::tag_opens(html) > MAX_DEPTH {
            let raw_depth = text::raw_depth(html, MAX_DEPTH);
            if raw_depth > MAX_DEPTH {
                return Err(TransformError::TooDeep {
                    depth: raw_depth,
                    limit: MAX_DEPTH,
                });
            }
        }
        note("has_feed_footer", &|| {
            format!("{has_feed_footer}: `<hr>` + 获取更多RSS at the end")
        });
        let doc = Html::parse_document(html);
        let mut survey = text::survey(&doc, profile, MAX_DEPTH);
        if survey.depth > MAX_DEPTH {
            return Err(TransformError::TooDeep {
                depth: survey.depth,
                limit: MAX_DEPTH,
            });
        }
        let layout = std::mem::take(&mut survey.layout);
        let mut removed = std::mem::take(&mut survey.furniture);
        note("furniture", &|| {
            format!(
                "{} element(s) removed by body.remove and the always-removed tags",
                removed.len()
            )
        });

        let published =
            published::read_published(&doc, &canonical.url, feed_time_utc, profile, &removed);
        note("published_utc", &|| {
            published
                .rule
                .clone()
                .unwrap_or_else(|| "no published locator".into())
        });

        // The first page locator that finds a value wins; its element is then
        // claimed, so its text is that field's and not the body's.
        let mut claims = blocks::Claims::default();
        let mut locate = |field: &'static str,
                          place: Place,
                          locators: &[&profile::Locator],
                          removed: &mut text::NodeSet,
                          claims: &mut blocks::Claims| {
            for locator in locators.iter().filter(|l| l.is_page_or_url()) {
                if let locate::Located::Found { value, element } =
                    locator.locate(&doc, &canonical.url, removed)
                {
                    if let Some(element) = element {
                        removed.insert(element);
                        claims.insert(element, (place, locator.describe.clone()));
                    }
                    note(field, &|| locator.describe.clone());
                    return Some(value);
                }
            }
            None
        };
        let bylines: Vec<&profile::Locator> = profile.byline.iter().collect();
        let mut byline = locate("byline", Place::Byline, &bylines, &mut removed, &mut claims);
        let mut lead = locate(
            "lead",
            Place::Lead,
            &profile.lead.iter().collect::<Vec<_>>(),
            &mut removed,
            &mut claims,
        );
        let copyright_element = locate(
            "copyright",
            Place::Copyright,
            &profile.copyright.iter().collect::<Vec<_>>(),
            &mut removed,
            &mut claims,
        );
        // The published time's element last: a byline may share it (a
        // byline line above the date), and then the byline claimed it.
        if let (Some(element), Some(rule)) = (published.element, &published.rule) {
            removed.insert(element);
            claims
                .entry(element)
                .and_modify(|(_, claimed)| claimed.push_str(&format!("; {rule}")))
                .or_insert_with(|| (Place::Published, rule.clone()));
        }

        let mut blocks = blocks::read_blocks(
            &doc,
            profile,
            &blocks::Marks {
                furniture: &removed,
                captions: &survey.captions,
                repeats: &survey.repeats,
                claims: &claims,
            },
            &title,
            log_blocks,
        );
        // Credits in the text and at the head of the lead: always cut out,
        // the value is the byline when no earlier locator found one.
        for locator in &profile.byline {
            let cut = match locator.from {
                profile::Origin::Text => blocks.cut(locator, byline.is_none()),
                profile::Origin::Lead => {
                    cut_lead(&mut lead, locator, &mut blocks, byline.is_none())
                }
                _ => None,
            };
            if let Some(value) = cut {
                if byline.is_none() {
                    note("byline", &|| locator.describe.clone());
                    byline = Some(value);
                }
            }
        }
        if profile.byline.is_empty() {
            note("byline", &|| "no byline locator".into());
        } else if byline.is_none() {
            note("byline", &|| {
                let tried: Vec<&str> = profile.byline.iter().map(|l| l.describe.as_str()).collect();
                format!("{} (nothing there)", tried.join("; "))
            });
        }
        let byline = byline
            .map(|b| text::byline_names(&b))
            .filter(|b| !b.is_empty());
        note("body_text", &|| {
            format!(
                "{} text block(s) in the body, {} dropped by named rules",
                blocks.paragraphs.len(),
                blocks.dropped
            )
        });
        let images = text::read_images(&doc, &canonical.url, &removed, &survey.images);
        let copyright = copyright_element.or(blocks.copyright).map(|mut line| {
            for pattern in &profile.copyright_strip {
                if pattern.is_match(&line) {
                    line = text::collapse_whitespace(&pattern.replace_all(&line, ""));
                }
            }
            line
        });
        let body_text = blocks.paragraphs.join("\n\n");
        let char_count = text::non_whitespace_chars(&body_text);
        let feed_lag_s = published.utc.map(|p| (feed_time_utc - p).num_seconds());
        let log = blocks.log.take();
        let rules_placed = survey.matched + claims.len() + blocks.by_profile;

        let article = Article {
            article_id: url::article_id(&canonical.url),
            source,
            profile: profile.name.clone(),
            source_path: raw.meta.source_path.clone(),
            content_sha256: raw.meta.content_sha256.clone(),
            title,
            title_raw: raw.title_raw().to_string(),
            column_name,
            url: canonical.url,
            url_raw: raw.url_raw().to_string(),
            feed_time_utc,
            published_utc: published.utc,
            published_raw: published.raw,
            published_tz: published.tz,
            published_precision: published.precision,
            published_note: published.note,
            feed_lag_s,
            byline,
            lead,
            paragraph_count: saturating_i32(blocks.paragraphs.len()),
            char_count: saturating_i32(char_count),
            body_text,
            image_urls: images,
            copyright,
            has_feed_footer,
            layout,
            rules_placed: saturating_i32(rules_placed),
        };
        Ok((article, log))
    }
}

/// How a record was made: which rule produced each field, and where every
/// text block of the page went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trace {
    /// `(field, rule)` pairs in the order the fields were read.
    pub fields: Vec<(&'static str, String)>,
    /// Every text block of the page in page order, with its place and rule.
    pub blocks: Vec<Block>,
}

/// Runs a `from = "lead"` byline locator: the match is cut out of the lead
/// (a lead left empty is none) and its value returned; the block log says
/// where the cut text went (see [`blocks::Blocks::cut`]).
fn cut_lead(
    lead: &mut Option<String>,
    locator: &profile::Locator,
    blocks: &mut blocks::Blocks,
    used: bool,
) -> Option<String> {
    let text = lead.take()?;
    let texts = [text];
    let Some((_, value, range)) = locator.locate_in(&texts) else {
        *lead = texts.into_iter().next();
        return None;
    };
    let [text] = texts;
    let cut = text::collapse_whitespace(&text[range.clone()]);
    let rest =
        text::collapse_whitespace(&format!("{} {}", &text[..range.start], &text[range.end..]));
    *lead = (!rest.is_empty()).then_some(rest);
    if let Some(log) = blocks.log.as_mut() {
        let (place, rule) = blocks::credit_place(locator, used);
        log.push(Block {
            place,
            rule,
            text: cut,
        });
    }
    Some(value)
}

fn saturating_i32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// The title with whitespace collapsed and the profile's suffixes removed, and
/// the column it names (or the URL names).
fn clean_title(
    raw: &str,
    canonical_url: &str,
    profile: &Profile,
) -> (String, Option<String>, String) {
    let mut rule = String::from("link text");
    let unescaped = undo_markdown_escapes(raw);
    if let Cow::Owned(_) = unescaped {
        rule.push_str(", markdown escapes undone");
    }
    let decoded = decode_entities(&unescaped);
    if let Cow::Owned(_) = decoded {
        rule.push_str(", HTML entities decoded");
    }
    let mut title = text::collapse_whitespace(&decoded);
    rule.push_str(", whitespace collapsed");
    for suffix in &profile.title.strip_suffixes {
        if let Some(stripped) = title.strip_suffix(suffix.as_str()) {
            title = stripped.trim_end().to_string();
            rule.push_str(&format!(", suffix {suffix:?} removed"));
            break;
        }
    }
    let mut column = None;
    if let Some(prefix) = &profile.column_prefix {
        if let Some(captures) = prefix.captures(&title) {
            // The first group that took part: a pattern may list several
            // shapes of column, one group each.
            let name = captures
                .iter()
                .skip(1)
                .flatten()
                .next()
                .map_or("", |m| m.as_str())
                .trim()
                .to_string();
            let rest = title[captures.get(0).map_or(0, |m| m.end())..]
                .trim()
                .to_string();
            if !name.is_empty() && !rest.is_empty() {
                column = Some(name);
                title = rest;
                rule.push_str(", column named at the start");
            }
        }
    }
    if let Some(separator) = profile
        .title
        .column_separator
        .as_ref()
        .filter(|_| column.is_none())
    {
        if let Some((head, tail)) = title.rsplit_once(separator.as_str()) {
            let (head, tail) = (head.trim(), tail.trim());
            if !head.is_empty() && !tail.is_empty() {
                column = Some(tail.to_string());
                title = head.to_string();
                rule.push_str(&format!(", column after the last {separator:?}"));
            }
        }
    }
    if column.is_none() {
        if let Some(marker) = &profile.title.column_after_url_segment {
            column = column_from_url(canonical_url, marker);
            if column.is_some() {
                rule.push_str(&format!(", column from the URL after /{marker}/"));
            }
        }
    }
    (title, column, rule)
}

/// The link text with the archiver's markdown escapes undone: a backslash
/// before a punctuation mark (`\[`, `\“`, `\*`) stands for the mark alone.
/// A backslash before a letter, a digit or a space is left as written.
fn undo_markdown_escapes(raw: &str) -> Cow<'_, str> {
    if !raw.contains('\\') {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(&next) = chars.peek() {
                if !next.is_alphanumeric() && !next.is_whitespace() {
                    out.push(next);
                    chars.next();
                    continue;
                }
            }
        }
        out.push(c);
    }
    Cow::Owned(out)
}

/// The link text with HTML character references decoded (`&quot;`, `&#39;`,
/// `&amp;`), as the HTML parser decodes a `<title>` (whose text holds no
/// tags, so `<` in a title stays text).
fn decode_entities(text: &str) -> Cow<'_, str> {
    // Only a `</title` could end the parser's title early.
    if !text.contains('&') || text.to_ascii_lowercase().contains("</title") {
        return Cow::Borrowed(text);
    }
    let doc = Html::parse_document(&format!("<title>{text}</title>"));
    let decoded: String = doc
        .tree
        .nodes()
        .filter_map(ElementRef::wrap)
        .find(|e| e.value().name.local == markup5ever::local_name!("title"))
        .map(|title| title.text().collect())
        .unwrap_or_else(|| text.to_string());
    if decoded == text {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(decoded)
    }
}

/// The URL path segment after the segment equal to `marker`, decoded.
fn column_from_url(canonical_url: &str, marker: &str) -> Option<String> {
    let path_start = canonical_url.find("://").map(|i| i + 3)?;
    let rest = &canonical_url[path_start..];
    let path = rest[rest.find('/')?..].split('?').next()?;
    let decoded = url::percent_decode(path);
    let mut segments = decoded.split('/');
    segments.find(|s| *s == marker)?;
    segments
        .next()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
mod tests;
