//! Sources: who published an article, decided by the URL host.

/// The sources of the record spec (section 2) and the hosts that identify
/// them. A host matches when it equals the listed host or ends with `.` and
/// the listed host.
pub const SOURCES: &[(&str, &str)] = &[
    ("rfi.fr", "rfi"),
    ("dw.com", "dw"),
    ("reuters.com", "reuters"),
    ("voachinese.com", "voa"),
    ("voanews.com", "voa"),
    ("nytimes.com", "nytimes"),
    ("rfa.org", "rfa"),
    ("bbc.com", "bbc"),
    ("bbc.co.uk", "bbc"),
    ("ft.com", "ft"),
    ("ftchinese.com", "ft"),
    ("chinadigitaltimes.net", "cdt"),
];

/// The `source` of records whose host is no known source.
pub const OTHER_SOURCE: &str = "other";

/// Whether `host` is `pattern` or one of its subdomains.
pub fn host_matches(host: &str, pattern: &str) -> bool {
    host == pattern
        || (host.len() > pattern.len()
            && host.ends_with(pattern)
            && host.as_bytes()[host.len() - pattern.len() - 1] == b'.')
}

/// The spec's source for `host`, if it is one of the nine.
pub fn known_source(host: &str) -> Option<&'static str> {
    SOURCES
        .iter()
        .find(|(pattern, _)| host_matches(host, pattern))
        .map(|(_, source)| *source)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subdomains_match_but_lookalikes_do_not() {
        assert_eq!(known_source("www.rfi.fr"), Some("rfi"));
        assert_eq!(known_source("rfi.fr"), Some("rfi"));
        assert_eq!(known_source("cn.ft.com"), Some("ft"));
        assert_eq!(known_source("www.voachinese.com"), Some("voa"));
        assert_eq!(known_source("www.bbc.co.uk"), Some("bbc"));
        assert_eq!(known_source("notrfi.fr"), None);
        assert_eq!(known_source("rfi.fr.evil.com"), None);
        assert_eq!(known_source("softft.com"), None);
    }
}
