//! Finding a profile's values on a page: the [`Locator`] at work.

use crate::text::NodeSet;

use std::ops::Range;

use ego_tree::NodeId;
use scraper::{ElementRef, Html};

use crate::profile::{Lines, Locator, Origin, Pick};
use crate::text::{collapse_whitespace, element_lines, is_within};

/// What a locator found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Located {
    /// Nothing where the locator looks (no element, or only empty ones).
    NotFound,
    /// A value, and the element it came from (for page locators).
    Found {
        /// The value: text, attribute or URL, or the capture of `matches`.
        value: String,
        /// The element, so callers can keep it out of the body.
        element: Option<NodeId>,
    },
    /// Text was there, but none of it matched the locator's `matches`.
    Mismatch {
        /// The first text found.
        text: String,
    },
}

impl Locator {
    /// Whether it reads the page or the URL (not text already read).
    pub fn is_page_or_url(&self) -> bool {
        matches!(self.from, Origin::Page | Origin::Url)
    }

    /// Looks for the value on `doc` (outside `removed` furniture) or in `url`.
    pub fn locate(&self, doc: &Html, url: &str, removed: &NodeSet) -> Located {
        // Lazy passes: elements are matched and their text computed only
        // until the first match is found. `pick = last` reads the elements
        // found from the last one back, so it stops at the last match
        // instead of reading every candidate. Both go in the parsed page's
        // order (`Prefiltered::select`).
        let candidates = |backwards: bool| -> Box<dyn Iterator<Item = (String, Option<NodeId>)>> {
            match (self.from, &self.selector) {
                (Origin::Url, _) => Box::new(std::iter::once((url.to_string(), None))),
                (Origin::Page, None) | (Origin::Text | Origin::Lead, _) => {
                    Box::new(std::iter::empty())
                }
                (Origin::Page, Some(selector)) => {
                    let found = selector.select(doc);
                    let found: Box<dyn Iterator<Item = ElementRef>> = if backwards {
                        Box::new(found.collect::<Vec<_>>().into_iter().rev())
                    } else {
                        Box::new(found)
                    };
                    Box::new(
                        found
                            .filter(|e| self.in_furniture || !is_within(*e, removed))
                            .filter(|e| self.text_is_all_within(*e))
                            .map(|e| (self.text_of(e, removed), Some(e.id())))
                            .filter(|(text, _)| !text.is_empty()),
                    )
                }
            }
        };
        let mut first_text = None;
        let mut chosen = None;
        for (text, element) in candidates(self.pick == Pick::Last) {
            let kept = match &self.matches {
                None => Some(text.clone()),
                Some(pattern) => pattern.captures(&text).map(|c| {
                    let value = c.get(1).or_else(|| c.get(0)).map_or("", |m| m.as_str());
                    value.trim().to_string()
                }),
            };
            first_text.get_or_insert(text);
            if let Some(value) = kept {
                chosen = Some((value, element));
                break;
            }
        }
        // A mismatch reports the first text in page order.
        if chosen.is_none() && self.pick == Pick::Last {
            first_text = candidates(false).next().map(|(text, _)| text);
        }
        let Some(first_text) = first_text else {
            return Located::NotFound;
        };
        match chosen {
            Some((mut value, element)) => {
                for pattern in &self.strip {
                    if pattern.is_match(&value) {
                        value = collapse_whitespace(&pattern.replace_all(&value, ""));
                    }
                }
                if value.is_empty() {
                    return Located::NotFound;
                }
                Located::Found { value, element }
            }
            None => Located::Mismatch { text: first_text },
        }
    }

    /// Whether every piece of text under `element` is inside a descendant
    /// matching `only_text_in` (true when the locator sets none).
    fn text_is_all_within(&self, element: ElementRef) -> bool {
        let Some(within) = &self.only_text_in else {
            return true;
        };
        element.descendants().all(|node| {
            let Some(text) = node.value().as_text() else {
                return true;
            };
            text.trim().is_empty()
                || node
                    .ancestors()
                    .take_while(|a| a.id() != element.id())
                    .filter_map(ElementRef::wrap)
                    .any(|a| within.matches(&a))
        })
    }

    /// For `text` and `lead` locators: the first of `texts` (the last, with
    /// `pick = "last"`) that `matches` finds a value in. Returns its index,
    /// the value (first capture group, trimmed, `strip` applied) and the
    /// byte range of the whole match, which the caller cuts out of that text.
    pub fn locate_in(&self, texts: &[String]) -> Option<(usize, String, Range<usize>)> {
        let pattern = self.matches.as_ref()?;
        let found = |(i, text): (usize, &String)| {
            let captures = pattern.captures(text)?;
            let whole = captures.get(0)?;
            let mut value = captures.get(1).unwrap_or(whole).as_str().trim().to_string();
            for strip in &self.strip {
                if strip.is_match(&value) {
                    value = collapse_whitespace(&strip.replace_all(&value, ""));
                }
            }
            (!value.is_empty()).then(|| (i, value, whole.range()))
        };
        let indexed = texts.iter().enumerate();
        match self.pick {
            Pick::First => indexed.clone().find_map(found),
            Pick::Last => indexed.rev().find_map(found),
        }
    }

    fn text_of(&self, element: ElementRef, removed: &NodeSet) -> String {
        if let Some(attribute) = &self.attribute {
            return collapse_whitespace(element.value().attr(attribute).unwrap_or(""));
        }
        let lines = element_lines(element, removed);
        match self.lines {
            Lines::All => collapse_whitespace(&lines.join(" ")),
            Lines::First => lines.first().cloned().unwrap_or_default(),
            Lines::Last => lines.last().cloned().unwrap_or_default(),
            Lines::BeforeLast => {
                let n = lines.len().saturating_sub(1);
                collapse_whitespace(&lines[..n].join(" "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{LocatorSpec, ProfileSet};

    fn locate(spec: &str, html: &str) -> Located {
        let toml = format!("name = \"x\"\nsource = \"x\"\nhosts = [\"x.org\"]\n[[byline]]\n{spec}");
        let set = ProfileSet::from_texts([
            ("g.toml".to_string(), "name = \"generic\"".to_string()),
            ("x.toml".to_string(), toml),
        ])
        .unwrap();
        let profile = set.for_host("x.org");
        let doc = Html::parse_document(html);
        profile.byline[0].locate(
            &doc,
            "https://x.org/a-01022021103000.html",
            &NodeSet::default(),
        )
    }

    fn value(located: Located) -> String {
        match located {
            Located::Found { value, .. } => value,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn lines_split_at_br() {
        let html = "<div><i> 张三 （综合报道）<br>2020-10-13T06:08:01.314Z</i></div>";
        assert_eq!(
            value(locate("selector = \"i\"\nlines = \"before_last\"", html)),
            "张三 （综合报道）"
        );
        assert_eq!(
            value(locate("selector = \"i\"\nlines = \"last\"", html)),
            "2020-10-13T06:08:01.314Z"
        );
        assert_eq!(
            value(locate("selector = \"i\"\nlines = \"first\"", html)),
            "张三 （综合报道）"
        );
    }

    #[test]
    fn an_empty_line_before_the_last_is_not_found() {
        let html = "<div><i><br>2020-10-13T06:08:01.314Z</i></div>";
        assert_eq!(
            locate("selector = \"i\"\nlines = \"before_last\"", html),
            Located::NotFound
        );
    }

    #[test]
    fn matches_filters_and_captures_and_pick_last_takes_the_last() {
        let html = "<p>记者：甲</p><p>正文</p><p>记者：乙 责编：丙</p><p>尾</p>";
        let spec = "selector = \"p\"\nmatches = \"^记者：(.+)$\"\npick = \"last\"";
        assert_eq!(value(locate(spec, html)), "乙 责编：丙");
        let spec = "selector = \"p\"\nmatches = \"^编者\"";
        assert_eq!(
            locate(spec, html),
            Located::Mismatch {
                text: "记者：甲".into()
            }
        );
    }

    #[test]
    fn strip_cuts_text_out_of_the_value_and_nothing_left_is_not_found() {
        let html = "<div><i>张慈 （综合报道）<br>2020</i></div>";
        let spec =
            "selector = \"i\"\nlines = \"before_last\"\nstrip = [\"[（(]?综合报[道导][)）]?\"]";
        assert_eq!(value(locate(spec, html)), "张慈");
        let html = "<div><i>（综合报道）<br>2020</i></div>";
        assert_eq!(locate(spec, html), Located::NotFound);
    }

    #[test]
    fn attributes_and_urls_can_be_read() {
        let html = "<time dateTime=\"2020-10-12\">19 分钟前</time>";
        assert_eq!(
            value(locate(
                "selector = \"time\"\nattribute = \"datetime\"",
                html
            )),
            "2020-10-12"
        );
        let spec = "from = \"url\"\nmatches = \"-(\\\\d{14})\\\\.html$\"";
        assert_eq!(value(locate(spec, "")), "01022021103000");
    }

    #[test]
    fn first_and_last_are_in_the_parsed_pages_order() {
        // The parser creates the `<b>` after the table's cell but moves it
        // before the table (foster parenting): it is first on the page.
        let html = "<table><tr><td>cell</td></tr><b>moved</b></table><b>after</b>";
        assert_eq!(value(locate("selector = \"td, b\"", html)), "moved");
        let spec = "selector = \"td, b\"\npick = \"last\"";
        assert_eq!(value(locate(spec, html)), "after");
        let spec = "selector = \"td, b\"\npick = \"last\"\nmatches = \"^c.*\"";
        assert_eq!(value(locate(spec, html)), "cell");
    }

    #[test]
    fn locator_specs_default_to_the_first_page_element() {
        let spec = LocatorSpec::default();
        assert_eq!(spec.pick, Pick::First);
        assert_eq!(spec.from, Origin::Page);
    }
}
