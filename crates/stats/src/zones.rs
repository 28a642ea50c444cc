//! Home zones: where each source's newsroom keeps its clock.

use chrono_tz::Tz;

/// The zone each source's local hour × weekday matrix is drawn in: the
/// newsroom's own clock, as its site shows it (rfi Paris, nytimes and ft
/// Beijing time for their Chinese editions, …). Sources not listed use UTC.
pub const HOME_ZONES: &[(&str, Tz)] = &[
    ("bbc", chrono_tz::Europe::London),
    ("cdt", chrono_tz::America::Los_Angeles),
    ("dw", chrono_tz::Europe::Berlin),
    ("ft", chrono_tz::Asia::Shanghai),
    ("nytimes", chrono_tz::Asia::Shanghai),
    ("reuters", chrono_tz::Asia::Shanghai),
    ("rfa", chrono_tz::America::New_York),
    ("rfi", chrono_tz::Europe::Paris),
    ("voa", chrono_tz::America::New_York),
];

/// The home zone of `source` (UTC for unknown sources).
pub fn home_zone(source: &str) -> Tz {
    HOME_ZONES
        .iter()
        .find(|(s, _)| *s == source)
        .map_or(chrono_tz::UTC, |(_, z)| *z)
}
