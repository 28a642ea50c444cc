//! HTML → text: the survey of a page, lines of text, whitespace, images.

use ego_tree::NodeId;
use markup5ever::{local_name, LocalName};
use scraper::{ElementRef, Html, Node};

use crate::profile::{Prefiltered, Profile};
use crate::url::{percent_decode, resolve};

/// A set of elements of one page (furniture, elements already read). Node ids
/// are small integers, so a fast non-cryptographic hash does.
pub type NodeSet = rustc_hash::FxHashSet<NodeId>;

/// The feed reader's footer opens with this text.
const FOOTER_MARK: &str = "获取更多RSS";
/// How far before the mark the footer's `<hr>` may be.
const FOOTER_REACH: usize = 64;

/// Splits the feed-reader footer (`<br><hr><div>获取更多RSS：…</div>`) off the
/// end of the HTML: returns the HTML without it, and whether it was there.
pub fn split_feed_footer(html: &str) -> (&str, bool) {
    // The last mark, found forwards: memchr's forward search is vectorized,
    // its backward search is not.
    let Some(mark) = memchr::memmem::find_iter(html.as_bytes(), FOOTER_MARK.as_bytes()).last()
    else {
        return (html, false);
    };
    let window_start = floor_char_boundary(html, mark.saturating_sub(FOOTER_REACH));
    let Some(hr) = html[window_start..mark].rfind("<hr") else {
        return (html, false);
    };
    let mut cut = window_start + hr;
    loop {
        let before = html[..cut].trim_end();
        if let Some(stripped) = before
            .strip_suffix("<br>")
            .or_else(|| before.strip_suffix("<br/>"))
        {
            cut = stripped.len();
        } else {
            cut = before.len();
            break;
        }
    }
    (&html[..cut], true)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// What one walk over a parsed page finds, before anything is read from it.
#[derive(Debug, Default)]
pub struct Survey {
    /// How deep elements nest, counted no further than the limit + 1 (the
    /// walk stops there, and the rest is then empty).
    pub depth: usize,
    /// The elements the profile treats as furniture: everything under them
    /// is ignored by every locator and by the body.
    pub furniture: NodeSet,
    /// The profile's captions (not furniture): their text is dropped from
    /// the body, their pictures are read.
    pub captions: NodeSet,
    /// The profile's possible repeats (pull quotes): their blocks are
    /// dropped only where the body holds the same text elsewhere.
    pub repeats: NodeSet,
    /// Every image element and `<noscript>`, in document order (furniture
    /// or not: locators may still add furniture before the images are read).
    pub images: Vec<NodeId>,
    /// Elements the profile's own selectors matched (`body.remove`,
    /// `body.captions`, `body.drop_repeats`; not the always-removed tags).
    pub matched: usize,
    /// The page's layout fingerprint ([`crate::layout`]).
    pub layout: String,
}

/// Walks `doc` once for its nesting depth (up to `limit + 1`), its furniture
/// under `profile`, and its images: one pass instead of three over a page
/// the parser has just built. The profile's remove selectors that are not
/// bare names are matched in the same walk.
pub fn survey(doc: &Html, profile: &Profile, limit: usize) -> Survey {
    let mut survey = Survey::default();
    let mut depth = 0usize;
    let mut remove = profile.remove.selector().map(Prefiltered::matcher);
    let mut captions = profile.captions.selector().map(Prefiltered::matcher);
    let mut repeats = profile.repeats.selector().map(Prefiltered::matcher);
    let mut layout = crate::layout::Fingerprint::default();
    for edge in doc.tree.root().traverse() {
        match edge {
            ego_tree::iter::Edge::Open(node) => {
                let Some(element) = ElementRef::wrap(node) else {
                    continue;
                };
                depth += 1;
                survey.depth = survey.depth.max(depth);
                if survey.depth > limit {
                    break;
                }
                if !layout.is_full() {
                    layout.push(element.value());
                }
                let name = &element.value().name.local;
                if always_removed(name) {
                    survey.furniture.insert(element.id());
                } else if profile.remove.names(name)
                    || remove
                        .as_mut()
                        .is_some_and(|remove| remove.matches(&element))
                {
                    survey.furniture.insert(element.id());
                    survey.matched += 1;
                } else if profile.captions.names(name)
                    || captions
                        .as_mut()
                        .is_some_and(|captions| captions.matches(&element))
                {
                    survey.captions.insert(element.id());
                    survey.matched += 1;
                } else if profile.repeats.names(name)
                    || repeats
                        .as_mut()
                        .is_some_and(|repeats| repeats.matches(&element))
                {
                    survey.repeats.insert(element.id());
                    survey.matched += 1;
                }
                if is_image(name) || *name == local_name!("noscript") {
                    survey.images.push(element.id());
                }
            }
            ego_tree::iter::Edge::Close(node) if node.value().is_element() => depth -= 1,
            ego_tree::iter::Edge::Close(_) => {}
        }
    }
    survey.layout = layout.finish();
    survey
}

/// Whether an element named `name` is one of
/// [`ALWAYS_REMOVED`](crate::profile::ALWAYS_REMOVED): compared as
/// interned names, one integer comparison each, not as strings.
fn always_removed(name: &LocalName) -> bool {
    *name == local_name!("script")
        || *name == local_name!("style")
        || *name == local_name!("noscript")
        || *name == local_name!("template")
        || *name == local_name!("iframe")
        || *name == local_name!("svg")
        || *name == local_name!("object")
        || *name == local_name!("embed")
        || *name == local_name!("canvas")
        || *name == local_name!("head")
}

/// The article's pictures: absolute URLs in page order, each once, proxy
/// wrappers unwrapped. `images` are the page's image elements and
/// `<noscript>` fallbacks in page order ([`Survey::images`]); those inside
/// `removed` elements are skipped; `base` resolves relative URLs.
///
/// An `<img>` gives its `src`, or when that is empty or an inline `data:`
/// placeholder, its lazy-loading attribute (`data-src`, `data-original`,
/// `data-lazy-src`, `data-srcset`), its `srcset`, or the `srcset` of a
/// `<source>` of its `<picture>`: one URL per picture (a `srcset` names the
/// same picture at several sizes). A `<noscript>` holds markup as text (the
/// parser runs with scripting on, as a browser does); its `<img>`s are read
/// the same way. A tag the archiver squashed into its first attribute
/// (`<imgfetchpriority="high" src=…>`) is still an image.
pub fn read_images(doc: &Html, base: &str, removed: &NodeSet, images: &[NodeId]) -> Vec<String> {
    let mut urls: Vec<String> = Vec::new();
    let mut push = |url: String| {
        if !urls.contains(&url) {
            urls.push(url);
        }
    };
    for element in images
        .iter()
        .filter_map(|&id| doc.tree.get(id).and_then(ElementRef::wrap))
    {
        if element.value().name.local == local_name!("noscript") {
            // Furniture itself (always removed), so only its ancestors count.
            let outside = element
                .parent()
                .and_then(ElementRef::wrap)
                .is_none_or(|parent| !is_within(parent, removed));
            // Copied and parsed only when it holds a picture: most hold a
            // message.
            let holds_picture = element
                .text()
                .any(|t| t.contains("<img") || t.contains("<IMG"));
            if outside && holds_picture {
                let markup: String = element.text().collect();
                let fragment = Html::parse_fragment(&markup);
                for img in fragment.tree.nodes().filter_map(ElementRef::wrap) {
                    if is_image(&img.value().name.local) {
                        if let Some(url) = picture_url(img, base) {
                            push(url);
                        }
                    }
                }
            }
            continue;
        }
        if is_within(element, removed) {
            continue;
        }
        if let Some(url) = picture_url(element, base) {
            push(url);
        }
    }
    urls
}

/// Whether an element named `name` is an image: `<img>`, or an `<img>`
/// whose first attribute the archiver glued to its name.
pub(crate) fn is_image(name: &LocalName) -> bool {
    *name == local_name!("img") || (name.starts_with("img") && name.contains('='))
}

/// The one URL an image element stands for (see [`read_images`]).
fn picture_url(img: ElementRef, base: &str) -> Option<String> {
    let element = img.value();
    let from_attr = |name: &str| element.attr(name).and_then(|v| image_url(base, v));
    let from_srcset = |value: Option<&str>| {
        value
            .and_then(first_srcset_url)
            .and_then(|v| image_url(base, v))
    };
    from_attr("src")
        .or_else(|| from_attr("data-src"))
        .or_else(|| from_attr("data-original"))
        .or_else(|| from_attr("data-lazy-src"))
        .or_else(|| from_srcset(element.attr("data-srcset")))
        .or_else(|| from_srcset(element.attr("srcset")))
        .or_else(|| {
            let picture = img.parent().and_then(ElementRef::wrap)?;
            if picture.value().name.local != local_name!("picture") {
                return None;
            }
            picture
                .children()
                .filter_map(ElementRef::wrap)
                .filter(|c| c.value().name.local == local_name!("source"))
                .find_map(|source| from_srcset(source.value().attr("srcset")))
        })
}

/// The first URL of a `srcset` (`a.jpg 240w, b.jpg 480w` → `a.jpg`).
fn first_srcset_url(srcset: &str) -> Option<&str> {
    srcset
        .split(',')
        .map(|candidate| candidate.split_whitespace().next().unwrap_or(""))
        .find(|url| !url.is_empty())
}

/// A byline as its names, each once, in page order, joined by `, `: a
/// byline written as `A、B`, `A/B`, `A，B` or `A; B` lists names, and pages
/// that repeat a name (`NAME,NAME`) name one author.
pub fn byline_names(byline: &str) -> String {
    let mut names: Vec<&str> = Vec::new();
    for name in byline.split([',', '，', '、', ';', '；', '/', '／', '|']) {
        let name = name.trim();
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    }
    names.join(", ")
}

/// How many `<` the HTML holds: a bound on how deep its tags can nest, so a
/// page with no more of them than the depth limit needs no [`raw_depth`]
/// scan. A vectorized count, a fraction of the scan's cost.
pub fn tag_opens(html: &str) -> usize {
    // Counted in blocks of 255 into a byte-wide sum, which the compiler turns
    // into wide vector compares (a `usize` count per byte does not).
    html.as_bytes()
        .chunks(255)
        .map(|block| {
            let opens: u8 = block.iter().map(|&b| u8::from(b == b'<')).sum();
            usize::from(opens)
        })
        .sum()
}

/// Elements whose end tag HTML lets a page leave out, or that have none:
/// they do not deepen a raw count.
const UNCOUNTED: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "thead", "tbody",
    "tfoot", "colgroup", "rb", "rt", "rp", "caption",
];

/// How deep tags nest in raw HTML, counted from the tags alone (no parsing),
/// no further than `limit + 1`. Parsing pathological nesting takes time
/// quadratic in its depth, so this runs first; it may under-count (it is a
/// bound for junk, not a measure of real pages).
pub fn raw_depth(html: &str, limit: usize) -> usize {
    let bytes = html.as_bytes();
    let lower = |i: usize, word: &str| {
        bytes.len() >= i + word.len()
            && bytes[i..i + word.len()].eq_ignore_ascii_case(word.as_bytes())
    };
    // The next `</name` at or after `from`, in any case, without copying.
    let find_end_tag = |from: usize, name: &str| {
        let mut at = from;
        while let Some(offset) = html.get(at..).and_then(|rest| rest.find("</")) {
            let start = at + offset;
            if lower(start + 2, name) {
                return Some(start);
            }
            at = start + 2;
        }
        None
    };
    let (mut depth, mut deepest, mut i) = (0usize, 0usize, 0usize);
    while let Some(offset) = html.get(i..).and_then(|rest| rest.find('<')) {
        i += offset + 1;
        match bytes.get(i) {
            Some(b'/') => depth = depth.saturating_sub(1),
            Some(b'!') if lower(i, "!--") => match html.get(i..).and_then(|r| r.find("-->")) {
                Some(end) => i += end + 3,
                None => break,
            },
            Some(c) if c.is_ascii_alphabetic() => {
                let name_end = bytes[i..]
                    .iter()
                    .position(|b| !b.is_ascii_alphanumeric())
                    .map_or(bytes.len(), |n| i + n);
                let name = &html[i..name_end];
                let raw_text = ["script", "style"]
                    .into_iter()
                    .find(|raw| name.eq_ignore_ascii_case(raw));
                if let Some(raw) = raw_text {
                    // Raw text: skip to its end tag, whatever it holds.
                    match find_end_tag(name_end, raw) {
                        Some(end) => i = end + 2,
                        None => break,
                    }
                    continue;
                }
                let tag_end = html[name_end..]
                    .find('>')
                    .map_or(bytes.len(), |n| name_end + n);
                let self_closing = tag_end > 0 && bytes.get(tag_end - 1) == Some(&b'/');
                if !self_closing && !UNCOUNTED.iter().any(|u| name.eq_ignore_ascii_case(u)) {
                    depth += 1;
                    deepest = deepest.max(depth);
                    if deepest > limit {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    deepest
}

/// Whether `element` or one of its ancestors is in `set`.
pub(crate) fn is_within(element: ElementRef, set: &NodeSet) -> bool {
    if set.is_empty() {
        return false;
    }
    set.contains(&element.id()) || element.ancestors().any(|a| set.contains(&a.id()))
}

/// Elements that break a line of text where they start and end; compared
/// as interned names, like [`always_removed`].
fn breaks_line(name: &LocalName) -> bool {
    *name == local_name!("br")
        || *name == local_name!("p")
        || *name == local_name!("div")
        || *name == local_name!("li")
        || *name == local_name!("ul")
        || *name == local_name!("ol")
        || *name == local_name!("h1")
        || *name == local_name!("h2")
        || *name == local_name!("h3")
        || *name == local_name!("h4")
        || *name == local_name!("h5")
        || *name == local_name!("h6")
        || *name == local_name!("blockquote")
        || *name == local_name!("tr")
        || *name == local_name!("table")
        || *name == local_name!("section")
        || *name == local_name!("article")
        || *name == local_name!("figure")
        || *name == local_name!("hr")
}

/// The text under `element` as its non-empty lines: `<br>` and block
/// elements break lines; each line has its whitespace collapsed. Removed
/// subtrees are skipped.
///
/// Walks with an explicit stack, so deeply nested HTML cannot overflow the
/// call stack.
pub fn element_lines(element: ElementRef, removed: &NodeSet) -> Vec<String> {
    enum Step<'a> {
        Enter(ego_tree::NodeRef<'a, Node>),
        Break,
    }
    let mut lines = Lines::default();
    let mut stack = vec![Step::Enter(*element)];
    while let Some(step) = stack.pop() {
        let node = match step {
            Step::Break => {
                lines.break_line();
                continue;
            }
            Step::Enter(node) => node,
        };
        match node.value() {
            Node::Text(t) => {
                lines.push_text(t);
            }
            Node::Element(e) => {
                if node.id() != element.id() && removed.contains(&node.id()) {
                    continue;
                }
                if node.id() != element.id() && breaks_line(&e.name.local) {
                    lines.break_line();
                    if e.name.local != local_name!("br") {
                        stack.push(Step::Break);
                    }
                }
                // Children are pushed last-first so they pop in document order.
                stack.extend(node.children().rev().map(Step::Enter));
            }
            _ => {}
        }
    }
    lines.finish()
}

/// Lines of text collapsed as the text arrives, piece by piece: a `\n` in
/// the text or a break ends a line; any other run of whitespace becomes one
/// space, none at either end; empty lines are dropped. The same as joining
/// the pieces and passing each `\n`-separated line to
/// [`collapse_whitespace`], without the joined copy (a test checks it).
#[derive(Default)]
pub(crate) struct Lines {
    done: Vec<String>,
    line: String,
    /// Whitespace came after the line's last word.
    space: bool,
}

impl Lines {
    /// Returns whether `text` held anything but whitespace.
    pub(crate) fn push_text(&mut self, text: &str) -> bool {
        // Room for all of it at once, not a doubling per word.
        self.line.reserve(text.len());
        let bytes = text.as_bytes();
        // Words are taken whole, crossed a character at a time: only a
        // character that may be whitespace is looked at more closely (in
        // Chinese text mostly punctuation, which stays in the word).
        let mut word = 0;
        let mut at = 0;
        let mut any = false;
        while at < bytes.len() {
            let step = WORD_STEP[usize::from(bytes[at])];
            if step != 0 {
                at += usize::from(step);
                continue;
            }
            let (len, space) = char_at(bytes, at);
            if space {
                if word < at {
                    self.word(&text[word..at]);
                    any = true;
                }
                if bytes[at] == b'\n' {
                    self.break_line();
                } else {
                    self.space = true;
                }
                word = at + len;
            }
            at += len;
        }
        if word < bytes.len() {
            self.word(&text[word..]);
            any = true;
        }
        any
    }

    /// Appends (part of) a word; pieces with no whitespace between them join.
    fn word(&mut self, word: &str) {
        if self.space && !self.line.is_empty() {
            self.line.push(' ');
        }
        self.space = false;
        self.line.push_str(word);
    }

    pub(crate) fn break_line(&mut self) {
        if !self.line.is_empty() {
            self.done.push(std::mem::take(&mut self.line));
        }
        self.space = false;
    }

    fn finish(mut self) -> Vec<String> {
        self.take()
    }

    /// The lines read so far (the last one ended), leaving none.
    pub(crate) fn take(&mut self) -> Vec<String> {
        self.break_line();
        std::mem::take(&mut self.done)
    }
}

/// Collapses every run of whitespace (Unicode White_Space, so U+3000 and
/// no-break spaces too) to one ASCII space, and trims the ends.
pub fn collapse_whitespace(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut word_start = None;
    let mut at = 0;
    while at < bytes.len() {
        if WORD_STEP[usize::from(bytes[at])] != 0 {
            // Inside a word: skip to the next character that may be
            // whitespace.
            word_start.get_or_insert(at);
            while at < bytes.len() && WORD_STEP[usize::from(bytes[at])] != 0 {
                at += usize::from(WORD_STEP[usize::from(bytes[at])]);
            }
            continue;
        }
        let (len, space) = char_at(bytes, at);
        if space {
            if let Some(start) = word_start.take() {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(&text[start..at]);
            }
        } else {
            word_start.get_or_insert(at);
        }
        at += len;
    }
    if let Some(start) = word_start {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&text[start..]);
    }
    out
}

/// For each byte that starts a character: 0 if the character may be
/// whitespace (ASCII whitespace and the lead bytes of the non-ASCII ones, see
/// [`char_at`]), else the character's length in UTF-8, so a word is crossed a
/// character at a time (a Chinese one is three bytes). Continuation bytes
/// never start a character; they are given 1.
const WORD_STEP: [u8; 256] = {
    let mut table = [1u8; 256];
    let mut byte = 0xC0;
    while byte <= 0xFF {
        table[byte] = match byte {
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            _ => 4,
        };
        byte += 1;
    }
    let mut byte = b'\t';
    while byte <= b'\r' {
        table[byte as usize] = 0;
        byte += 1;
    }
    table[b' ' as usize] = 0;
    table[0xC2] = 0;
    table[0xE1] = 0;
    table[0xE2] = 0;
    table[0xE3] = 0;
    table
};

/// How many characters of `text` are not whitespace (Unicode White_Space).
pub fn non_whitespace_chars(text: &str) -> usize {
    let bytes = text.as_bytes();
    // Every character but ASCII whitespace: the bytes that start a character
    // (all but UTF-8 continuation bytes, 0x80–0xBF), less the six ASCII
    // whitespace bytes; a branch-free count, in blocks for byte-wide sums.
    let mut count: usize = bytes
        .chunks(255)
        .map(|block| {
            let starts: u8 = block
                .iter()
                .map(|&b| u8::from((b as i8) >= -0x40 && !matches!(b, b'\t'..=b'\r' | b' ')))
                .sum();
            usize::from(starts)
        })
        .sum();
    // Less the non-ASCII whitespace characters, found by their lead bytes:
    // C2, E1 and E2 are rare in any text; E3 begins much CJK punctuation, so
    // its one whitespace character (U+3000) is searched for whole. Lead bytes
    // always start a character, so each hit is a character boundary.
    for at in memchr::memchr3_iter(0xC2, 0xE1, 0xE2, bytes) {
        count -= usize::from(char_at(bytes, at).1);
    }
    count - memchr::memmem::find_iter(bytes, "\u{3000}".as_bytes()).count()
}

/// The byte length of the UTF-8 character at byte `at` (a char boundary)
/// and whether it is whitespace, as `char::is_whitespace` says.
///
/// Body text is mostly CJK, where `split_whitespace` decodes every character
/// to look it up in a table; here the few non-ASCII whitespace characters
/// (U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F,
/// U+3000) are recognised by their bytes. A test checks every character.
#[inline]
fn char_at(bytes: &[u8], at: usize) -> (usize, bool) {
    let next = |k: usize| bytes.get(at + k).copied().unwrap_or(0);
    match bytes[at] {
        lead @ 0x00..=0x7F => (1, matches!(lead, b'\t'..=b'\r' | b' ')),
        0xC2 => (2, matches!(next(1), 0x85 | 0xA0)),
        0xC0..=0xDF => (2, false),
        0xE1 => (3, next(1) == 0x9A && next(2) == 0x80),
        0xE2 => (
            3,
            match next(1) {
                0x80 => matches!(next(2), 0x80..=0x8A | 0xA8 | 0xA9 | 0xAF),
                0x81 => next(2) == 0x9F,
                _ => false,
            },
        ),
        0xE3 => (3, next(1) == 0x80 && next(2) == 0x80),
        0xE0..=0xEF => (3, false),
        _ => (4, false),
    }
}

/// The host that wraps images as `https://images.weserv.nl/?url=X`.
const IMAGE_PROXY: &str = "images.weserv.nl";

/// An `img src` as an absolute URL, proxy wrapper unwrapped; `None` for empty
/// sources and inline `data:` images.
fn image_url(base: &str, src: &str) -> Option<String> {
    let src = src.trim();
    // An unclosed quote lets the next attribute into an unquoted value
    // (`a.jpg"data-image-type=`): a URL holds no quote, bracket or space.
    let src = src
        .find(|c: char| matches!(c, '"' | '\'' | '<' | '>') || c.is_whitespace())
        .map_or(src, |end| &src[..end]);
    if src.is_empty() || src.starts_with("data:") {
        return None;
    }
    let url = resolve(base, src);
    Some(unwrap_image_proxy(&url).unwrap_or(url))
}

/// `https://images.weserv.nl/?url=X&…` → X.
///
/// The proxy takes X without a scheme (or with the old `ssl:` prefix); such
/// an X is given `https://`, which every host seen behind the proxy serves.
fn unwrap_image_proxy(url: &str) -> Option<String> {
    let (_, rest) = url.split_once("://")?;
    let host_end = rest.find(['/', '?']).unwrap_or(rest.len());
    if !rest[..host_end].eq_ignore_ascii_case(IMAGE_PROXY) {
        return None;
    }
    let query = rest[host_end..].split_once('?')?.1;
    let target = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("url="))?;
    let target = percent_decode(target);
    let target = target.strip_prefix("ssl:").unwrap_or(&target);
    if target.is_empty() {
        return None;
    }
    if target.contains("://") {
        Some(target.to_string())
    } else {
        Some(format!("https://{}", target.trim_start_matches('/')))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::ProfileSet;
    use crate::profile::ALWAYS_REMOVED;

    /// What the block walk and the image reader make of `html`.
    struct Body {
        paragraphs: Vec<String>,
        copyright: Option<String>,
        images: Vec<String>,
    }

    fn body_of(html: &str, profile: &str) -> Body {
        let profiles = ProfileSet::builtin().unwrap();
        let profile = profiles.iter().find(|p| p.name == profile).unwrap();
        let doc = Html::parse_document(html);
        let survey = survey(&doc, profile, 100);
        let blocks = crate::blocks::read_blocks(
            &doc,
            profile,
            &crate::blocks::Marks {
                furniture: &survey.furniture,
                captions: &survey.captions,
                repeats: &survey.repeats,
                claims: &crate::blocks::Claims::default(),
            },
            "",
            false,
        );
        Body {
            paragraphs: blocks.paragraphs,
            copyright: blocks.copyright,
            images: read_images(
                &doc,
                "https://www.rfi.fr/cn/a/b",
                &survey.furniture,
                &survey.images,
            ),
        }
    }

    #[test]
    fn the_footer_is_split_off_with_its_br_and_hr() {
        let html =
            "<p>a</p><br><hr><div>获取更多RSS：<br><a href=\"https://feedx.net\">x</a></div>";
        assert_eq!(split_feed_footer(html), ("<p>a</p>", true));
        assert_eq!(split_feed_footer("<p>a</p>"), ("<p>a</p>", false));
        // The mark alone, far from any <hr>, is article text, not the footer.
        let text = format!("<p>{}获取更多RSS</p>", "x".repeat(100));
        assert!(!split_feed_footer(&text).1);
    }

    #[test]
    fn paragraphs_are_collapsed_and_scripts_styles_and_empties_dropped() {
        let body = body_of(
            "<p> 第一段\n  <span>文字</span>\u{3000}end </p><script>var x;</script><p><style>p{}</style>二</p><p> </p>",
            "generic",
        );
        assert_eq!(body.paragraphs, vec!["第一段 文字 end", "二"]);
    }

    #[test]
    fn nested_paragraph_elements_count_once() {
        let body = body_of("<blockquote><p>引用</p></blockquote><p>正文</p>", "generic");
        assert_eq!(body.paragraphs, vec!["引用", "正文"]);
    }

    #[test]
    fn paragraphs_come_in_the_order_the_page_shows_them() {
        // A paragraph misplaced inside a table (not in a cell) is moved
        // before the table by the parser, as a browser shows it: read in
        // that order, not in the order of the source.
        let body = body_of(
            "<table><tr><td><p>格</p></td></tr><p>外</p></table><p>后</p>",
            "generic",
        );
        assert_eq!(body.paragraphs, vec!["外", "格", "后"]);
        // Furniture is skipped whole, paragraphs in it too, at any depth.
        let body = body_of(
            "<div><p>一</p><object><div><p>图</p></div></object><div><p>二</p></div></div>",
            "generic",
        );
        assert_eq!(body.paragraphs, vec!["一", "二"]);
    }

    #[test]
    fn a_copyright_paragraph_becomes_the_copyright() {
        let body = body_of("<p>正文</p><p>© 2020 AFP</p>", "generic");
        assert_eq!(body.paragraphs, vec!["正文"]);
        assert_eq!(body.copyright.as_deref(), Some("© 2020 AFP"));
    }

    #[test]
    fn rfi_promo_blocks_are_removed_with_their_text() {
        let body = body_of(
            "<img src=\"/i.jpg\"><div><p>正文</p><div class=\"o-self-promo\"><p>订阅</p></div></div>",
            "rfi",
        );
        assert_eq!(body.paragraphs, vec!["正文"]);
        assert_eq!(body.images, vec!["https://www.rfi.fr/i.jpg"]);
    }

    #[test]
    fn br_and_block_elements_break_lines() {
        let doc = Html::parse_document("<p>一<br>二<span>三</span><br/><br>四</p>");
        let p = doc
            .select(&scraper::Selector::parse("p").unwrap())
            .next()
            .unwrap();
        assert_eq!(
            element_lines(p, &NodeSet::default()),
            vec!["一", "二三", "四"]
        );
        // Each block-level element is a block of its own.
        let body = body_of(
            "<blockquote><div>甲</div><div>乙</div></blockquote>",
            "generic",
        );
        assert_eq!(body.paragraphs, vec!["甲", "乙"]);
    }

    #[test]
    fn a_copyright_line_inside_a_paragraph_is_taken_out() {
        let body = body_of(
            "<p>正文最后一句。<br>© 2020年德国之声版权声明</p>",
            "generic",
        );
        assert_eq!(body.paragraphs, vec!["正文最后一句。"]);
        assert_eq!(body.copyright.as_deref(), Some("© 2020年德国之声版权声明"));
    }

    #[test]
    fn proxy_wrapped_images_are_unwrapped() {
        let body = body_of(
            "<img src=\"https://images.weserv.nl/?url=ichef.bbci.co.uk/news/640/a.png\"><img src=\"https://images.weserv.nl?url=ssl:gdb.voanews.com/b.jpg&w=900\"><img src=\"\"><img src=\"data:image/gif;base64,R0l\">",
            "generic",
        );
        assert_eq!(
            body.images,
            vec![
                "https://ichef.bbci.co.uk/news/640/a.png",
                "https://gdb.voanews.com/b.jpg"
            ]
        );
    }

    #[test]
    fn nesting_depth_is_counted_to_the_limit() {
        let doc = Html::parse_document("<div><p><span>x</span></p></div>");
        // html, body, div, p, span
        let profiles = ProfileSet::builtin().unwrap();
        let generic = profiles.iter().find(|p| p.name == "generic").unwrap();
        assert_eq!(survey(&doc, generic, 100).depth, 5);
        let deep = Html::parse_document(&"<div>".repeat(1000));
        assert_eq!(survey(&deep, generic, 100).depth, 101);
    }

    #[test]
    fn raw_depth_counts_tags_that_must_close_and_skips_scripts_and_comments() {
        assert_eq!(raw_depth("<div><span>a</span><b>c</b></div>", 100), 2);
        assert_eq!(raw_depth("<p>a<p>b<br><img src=x><li>c", 100), 0);
        assert_eq!(
            raw_depth("<script>if (a<b && c<d) {}</script><div></div>", 100),
            1
        );
        assert_eq!(raw_depth("<!-- <div><div> --><i/>", 100), 0);
        assert_eq!(raw_depth(&"<div>".repeat(100_000), 1024), 1025);
    }

    #[test]
    fn no_page_nests_deeper_than_it_has_tag_opens() {
        for html in [
            "<div><span>a</span><b>c</b></div>",
            "<div><div><div>",
            "a < b <p>x",
            "<!-- <div> --><div><i>x</i></div>",
        ] {
            assert!(raw_depth(html, 100) <= tag_opens(html), "{html}");
        }
        assert_eq!(tag_opens(&"<div>".repeat(600)), 600);
    }

    /// Every character class the fast whitespace scan treats specially.
    const PROBES: &[char] = &[
        ' ', '\t', '\n', '\r', '\u{0B}', '\u{0C}', '\u{85}', '\u{A0}', '\u{1680}', '\u{2000}',
        '\u{200A}', '\u{200B}', '\u{2028}', '\u{2029}', '\u{202F}', '\u{205F}', '\u{2060}',
        '\u{3000}', '\u{3001}', '\u{FEFF}', 'a', 'é', '中', '文', '©', '😀', '\u{E000}',
    ];

    #[test]
    fn every_character_is_classed_as_the_standard_library_classes_it() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let mut buf = [0u8; 4];
            let bytes = c.encode_utf8(&mut buf).as_bytes();
            assert_eq!(
                char_at(bytes, 0),
                (c.len_utf8(), c.is_whitespace()),
                "U+{:04X}",
                c as u32
            );
        }
    }

    #[test]
    fn words_step_over_whole_characters_and_stop_at_every_whitespace() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let mut buf = [0u8; 4];
            let lead = c.encode_utf8(&mut buf).as_bytes()[0];
            match WORD_STEP[usize::from(lead)] {
                0 => {}
                step => {
                    assert!(!c.is_whitespace(), "U+{:04X} skipped", c as u32);
                    assert_eq!(usize::from(step), c.len_utf8(), "U+{:04X}", c as u32);
                }
            }
        }
    }

    #[test]
    fn whitespace_scans_agree_with_the_standard_library() {
        // Random strings over the probes, against `split_whitespace` and
        // `char::is_whitespace`: an independent computation of both.
        let mut seed = 0x2026_1126_u64;
        for _ in 0..20_000 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let len = (seed >> 59) as usize;
            let text: String = (0..len)
                .map(|k| {
                    let r = seed.rotate_left(k as u32 * 7) >> 40;
                    PROBES[r as usize % PROBES.len()]
                })
                .collect();
            let expected = text.split_whitespace().collect::<Vec<_>>().join(" ");
            assert_eq!(collapse_whitespace(&text), expected, "{text:?}");
            let count = text.chars().filter(|c| !c.is_whitespace()).count();
            assert_eq!(non_whitespace_chars(&text), count, "{text:?}");
            // Longer than one 255-byte block of the vectorized count.
            let long = text.repeat(40);
            assert_eq!(non_whitespace_chars(&long), 40 * count, "{text:?}");
            // … and long.
            let expected = long.split_whitespace().collect::<Vec<_>>().join(" ");
            assert_eq!(collapse_whitespace(&long), expected, "{text:?}");
        }
    }

    #[test]
    fn lines_read_piece_by_piece_are_the_joined_text_split_and_collapsed() {
        // Random pieces over the probes, words and newlines, fed as separate
        // text nodes would be, against the plain computation on their join.
        const WORDS: &[&str] = &["a", "中文", "b c", "\n", "\n\n", " \n ", "\u{3000}x"];
        let mut seed = 0x5eed_u64;
        for _ in 0..20_000 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let pieces: Vec<String> = (0..(seed >> 60) as u32)
                .map(|k| {
                    let r = (seed.rotate_left(k * 11) >> 40) as usize;
                    if r.is_multiple_of(3) {
                        WORDS[r / 3 % WORDS.len()].to_string()
                    } else {
                        (0..r % 4)
                            .map(|j| PROBES[(r >> (j * 5)) % PROBES.len()])
                            .collect()
                    }
                })
                .collect();
            let joined = pieces.concat();
            let expected: Vec<String> = joined
                .split('\n')
                .map(collapse_whitespace)
                .filter(|line| !line.is_empty())
                .collect();
            let mut lines = Lines::default();
            for piece in &pieces {
                // It says whether the piece held a word, as the standard
                // library's whitespace split does.
                assert_eq!(
                    lines.push_text(piece),
                    piece.split_whitespace().next().is_some(),
                    "{piece:?}"
                );
            }
            assert_eq!(lines.finish(), expected, "{pieces:?}");
        }
    }

    #[test]
    fn the_always_removed_names_are_the_documented_ones() {
        for name in ALWAYS_REMOVED {
            assert!(always_removed(&LocalName::from(name)), "{name}");
        }
        for name in ["p", "div", "span", "img", "a", "scripts", "Script", "body"] {
            assert!(!always_removed(&LocalName::from(name)), "{name}");
        }
    }

    #[test]
    fn deep_nesting_does_not_overflow_the_stack() {
        let html = format!(
            "<p>{}深{}</p>",
            "<span>".repeat(20_000),
            "</span>".repeat(20_000)
        );
        let body = body_of(&html, "generic");
        assert_eq!(body.paragraphs, vec!["深"]);
    }
}
