//! Property tests: Paris wall clock → UTC, 1990–2037, against an independent
//! computation of the EU summer-time rules.
//!
//! The reference below never touches chrono-tz: it derives the transition
//! instants from the rules as published (summer time from the last Sunday of
//! March, 01:00 UTC, to the last Sunday of October, 01:00 UTC; before 1996 it
//! ended on the last Sunday of September) and applies the spec's
//! disambiguation by hand.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc, Weekday};
use proptest::prelude::*;
use wirehouse_transform::time::{resolve_local, Note};

const HOUR: i64 = 3600;

fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let first_of_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }
    .unwrap();
    let mut day = first_of_next - Duration::days(1);
    while day.weekday() != Weekday::Sun {
        day -= Duration::days(1);
    }
    day
}

/// Summer time of `year` as UTC seconds [start, end).
fn summer(year: i32) -> (i64, i64) {
    let at_one_utc = |d: NaiveDate| d.and_hms_opt(1, 0, 0).unwrap().and_utc().timestamp();
    let end_month = if year < 1996 { 9 } else { 10 };
    (
        at_one_utc(last_sunday(year, 3)),
        at_one_utc(last_sunday(year, end_month)),
    )
}

fn offset_at(utc_seconds: i64) -> i64 {
    let year = DateTime::<Utc>::from_timestamp(utc_seconds, 0)
        .unwrap()
        .year();
    let (start, end) = summer(year);
    if (start..end).contains(&utc_seconds) {
        2 * HOUR
    } else {
        HOUR
    }
}

/// The spec's answer for a Paris wall clock, from the rules alone.
fn reference(local: NaiveDateTime) -> (i64, Option<Note>) {
    let l = local.and_utc().timestamp();
    let winter = l - HOUR;
    let summer = l - 2 * HOUR;
    let winter_ok = offset_at(winter) == HOUR;
    let summer_ok = offset_at(summer) == 2 * HOUR;
    match (winter_ok, summer_ok) {
        (true, true) => (summer.min(winter), Some(Note::Ambiguous)),
        (true, false) => (winter, None),
        (false, true) => (summer, None),
        // Only the spring gap is skipped: the offset before it is winter time.
        (false, false) => (winter, Some(Note::Nonexistent)),
    }
}

fn local_from_seconds(seconds: i64) -> NaiveDateTime {
    DateTime::<Utc>::from_timestamp(seconds, 0)
        .unwrap()
        .naive_utc()
}

fn check(local: NaiveDateTime) -> Result<(), TestCaseError> {
    let got = resolve_local(local, chrono_tz::Europe::Paris);
    let (want, note) = reference(local);
    prop_assert_eq!(got.utc.timestamp(), want, "local {}", local);
    prop_assert_eq!(got.note, note, "local {}", local);
    Ok(())
}

const FROM_1990: i64 = 631_152_000; // 1990-01-01T00:00:00
const TO_2038: i64 = 2_145_916_800; // 2038-01-01T00:00:00

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn any_paris_wall_clock_from_1990_to_2037_matches_the_eu_rules(seconds in FROM_1990..TO_2038) {
        check(local_from_seconds(seconds))?;
    }

    #[test]
    fn wall_clocks_within_three_hours_of_a_change_match_the_eu_rules(
        year in 1990i32..2038,
        spring in any::<bool>(),
        delta in -3 * HOUR..3 * HOUR,
    ) {
        let (start, end) = summer(year);
        // The local wall clock at the transition instant, plus delta.
        let local = if spring { start + HOUR + delta } else { end + 2 * HOUR + delta };
        check(local_from_seconds(local))?;
    }
}

#[test]
fn the_reference_agrees_with_the_spec_examples() {
    let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
    let utc = |s: &str| s.parse::<DateTime<Utc>>().unwrap().timestamp();
    assert_eq!(
        reference(at("2021-10-31 02:30")),
        (utc("2021-10-31T00:30:00Z"), Some(Note::Ambiguous))
    );
    assert_eq!(
        reference(at("2021-03-28 02:30")),
        (utc("2021-03-28T01:30:00Z"), Some(Note::Nonexistent))
    );
    assert_eq!(
        reference(at("2021-03-18 14:26")),
        (utc("2021-03-18T13:26:00Z"), None)
    );
    // 1995 summer time ended in September.
    assert_eq!(reference(at("1995-09-24 02:30")).1, Some(Note::Ambiguous));
    assert_eq!(reference(at("1995-10-29 02:30")).1, None);
}

#[test]
fn every_change_day_from_1990_to_2037_has_one_gap_hour_and_one_repeated_hour() {
    for year in 1990..2038 {
        let (start, end) = summer(year);
        let gap = resolve_local(
            local_from_seconds(start + HOUR + 1800),
            chrono_tz::Europe::Paris,
        );
        assert_eq!(gap.note, Some(Note::Nonexistent), "{year} spring");
        let overlap = resolve_local(
            local_from_seconds(end + HOUR + 1800),
            chrono_tz::Europe::Paris,
        );
        assert_eq!(overlap.note, Some(Note::Ambiguous), "{year} autumn");
        assert_eq!(
            overlap.utc.timestamp(),
            end - 1800,
            "{year} autumn takes the earlier instant"
        );
    }
}
