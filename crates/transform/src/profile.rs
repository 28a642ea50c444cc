//! Site profiles: what to extract from a site's pages, as data.
//!
//! A profile is a TOML file (see `pipelines/profiles/`), deserialized into a
//! [`ProfileSpec`] and compiled once, at start-up, into a [`Profile`]: CSS
//! selectors parsed, zones looked up, formats checked. A profile that does not
//! compile stops the run before any file is read, with an error that names the
//! file and the key.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use markup5ever::{local_name, LocalName};
use regex::Regex;
use scraper::selector::Simple;
use scraper::{ElementRef, Selector};
use selectors::matching::{
    matches_selector, MatchingContext, MatchingForInvalidation, MatchingMode, NeedsSelectorFlags,
    QuirksMode, SelectorCaches,
};
use selectors::parser::{Component, ParseRelative, SelectorList};
use serde::Deserialize;

use crate::source::{host_matches, known_source};
use crate::time::Precision;

/// The name of the fallback profile, used for every host no profile claims.
pub const GENERIC: &str = "generic";

/// Elements never part of an article's text, whatever the profile says.
/// Matched by name, which costs one comparison per name and element.
pub const ALWAYS_REMOVED: [&str; 10] = [
    "script", "style", "noscript", "template", "iframe", "svg", "object", "embed", "canvas", "head",
];

/// The profiles shipped with wirehouse, as in `pipelines/profiles/`.
const BUILTIN: &[(&str, &str)] = &[
    (
        "generic.toml",
        include_str!("../../../pipelines/profiles/generic.toml"),
    ),
    (
        "bbc.toml",
        include_str!("../../../pipelines/profiles/bbc.toml"),
    ),
    (
        "cdt.toml",
        include_str!("../../../pipelines/profiles/cdt.toml"),
    ),
    (
        "dw.toml",
        include_str!("../../../pipelines/profiles/dw.toml"),
    ),
    (
        "ft.toml",
        include_str!("../../../pipelines/profiles/ft.toml"),
    ),
    (
        "nytimes.toml",
        include_str!("../../../pipelines/profiles/nytimes.toml"),
    ),
    (
        "reuters.toml",
        include_str!("../../../pipelines/profiles/reuters.toml"),
    ),
    (
        "rfa.toml",
        include_str!("../../../pipelines/profiles/rfa.toml"),
    ),
    (
        "rfi.toml",
        include_str!("../../../pipelines/profiles/rfi.toml"),
    ),
    (
        "voa.toml",
        include_str!("../../../pipelines/profiles/voa.toml"),
    ),
];

/// A profile file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileSpec {
    /// Profile name, as written to the `profile` column.
    pub name: String,
    /// The `source` of records this profile handles; required unless the
    /// profile is `generic`.
    pub source: Option<String>,
    /// Hosts this profile handles (a host matches itself and its subdomains).
    #[serde(default)]
    pub hosts: Vec<String>,
    /// How the title is cleaned.
    #[serde(default)]
    pub title: TitleSpec,
    /// Where and how the publication time is stated; tried in order.
    #[serde(default)]
    pub published: Vec<LocatorSpec>,
    /// Where the author line is; tried in order.
    #[serde(default)]
    pub byline: Vec<LocatorSpec>,
    /// Where the lead (standfirst) is.
    pub lead: Option<LocatorSpec>,
    /// What the copyright line looks like.
    #[serde(default)]
    pub copyright: CopyrightSpec,
    /// What the body is made of, and what is furniture.
    #[serde(default)]
    pub body: BodySpec,
    /// What share of a run's records of this profile's source should have
    /// each field: checked after every run (see [`ExpectSpec`]).
    #[serde(default)]
    pub expect: ExpectSpec,
}

/// A profile's expectations: the coverage its rules reach on every known
/// layout of its site, checked on the records each run writes. A share
/// below `at_least` (or above `at_most`) means the site has a layout the
/// rules do not read.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExpectSpec {
    /// A run that wrote fewer records of the source than this does not
    /// judge it: a handful of new files says little about a share. Default
    /// [`ExpectSpec::DEFAULT_MIN_RECORDS`].
    pub min_records: Option<u64>,
    /// Records with a `published_utc`.
    pub published: Option<Bound>,
    /// Records with a byline.
    pub byline: Option<Bound>,
    /// Records with a lead.
    pub lead: Option<Bound>,
    /// Records with a copyright line.
    pub copyright: Option<Bound>,
    /// Records with at least one image.
    pub images: Option<Bound>,
    /// Records whose body is empty.
    pub empty_body: Option<Bound>,
    /// Records whose page has text blocks but none a rule of the profile
    /// placed (`rules_placed = 0`).
    pub unplaced: Option<Bound>,
    /// Records published after the feed served them (`feed_lag_s < 0`).
    pub negative_lag: Option<Bound>,
}

impl ExpectSpec {
    /// `min_records` when a profile gives none.
    pub const DEFAULT_MIN_RECORDS: u64 = 10;

    /// The fields the section names, in a fixed order, with their bounds.
    pub fn bounds(&self) -> impl Iterator<Item = (&'static str, &Bound)> {
        [
            ("published", &self.published),
            ("byline", &self.byline),
            ("lead", &self.lead),
            ("copyright", &self.copyright),
            ("images", &self.images),
            ("empty_body", &self.empty_body),
            ("unplaced", &self.unplaced),
            ("negative_lag", &self.negative_lag),
        ]
        .into_iter()
        .filter_map(|(field, bound)| bound.as_ref().map(|b| (field, b)))
    }

    /// Whether the section names any field.
    pub fn is_empty(&self) -> bool {
        self.bounds().next().is_none()
    }

    /// The smallest run (in records of the source) that is judged.
    pub fn min_records(&self) -> u64 {
        self.min_records.unwrap_or(Self::DEFAULT_MIN_RECORDS)
    }
}

/// One expectation: the share of records, from 0 to 1, that should have a
/// field (`at_least`) or may have a property (`at_most`), and why that
/// number (printed when the run falls short of it).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Bound {
    /// The share must be at least this.
    pub at_least: Option<f64>,
    /// The share must be at most this.
    pub at_most: Option<f64>,
    /// Why this number: what the site's pages state, in which eras.
    pub why: String,
}

impl Bound {
    /// Whether `share` meets the bound.
    pub fn holds(&self, share: f64) -> bool {
        self.at_least.is_none_or(|min| share >= min) && self.at_most.is_none_or(|max| share <= max)
    }

    /// The bound as people write it: `≥ 0.95`, `≤ 0`, `≥ 0.2 and ≤ 0.9`.
    pub fn describe(&self) -> String {
        match (self.at_least, self.at_most) {
            (Some(min), Some(max)) => format!("≥ {min} and ≤ {max}"),
            (Some(min), None) => format!("≥ {min}"),
            (None, Some(max)) => format!("≤ {max}"),
            (None, None) => String::new(),
        }
    }
}

/// Title rules.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TitleSpec {
    /// Site boilerplate suffixes removed from the end of the title (first match wins).
    #[serde(default)]
    pub strip_suffixes: Vec<String>,
    /// When set, the text after the last occurrence of this separator names
    /// the programme/column, and the title is what precedes it.
    pub column_separator: Option<String>,
    /// When set, a URL path segment after a segment equal to this names the
    /// column (used when the title names none).
    pub column_after_url_segment: Option<String>,
    /// Regular expression matching a column named at the start of the title
    /// (`【立此存照】…`, `简报：…`); capture group 1 is the column, and the
    /// match is removed from the title.
    pub column_prefix: Option<String>,
}

/// Where a value comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// An element of the page (its text, or an attribute).
    #[default]
    Page,
    /// The article's canonical URL.
    Url,
    /// The body's text blocks, once read: `matches` finds the value in a
    /// block (its first capture group), and the whole match is cut out of
    /// the body (a credit line closing the text).
    Text,
    /// The lead, once read: as `text`, the match is cut out of the lead (an
    /// author named at the head of the standfirst).
    Lead,
}

/// Which `<br>`-separated lines of an element's text to take.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lines {
    /// All of them, joined by a space.
    #[default]
    All,
    /// The first line.
    First,
    /// The last line.
    Last,
    /// Every line but the last (e.g. a byline above a date).
    BeforeLast,
}

/// Which of several matching elements to take.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pick {
    /// The first in document order.
    #[default]
    First,
    /// The last in document order.
    Last,
}

/// Where a value is on the page, as written in a profile.
///
/// `from = "page"` (the default) takes the text (or `attribute`) of the
/// elements matching `selector`, outside removed furniture, with `lines`
/// choosing `<br>`-separated lines; `from = "url"` takes the canonical URL.
/// `matches`, a regular expression, keeps only values it matches, and its
/// first capture group (if any) is the value. Published-time locators also
/// name `formats` (chrono), a `zone` and a `precision`, or set `relative`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocatorSpec {
    /// Page or URL.
    #[serde(default)]
    pub from: Origin,
    /// CSS selector (page locators).
    pub selector: Option<String>,
    /// Attribute to read instead of the text.
    pub attribute: Option<String>,
    /// Which lines of the text.
    #[serde(default)]
    pub lines: Lines,
    /// Regular expression the value must match; capture group 1 is the value.
    pub matches: Option<String>,
    /// First or last matching element.
    #[serde(default)]
    pub pick: Pick,
    /// chrono formats of a time, tried in order (published only).
    #[serde(default)]
    pub formats: Vec<String>,
    /// IANA zone of the wall clock, or `UTC` (published only).
    pub zone: Option<String>,
    /// How exact the formats are (published only).
    pub precision: Option<Precision>,
    /// Accept relative phrases (`19 分钟前`, `3 小时前`, `2 天前`) resolved
    /// against the feed time (published only).
    #[serde(default)]
    pub relative: bool,
    /// Regular expressions: text they match is cut out of the value
    /// (`（综合报道）` after a byline).
    #[serde(default)]
    pub strip: Vec<String>,
    /// Read Chinese 12-hour clocks (`2020年10月2日凌晨5点08分`) as
    /// `2020-10-02 05:08` before trying the formats (published only).
    #[serde(default)]
    pub chinese_clock: bool,
    /// Look inside furniture too: a value kept in a block the body drops
    /// (CDT's archive card names the author).
    #[serde(default)]
    pub in_furniture: bool,
    /// CSS: an element is taken only if all its text is inside descendants
    /// matching this (`"b, strong"`: a paragraph set in bold, in one run or
    /// several).
    pub only_text_in: Option<String>,
}

/// Copyright rules.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CopyrightSpec {
    /// CSS selector of an element that is the copyright line.
    pub selector: Option<String>,
    /// Regular expressions: a paragraph, or a `<br>`-separated line of one,
    /// that matches is the copyright line, not article text.
    #[serde(default = "default_copyright_lines")]
    pub lines: Vec<String>,
    /// Regular expressions cut out of the copyright line (a rights notice
    /// that follows the holder's name).
    #[serde(default)]
    pub strip: Vec<String>,
}

impl Default for CopyrightSpec {
    fn default() -> Self {
        CopyrightSpec {
            selector: None,
            lines: default_copyright_lines(),
            strip: Vec::new(),
        }
    }
}

fn default_copyright_lines() -> Vec<String> {
    vec!["^©".into()]
}

fn yes() -> bool {
    true
}

/// Body rules.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BodySpec {
    /// CSS selectors of furniture removed before text and images are read
    /// (scripts, styles and embeds are always removed).
    #[serde(default)]
    pub remove: Vec<String>,
    /// CSS selectors of captions and picture credits: their text is
    /// dropped, the pictures in them stay the article's.
    #[serde(default)]
    pub captions: Vec<String>,
    /// CSS selectors of pull quotes and other repeats: a block inside is
    /// dropped when its text is in another body block, and kept otherwise.
    #[serde(default)]
    pub drop_repeats: Vec<String>,
    /// No longer read: every text block of the page is placed (see
    /// `blocks`); kept so that an old profile gets a message that says so.
    pub paragraphs: Option<String>,
    /// Whether a block made only of links (related stories, "read more")
    /// is dropped (default true).
    #[serde(default = "yes")]
    pub drop_links_only: bool,
    /// Regular expressions: a paragraph that matches is furniture.
    #[serde(default)]
    pub drop_paragraphs: Vec<String>,
    /// Regular expressions: a `<br>`-separated line of a paragraph that
    /// matches is furniture.
    #[serde(default)]
    pub drop_lines: Vec<String>,
    /// Regular expressions: text they match is cut out of every paragraph.
    #[serde(default)]
    pub strip: Vec<String>,
}

impl Default for BodySpec {
    fn default() -> BodySpec {
        BodySpec {
            remove: Vec::new(),
            captions: Vec::new(),
            drop_repeats: Vec::new(),
            paragraphs: None,
            drop_links_only: true,
            drop_paragraphs: Vec::new(),
            drop_lines: Vec::new(),
            strip: Vec::new(),
        }
    }
}

/// A compiled profile, ready to apply.
#[derive(Debug)]
pub struct Profile {
    /// Profile name.
    pub name: String,
    /// Source of records it handles (`None` for `generic`: decided by host).
    pub source: Option<String>,
    /// Hosts it handles.
    pub hosts: Vec<String>,
    /// Title rules.
    pub title: TitleSpec,
    /// Column named at the start of the title.
    pub column_prefix: Option<Regex>,
    /// Publication-time locators, tried in order.
    pub published: Vec<PublishedLocator>,
    /// Byline locators, tried in order.
    pub byline: Vec<Locator>,
    /// Lead locator.
    pub lead: Option<Locator>,
    /// Copyright element locator.
    pub copyright: Option<Locator>,
    /// Copyright line patterns.
    pub copyright_lines: Vec<Regex>,
    /// Text cut out of the copyright line.
    pub copyright_strip: Vec<Regex>,
    /// Furniture: the `body.remove` entries, matched in one walk.
    /// [`ALWAYS_REMOVED`] elements are furniture too.
    pub remove: RemoveRules,
    /// Captions: the `body.captions` entries, whose text is dropped but
    /// whose pictures are the article's.
    pub captions: RemoveRules,
    /// Repeats: the `body.drop_repeats` entries, whose blocks are dropped
    /// only where the body says the same elsewhere.
    pub repeats: RemoveRules,
    /// Furniture paragraphs.
    pub drop_paragraphs: Vec<Regex>,
    /// Furniture lines.
    pub drop_lines: Vec<Regex>,
    /// Text cut out of paragraphs.
    pub strip: Vec<Regex>,
    /// The spec it was compiled from, for `wirehouse profiles` and `inspect`.
    pub spec: ProfileSpec,
    /// Where the profile came from, for messages.
    pub origin: String,
}

/// A profile's `body.remove` entries, compiled for one walk over a page:
/// entries that are a bare lower-case element name (`small`, `h3`) are
/// compared as interned names, one integer comparison each; the rest are one
/// selector list. Together they pick exactly what the whole list as one
/// selector picks (a test checks this on the corpus): a lower-case type
/// selector matches an element by its local name in any namespace, as the
/// name comparison does.
#[derive(Debug, Default)]
pub struct RemoveRules {
    /// The entries that are bare element names.
    names: Vec<LocalName>,
    /// The other entries as one selector list (none when there are none).
    selector: Option<Prefiltered>,
}

impl RemoveRules {
    fn compile(origin: &str, key: &str, entries: &[String]) -> Result<RemoveRules, ProfileError> {
        let mut rules = RemoveRules::default();
        let mut others = Vec::new();
        for css in entries {
            // Each entry alone first, so an error names the one that is wrong.
            selector(origin, key, css)?;
            let css = css.trim();
            let bare_name = css.starts_with(|c: char| c.is_ascii_lowercase())
                && css
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if bare_name {
                rules.names.push(LocalName::from(css));
            } else {
                others.push(css);
            }
        }
        if !others.is_empty() {
            rules.selector = Some(Prefiltered::compile(origin, key, &others.join(", "))?);
        }
        Ok(rules)
    }

    /// Whether an element named `name` is furniture by its name alone.
    pub fn names(&self, name: &LocalName) -> bool {
        self.names.iter().any(|n| n == name)
    }

    /// The entries that are not bare names, as one selector list (matched in
    /// the survey walk, with a [`Matcher`] per page).
    pub fn selector(&self) -> Option<&Prefiltered> {
        self.selector.as_ref()
    }
}

/// A selector list compiled for matching page after page: with, when every
/// selector of it allows one, a quick test an element must pass for the list
/// to match it. Most elements of a page fail that test on a name or an
/// attribute comparison and are never handed to the selector engine.
#[derive(Debug)]
pub struct Prefiltered {
    /// The list as scraper parses and matches it.
    selector: Selector,
    /// The same list as the selector engine sees it: read for the
    /// prefilter, and matched with caches kept across a page's elements.
    list: SelectorList<Simple>,
    prefilter: Option<Prefilter>,
}

impl Prefiltered {
    fn compile(origin: &str, key: &str, css: &str) -> Result<Prefiltered, ProfileError> {
        let selector = selector(origin, key, css)?;
        // Parsed as scraper parses it (`Selector::parse`), so it cannot fail
        // where that succeeded.
        let list = SelectorList::parse(
            &scraper::selector::Parser,
            &mut cssparser::Parser::new(css),
            ParseRelative::No,
        )
        .map_err(|e| {
            ProfileError::new(
                origin,
                format!("{key}: invalid CSS selector {css:?}: {e:?}"),
            )
        })?;
        let prefilter = Prefilter::of(&list);
        Ok(Prefiltered {
            selector,
            list,
            prefilter,
        })
    }

    /// A matcher for the elements of one page.
    pub fn matcher(&self) -> Matcher<'_> {
        Matcher {
            prefiltered: self,
            caches: SelectorCaches::default(),
        }
    }

    /// Every element of `doc` the list matches, found lazily, in the order
    /// of the parsed page (where the parser moved misplaced content, as a
    /// browser shows it; [`Html::select`](scraper::Html::select) gives them
    /// in the order the parser created them).
    pub fn select<'a>(
        &'a self,
        doc: &'a scraper::Html,
    ) -> impl Iterator<Item = ElementRef<'a>> + 'a {
        let mut matcher = self.matcher();
        doc.tree
            .root()
            .descendants()
            .filter_map(ElementRef::wrap)
            .filter(move |element| matcher.matches(element))
    }

    /// The list, as scraper matches it.
    pub fn selector(&self) -> &Selector {
        &self.selector
    }

    /// The quick test, or `None` when some selector's rightmost part asks for
    /// nothing it can check (`*`, `:not(p)`): every element then goes to the
    /// selector engine.
    pub fn prefilter(&self) -> Option<&Prefilter> {
        self.prefilter.as_ref()
    }
}

/// Matches a [`Prefiltered`] list against the elements of one page, keeping
/// the selector engine's caches from one element to the next: set up anew
/// for every element, as [`Selector::matches`] does, they cost more than
/// matching simple selectors.
pub struct Matcher<'a> {
    prefiltered: &'a Prefiltered,
    caches: SelectorCaches,
}

impl Matcher<'_> {
    /// Whether the list matches `element`: what [`Selector::matches`] says.
    pub fn matches(&mut self, element: &ElementRef) -> bool {
        if let Some(prefilter) = &self.prefiltered.prefilter {
            if !prefilter.admits(element.value()) {
                return false;
            }
        }
        // As scraper's `Selector::matches` sets the engine up (no quirks
        // mode, no bloom filter, `:scope` the root), caches aside.
        let mut context = MatchingContext::new(
            MatchingMode::Normal,
            None,
            &mut self.caches,
            QuirksMode::NoQuirks,
            NeedsSelectorFlags::No,
            MatchingForInvalidation::No,
        );
        self.prefiltered
            .list
            .slice()
            .iter()
            .any(|selector| matches_selector(selector, 0, None, element, &mut context))
    }
}

/// What an element must have for a selector list to match it: for each
/// selector, one thing its rightmost compound asks of the element itself —
/// an id, a class, an attribute or a name, the first of these it names
/// (`p[role='text']` needs a `role`). An element that has none of the
/// selectors' needs cannot match the list; one that has one still goes to
/// the selector engine, which decides.
///
/// Needs are checked as the engine matches with scraper: names and
/// attribute names as written or lower-cased, classes and ids as written
/// (scraper matches in no-quirks mode whatever the page's doctype); a class
/// is looked for as a piece of the `class` attribute, not one of its words.
/// A test compares prefiltered matching with scraper's on the corpus and on
/// pages written to trip it.
#[derive(Debug, Clone, Default)]
pub struct Prefilter {
    /// Element names, as written and lower-cased (the engine compares HTML
    /// elements' names with the latter, others' with the former).
    names: Vec<LocalName>,
    /// Attribute names, likewise.
    attributes: Vec<LocalName>,
    /// Text a `class` attribute holds.
    classes: Vec<String>,
    /// Values of an `id` attribute.
    ids: Vec<String>,
}

impl Prefilter {
    /// The needs of the selectors of `list`, or `None` when one of them
    /// needs nothing checkable.
    fn of(list: &SelectorList<Simple>) -> Option<Prefilter> {
        let mut prefilter = Prefilter::default();
        for selector in list.slice() {
            // `iter` yields the rightmost compound and stops at its
            // combinator: the part that must hold of the element itself.
            // Its most telling need is kept: an id or a class is rarer than
            // an attribute, and an attribute than a name.
            let mut id = None;
            let mut class = None;
            let mut attribute = None;
            let mut name = None;
            for component in selector.iter() {
                match component {
                    Component::ID(value) => id = Some(value.0.to_string()),
                    Component::Class(value) => class = Some(value.0.to_string()),
                    Component::AttributeInNoNamespaceExists {
                        local_name,
                        local_name_lower,
                    } => attribute = Some([local_name.0.clone(), local_name_lower.0.clone()]),
                    Component::AttributeInNoNamespace { local_name, .. } => {
                        attribute = Some([local_name.0.clone(), local_name.0.clone()])
                    }
                    Component::AttributeOther(other) => {
                        attribute =
                            Some([other.local_name.0.clone(), other.local_name_lower.0.clone()])
                    }
                    Component::LocalName(local) => {
                        name = Some([local.name.0.clone(), local.lower_name.0.clone()])
                    }
                    // Pseudo-classes, `:is`, `:not`, `:has`, namespaces and
                    // `*` narrow nothing down a cheap test could check.
                    _ => {}
                }
            }
            if let Some(id) = id {
                prefilter.ids.push(id);
            } else if let Some(class) = class {
                prefilter.classes.push(class);
            } else if let Some(attribute) = attribute {
                prefilter.attributes.extend(attribute);
            } else if let Some(name) = name {
                prefilter.names.extend(name);
            } else {
                return None;
            }
        }
        Some(prefilter)
    }

    /// Whether `element` has one of the needs: false means no selector of
    /// the list can match it.
    pub fn admits(&self, element: &scraper::node::Element) -> bool {
        // Names are interned: comparing two is comparing two integers.
        self.names.contains(&element.name.local)
            || element.attrs.iter().any(|(key, value)| {
                self.attributes.contains(&key.local)
                    || (key.local == local_name!("class")
                        && self.classes.iter().any(|class| {
                            memchr::memmem::find(value.as_bytes(), class.as_bytes()).is_some()
                        }))
                    || (key.local == local_name!("id") && self.ids.iter().any(|id| **value == **id))
            })
    }
}

/// A compiled locator.
#[derive(Debug)]
pub struct Locator {
    /// Page or URL.
    pub from: Origin,
    /// Elements (page locators).
    pub selector: Option<Prefiltered>,
    /// Attribute read instead of the text.
    pub attribute: Option<String>,
    /// Which lines.
    pub lines: Lines,
    /// Filter and capture.
    pub matches: Option<Regex>,
    /// First or last.
    pub pick: Pick,
    /// Text cut out of the value.
    pub strip: Vec<Regex>,
    /// Whether furniture is searched too.
    pub in_furniture: bool,
    /// Elements all of whose text must be inside these.
    pub only_text_in: Option<Selector>,
    /// How the profile wrote it, for traces (`published[0]: body > div …`).
    pub describe: String,
}

/// A compiled publication-time locator.
#[derive(Debug)]
pub struct PublishedLocator {
    /// Where the text is.
    pub locator: Locator,
    /// Its formats.
    pub formats: Vec<String>,
    /// Its zone.
    pub zone: Tz,
    /// Its precision.
    pub precision: Precision,
    /// Whether relative phrases are accepted.
    pub relative: bool,
    /// Whether Chinese 12-hour clocks are normalized first.
    pub chinese_clock: bool,
}

/// A profile file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("profile {origin}: {message}")]
pub struct ProfileError {
    /// The file (or built-in name) at fault.
    pub origin: String,
    /// What is wrong, naming the key.
    pub message: String,
}

impl ProfileError {
    fn new(origin: &str, message: impl Into<String>) -> ProfileError {
        ProfileError {
            origin: origin.into(),
            message: message.into(),
        }
    }
}

fn selector(origin: &str, key: &str, css: &str) -> Result<Selector, ProfileError> {
    Selector::parse(css)
        .map_err(|e| ProfileError::new(origin, format!("{key}: invalid CSS selector {css:?}: {e}")))
}

/// What of a profile's text decides its records: the TOML without its
/// comments, layout and `[expect]` section. A run's fingerprint hashes it,
/// so editing a comment or an expectation reprocesses nothing.
fn rules_text(text: &str) -> String {
    match text.parse::<toml::Table>() {
        Ok(mut table) => {
            table.remove("expect");
            toml::to_string(&table).unwrap_or_else(|_| text.to_string())
        }
        Err(_) => text.to_string(),
    }
}

fn regex(origin: &str, key: &str, pattern: &str) -> Result<Regex, ProfileError> {
    Regex::new(pattern).map_err(|e| {
        let e = e.to_string().replace('\n', " ");
        ProfileError::new(
            origin,
            format!("{key}: invalid regular expression {pattern:?}: {e}"),
        )
    })
}

fn regexes(origin: &str, key: &str, patterns: &[String]) -> Result<Vec<Regex>, ProfileError> {
    patterns.iter().map(|p| regex(origin, key, p)).collect()
}

fn describe(spec: &LocatorSpec) -> String {
    let mut parts = Vec::new();
    match spec.from {
        Origin::Url => parts.push("the URL".to_string()),
        Origin::Text => parts.push(format!(
            "the {} body block",
            if spec.pick == Pick::Last {
                "last matching"
            } else {
                "first matching"
            }
        )),
        Origin::Lead => parts.push("the lead".to_string()),
        Origin::Page => {
            parts.push(format!("`{}`", spec.selector.as_deref().unwrap_or("?")));
            if spec.pick == Pick::Last {
                parts.push("last match".into());
            }
            if let Some(attribute) = &spec.attribute {
                parts.push(format!("attribute {attribute}"));
            }
            match spec.lines {
                Lines::All => {}
                Lines::First => parts.push("first line".into()),
                Lines::Last => parts.push("last line".into()),
                Lines::BeforeLast => parts.push("lines before the last".into()),
            }
        }
    }
    if let Some(pattern) = &spec.matches {
        parts.push(format!("matching /{pattern}/"));
    }
    if !spec.formats.is_empty() {
        parts.push(format!("format {}", spec.formats.join(" | ")));
    }
    if let Some(zone) = &spec.zone {
        parts.push(format!("zone {zone}"));
    }
    if spec.relative {
        parts.push("relative phrases".into());
    }
    if spec.chinese_clock {
        parts.push("Chinese 12-hour clock".into());
    }
    if spec.in_furniture {
        parts.push("furniture searched too".into());
    }
    if let Some(css) = &spec.only_text_in {
        parts.push(format!("all its text in `{css}`"));
    }
    parts.join(", ")
}

impl Locator {
    fn compile(origin: &str, key: &str, spec: &LocatorSpec) -> Result<Locator, ProfileError> {
        let selector = match (spec.from, &spec.selector) {
            (Origin::Page, Some(css)) => Some(Prefiltered::compile(
                origin,
                &format!("{key}.selector"),
                css,
            )?),
            (Origin::Page, None) => {
                return Err(ProfileError::new(
                    origin,
                    format!("{key}.selector: a page locator needs a selector"),
                ))
            }
            (Origin::Url, Some(_)) => {
                return Err(ProfileError::new(
                    origin,
                    format!("{key}.selector: a URL locator takes no selector"),
                ))
            }
            (Origin::Url | Origin::Text | Origin::Lead, None) => None,
            (Origin::Text | Origin::Lead, Some(_)) => {
                return Err(ProfileError::new(
                    origin,
                    format!(
                        "{key}.selector: a text or lead locator takes no selector, only `matches`"
                    ),
                ))
            }
        };
        if matches!(spec.from, Origin::Text | Origin::Lead) && spec.matches.is_none() {
            return Err(ProfileError::new(
                origin,
                format!("{key}.matches: a text or lead locator needs a pattern to find its value"),
            ));
        }
        let matches = spec
            .matches
            .as_deref()
            .map(|p| regex(origin, &format!("{key}.matches"), p))
            .transpose()?;
        Ok(Locator {
            from: spec.from,
            selector,
            attribute: spec.attribute.clone(),
            lines: spec.lines,
            matches,
            pick: spec.pick,
            strip: regexes(origin, &format!("{key}.strip"), &spec.strip)?,
            in_furniture: spec.in_furniture,
            only_text_in: spec
                .only_text_in
                .as_deref()
                .map(|css| self::selector(origin, &format!("{key}.only_text_in"), css))
                .transpose()?,
            describe: format!("{key}: {}", describe(spec)),
        })
    }

    /// A locator for everything but published times: time keys are refused.
    fn compile_plain(origin: &str, key: &str, spec: &LocatorSpec) -> Result<Locator, ProfileError> {
        if !spec.formats.is_empty()
            || spec.zone.is_some()
            || spec.precision.is_some()
            || spec.relative
            || spec.chinese_clock
        {
            return Err(ProfileError::new(
                origin,
                format!("{key}: formats, zone, precision, relative and chinese_clock belong to published locators"),
            ));
        }
        Locator::compile(origin, key, spec)
    }
}

impl PublishedLocator {
    fn compile(
        origin: &str,
        key: &str,
        spec: &LocatorSpec,
    ) -> Result<PublishedLocator, ProfileError> {
        if matches!(spec.from, Origin::Text | Origin::Lead) {
            return Err(ProfileError::new(
                origin,
                format!("{key}.from: a published time is read from the page or the URL"),
            ));
        }
        let locator = Locator::compile(origin, key, spec)?;
        if spec.formats.is_empty() && !spec.relative {
            return Err(ProfileError::new(
                origin,
                format!("{key}.formats: give at least one format, or relative = true"),
            ));
        }
        let zone_name = match (&spec.zone, spec.formats.is_empty()) {
            (Some(zone), _) => zone.as_str(),
            (None, true) => "UTC",
            (None, false) => {
                return Err(ProfileError::new(
                    origin,
                    format!("{key}.zone: a locator with formats needs the zone of its clock"),
                ))
            }
        };
        let zone: Tz = zone_name.parse().map_err(|_| {
            ProfileError::new(
                origin,
                format!("{key}.zone: {zone_name:?} is not an IANA time zone name"),
            )
        })?;
        for format in &spec.formats {
            check_format(format)
                .map_err(|m| ProfileError::new(origin, format!("{key}.formats: {format:?} {m}")))?;
        }
        let precision = match (spec.precision, spec.formats.is_empty()) {
            (Some(p), _) => p,
            (None, true) => Precision::Approximate,
            (None, false) => {
                return Err(ProfileError::new(
                    origin,
                    format!("{key}.precision: say how exact the formats are (second, minute, day)"),
                ))
            }
        };
        Ok(PublishedLocator {
            locator,
            formats: spec.formats.clone(),
            zone,
            precision,
            relative: spec.relative,
            chinese_clock: spec.chinese_clock,
        })
    }
}

impl Profile {
    /// Compiles a profile spec; `origin` names its file in errors.
    pub fn compile(spec: ProfileSpec, origin: &str) -> Result<Profile, ProfileError> {
        if spec.name.trim().is_empty() {
            return Err(ProfileError::new(origin, "name: must not be empty"));
        }
        let is_generic = spec.name == GENERIC;
        for (field, bound) in spec.expect.bounds() {
            let key = format!("expect.{field}");
            if bound.at_least.is_none() && bound.at_most.is_none() {
                return Err(ProfileError::new(
                    origin,
                    format!("{key}: give at_least or at_most (a share from 0 to 1)"),
                ));
            }
            for share in [bound.at_least, bound.at_most].into_iter().flatten() {
                if !(0.0..=1.0).contains(&share) {
                    return Err(ProfileError::new(
                        origin,
                        format!("{key}: {share} is no share (write a number from 0 to 1)"),
                    ));
                }
            }
            if bound.why.trim().is_empty() {
                return Err(ProfileError::new(
                    origin,
                    format!("{key}: why is empty (say what the site's pages state, so the next reader knows whether the number still holds)"),
                ));
            }
        }
        if is_generic && !spec.expect.is_empty() {
            return Err(ProfileError::new(
                origin,
                "expect: the generic profile reads pages of every unknown site; expectations belong to a site profile",
            ));
        }
        if is_generic && !spec.hosts.is_empty() {
            return Err(ProfileError::new(
                origin,
                "hosts: the generic profile handles every unclaimed host and lists none",
            ));
        }
        if !is_generic && (spec.hosts.is_empty() || spec.source.is_none()) {
            return Err(ProfileError::new(
                origin,
                "hosts and source: a site profile needs both (which hosts it handles, which source they are)",
            ));
        }
        for host in &spec.hosts {
            if host.is_empty()
                || host.contains(['/', ':', ' '])
                || host != &host.to_ascii_lowercase()
            {
                return Err(ProfileError::new(
                    origin,
                    format!("hosts: {host:?} is not a lower-case host name"),
                ));
            }
            if let (Some(known), Some(source)) = (known_source(host), spec.source.as_deref()) {
                if known != source {
                    return Err(ProfileError::new(
                        origin,
                        format!("hosts: {host:?} belongs to source {known:?}, not {source:?}"),
                    ));
                }
            }
        }
        if spec.title.column_separator.as_deref() == Some("") {
            return Err(ProfileError::new(
                origin,
                "title.column_separator: must not be empty",
            ));
        }
        let published = spec
            .published
            .iter()
            .enumerate()
            .map(|(i, p)| PublishedLocator::compile(origin, &format!("published[{i}]"), p))
            .collect::<Result<Vec<_>, _>>()?;
        let byline = spec
            .byline
            .iter()
            .enumerate()
            .map(|(i, l)| Locator::compile_plain(origin, &format!("byline[{i}]"), l))
            .collect::<Result<Vec<_>, _>>()?;
        let lead = spec
            .lead
            .as_ref()
            .map(|l| Locator::compile_plain(origin, "lead", l))
            .transpose()?;
        let copyright = spec
            .copyright
            .selector
            .as_ref()
            .map(|css| {
                let spec = LocatorSpec {
                    selector: Some(css.clone()),
                    ..LocatorSpec::default()
                };
                Locator::compile_plain(origin, "copyright", &spec)
            })
            .transpose()?;
        let remove = RemoveRules::compile(origin, "body.remove", &spec.body.remove)?;
        let captions = RemoveRules::compile(origin, "body.captions", &spec.body.captions)?;
        let repeats = RemoveRules::compile(origin, "body.drop_repeats", &spec.body.drop_repeats)?;
        if spec.body.paragraphs.is_some() {
            return Err(ProfileError::new(
                origin,
                "body.paragraphs: no longer used: every text block of the page is body text unless \
                 a locator takes it or a rule drops it; list furniture in body.remove and \
                 check the result with `wirehouse inspect FILE --blocks`",
            ));
        }
        Ok(Profile {
            name: spec.name.clone(),
            source: spec.source.clone(),
            hosts: spec.hosts.clone(),
            title: spec.title.clone(),
            column_prefix: spec
                .title
                .column_prefix
                .as_deref()
                .map(|p| regex(origin, "title.column_prefix", p))
                .transpose()?,
            published,
            byline,
            lead,
            copyright,
            copyright_lines: regexes(origin, "copyright.lines", &spec.copyright.lines)?,
            copyright_strip: regexes(origin, "copyright.strip", &spec.copyright.strip)?,
            remove,
            captions,
            repeats,
            drop_paragraphs: regexes(origin, "body.drop_paragraphs", &spec.body.drop_paragraphs)?,
            drop_lines: regexes(origin, "body.drop_lines", &spec.body.drop_lines)?,
            strip: regexes(origin, "body.strip", &spec.body.strip)?,
            spec,
            origin: origin.into(),
        })
    }
}

/// A format must name a full date, and must parse what it formats.
fn check_format(format: &str) -> Result<(), String> {
    use chrono::format::{Item, StrftimeItems};
    let items: Vec<Item> = StrftimeItems::new(format).collect();
    if items.iter().any(|i| matches!(i, Item::Error)) {
        return Err("is not a valid chrono format".into());
    }
    let sample = chrono::NaiveDate::from_ymd_opt(2021, 3, 18)
        .and_then(|d| d.and_hms_opt(14, 26, 0))
        .ok_or("cannot be checked")?;
    let text = sample.format(format).to_string();
    let date_only = chrono::NaiveDate::parse_from_str(&text, format).is_ok();
    let date_time = chrono::NaiveDateTime::parse_from_str(&text, format).is_ok();
    if date_only || date_time {
        Ok(())
    } else {
        Err("does not name a full date (year, month, day)".into())
    }
}

/// The profiles of a run: site profiles, and the generic fallback.
#[derive(Debug)]
pub struct ProfileSet {
    sites: Vec<Profile>,
    generic: Profile,
    fingerprint: String,
}

impl ProfileSet {
    /// The profiles shipped with wirehouse (`pipelines/profiles/` at build time).
    pub fn builtin() -> Result<ProfileSet, ProfileError> {
        let specs = BUILTIN
            .iter()
            .map(|(name, text)| (format!("built-in {name}"), text.to_string()));
        ProfileSet::from_texts(specs)
    }

    /// Loads every `*.toml` file of `dir`; the set must include `generic`.
    pub fn from_dir(dir: &Path) -> Result<ProfileSet, ProfileError> {
        let origin = dir.display().to_string();
        let entries = std::fs::read_dir(dir).map_err(|e| {
            ProfileError::new(&origin, format!("cannot read the profiles folder: {e}"))
        })?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        let mut texts = Vec::with_capacity(paths.len());
        for path in paths {
            let origin = path.display().to_string();
            let text = std::fs::read_to_string(&path)
                .map_err(|e| ProfileError::new(&origin, format!("cannot read: {e}")))?;
            texts.push((origin, text));
        }
        ProfileSet::from_texts(texts)
    }

    /// Compiles profiles from `(origin, TOML text)` pairs.
    pub fn from_texts(
        texts: impl IntoIterator<Item = (String, String)>,
    ) -> Result<ProfileSet, ProfileError> {
        let mut sites: Vec<Profile> = Vec::new();
        let mut generic = None;
        let mut claimed: HashMap<String, String> = HashMap::new();
        let mut hashes = Vec::new();
        for (origin, text) in texts {
            let spec: ProfileSpec = toml::from_str(&text)
                .map_err(|e| ProfileError::new(&origin, e.to_string().trim_end().to_string()))?;
            hashes.push(wirehouse_extract::sha256_hex(rules_text(&text).as_bytes()));
            let profile = Profile::compile(spec, &origin)?;
            if profile.name == GENERIC {
                if generic.is_some() {
                    return Err(ProfileError::new(&origin, "name: a second generic profile"));
                }
                generic = Some(profile);
                continue;
            }
            if sites.iter().any(|p| p.name == profile.name) {
                return Err(ProfileError::new(
                    &origin,
                    format!(
                        "name: {:?} is already used by another profile",
                        profile.name
                    ),
                ));
            }
            for host in &profile.hosts {
                if let Some(other) = claimed.insert(host.clone(), profile.name.clone()) {
                    return Err(ProfileError::new(
                        &origin,
                        format!("hosts: {host:?} is already claimed by profile {other:?}"),
                    ));
                }
            }
            sites.push(profile);
        }
        let generic = generic.ok_or_else(|| {
            ProfileError::new(
                "profile set",
                "no profile named \"generic\" (the fallback for unknown hosts)",
            )
        })?;
        hashes.sort();
        let fingerprint = wirehouse_extract::sha256_hex(hashes.concat().as_bytes());
        Ok(ProfileSet {
            sites,
            generic,
            fingerprint,
        })
    }

    /// The profile for `host`: the site profile whose host pattern is the
    /// longest match, or `generic`.
    pub fn for_host(&self, host: &str) -> &Profile {
        self.sites
            .iter()
            .flat_map(|p| p.hosts.iter().map(move |h| (h, p)))
            .filter(|(pattern, _)| host_matches(host, pattern))
            .max_by_key(|(pattern, _)| pattern.len())
            .map_or(&self.generic, |(_, p)| p)
    }

    /// A hash of every profile's text: equal for equal rules, whatever the
    /// files are called.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Every profile, site profiles first, `generic` last.
    pub fn iter(&self) -> impl Iterator<Item = &Profile> {
        self.sites.iter().chain(std::iter::once(&self.generic))
    }
}

/// For tests: the generic profile and one site profile, `site`, for the
/// host `site.org` (`site` is the TOML after its name, source and hosts).
#[cfg(test)]
pub(crate) fn site_profiles(site: &str) -> Result<ProfileSet, ProfileError> {
    ProfileSet::from_texts([
        ("generic.toml".to_string(), "name = \"generic\"".to_string()),
        (
            "site.toml".to_string(),
            format!("name = \"site\"\nsource = \"site\"\nhosts = [\"site.org\"]\n{site}"),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(extra: &str) -> Result<ProfileSet, ProfileError> {
        ProfileSet::from_texts([
            ("generic.toml".to_string(), "name = \"generic\"".to_string()),
            ("x.toml".to_string(), extra.to_string()),
        ])
    }

    const SITE: &str = "name = \"x\"\nsource = \"x\"\nhosts = [\"x.org\"]\n";

    #[test]
    fn expectations_are_shares_with_a_reason() {
        let good = set(&format!(
            "{SITE}[expect]\nmin_records = 5\npublished = {{ at_least = 0.95, why = \"every page\" }}\nempty_body = {{ at_most = 0, why = \"none\" }}\n"
        ))
        .unwrap();
        let expect = &good.iter().next().unwrap().spec.expect;
        assert_eq!(expect.min_records(), 5);
        let bounds: Vec<(&str, String)> = expect.bounds().map(|(f, b)| (f, b.describe())).collect();
        assert_eq!(
            bounds,
            [("published", "≥ 0.95".into()), ("empty_body", "≤ 0".into())]
        );
        let published = expect.published.as_ref().unwrap();
        assert!(published.holds(0.95) && !published.holds(0.949));
        assert!(expect.empty_body.as_ref().unwrap().holds(0.0));
        assert!(!expect.empty_body.as_ref().unwrap().holds(0.01));

        for (section, complaint) in [
            (
                "byline = { at_least = 80, why = \"x\" }",
                "expect.byline: 80 is no share",
            ),
            (
                "byline = { why = \"x\" }",
                "expect.byline: give at_least or at_most",
            ),
            (
                "byline = { at_least = 0.8, why = \" \" }",
                "expect.byline: why is empty",
            ),
            ("byline = { at_least = 0.8 }", "missing field `why`"),
            (
                "bylines = { at_least = 0.8, why = \"x\" }",
                "unknown field `bylines`",
            ),
        ] {
            let message = set(&format!("{SITE}[expect]\n{section}\n"))
                .unwrap_err()
                .to_string();
            assert!(message.contains(complaint), "{section}: {message}");
        }
        let generic = ProfileSet::from_texts([(
            "generic.toml".to_string(),
            "name = \"generic\"\n[expect]\nbyline = { at_least = 0.1, why = \"x\" }\n".to_string(),
        )])
        .unwrap_err();
        assert!(
            generic.to_string().contains("belong to a site profile"),
            "{generic}"
        );
    }

    #[test]
    fn editing_comments_or_expectations_keeps_the_fingerprint_editing_rules_changes_it() {
        let base = set(SITE).unwrap().fingerprint().to_string();
        let commented = set(&format!("# a note\n{SITE}")).unwrap();
        let expected = set(&format!(
            "{SITE}[expect]\nbyline = {{ at_least = 0.5, why = \"x\" }}\n"
        ))
        .unwrap();
        let ruled = set(&format!("{SITE}[lead]\nselector = \"p.lead\"\n")).unwrap();
        assert_eq!(commented.fingerprint(), base);
        assert_eq!(expected.fingerprint(), base);
        assert_ne!(ruled.fingerprint(), base);
    }

    #[test]
    fn every_builtin_selector_has_a_prefilter_and_a_bare_pseudo_class_has_none() {
        // Without one, every element of a page goes to the selector engine:
        // still right, but the cost the prefilter removes.
        for profile in ProfileSet::builtin().unwrap().iter() {
            if let Some(remove) = profile.remove.selector() {
                assert!(remove.prefilter().is_some(), "{}", profile.name);
            }
            let locators = (profile.published.iter().map(|p| &p.locator))
                .chain(&profile.byline)
                .chain(&profile.lead)
                .chain(&profile.copyright);
            for selector in locators.filter_map(|l| l.selector.as_ref()) {
                assert!(selector.prefilter().is_some(), "{}", profile.name);
            }
        }
        for (css, checkable) in [
            ("p[role='text'], .o-ads", true),
            ("ul > li", true),
            ("*", false),
            (".o-ads, :not(div)", false),
            ("div :first-child", false),
        ] {
            let prefiltered = Prefiltered::compile("test", "body.remove", css).unwrap();
            assert_eq!(prefiltered.prefilter().is_some(), checkable, "{css}");
        }
    }

    #[test]
    fn the_prefilter_admits_what_the_rightmost_compound_asks_for() {
        let prefiltered = Prefiltered::compile(
            "test",
            "body.remove",
            "p[role='text'], div .o-ads, #zoom, img[SRC]",
        )
        .unwrap();
        let prefilter = prefiltered.prefilter().unwrap();
        let html = scraper::Html::parse_fragment(
            "<p ROLE='x'>1</p><p>2</p><span class='a o-ads-wide'>3</span><span class='O-ADS'>4</span>\
             <b id='zoom'>5</b><b id='ZOOM'>6</b><img src='s'><img alt='a'><div role='text'>7</div>",
        );
        let admitted: Vec<String> = html
            .root_element()
            .descendants()
            .filter_map(scraper::ElementRef::wrap)
            .filter(|e| prefilter.admits(e.value()))
            .map(|e| e.html())
            .collect();
        assert_eq!(
            admitted,
            [
                "<p role=\"x\">1</p>",
                "<span class=\"a o-ads-wide\">3</span>",
                "<b id=\"zoom\">5</b>",
                "<img src=\"s\">",
                // `role` is what `p[role='text']` needs first; the selector
                // engine then turns the `div` down.
                "<div role=\"text\">7</div>",
            ]
        );
    }

    #[test]
    fn the_builtin_profiles_compile_and_rfi_claims_rfi_hosts() {
        let profiles = ProfileSet::builtin().unwrap();
        assert_eq!(profiles.for_host("www.rfi.fr").name, "rfi");
        assert_eq!(profiles.for_host("news.example.org").name, GENERIC);
    }

    #[test]
    fn a_bad_selector_names_file_and_key() {
        let err =
            set("name = \"x\"\nsource = \"x\"\nhosts = [\"x.org\"]\n[body]\nremove = [\"p[\"]")
                .unwrap_err();
        let message = err.to_string();
        assert!(message.contains("x.toml"), "{message}");
        assert!(message.contains("body.remove"), "{message}");
    }

    #[test]
    fn an_unknown_key_is_reported_with_its_line() {
        let err =
            set("name = \"x\"\nsource = \"x\"\nhosts = [\"x.org\"]\nselectr = 1").unwrap_err();
        let message = err.to_string();
        assert!(message.contains("selectr"), "{message}");
        assert!(message.contains("line 4"), "{message}");
    }

    #[test]
    fn an_unknown_zone_is_rejected() {
        let err = set("name = \"x\"\nsource = \"x\"\nhosts = [\"x.org\"]\n[[published]]\nselector = \"div\"\nformats = [\"%Y-%m-%d\"]\nzone = \"Europe/Pariss\"\nprecision = \"day\"").unwrap_err();
        assert!(err.to_string().contains("published[0].zone"), "{err}");
    }

    #[test]
    fn a_format_without_a_full_date_is_rejected() {
        let err = set("name = \"x\"\nsource = \"x\"\nhosts = [\"x.org\"]\n[[published]]\nselector = \"div\"\nformats = [\"%H:%M\"]\nzone = \"UTC\"\nprecision = \"minute\"").unwrap_err();
        assert!(err.to_string().contains("published[0].formats"), "{err}");
    }

    #[test]
    fn a_host_of_another_source_is_rejected() {
        let err = set("name = \"x\"\nsource = \"x\"\nhosts = [\"rfi.fr\"]").unwrap_err();
        assert!(
            err.to_string().contains("belongs to source \"rfi\""),
            "{err}"
        );
    }

    #[test]
    fn two_profiles_cannot_claim_one_host() {
        let err = ProfileSet::from_texts([
            ("g.toml".to_string(), "name = \"generic\"".to_string()),
            (
                "a.toml".to_string(),
                "name = \"a\"\nsource = \"a\"\nhosts = [\"x.org\"]".to_string(),
            ),
            (
                "b.toml".to_string(),
                "name = \"b\"\nsource = \"b\"\nhosts = [\"x.org\"]".to_string(),
            ),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("already claimed"), "{err}");
    }

    #[test]
    fn a_set_without_generic_is_rejected() {
        let err = ProfileSet::from_texts([(
            "a.toml".to_string(),
            "name = \"a\"\nsource = \"a\"\nhosts = [\"x.org\"]".to_string(),
        )])
        .unwrap_err();
        assert!(err.to_string().contains("generic"), "{err}");
    }

    #[test]
    fn the_longest_host_pattern_wins() {
        let profiles = ProfileSet::from_texts([
            ("g.toml".to_string(), "name = \"generic\"".to_string()),
            (
                "a.toml".to_string(),
                "name = \"a\"\nsource = \"a\"\nhosts = [\"x.org\"]".to_string(),
            ),
            (
                "b.toml".to_string(),
                "name = \"b\"\nsource = \"b\"\nhosts = [\"cn.x.org\"]".to_string(),
            ),
        ])
        .unwrap();
        assert_eq!(profiles.for_host("www.cn.x.org").name, "b");
        assert_eq!(profiles.for_host("www.x.org").name, "a");
        assert_eq!(profiles.for_host("y.org").name, GENERIC);
    }
}
