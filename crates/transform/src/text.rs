//! HTML → text: paragraphs, lead, copyright line, images.

use std::collections::HashSet;

use ego_tree::NodeId;
use scraper::{ElementRef, Html, Node};

use crate::profile::Profile;
use crate::url::{percent_decode, resolve};

/// What an article's HTML holds once the furniture is gone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Body {
    /// Lead (standfirst) text, when the profile marks one and it is not empty.
    pub lead: Option<String>,
    /// Paragraph texts, whitespace collapsed, none empty, copyright lines removed.
    pub paragraphs: Vec<String>,
    /// The first copyright line found (`© 2020 AFP`).
    pub copyright: Option<String>,
    /// Absolute image URLs in document order, proxy wrappers unwrapped.
    pub images: Vec<String>,
}

/// The feed reader's footer opens with this text.
const FOOTER_MARK: &str = "获取更多RSS";
/// How far before the mark the footer's `<hr>` may be.
const FOOTER_REACH: usize = 64;

/// Splits the feed-reader footer (`<br><hr><div>获取更多RSS：…</div>`) off the
/// end of the HTML: returns the HTML without it, and whether it was there.
pub fn split_feed_footer(html: &str) -> (&str, bool) {
    let Some(mark) = html.rfind(FOOTER_MARK) else {
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

/// Reads the body of `doc` with `profile`'s rules; `base` resolves relative
/// image URLs.
pub fn read_body(doc: &Html, profile: &Profile, base: &str) -> Body {
    let mut removed: HashSet<NodeId> = HashSet::new();
    for selector in &profile.remove {
        removed.extend(doc.select(selector).map(|e| e.id()));
    }

    let mut body = Body::default();
    if let Some(selector) = &profile.lead {
        if let Some(lead) = doc.select(selector).find(|e| !is_within(*e, &removed)) {
            let text = collapse_whitespace(&text_of(lead, &removed));
            removed.insert(lead.id());
            if !text.is_empty() {
                body.lead = Some(text);
            }
        }
    }

    let mut taken: HashSet<NodeId> = HashSet::new();
    for element in doc.select(&profile.paragraphs) {
        if is_within(element, &removed) || is_within(element, &taken) {
            continue;
        }
        taken.insert(element.id());
        let text = collapse_whitespace(&text_of(element, &removed));
        if text.is_empty() {
            continue;
        }
        if is_copyright_line(&text) {
            body.copyright.get_or_insert(text);
            continue;
        }
        body.paragraphs.push(text);
    }

    for element in doc
        .root_element()
        .descendants()
        .filter_map(ElementRef::wrap)
    {
        if element.value().name() != "img" || is_within(element, &removed) {
            continue;
        }
        if let Some(url) = element
            .value()
            .attr("src")
            .and_then(|src| image_url(base, src))
        {
            body.images.push(url);
        }
    }
    body
}

/// Whether `element` or one of its ancestors is in `set`.
fn is_within(element: ElementRef, set: &HashSet<NodeId>) -> bool {
    if set.is_empty() {
        return false;
    }
    set.contains(&element.id()) || element.ancestors().any(|a| set.contains(&a.id()))
}

/// The text under `element`, skipping removed subtrees; `<br>` counts as a space.
///
/// Walks with an explicit stack, so deeply nested HTML cannot overflow the
/// call stack.
fn text_of(element: ElementRef, removed: &HashSet<NodeId>) -> String {
    let mut text = String::new();
    let mut stack = vec![*element];
    while let Some(node) = stack.pop() {
        match node.value() {
            Node::Text(t) => text.push_str(t),
            Node::Element(e) => {
                if node.id() != element.id() && removed.contains(&node.id()) {
                    continue;
                }
                if e.name() == "br" {
                    text.push(' ');
                }
                // Children are pushed last-first so they pop in document order.
                let children: Vec<_> = node.children().collect();
                stack.extend(children.into_iter().rev());
            }
            _ => {}
        }
    }
    text
}

/// Collapses every run of whitespace (Unicode White_Space, so U+3000 and
/// no-break spaces too) to one ASCII space, and trims the ends.
pub fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// A paragraph that is the site's copyright line rather than article text.
fn is_copyright_line(text: &str) -> bool {
    text.starts_with('©') || text.starts_with("(c) ") || text.starts_with("Copyright ")
}

/// The host that wraps images as `https://images.weserv.nl/?url=X`.
const IMAGE_PROXY: &str = "images.weserv.nl";

/// An `img src` as an absolute URL, proxy wrapper unwrapped; `None` for empty
/// sources and inline `data:` images.
fn image_url(base: &str, src: &str) -> Option<String> {
    let src = src.trim();
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

    fn body_of(html: &str, profile: &str) -> Body {
        let profiles = ProfileSet::builtin().unwrap();
        let profile = profiles.iter().find(|p| p.name == profile).unwrap();
        read_body(
            &Html::parse_document(html),
            profile,
            "https://www.rfi.fr/cn/a/b",
        )
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
    fn a_copyright_paragraph_becomes_the_copyright() {
        let body = body_of("<p>正文</p><p>© 2020 AFP</p>", "generic");
        assert_eq!(body.paragraphs, vec!["正文"]);
        assert_eq!(body.copyright.as_deref(), Some("© 2020 AFP"));
    }

    #[test]
    fn rfi_lead_is_taken_out_of_the_body_and_promo_blocks_removed() {
        let body = body_of(
            "<div>18/03/2021 - 14:26</div><img src=\"/i.jpg\"><p><strong>导语</strong></p><div><p>正文</p><div class=\"o-self-promo\"><p>订阅</p></div></div>",
            "rfi",
        );
        assert_eq!(body.lead.as_deref(), Some("导语"));
        assert_eq!(body.paragraphs, vec!["正文"]);
        assert_eq!(body.images, vec!["https://www.rfi.fr/i.jpg"]);
    }

    #[test]
    fn an_empty_rfi_lead_is_null() {
        let body = body_of(
            "<div>x</div><p><strong></strong></p><div><p>正文</p></div>",
            "rfi",
        );
        assert_eq!(body.lead, None);
        assert_eq!(body.paragraphs, vec!["正文"]);
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
