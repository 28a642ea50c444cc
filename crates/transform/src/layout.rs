//! A page's layout fingerprint: the template marks of its first elements,
//! the key `wirehouse coverage` groups records by.
//!
//! Why this key: a site's template shows in the markup it wraps an item in
//! (the classes of its containers, the byline's and the clock's elements,
//! the attributes its tools add: `<time pudate>`, `<address>`,
//! `div.t-content__body`, `img[loading]`), not in the article's own text.
//! So the key is made of *marks*: elements with a class or a template
//! attribute, and the semantic elements templates use (`main`, `article`,
//! `section`, `header`, `footer`, `address`, `time`, `aside`, `nav`,
//! `video`, `audio`, `iframe`). Bare `<p>`, `<div>`, `<img>`, `<li>` and
//! inline formatting are the writer's and are left out, and so are
//! attribute values other than `class` (URLs, ids, alt text, sizes) and
//! attributes that follow the content (`src`, `href`, `width`, …). Each
//! mark counts once, in the order it first appears, up to [`ENTRIES`]
//! marks: an item with three pictures and one with five share a key. A page
//! of bare markup has the empty key. On the corpus this gives each source a
//! handful of keys, one or two per era of its markup (README, Coverage).

use markup5ever::{local_name, LocalName};
use scraper::node::Element;

/// How many distinct marks make the key.
pub const ENTRIES: usize = 8;

/// Attributes whose values, or mere presence, follow the page rather than
/// the template.
const CONTENT_ATTRIBUTES: &[&str] = &[
    "alt", "height", "href", "id", "rel", "sizes", "src", "srcset", "style", "target", "title",
    "width",
];

/// Builds the fingerprint from the page's elements in document order.
#[derive(Debug, Default)]
pub struct Fingerprint {
    entries: Vec<String>,
}

impl Fingerprint {
    /// Whether the key is complete (later elements need not be offered).
    pub fn is_full(&self) -> bool {
        self.entries.len() >= ENTRIES
    }

    /// Offers the next element in document order.
    pub fn push(&mut self, element: &Element) {
        if self.is_full() {
            return;
        }
        let Some(entry) = entry(element) else {
            return;
        };
        if !self.entries.contains(&entry) {
            self.entries.push(entry);
        }
    }

    /// The key: its marks joined by a space (`address time[datetime,pudate]
    /// section footer`).
    pub fn finish(self) -> String {
        self.entries.join(" ")
    }
}

/// Semantic elements a template uses even without a class.
fn is_semantic(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("main")
            | local_name!("article")
            | local_name!("section")
            | local_name!("header")
            | local_name!("footer")
            | local_name!("address")
            | local_name!("time")
            | local_name!("aside")
            | local_name!("nav")
            | local_name!("video")
            | local_name!("audio")
            | local_name!("iframe")
    )
}

/// `tag.class1.class2[attr1,attr2]` for a mark (else `None`): class tokens sorted, digits in them
/// masked as `0` (generated names like `css-1x2y3z` keep their shape),
/// attribute names sorted, content attributes left out.
fn entry(element: &Element) -> Option<String> {
    let name = &element.name.local;
    let template_attribute = |attr: &str| attr != "class" && !CONTENT_ATTRIBUTES.contains(&attr);
    // Asked before anything is built: on a page of bare markup the key never
    // fills, and every element of the page comes here.
    let marked = element.classes().next().is_some()
        || element.attrs().any(|(attr, _)| template_attribute(attr))
        || is_semantic(name);
    if !marked {
        return None;
    }
    let mut entry = name.to_string();
    let mut classes: Vec<String> = element
        .classes()
        .map(|class| {
            class
                .chars()
                .map(|c| if c.is_ascii_digit() { '0' } else { c })
                .collect()
        })
        .collect();
    classes.sort();
    classes.dedup();
    for class in classes {
        entry.push('.');
        entry.push_str(&class);
    }
    let mut attributes: Vec<&str> = element
        .attrs()
        .map(|(name, _)| name)
        .filter(|name| template_attribute(name))
        .collect();
    if !attributes.is_empty() {
        attributes.sort_unstable();
        attributes.dedup();
        entry.push('[');
        entry.push_str(&attributes.join(","));
        entry.push(']');
    }
    Some(entry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use scraper::Html;

    fn key(html: &str) -> String {
        let doc = Html::parse_document(html);
        let mut fingerprint = Fingerprint::default();
        for node in doc.tree.root().descendants() {
            if let scraper::Node::Element(element) = node.value() {
                fingerprint.push(element);
            }
        }
        fingerprint.finish()
    }

    #[test]
    fn the_key_is_the_marks_classes_and_attribute_names() {
        assert_eq!(
            key(
                r#"<div class="meta b a"><time datetime="2021-01-01" pudate="x">1</time></div><p>t</p>"#
            ),
            "div.a.b.meta time[datetime,pudate]"
        );
    }

    #[test]
    fn page_content_does_not_change_the_key() {
        let one = key(concat!(
            r#"<address>A</address><h1 id="x1">A</h1><p>one <b>b</b></p><p>two</p>"#,
            r#"<img src="a.jpg" alt="x" loading="lazy"><section class="body"><p>t</p></section>"#
        ));
        let two = key(concat!(
            r#"<address>B</address><h1 id="y2">B</h1><p>one</p><p>two <a href="/z">z</a></p>"#,
            r#"<p>three</p><img src="b.jpg" width="3" loading="lazy"><section class="body">"#,
            r#"<img src="c.jpg" loading="lazy"><p>t</p></section>"#
        ));
        assert_eq!(one, "address img[loading] section.body");
        assert_eq!(one, two);
    }

    #[test]
    fn generated_class_names_keep_their_shape_and_the_key_its_length() {
        let html = "<div class=\"css-1a2b3\">x</div><div class=\"css-4a5b6\">x</div>".to_string()
            + &(0..20)
                .map(|i| format!("<section class=s{i}x></section><aside></aside>"))
                .collect::<String>()
            + &(0..20)
                .map(|i| format!("<h{i} class=h></h{i}>"))
                .collect::<String>();
        let key = key(&html);
        // Digits masked: both generated `div` names are one mark, and the
        // twenty sections two (one- and two-digit numbers); then the
        // headings until the key is full.
        assert_eq!(
            key,
            "div.css-0a0b0 section.s0x aside section.s00x h0.h h1.h h2.h h3.h"
        );
        assert_eq!(key.split(' ').count(), ENTRIES);
    }

    #[test]
    fn a_page_of_bare_markup_has_an_empty_key() {
        assert_eq!(key("only text"), "");
        assert_eq!(
            key("<div><p>one</p><img src=a.jpg><ul><li>two</li></ul></div>"),
            ""
        );
    }
}
