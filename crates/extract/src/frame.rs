//! Framing: the four parts of an article file.

use std::ops::Range;

use crate::input::{FileMeta, InputFile, Rejected};
use crate::ExtractError;

/// One framed article file: the header value, the link's title and URL, and the
/// HTML, exactly as written (nothing decoded, trimmed inside or interpreted).
///
/// The text is held once; the parts are ranges into it, so framing copies
/// nothing.
#[derive(Debug, Clone)]
pub struct RawArticle {
    /// Who the file is.
    pub meta: FileMeta,
    text: String,
    feed_time: Range<usize>,
    title: Range<usize>,
    url: Range<usize>,
    html: Range<usize>,
}

impl RawArticle {
    /// The text between `<!--` and `-->` on line 1, trimmed: the feed time as
    /// written (normally epoch milliseconds; not checked here).
    pub fn feed_time_raw(&self) -> &str {
        &self.text[self.feed_time.clone()]
    }

    /// The link text of line 2, exactly as in the file (brackets included).
    pub fn title_raw(&self) -> &str {
        &self.text[self.title.clone()]
    }

    /// The link target of line 2, exactly as in the file.
    pub fn url_raw(&self) -> &str {
        &self.text[self.url.clone()]
    }

    /// The HTML after the dash line, with surrounding whitespace trimmed.
    pub fn html(&self) -> &str {
        &self.text[self.html.clone()]
    }
}

/// How much of an offending line an error message quotes.
const QUOTE_CHARS: usize = 80;

/// Frames `file` into a [`RawArticle`].
///
/// Tolerates a UTF-8 byte-order mark, CRLF line ends, spaces around the
/// framing lines, brackets inside the title and parentheses inside the URL.
pub fn frame(file: InputFile) -> Result<RawArticle, Rejected> {
    let InputFile { meta, bytes } = file;
    if let Some(offset) = memchr::memchr(0, &bytes) {
        return Err(Rejected::of(meta, ExtractError::Binary { offset }));
    }
    // Validation is a good share of framing's cost: SIMD first, and the
    // standard library only to say where a bad file goes wrong.
    if simdutf8::basic::from_utf8(&bytes).is_ok() {
        // SAFETY: simdutf8 has just validated every byte as UTF-8.
        let text = unsafe { String::from_utf8_unchecked(bytes) };
        return framed(meta, text);
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => {
            let offset = err.utf8_error().valid_up_to();
            let line = 1 + err.as_bytes()[..offset]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            return Err(Rejected::of(meta, ExtractError::Encoding { offset, line }));
        }
    };
    framed(meta, text)
}

fn framed(meta: FileMeta, text: String) -> Result<RawArticle, Rejected> {
    match Framing::of(&text) {
        Ok(framing) => Ok(RawArticle {
            meta,
            feed_time: framing.feed_time,
            title: framing.title,
            url: framing.url,
            html: framing.html,
            text,
        }),
        Err(error) => Err(Rejected::of(meta, error)),
    }
}

struct Framing {
    feed_time: Range<usize>,
    title: Range<usize>,
    url: Range<usize>,
    html: Range<usize>,
}

impl Framing {
    fn of(text: &str) -> Result<Framing, ExtractError> {
        let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
        if text[start..].trim().is_empty() {
            return Err(ExtractError::Empty);
        }
        let mut lines = Lines { text, pos: start };

        let header = lines.next();
        let feed_time = header
            .clone()
            .and_then(|line| header_value(text, line))
            .ok_or_else(|| ExtractError::Header {
                found: quote(text, header),
            })?;

        let link = lines.next();
        let (title, url) = link
            .clone()
            .and_then(|line| link_parts(text, line))
            .ok_or_else(|| ExtractError::Link {
                found: quote(text, link),
            })?;

        let dashes = lines.next();
        let is_dash_line = dashes.clone().is_some_and(|line| {
            let line = text[line].trim();
            line.len() >= 3 && line.bytes().all(|b| b == b'-')
        });
        if !is_dash_line {
            return Err(ExtractError::Separator {
                found: quote(text, dashes),
            });
        }

        let rest = lines.pos;
        let html = trimmed(text, rest..text.len());
        Ok(Framing {
            feed_time,
            title,
            url,
            html,
        })
    }
}

/// Line ranges without their `\n` or `\r\n` ending.
struct Lines<'a> {
    text: &'a str,
    pos: usize,
}

impl Iterator for Lines<'_> {
    type Item = Range<usize>;

    fn next(&mut self) -> Option<Range<usize>> {
        if self.pos >= self.text.len() {
            return None;
        }
        let start = self.pos;
        let end = match self.text[start..].find('\n') {
            Some(i) => {
                self.pos = start + i + 1;
                start + i
            }
            None => {
                self.pos = self.text.len();
                self.text.len()
            }
        };
        let end = if self.text[start..end].ends_with('\r') {
            end - 1
        } else {
            end
        };
        Some(start..end)
    }
}

/// Narrows `range` to its text without surrounding whitespace.
fn trimmed(text: &str, range: Range<usize>) -> Range<usize> {
    let slice = &text[range.clone()];
    let lead = slice.len() - slice.trim_start().len();
    let trail = slice.len() - slice.trim_end().len();
    if lead == slice.len() {
        return range.start..range.start;
    }
    range.start + lead..range.end - trail
}

/// The trimmed inside of a `<!-- … -->` line.
fn header_value(text: &str, line: Range<usize>) -> Option<Range<usize>> {
    let line = trimmed(text, line);
    let slice = &text[line.clone()];
    if !(slice.starts_with("<!--") && slice.ends_with("-->") && slice.len() >= 7) {
        return None;
    }
    let inner = trimmed(text, line.start + 4..line.end - 3);
    (!inner.is_empty()).then_some(inner)
}

/// Title and URL ranges of a `[title](url)` line.
///
/// The URL is taken from the last `](` of the line to its final `)`, so the
/// title may hold brackets and the URL parentheses.
fn link_parts(text: &str, line: Range<usize>) -> Option<(Range<usize>, Range<usize>)> {
    let line = trimmed(text, line);
    let slice = &text[line.clone()];
    if !(slice.starts_with('[') && slice.ends_with(')')) {
        return None;
    }
    let split = slice.rfind("](")?;
    if split == 0 {
        // `[](url)`: a link without a title is still a frame; the title is empty.
    }
    let title = line.start + 1..line.start + split;
    let url = trimmed(text, line.start + split + 2..line.end - 1);
    if url.is_empty() {
        return None;
    }
    Some((title, url))
}

/// What an offending line holds, for an error message: its start, quoted, or
/// "an empty line", or "the end of the file".
fn quote(text: &str, line: Option<Range<usize>>) -> String {
    let Some(line) = line else {
        return "the end of the file".into();
    };
    let line = &text[line];
    if line.trim().is_empty() {
        return "an empty line".into();
    }
    let mut quoted: String = line.chars().take(QUOTE_CHARS).collect();
    if line.chars().nth(QUOTE_CHARS).is_some() {
        quoted.push('…');
    }
    format!("{quoted:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED_LIKE: &str = "<!--1616075711000-->\n[一个标题 - 要闻解说](http://www.rfi.fr//cn/a)\n------\n\n<div>18/03/2021 - 14:26</div><p>正文</p>";

    fn framed(text: &str) -> Result<RawArticle, Rejected> {
        frame(InputFile::from_bytes("t.md", text.as_bytes().to_vec()))
    }

    fn kind_of(text: &[u8]) -> &'static str {
        frame(InputFile::from_bytes("t.md", text.to_vec()))
            .unwrap_err()
            .error
            .kind()
    }

    #[test]
    fn frames_the_four_parts() {
        let raw = framed(SEED_LIKE).unwrap();
        assert_eq!(raw.feed_time_raw(), "1616075711000");
        assert_eq!(raw.title_raw(), "一个标题 - 要闻解说");
        assert_eq!(raw.url_raw(), "http://www.rfi.fr//cn/a");
        assert_eq!(raw.html(), "<div>18/03/2021 - 14:26</div><p>正文</p>");
    }

    #[test]
    fn tolerates_bom_and_crlf() {
        let text = format!("\u{feff}{}", SEED_LIKE.replace('\n', "\r\n"));
        let raw = framed(&text).unwrap();
        assert_eq!(raw.feed_time_raw(), "1616075711000");
        assert_eq!(raw.url_raw(), "http://www.rfi.fr//cn/a");
        assert_eq!(raw.html(), "<div>18/03/2021 - 14:26</div><p>正文</p>");
    }

    #[test]
    fn keeps_brackets_in_titles_and_parentheses_in_urls() {
        let text = "<!--1-->\n[[视频] 标题 [2]](https://x.org/a_(b)/c)\n---\n\n<p>x</p>";
        let raw = framed(text).unwrap();
        assert_eq!(raw.title_raw(), "[视频] 标题 [2]");
        assert_eq!(raw.url_raw(), "https://x.org/a_(b)/c");
    }

    #[test]
    fn tolerates_trailing_spaces_on_framing_lines_and_a_missing_blank_line() {
        let text = "<!-- 1616075711000 -->  \n[t](https://x.org/)  \n-------   \n<p>x</p>\n";
        let raw = framed(text).unwrap();
        assert_eq!(raw.feed_time_raw(), "1616075711000");
        assert_eq!(raw.html(), "<p>x</p>");
    }

    #[test]
    fn an_article_without_html_is_still_framed() {
        let raw = framed("<!--1-->\n[t](https://x.org/)\n---\n").unwrap();
        assert_eq!(raw.html(), "");
    }

    #[test]
    fn empty_and_whitespace_only_files_are_empty() {
        assert_eq!(kind_of(b""), "empty");
        assert_eq!(kind_of(b" \n\r\n\t"), "empty");
        assert_eq!(kind_of("\u{feff}\n".as_bytes()), "empty");
    }

    #[test]
    fn a_nul_byte_makes_a_file_binary() {
        let err = frame(InputFile::from_bytes("t", b"<!--1-->\n\0".to_vec())).unwrap_err();
        assert_eq!(err.error.kind(), "binary");
        assert!(err.error.to_string().contains("offset 9"));
        assert_eq!(err.file_size, Some(10));
        assert!(err.content_sha256.is_some());
    }

    #[test]
    fn gbk_bytes_are_an_encoding_error_with_line_and_offset() {
        // "中文" in GBK on line 2.
        let mut bytes = b"<!--1-->\n[".to_vec();
        bytes.extend_from_slice(&[0xd6, 0xd0, 0xce, 0xc4]);
        let err = frame(InputFile::from_bytes("t", bytes)).unwrap_err();
        assert_eq!(err.error.kind(), "encoding");
        let message = err.error.to_string();
        assert!(message.contains("offset 10"), "{message}");
        assert!(message.contains("line 2"), "{message}");
    }

    #[test]
    fn a_missing_header_is_a_header_error_quoting_line_one() {
        let err = framed("[t](https://x.org/)\n---\n\n<p>x</p>").unwrap_err();
        assert_eq!(err.error.kind(), "header");
        assert!(err.error.to_string().contains("[t](https://x.org/)"));
        assert_eq!(kind_of(b"<!---->\n[t](u)\n---\n"), "header");
        assert_eq!(kind_of(b"<!--1\n[t](u)\n---\n"), "header");
    }

    #[test]
    fn the_header_value_is_not_interpreted() {
        let raw = framed("<!--16160757x1000-->\n[t](https://x.org/)\n---\n\nx").unwrap();
        assert_eq!(raw.feed_time_raw(), "16160757x1000");
    }

    #[test]
    fn a_bad_link_line_is_a_link_error() {
        assert_eq!(kind_of(b"<!--1-->\nplain title\n---\n\nx"), "link");
        assert_eq!(kind_of(b"<!--1-->\n[t]()\n---\n\nx"), "link");
        assert_eq!(kind_of(b"<!--1-->\n[t](u"), "link");
        assert_eq!(kind_of(b"<!--1-->"), "link");
    }

    #[test]
    fn a_missing_dash_line_is_a_separator_error() {
        assert_eq!(kind_of(b"<!--1-->\n[t](u)\n\n<p>x</p>"), "separator");
        assert_eq!(kind_of(b"<!--1-->\n[t](u)\n--\n\nx"), "separator");
        assert_eq!(kind_of(b"<!--1-->\n[t](u)\n- - -\n\nx"), "separator");
        assert_eq!(kind_of(b"<!--1-->\n[t](u)"), "separator");
    }

    #[test]
    fn messages_say_when_a_line_is_empty_or_missing() {
        let err = framed("<!--1-->\n[t](u)\n\n<p>x</p>").unwrap_err();
        assert_eq!(
            err.error.to_string(),
            "line 3 should be a line of three or more dashes, found an empty line"
        );
        let err = framed("<!--1-->\n[t](u)").unwrap_err();
        assert!(err.error.to_string().ends_with("found the end of the file"));
    }

    #[test]
    fn long_offending_lines_are_quoted_short() {
        let line = "x".repeat(500);
        let err = framed(&format!("{line}\n")).unwrap_err();
        let message = err.error.to_string();
        assert!(message.len() < 200, "{message}");
        assert!(message.contains('…'));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn framing_never_panics_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
                let _ = frame(InputFile::from_bytes("p", bytes));
            }

            #[test]
            fn framing_round_trips_any_title_and_url(
                ms in any::<i64>(),
                title in "[^\r\n\u{0}]{0,40}",
                url in "[a-z]{1,8}://[^\\s()\\[\\]\u{0}]{1,40}(\\([^\\s()\u{0}]{0,5}\\))?",
                html in "[^\u{feff}\u{0}]{0,200}",
            ) {
                prop_assume!(!title.contains("]("));
                let text = format!("<!--{ms}-->\n[{title}]({url})\n---\n\n{html}");
                let raw = framed(&text).unwrap();
                prop_assert_eq!(raw.feed_time_raw(), ms.to_string());
                prop_assert_eq!(raw.title_raw(), title.as_str());
                prop_assert_eq!(raw.url_raw(), url.as_str());
                prop_assert_eq!(raw.html(), html.trim());
            }
        }
    }
}
