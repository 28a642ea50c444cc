//! The page as text blocks, each placed in one field or dropped by a named
//! rule.
//!
//! A *text block* is what a reader sees as one unit of text: the text of a
//! block-level element (paragraph, list item, heading, quote, cell…) that is
//! not inside a nested block, a run of loose text between blocks, or a run of
//! a block separated from the next by a blank line (`<br><br>`). One walk
//! down the parsed page reads them in page order ([`read_blocks`]), and each
//! ends in exactly one [`Place`]:
//!
//! - the elements the profile's locators took before the walk (published
//!   time, byline, lead, copyright element) keep their text out of the body:
//!   their blocks are placed in that field ([`Claims`]);
//! - furniture elements (`body.remove`, the always-removed tags) drop every
//!   block inside them, under the rule that matched;
//! - every other block is body text unless a named block rule drops it (a
//!   `drop_lines`/`drop_paragraphs` pattern, a copyright line, a repeat of
//!   the title, a block that is only links to other pages).
//!
//! Nothing is lost without a rule: `wirehouse inspect --blocks` lists every
//! block with its place and rule (the [`Block`] log, kept only when asked).

use std::borrow::Cow;

use ego_tree::NodeId;
use markup5ever::{local_name, LocalName};
use scraper::{ElementRef, Html, Node};

use crate::profile::{Locator, Profile, ALWAYS_REMOVED};
use crate::text::{collapse_whitespace, Lines, NodeSet};

/// Where a text block of a page ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Place {
    /// The publication time's text.
    Published,
    /// The byline.
    Byline,
    /// The lead (standfirst).
    Lead,
    /// A paragraph of `body_text`.
    Body,
    /// The copyright line.
    Copyright,
    /// Dropped as furniture by a named rule.
    Dropped,
}

impl Place {
    /// The field's name as the dataset and `inspect` write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Place::Published => "published",
            Place::Byline => "byline",
            Place::Lead => "lead",
            Place::Body => "body",
            Place::Copyright => "copyright",
            Place::Dropped => "dropped",
        }
    }
}

/// One text block of a page, where it went and the rule that sent it there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// Its place.
    pub place: Place,
    /// The rule: a profile key and its value (`body.remove \`small\``), or a
    /// built-in rule's name.
    pub rule: String,
    /// Its text, whitespace collapsed.
    pub text: String,
}

/// Where a credit a text or lead locator cut goes: the byline when it is
/// `used` (no earlier rule found one), else dropped as a credit.
pub fn credit_place(locator: &Locator, used: bool) -> (Place, String) {
    if used {
        (Place::Byline, locator.describe.clone())
    } else {
        (
            Place::Dropped,
            format!(
                "{} (a credit; the byline came from an earlier rule)",
                locator.describe
            ),
        )
    }
}

/// What the walk is told of a page's elements before it reads their text.
#[derive(Debug, Clone, Copy)]
pub struct Marks<'a> {
    /// Furniture (`body.remove`, the always-removed tags, and elements
    /// locators took): their blocks are not the body's.
    pub furniture: &'a NodeSet,
    /// Captions: their blocks are dropped.
    pub captions: &'a NodeSet,
    /// Possible repeats: their blocks are dropped where the body repeats them.
    pub repeats: &'a NodeSet,
    /// Elements locators took, with their field and rule.
    pub claims: &'a Claims,
}

/// Elements a locator took before the body is read, with the field and the
/// locator's description: their text is that field's, not the body's.
pub type Claims = rustc_hash::FxHashMap<NodeId, (Place, String)>;

/// What the walk read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Blocks {
    /// Body paragraphs, in page order, whitespace collapsed, none empty.
    pub paragraphs: Vec<String>,
    /// The first copyright line found among the blocks (`© 2020 AFP`).
    pub copyright: Option<String>,
    /// Blocks dropped by a block rule or as a credit; the blocks of
    /// furniture and captions add to it only when there is a log (a normal
    /// run skips those elements without reading their text).
    pub dropped: usize,
    /// Blocks one of the profile's own block rules placed (`body.drop_lines`,
    /// `drop_paragraphs`, `strip`, `drop_repeats`, `copyright.lines`, a
    /// credit cut by a `from = "text"|"lead"` locator); the built-in rules
    /// (title repeat, links only, dateline) do not count. With the elements
    /// the profile's selectors and locators took, it says whether the
    /// profile recognized anything on the page.
    pub by_profile: usize,
    /// Every block with its place and rule, in page order: kept only when
    /// the caller asks (`inspect --blocks`).
    pub log: Option<Vec<Block>>,
    /// Where each paragraph's block is in `log` (when there is a log).
    body_log: Vec<usize>,
}

impl Blocks {
    /// Runs a `from = "text"` byline locator over the paragraphs: the match
    /// is cut out of its paragraph (a paragraph left empty is gone), and its
    /// value returned. `used` says whether the value becomes the byline (no
    /// earlier locator found one); if not, the cut text is a dropped credit.
    pub fn cut(&mut self, locator: &Locator, used: bool) -> Option<String> {
        let (i, value, range) = locator.locate_in(&self.paragraphs)?;
        let paragraph = &mut self.paragraphs[i];
        let cut = collapse_whitespace(&paragraph[range.clone()]);
        paragraph.replace_range(range, "");
        *paragraph = collapse_whitespace(paragraph);
        let emptied = paragraph.is_empty();
        self.by_profile += 1;
        let (place, rule) = credit_place(locator, used);
        if let Some(log) = self.log.as_mut() {
            let at = self.body_log[i];
            if emptied {
                log[at].place = place;
                log[at].rule = rule;
            } else {
                log[at].text = self.paragraphs[i].clone();
                log.insert(
                    at + 1,
                    Block {
                        place,
                        rule,
                        text: cut,
                    },
                );
                for later in &mut self.body_log[i + 1..] {
                    *later += 1;
                }
            }
        }
        if emptied {
            self.paragraphs.remove(i);
            if self.log.is_some() {
                self.body_log.remove(i);
            }
        }
        if !used {
            self.dropped += 1;
        }
        Some(value)
    }
}

/// The rule that drops a block repeating the title above the text (a block
/// later in the text that says the same, a closing punchline, stays).
pub const TITLE_REPEAT: &str = "title repeated on the page";
/// The rule that holds a dateline ("华盛顿 —") for the paragraph after it.
pub const DATELINE: &str = "body: a dateline, joined to the next block";
/// The rule that drops a pull quote proven a repeat.
pub const REPEAT: &str = "body.drop_repeats: the same text is in another body block";
/// The rule that drops a block made only of links to other pages.
pub const LINKS_ONLY: &str = "links only (related stories, 'read more', 'English version')";

/// Reads the text blocks of `doc` in page order with `profile`'s block
/// rules and the page's `marks` (furniture, captions, repeats, elements the
/// locators took); `title` is the cleaned title, so a heading that repeats
/// it above the text is dropped. With `log`, every block is recorded with
/// its place and rule.
pub fn read_blocks(doc: &Html, profile: &Profile, marks: &Marks, title: &str, log: bool) -> Blocks {
    let Marks {
        furniture,
        captions,
        repeats,
        claims,
    } = *marks;
    let mut walk = Walk::new(profile, marks, title);
    walk.out.log = log.then(Vec::new);
    enum Step<'a> {
        Enter(ego_tree::NodeRef<'a, Node>),
        /// The end of a block-level element: its last block ends.
        EndBlock,
        /// The end of a link.
        EndLink,
        /// The end of a possible repeat.
        EndRepeat,
    }
    // An explicit stack, so deeply nested HTML cannot overflow the call stack.
    let mut stack = vec![Step::Enter(doc.tree.root())];
    while let Some(step) = stack.pop() {
        let node = match step {
            Step::EndBlock => {
                walk.end_block();
                continue;
            }
            Step::EndLink => {
                walk.link_depth -= 1;
                continue;
            }
            Step::EndRepeat => {
                walk.end_block();
                walk.repeat_depth -= 1;
                continue;
            }
            Step::Enter(node) => node,
        };
        match node.value() {
            Node::Text(text) => walk.text(text),
            Node::Element(element) => {
                let name = &element.name.local;
                // Each set is asked only when it holds anything: most pages
                // have no captions or repeats, and a few claims.
                if let Some((place, rule)) = (!claims.is_empty())
                    .then(|| claims.get(&node.id()))
                    .flatten()
                {
                    walk.end_block();
                    if let Some(log) = walk.out.log.as_mut() {
                        let text = element_text(node);
                        if !text.is_empty() {
                            log.push(Block {
                                place: *place,
                                rule: rule.clone(),
                                text,
                            });
                        }
                    }
                    continue;
                }
                if (!furniture.is_empty() && furniture.contains(&node.id()))
                    || (!captions.is_empty() && captions.contains(&node.id()))
                {
                    walk.end_block();
                    if walk.out.log.is_some() {
                        walk.log_furniture(node);
                    }
                    continue;
                }
                if *name == local_name!("br") {
                    walk.br();
                    continue;
                }
                if !repeats.is_empty() && repeats.contains(&node.id()) {
                    walk.end_block();
                    walk.repeat_depth += 1;
                    stack.push(Step::EndRepeat);
                } else if is_block(name) {
                    walk.end_block();
                    stack.push(Step::EndBlock);
                } else if *name == local_name!("a") && element.attr("href").is_some() {
                    if walk.link_depth == 0 {
                        walk.fresh_link = true;
                    }
                    walk.link_depth += 1;
                    stack.push(Step::EndLink);
                }
                // Children are pushed last-first so they pop in page order.
                stack.extend(node.children().rev().map(Step::Enter));
            }
            Node::Document | Node::Fragment => {
                stack.extend(node.children().rev().map(Step::Enter));
            }
            _ => {}
        }
    }
    walk.end_block();
    if let Some(dateline) = walk.dateline.take() {
        // Nothing followed it: a block of its own.
        walk.out.paragraphs.push(dateline);
        if walk.out.log.is_some() {
            walk.out.body_log.push(walk.dateline_at);
        }
    }
    walk.drop_repeats();
    walk.out
}

/// Whether a block is a dateline standing before the first paragraph
/// ("华盛顿 —"): short, and ending with a dash.
fn is_dateline(text: &str) -> bool {
    let trimmed = text.trim_end_matches([' ', '—', '–', '-']);
    trimmed.len() < text.len()
        && text.ends_with(['—', '–'])
        && !trimmed.is_empty()
        && trimmed.chars().count() <= 16
        && !trimmed.contains(['。', '，', '.', ','])
}

struct Walk<'a> {
    profile: &'a Profile,
    furniture: &'a NodeSet,
    captions: &'a NodeSet,
    claims: &'a Claims,
    title: &'a str,
    out: Blocks,
    /// The block being read.
    lines: Lines,
    /// `<br>`s since the block's last text: a second one ends the block.
    brs: u8,
    /// Links open around the current node.
    link_depth: u32,
    /// The outermost open link has given no text yet.
    fresh_link: bool,
    /// Links that gave text to the current block.
    links: u32,
    /// The current block has text outside any link.
    plain: bool,
    /// Possible repeats open around the current node.
    repeat_depth: u32,
    /// Paragraphs read inside a possible repeat.
    repeat_candidates: Vec<usize>,
    /// A dateline held for the next body block.
    dateline: Option<String>,
    /// Where the held dateline is in the log.
    dateline_at: usize,
}

impl<'a> Walk<'a> {
    /// A walk with nothing read yet and no log.
    fn new(profile: &'a Profile, marks: &Marks<'a>, title: &'a str) -> Walk<'a> {
        Walk {
            profile,
            furniture: marks.furniture,
            captions: marks.captions,
            claims: marks.claims,
            title,
            out: Blocks::default(),
            lines: Lines::default(),
            brs: 0,
            link_depth: 0,
            fresh_link: false,
            links: 0,
            plain: false,
            repeat_depth: 0,
            repeat_candidates: Vec::new(),
            dateline: None,
            dateline_at: 0,
        }
    }

    fn text(&mut self, text: &str) {
        if !self.lines.push_text(text) {
            // Whitespace between tags: keeps words apart, and leaves a
            // `<br>` run unbroken.
            return;
        }
        self.brs = 0;
        if self.link_depth > 0 {
            if self.fresh_link {
                self.links += 1;
                self.fresh_link = false;
            }
        } else {
            self.plain = true;
        }
    }

    fn br(&mut self) {
        self.brs = self.brs.saturating_add(1);
        if self.brs >= 2 {
            // A blank line: the block ends here.
            self.end_block();
        } else {
            self.lines.break_line();
        }
    }

    /// Ends the current block and places it.
    fn end_block(&mut self) {
        self.brs = 0;
        let links_only = self.links > 0 && !self.plain;
        self.links = 0;
        self.plain = false;
        self.fresh_link = self.link_depth > 0;
        let lines = self.lines.take();
        if lines.is_empty() {
            return;
        }
        let profile = self.profile;
        let mut kept = Vec::with_capacity(lines.len());
        for line in lines {
            if let Some(pattern) = profile.drop_lines.iter().find(|r| r.is_match(&line)) {
                self.out.by_profile += 1;
                self.drop(line, || format!("body.drop_lines `{}`", pattern.as_str()));
            } else if let Some(pattern) = profile.copyright_lines.iter().find(|r| r.is_match(&line))
            {
                self.out.by_profile += 1;
                if let Some(log) = self.out.log.as_mut() {
                    log.push(Block {
                        place: Place::Copyright,
                        rule: format!("copyright.lines `{}`", pattern.as_str()),
                        text: line.clone(),
                    });
                }
                self.out.copyright.get_or_insert(line);
            } else {
                kept.push(line);
            }
        }
        if kept.is_empty() {
            return;
        }
        // Lines come collapsed and non-empty, so joined with one space they
        // are collapsed too; only a strip pattern can undo that.
        let mut text = if kept.len() == 1 {
            kept.pop().unwrap_or_default()
        } else {
            kept.join(" ")
        };
        let mut stripped = false;
        for pattern in &profile.strip {
            if pattern.is_match(&text) {
                self.out.by_profile += 1;
                if let Some(log) = self.out.log.as_mut() {
                    for cut in pattern.find_iter(&text) {
                        let cut = collapse_whitespace(cut.as_str());
                        if !cut.is_empty() {
                            log.push(Block {
                                place: Place::Dropped,
                                rule: format!("body.strip `{}`", pattern.as_str()),
                                text: cut,
                            });
                        }
                    }
                }
                text = pattern.replace_all(&text, "").into_owned();
                stripped = true;
            }
        }
        if stripped {
            text = collapse_whitespace(&text);
        }
        if text.is_empty() {
            return;
        }
        if text == self.title && self.out.paragraphs.is_empty() {
            self.drop(text, || TITLE_REPEAT.to_string());
        } else if links_only && profile.spec.body.drop_links_only {
            self.drop(text, || LINKS_ONLY.to_string());
        } else if let Some(pattern) = profile.drop_paragraphs.iter().find(|r| r.is_match(&text)) {
            self.out.by_profile += 1;
            self.drop(text, || {
                format!("body.drop_paragraphs `{}`", pattern.as_str())
            });
        } else if is_dateline(&text) && self.repeat_depth == 0 && self.dateline.is_none() {
            if let Some(log) = self.out.log.as_mut() {
                self.dateline_at = log.len();
                log.push(Block {
                    place: Place::Body,
                    rule: DATELINE.into(),
                    text: text.clone(),
                });
            }
            self.dateline = Some(text);
        } else {
            let text = match self.dateline.take() {
                Some(dateline) => format!("{dateline} {text}"),
                None => text,
            };
            if let Some(log) = self.out.log.as_mut() {
                self.out.body_log.push(log.len());
                log.push(Block {
                    place: Place::Body,
                    rule: "body: a text block no rule took".into(),
                    text: text.clone(),
                });
            }
            if self.repeat_depth > 0 {
                self.repeat_candidates.push(self.out.paragraphs.len());
            }
            self.out.paragraphs.push(text);
        }
    }

    /// Drops each block read inside a possible repeat whose text another
    /// body block holds: proven a repeat. The others stay where they are.
    fn drop_repeats(&mut self) {
        let candidates = std::mem::take(&mut self.repeat_candidates);
        let repeated: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|&i| {
                let text = &self.out.paragraphs[i];
                self.out.paragraphs.iter().enumerate().any(|(j, other)| {
                    j != i && !candidates.contains(&j) && other.contains(text.as_str())
                })
            })
            .collect();
        for &i in repeated.iter().rev() {
            self.out.paragraphs.remove(i);
            self.out.dropped += 1;
            self.out.by_profile += 1;
            if let Some(log) = self.out.log.as_mut() {
                let at = self.out.body_log.remove(i);
                log[at].place = Place::Dropped;
                log[at].rule = REPEAT.to_string();
            }
        }
    }

    fn drop(&mut self, text: String, rule: impl FnOnce() -> String) {
        self.out.dropped += 1;
        if let Some(log) = self.out.log.as_mut() {
            log.push(Block {
                place: Place::Dropped,
                rule: rule(),
                text,
            });
        }
    }

    /// Logs the blocks of a furniture element under the rule that removed it.
    fn log_furniture(&mut self, node: ego_tree::NodeRef<Node>) {
        let Some(element) = ElementRef::wrap(node) else {
            return;
        };
        // Raw text (scripts, styles, `<noscript>` markup) is no text a
        // reader sees.
        if matches!(
            element.value().name.local,
            local_name!("script")
                | local_name!("style")
                | local_name!("noscript")
                | local_name!("template")
        ) {
            return;
        }
        let rule = furniture_rule(self.profile, element);
        // The element's own blocks, read by a walk of their own (nested
        // claims and furniture are inside it and dropped with it).
        // Repeats do not matter here: everything inside is dropped.
        let no_repeats = NodeSet::default();
        let marks = Marks {
            furniture: self.furniture,
            captions: self.captions,
            repeats: &no_repeats,
            claims: self.claims,
        };
        let mut inner = Walk::new(self.profile, &marks, self.title);
        inner.collect_all(node);
        for text in inner.out.paragraphs {
            self.drop(text, || rule.to_string());
        }
    }

    /// Reads every block under `node` into `paragraphs`, ignoring every rule:
    /// the text a furniture element drops.
    fn collect_all(&mut self, node: ego_tree::NodeRef<Node>) {
        let mut stack = vec![(node, false)];
        while let Some((node, closing)) = stack.pop() {
            if closing {
                self.flush_raw();
                continue;
            }
            match node.value() {
                Node::Text(text) => {
                    self.lines.push_text(text);
                }
                Node::Element(element) => {
                    let name = &element.name.local;
                    if *name == local_name!("script") || *name == local_name!("style") {
                        continue;
                    }
                    if *name == local_name!("br") {
                        self.lines.break_line();
                        continue;
                    }
                    if is_block(name) {
                        self.flush_raw();
                        stack.push((node, true));
                    }
                    stack.extend(node.children().rev().map(|c| (c, false)));
                }
                _ => {}
            }
        }
        self.flush_raw();
    }

    fn flush_raw(&mut self) {
        let lines = self.lines.take();
        if !lines.is_empty() {
            self.out.paragraphs.push(lines.join(" "));
        }
    }
}

/// The text of an element, lines joined by a space.
fn element_text(node: ego_tree::NodeRef<Node>) -> String {
    ElementRef::wrap(node)
        .map(|e| crate::text::element_lines(e, &NodeSet::default()).join(" "))
        .unwrap_or_default()
}

/// Names the rule that made `element` furniture (for the block log only:
/// the walk itself only asks whether it is).
fn furniture_rule(profile: &Profile, element: ElementRef) -> Cow<'static, str> {
    let name: &str = &element.value().name.local;
    if ALWAYS_REMOVED.contains(&name) {
        return Cow::Owned(format!("always removed: <{name}> is never article text"));
    }
    for (key, list) in [
        ("body.remove", &profile.spec.body.remove),
        ("body.captions", &profile.spec.body.captions),
    ] {
        for css in list {
            if scraper::Selector::parse(css).is_ok_and(|s| s.matches(&element)) {
                return Cow::Owned(format!("{key} `{css}`"));
            }
        }
    }
    Cow::Borrowed("furniture")
}

/// Elements that start and end a text block.
pub fn is_block(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("p")
            | local_name!("div")
            | local_name!("li")
            | local_name!("ul")
            | local_name!("ol")
            | local_name!("dl")
            | local_name!("dt")
            | local_name!("dd")
            | local_name!("h1")
            | local_name!("h2")
            | local_name!("h3")
            | local_name!("h4")
            | local_name!("h5")
            | local_name!("h6")
            | local_name!("blockquote")
            | local_name!("pre")
            | local_name!("table")
            | local_name!("thead")
            | local_name!("tbody")
            | local_name!("tfoot")
            | local_name!("tr")
            | local_name!("td")
            | local_name!("th")
            | local_name!("caption")
            | local_name!("section")
            | local_name!("article")
            | local_name!("aside")
            | local_name!("header")
            | local_name!("footer")
            | local_name!("main")
            | local_name!("nav")
            | local_name!("figure")
            | local_name!("figcaption")
            | local_name!("address")
            | local_name!("hr")
            | local_name!("details")
            | local_name!("summary")
            | local_name!("form")
            | local_name!("fieldset")
            | local_name!("center")
            | local_name!("body")
            | local_name!("html")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::survey;

    /// The blocks of `html` under the `site` profile given as TOML, with the
    /// log kept.
    fn blocks(site: &str, html: &str, title: &str) -> Blocks {
        let set = crate::profile::site_profiles(site).unwrap();
        let profile = set.for_host("site.org");
        let doc = Html::parse_document(html);
        let survey = survey(&doc, profile, 100);
        read_blocks(
            &doc,
            profile,
            &Marks {
                furniture: &survey.furniture,
                captions: &survey.captions,
                repeats: &survey.repeats,
                claims: &Claims::default(),
            },
            title,
            true,
        )
    }

    fn paragraphs(site: &str, html: &str) -> Vec<String> {
        blocks(site, html, "标题").paragraphs
    }

    #[test]
    fn text_outside_paragraphs_is_read_in_page_order() {
        assert_eq!(
            paragraphs(
                "",
                "<div>前言<p>一</p>散文<ul><li>甲</li><li>乙</li></ul><h2>小标题</h2></div><span>尾</span>"
            ),
            vec!["前言", "一", "散文", "甲", "乙", "小标题", "尾"]
        );
    }

    #[test]
    fn a_blank_line_splits_a_block_and_a_single_break_does_not() {
        assert_eq!(
            paragraphs("", "<p>一<br>续<br><br>二<br> <br/>三<br><br><br>四</p>"),
            vec!["一 续", "二", "三", "四"]
        );
    }

    #[test]
    fn text_after_a_picture_the_parser_moved_out_of_a_paragraph_is_kept() {
        // A <div> inside a <p> closes the <p>: the text after it is loose.
        assert_eq!(
            paragraphs("", "<p>一<div><img src=a.jpg></div>二</p><p>三</p>"),
            vec!["一", "二", "三"]
        );
    }

    #[test]
    fn a_block_made_only_of_links_is_dropped_by_its_rule() {
        let b = blocks(
            "",
            "<p>正文<a href=/x>链接</a>。</p><ul><li><b><a href=/a>相关一</a></b></li></ul><p><a href=/b>甲</a> <a href=/c>乙</a></p><p><a name=n>锚</a></p>",
            "标题",
        );
        assert_eq!(b.paragraphs, vec!["正文链接。", "锚"]);
        let dropped: Vec<_> = b
            .log
            .unwrap()
            .into_iter()
            .filter(|block| block.place == Place::Dropped)
            .map(|block| (block.text, block.rule))
            .collect();
        assert_eq!(
            dropped,
            vec![
                ("相关一".to_string(), LINKS_ONLY.to_string()),
                ("甲 乙".to_string(), LINKS_ONLY.to_string())
            ]
        );
        // A profile may keep them.
        assert_eq!(
            paragraphs(
                "[body]\ndrop_links_only = false",
                "<p><a href=/a>相关</a></p>"
            ),
            vec!["相关"]
        );
    }

    #[test]
    fn the_title_repeated_above_the_text_is_dropped_and_later_kept() {
        let b = blocks("", "<h1>标题</h1><p>正文</p><p>标题</p>", "标题");
        assert_eq!(b.paragraphs, vec!["正文", "标题"]);
        assert_eq!(b.dropped, 1);
    }

    #[test]
    fn a_pull_quote_is_dropped_only_where_the_body_repeats_it() {
        let site = "[body]\ndrop_repeats = [\"blockquote\"]";
        // Repeated in a paragraph: dropped.
        let b = blocks(
            site,
            "<blockquote><p>重复的话</p></blockquote><p>他说：重复的话，然后走了。</p>",
            "t",
        );
        assert_eq!(b.paragraphs, vec!["他说：重复的话，然后走了。"]);
        let log = b.log.unwrap();
        assert_eq!(log[0].rule, REPEAT);
        assert_eq!(log[0].place, Place::Dropped);
        // Written nowhere else (a quoted source): kept, in its place.
        let b = blocks(site, "<blockquote><p>引文</p></blockquote><p>正文</p>", "t");
        assert_eq!(b.paragraphs, vec!["引文", "正文"]);
    }

    #[test]
    fn a_dateline_is_joined_to_the_paragraph_after_it() {
        assert_eq!(
            paragraphs("", "华盛顿 —<p>正文。</p><p>二</p>"),
            vec!["华盛顿 — 正文。", "二"]
        );
        // A dash closing a sentence is no dateline; one with nothing after
        // it stays a block.
        assert_eq!(
            paragraphs("", "<p>他说，这是——</p><p>二</p>"),
            vec!["他说，这是——", "二"]
        );
        assert_eq!(
            paragraphs("", "<p>正文</p>奥斯汀 —"),
            vec!["正文", "奥斯汀 —"]
        );
    }

    #[test]
    fn captions_drop_their_text_and_name_their_rule() {
        let b = blocks(
            "[body]\ncaptions = [\"small\", \"figure\"]\nremove = [\".ad\"]",
            "<div><img src=a.jpg><small>图说</small></div><figure>Image<img src=b.jpg></figure><p>正文</p><div class=ad>广告</div><script>x</script>",
            "t",
        );
        assert_eq!(b.paragraphs, vec!["正文"]);
        let rules: Vec<_> = b.log.unwrap().into_iter().map(|x| x.rule).collect();
        assert_eq!(
            rules,
            vec![
                "body.captions `small`",
                "body.captions `figure`",
                "body: a text block no rule took",
                "body.remove `.ad`",
            ]
        );
    }

    #[test]
    fn patterns_drop_lines_and_blocks_and_cut_text_by_name() {
        let site = "[body]\ndrop_lines = [\"^翻译\"]\ndrop_paragraphs = [\"^订阅\"]\nstrip = [\"[（(]完[)）]$\"]";
        let b = blocks(
            site,
            "<p>正文（完）<br>翻译：某</p><p>订阅本刊</p><p>© 2020 AFP</p>",
            "t",
        );
        assert_eq!(b.paragraphs, vec!["正文"]);
        assert_eq!(b.copyright.as_deref(), Some("© 2020 AFP"));
        let log: Vec<_> = b
            .log
            .unwrap()
            .into_iter()
            .map(|x| (x.place, x.text))
            .collect();
        assert_eq!(
            log,
            vec![
                (Place::Dropped, "翻译：某".to_string()),
                (Place::Dropped, "（完）".to_string()),
                (Place::Body, "正文".to_string()),
                (Place::Dropped, "订阅本刊".to_string()),
                (Place::Copyright, "© 2020 AFP".to_string()),
            ]
        );
    }

    #[test]
    fn the_body_blocks_of_the_log_are_the_paragraphs() {
        let b = blocks(
            "[body]\ndrop_paragraphs = [\"^x\"]",
            "<p>一</p>二<p>x</p><ul><li>三</li><li><a href=/y>y</a></li></ul>",
            "t",
        );
        let body: Vec<_> = b
            .log
            .unwrap()
            .into_iter()
            .filter(|x| x.place == Place::Body)
            .map(|x| x.text)
            .collect();
        assert_eq!(body, b.paragraphs);
        assert_eq!(b.dropped, 2);
    }
}
