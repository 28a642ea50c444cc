//! Times: the feed-time header, and wall-clock times in named zones.
//!
//! Zones come from the IANA database through chrono-tz, so every DST change
//! of every year is applied; no offset is ever fixed in code.

use chrono::{DateTime, Duration, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

/// How exact a published time is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// Stated to the second.
    Second,
    /// Stated to the minute.
    Minute,
    /// Only the day is stated; the time is its UTC midnight.
    Day,
    /// Derived from a relative phrase ("3 小时前") and the feed time.
    Approximate,
}

impl Precision {
    /// The value written to the `published_precision` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Second => "second",
            Precision::Minute => "minute",
            Precision::Day => "day",
            Precision::Approximate => "approximate",
        }
    }
}

/// Why a published time is special or missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Note {
    /// The wall-clock time happened twice (clocks went back); the earlier
    /// instant was taken.
    Ambiguous,
    /// The wall-clock time never happened (clocks went forward); it was read
    /// with the offset in force before the gap, i.e. pushed forward by the gap.
    Nonexistent,
    /// The text has the expected shape but names an impossible date or clock
    /// (`31/02/2021`, `25:61`); `published_utc` is null.
    Invalid,
    /// Text was found where the date should be, but not in the expected
    /// format; `published_utc` is null.
    Unrecognized,
    /// The profile says where the date is, but the page has nothing there;
    /// `published_utc` is null.
    Missing,
    /// Read from a relative phrase ("3 小时前") counted back from the feed time.
    Relative,
}

impl Note {
    /// The value written to the `published_note` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Note::Ambiguous => "ambiguous",
            Note::Nonexistent => "nonexistent",
            Note::Invalid => "invalid",
            Note::Unrecognized => "unrecognized",
            Note::Missing => "missing",
            Note::Relative => "relative",
        }
    }
}

/// Feed times before this are not plausible for an RSS archive (RSS dates
/// from 1999); they are almost always a value in seconds or garbage.
const FEED_TIME_MIN_MS: i64 = 631_152_000_000; // 1990-01-01T00:00:00Z
/// Feed times from this instant on are not plausible either.
const FEED_TIME_MAX_MS: i64 = 4_102_444_800_000; // 2100-01-01T00:00:00Z

/// Why a feed-time header is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedTimeError {
    /// The header is not a whole number.
    #[error("the feed time in line 1 is {raw:?}, not a whole number of milliseconds since 1970-01-01 UTC")]
    NotAnInteger {
        /// The header value.
        raw: String,
    },
    /// The number does not fit a 64-bit timestamp.
    #[error("the feed time in line 1 ({raw}) is too large to be a timestamp")]
    Overflow {
        /// The header value.
        raw: String,
    },
    /// The number is a timestamp, but outside 1990–2099.
    #[error("the feed time in line 1 ({raw} ms) is {at}, outside the plausible range 1990-01-01 to 2099-12-31{hint}")]
    OutOfRange {
        /// The header value.
        raw: String,
        /// The instant it denotes, or a description when chrono cannot show it.
        at: String,
        /// A hint when the value looks like seconds instead of milliseconds.
        hint: &'static str,
    },
}

/// Reads the header value as milliseconds since the Unix epoch, UTC.
///
/// Accepts an optional leading `+` or `-` and ASCII digits only. Values
/// outside 1990-01-01 ≤ t < 2100-01-01 are rejected rather than guessed at.
pub fn feed_time(raw: &str) -> Result<DateTime<Utc>, FeedTimeError> {
    let digits = raw.strip_prefix(['+', '-']).unwrap_or(raw);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FeedTimeError::NotAnInteger { raw: raw.into() });
    }
    let ms: i64 = raw
        .parse()
        .map_err(|_| FeedTimeError::Overflow { raw: raw.into() })?;
    if !(FEED_TIME_MIN_MS..FEED_TIME_MAX_MS).contains(&ms) {
        let at = DateTime::<Utc>::from_timestamp_millis(ms)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
            .unwrap_or_else(|| "beyond the calendar".into());
        let seconds_like = (FEED_TIME_MIN_MS / 1000..FEED_TIME_MAX_MS / 1000).contains(&ms);
        let hint = if seconds_like {
            " (it looks like seconds, not milliseconds)"
        } else {
            ""
        };
        return Err(FeedTimeError::OutOfRange {
            raw: raw.into(),
            at,
            hint,
        });
    }
    DateTime::<Utc>::from_timestamp_millis(ms).ok_or(FeedTimeError::Overflow { raw: raw.into() })
}

/// A wall-clock time read in a zone: the instant, and a note when the wall
/// clock was ambiguous or nonexistent there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved {
    /// The instant, in UTC.
    pub utc: DateTime<Utc>,
    /// `Ambiguous` or `Nonexistent` when the wall clock was not a single instant.
    pub note: Option<Note>,
}

/// Converts a wall-clock time in `zone` to UTC, disambiguating as RFC 9557 /
/// Temporal's `compatible` option does:
///
/// - ambiguous (the hour happens twice): the earlier instant;
/// - nonexistent (the hour is skipped): read with the offset in force before
///   the gap, which pushes the time forward by the length of the gap.
pub fn resolve_local(naive: NaiveDateTime, zone: Tz) -> Resolved {
    match zone.from_local_datetime(&naive) {
        chrono::LocalResult::Single(t) => Resolved {
            utc: t.with_timezone(&Utc),
            note: None,
        },
        chrono::LocalResult::Ambiguous(a, b) => Resolved {
            utc: a.min(b).with_timezone(&Utc),
            note: Some(Note::Ambiguous),
        },
        chrono::LocalResult::None => {
            // Temporal takes the offset one day before the wall clock (read as
            // UTC): no zone has two transitions within a day, so that is the
            // offset in force before the gap.
            let day_before = naive - Duration::days(1);
            let before = zone
                .offset_from_utc_datetime(&day_before)
                .fix()
                .local_minus_utc();
            Resolved {
                utc: (naive - Duration::seconds(i64::from(before))).and_utc(),
                note: Some(Note::Nonexistent),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn paris(y: i32, m: u32, d: u32, h: u32, mi: u32) -> Resolved {
        let naive = NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, mi, 0)
            .unwrap();
        resolve_local(naive, chrono_tz::Europe::Paris)
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_seed_time_is_read_in_winter_time() {
        let r = paris(2021, 3, 18, 14, 26);
        assert_eq!(r.utc, utc("2021-03-18T13:26:00Z"));
        assert_eq!(r.note, None);
    }

    #[test]
    fn an_ambiguous_paris_time_takes_the_earlier_instant() {
        let r = paris(2021, 10, 31, 2, 30);
        assert_eq!(r.utc, utc("2021-10-31T00:30:00Z"));
        assert_eq!(r.note, Some(Note::Ambiguous));
    }

    #[test]
    fn a_nonexistent_paris_time_is_pushed_forward_by_the_gap() {
        let r = paris(2021, 3, 28, 2, 30);
        assert_eq!(r.utc, utc("2021-03-28T01:30:00Z"));
        assert_eq!(r.note, Some(Note::Nonexistent));
    }

    #[test]
    fn the_minutes_around_the_gap_are_single_instants() {
        assert_eq!(paris(2021, 3, 28, 1, 59).utc, utc("2021-03-28T00:59:00Z"));
        assert_eq!(paris(2021, 3, 28, 3, 0).utc, utc("2021-03-28T01:00:00Z"));
        assert_eq!(paris(2021, 3, 28, 3, 0).note, None);
        assert_eq!(paris(2021, 10, 31, 1, 59).utc, utc("2021-10-30T23:59:00Z"));
        assert_eq!(paris(2021, 10, 31, 3, 0).utc, utc("2021-10-31T02:00:00Z"));
    }

    #[test]
    fn a_new_york_gap_and_overlap_follow_the_same_rule() {
        let ny = chrono_tz::America::New_York;
        let gap = NaiveDate::from_ymd_opt(2021, 3, 14)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap();
        let r = resolve_local(gap, ny);
        assert_eq!(r.utc, utc("2021-03-14T07:30:00Z"));
        assert_eq!(r.note, Some(Note::Nonexistent));
        let overlap = NaiveDate::from_ymd_opt(2021, 11, 7)
            .unwrap()
            .and_hms_opt(1, 30, 0)
            .unwrap();
        let r = resolve_local(overlap, ny);
        assert_eq!(r.utc, utc("2021-11-07T05:30:00Z"));
        assert_eq!(r.note, Some(Note::Ambiguous));
    }

    #[test]
    fn the_seed_header_is_its_feed_time() {
        assert_eq!(
            feed_time("1616075711000").unwrap(),
            utc("2021-03-18T13:55:11Z")
        );
    }

    #[test]
    fn a_non_integer_header_is_not_an_integer() {
        for raw in ["16160757x1000", "", "-", "1.5e12", " 12", "١٢٣"] {
            assert!(
                matches!(feed_time(raw), Err(FeedTimeError::NotAnInteger { .. })),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn a_header_beyond_i64_overflows() {
        assert!(matches!(
            feed_time("99999999999999999999"),
            Err(FeedTimeError::Overflow { .. })
        ));
    }

    #[test]
    fn negative_and_far_future_headers_are_out_of_range() {
        for raw in ["-1000", "0", "4102444800000", "9223372036854775807"] {
            assert!(
                matches!(feed_time(raw), Err(FeedTimeError::OutOfRange { .. })),
                "{raw}"
            );
        }
    }

    #[test]
    fn a_header_in_seconds_says_so() {
        let message = feed_time("1616075711").unwrap_err().to_string();
        assert!(message.contains("looks like seconds"), "{message}");
    }

    #[test]
    fn the_plausible_range_is_inclusive_at_the_start() {
        assert_eq!(
            feed_time("631152000000").unwrap(),
            utc("1990-01-01T00:00:00Z")
        );
        assert!(feed_time("631151999999").is_err());
        assert!(feed_time("4102444799999").is_ok());
    }
}
