//! The published time: a profile's locators, tried in order.

use crate::text::NodeSet;
use ego_tree::NodeId;
use std::sync::LazyLock;

use chrono::format::ParseErrorKind;
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use regex::Regex;
use scraper::Html;

use crate::locate::Located;
use crate::profile::{Profile, PublishedLocator};
use crate::time::{resolve_local, Note, Precision};

/// A published time as read from a page, with the rule that read it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Published {
    /// The instant, when one could be read.
    pub utc: Option<DateTime<Utc>>,
    /// The text it came from (also when it could not be read).
    pub raw: Option<String>,
    /// The zone the text was read in.
    pub tz: Option<String>,
    /// How exact it is.
    pub precision: Option<Precision>,
    /// Why it is special or null.
    pub note: Option<Note>,
    /// Which locator gave the answer (`published[1]: …`), for `inspect`.
    pub rule: Option<String>,
    /// The element the text came from (page locators), so that its text is
    /// placed as the published time, not read as body text.
    pub element: Option<NodeId>,
}

/// `19 分钟前`, `3 小时前`, `2 天前`, `30 秒前`: a count and a unit, before the feed time.
static RELATIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\d{1,6})\s*(秒钟?|分钟|分|小时|个小时|天)前$").unwrap_or_else(|_| unreachable!())
});

/// `2020年10月2日凌晨5点08分`: a date, an optional period of the day, a 12- or
/// 24-hour clock.
static CHINESE_CLOCK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\d{4})年(\d{1,2})月(\d{1,2})日\s*(凌晨|早上|上午|中午|下午|晚上)?\s*(\d{1,2})[点:：](\d{1,2})分?$")
        .unwrap_or_else(|_| unreachable!())
});

/// Rewrites a Chinese clock as `YYYY-MM-DD HH:MM` (24-hour), the way the
/// sites render it (moment.js zh-cn): 下午 and 晚上 add 12 hours to 1–11,
/// 中午 adds 12 below 11, the other periods are morning hours.
pub fn chinese_clock(text: &str) -> Option<String> {
    let c = CHINESE_CLOCK.captures(text.trim())?;
    let mut hour: u32 = c[5].parse().ok()?;
    match c.get(4).map(|m| m.as_str()) {
        Some("下午" | "晚上") if (1..12).contains(&hour) => hour += 12,
        Some("中午") if hour < 11 => hour += 12,
        _ => {}
    }
    Some(format!(
        "{}-{:0>2}-{:0>2} {hour:02}:{:0>2}",
        &c[1], &c[2], &c[3], &c[6]
    ))
}

/// How long ago a relative phrase says, if it is one.
pub fn relative_offset(text: &str) -> Option<Duration> {
    let captures = RELATIVE.captures(text.trim())?;
    let n: i64 = captures[1].parse().ok()?;
    let unit = match &captures[2] {
        "秒" | "秒钟" => Duration::seconds(1),
        "分" | "分钟" => Duration::minutes(1),
        "小时" | "个小时" => Duration::hours(1),
        _ => Duration::days(1),
    };
    Some(unit * i32::try_from(n).ok()?)
}

/// Reads the published time with `profile`'s locators: the first that finds
/// a readable time wins. When some found text but none could read it, the
/// first such text is kept with note `invalid` or `unrecognized`; when none
/// found anything, the note is `missing`. A profile without locators gives
/// all nulls.
pub fn read_published(
    doc: &Html,
    url: &str,
    feed_time: DateTime<Utc>,
    profile: &Profile,
    removed: &NodeSet,
) -> Published {
    let mut failure: Option<Published> = None;
    for locator in &profile.published {
        let raw = match locator.locator.locate(doc, url, removed) {
            Located::NotFound => continue,
            Located::Mismatch { text } => {
                failure.get_or_insert_with(|| failed(locator, text, Note::Unrecognized));
                continue;
            }
            Located::Found { value, element } => (value, element),
        };
        let (raw, element) = raw;
        match read_time(locator, &raw, feed_time) {
            Ok(published) => {
                return Published {
                    element,
                    ..published
                }
            }
            Err(note) => {
                failure.get_or_insert_with(|| failed(locator, raw, note));
            }
        }
    }
    match (failure, profile.published.first()) {
        (Some(failure), _) => failure,
        (None, Some(first)) => Published {
            tz: Some(first.zone.name().to_string()),
            note: Some(Note::Missing),
            rule: Some(format!("{} (nothing there)", first.locator.describe)),
            ..Published::default()
        },
        (None, None) => Published::default(),
    }
}

fn failed(locator: &PublishedLocator, raw: String, note: Note) -> Published {
    Published {
        raw: Some(raw),
        tz: Some(locator.zone.name().to_string()),
        note: Some(note),
        rule: Some(locator.locator.describe.clone()),
        ..Published::default()
    }
}

fn read_time(
    locator: &PublishedLocator,
    raw: &str,
    feed_time: DateTime<Utc>,
) -> Result<Published, Note> {
    if locator.relative {
        if let Some(ago) = relative_offset(raw) {
            return Ok(Published {
                utc: Some(feed_time - ago),
                raw: Some(raw.to_string()),
                tz: Some("UTC".into()),
                precision: Some(Precision::Approximate),
                note: Some(Note::Relative),
                rule: Some(locator.locator.describe.clone()),
                element: None,
            });
        }
    }
    let normalized = locator.chinese_clock.then(|| chinese_clock(raw)).flatten();
    let text = normalized.as_deref().unwrap_or(raw);
    let mut note = Note::Unrecognized;
    for format in &locator.formats {
        let parsed = NaiveDateTime::parse_from_str(text, format).or_else(|e| {
            // A date-only format reads as that day's midnight.
            NaiveDate::parse_from_str(text, format)
                .map(|d| d.and_time(NaiveTime::MIN))
                .map_err(|_| e)
        });
        match parsed {
            Ok(naive) => {
                let resolved = resolve_local(naive, locator.zone);
                return Ok(Published {
                    utc: Some(resolved.utc),
                    raw: Some(raw.to_string()),
                    tz: Some(locator.zone.name().to_string()),
                    precision: Some(locator.precision),
                    note: resolved.note,
                    rule: Some(locator.locator.describe.clone()),
                    element: None,
                });
            }
            Err(e)
                if matches!(
                    e.kind(),
                    ParseErrorKind::OutOfRange | ParseErrorKind::Impossible
                ) =>
            {
                note = Note::Invalid;
            }
            Err(_) => {}
        }
    }
    Err(note)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_phrases_are_durations() {
        assert_eq!(relative_offset("19 分钟前"), Some(Duration::minutes(19)));
        assert_eq!(relative_offset("3 小时前"), Some(Duration::hours(3)));
        assert_eq!(relative_offset("3小时前"), Some(Duration::hours(3)));
        assert_eq!(relative_offset("2 天前"), Some(Duration::days(2)));
        assert_eq!(relative_offset("30 秒前"), Some(Duration::seconds(30)));
        assert_eq!(relative_offset("2020年10月2日"), None);
        assert_eq!(relative_offset("昨天"), None);
        assert_eq!(relative_offset("9999999 分钟前"), None);
    }

    #[test]
    fn chinese_clocks_become_24_hour_times() {
        assert_eq!(
            chinese_clock("2020年10月2日凌晨5点08分").as_deref(),
            Some("2020-10-02 05:08")
        );
        assert_eq!(
            chinese_clock("2020年10月2日下午3点05分").as_deref(),
            Some("2020-10-02 15:05")
        );
        assert_eq!(
            chinese_clock("2020年10月2日晚上12点00分").as_deref(),
            Some("2020-10-02 12:00")
        );
        assert_eq!(
            chinese_clock("2020年10月2日中午12点30分").as_deref(),
            Some("2020-10-02 12:30")
        );
        assert_eq!(
            chinese_clock("2020年10月2日中午1点30分").as_deref(),
            Some("2020-10-02 13:30")
        );
        assert_eq!(
            chinese_clock("2020年1月2日 17:45").as_deref(),
            Some("2020-01-02 17:45")
        );
        assert_eq!(chinese_clock("2020年10月2日"), None);
        assert_eq!(chinese_clock("3 小时前"), None);
    }
}
