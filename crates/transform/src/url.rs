//! Article URLs: canonical form, host, article id.

use wirehouse_extract::sha256_hex;

/// Why a link target cannot identify an article.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// The URL has no `scheme://host` part.
    #[error("the link in line 2 ({url:?}) is not an absolute URL with a host")]
    NotAbsolute {
        /// The URL as written.
        url: String,
    },
}

/// A canonical article URL and the host it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalUrl {
    /// Lower-case scheme and host, repeated `/` in the path collapsed, `%xx`
    /// escapes upper-case, no fragment; nothing else changed.
    pub url: String,
    /// The host alone: lower-case, without user info, port or trailing dot.
    pub host: String,
}

/// Canonicalizes `raw` as the record spec defines it:
/// lower-case scheme and host, runs of `/` in the path collapsed to one,
/// `%xx` escapes in path and query upper-cased, fragment removed.
///
/// Nothing is decoded, encoded or resolved beyond that, so two URLs are the
/// same article exactly when the archive wrote them the same way up to those
/// rules. (`http` and `https` stay distinct: the archives switched scheme over
/// the years, and the spec does not merge them.)
pub fn canonical_url(raw: &str) -> Result<CanonicalUrl, UrlError> {
    let not_absolute = || UrlError::NotAbsolute { url: raw.into() };
    let raw = raw.trim();
    let (scheme, rest) = raw.split_once("://").ok_or_else(not_absolute)?;
    let scheme_ok = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok {
        return Err(not_absolute());
    }
    let rest = rest.split('#').next().unwrap_or("");
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let (userinfo, host_port) = match authority.rsplit_once('@') {
        Some((user, host)) => (Some(user), host),
        None => (None, authority),
    };
    let host_port = host_port.to_ascii_lowercase();
    let host = host_only(&host_port);
    if host.is_empty() {
        return Err(not_absolute());
    }
    let (path, query) = match tail.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (tail, None),
    };

    let mut url = String::with_capacity(raw.len());
    url.push_str(&scheme.to_ascii_lowercase());
    url.push_str("://");
    if let Some(user) = userinfo {
        url.push_str(user);
        url.push('@');
    }
    url.push_str(&host_port);
    let mut previous_slash = false;
    for c in path.chars() {
        if c == '/' && previous_slash {
            continue;
        }
        previous_slash = c == '/';
        url.push(c);
    }
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    Ok(CanonicalUrl {
        url: upper_case_escapes(url),
        host: host.to_string(),
    })
}

/// The host of a lower-cased `host[:port]`, IPv6 brackets kept.
fn host_only(host_port: &str) -> &str {
    let host = if host_port.starts_with('[') {
        host_port
            .find(']')
            .map_or(host_port, |end| &host_port[..=end])
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    host.trim_end_matches('.')
}

/// Upper-cases the two hex digits of every `%xx` escape; a `%` not followed by
/// two hex digits is left alone.
fn upper_case_escapes(url: String) -> String {
    if !url.contains('%') {
        return url;
    }
    let mut bytes = url.into_bytes();
    let mut i = 0;
    while i + 2 < bytes.len() {
        if bytes[i] == b'%' && bytes[i + 1].is_ascii_hexdigit() && bytes[i + 2].is_ascii_hexdigit()
        {
            bytes[i + 1].make_ascii_uppercase();
            bytes[i + 2].make_ascii_uppercase();
            i += 3;
        } else {
            i += 1;
        }
    }
    // Only ASCII hex digits changed case, so the bytes are still UTF-8.
    String::from_utf8(bytes).unwrap_or_default()
}

/// The stable article id: the first 32 hex digits (128 bits) of the SHA-256 of
/// the canonical URL's UTF-8 bytes.
///
/// Every version of an article shares it; 128 bits make a collision between
/// two different URLs negligible at any archive size.
pub fn article_id(canonical_url: &str) -> String {
    let mut hex = sha256_hex(canonical_url.as_bytes());
    hex.truncate(32);
    hex
}

/// Decodes `%xx` escapes of a URL path into text, for reading words out of
/// it; escapes that do not form UTF-8 are kept as written.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}

/// Resolves an image or link `reference` found in an article against the
/// article's canonical URL: absolute URLs stay, `//host/x` takes the
/// article's scheme, `/x` its origin, and a relative path its directory.
pub fn resolve(base: &str, reference: &str) -> String {
    let reference = reference.trim();
    if reference.contains("://") || reference.starts_with("data:") {
        return reference.to_string();
    }
    let (scheme, rest) = base.split_once("://").unwrap_or(("https", base));
    if let Some(net) = reference.strip_prefix("//") {
        return format!("{scheme}://{net}");
    }
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let origin = &base[..scheme.len() + 3 + authority_end];
    if reference.starts_with('/') {
        return format!("{origin}{reference}");
    }
    let path = rest[authority_end..].split('?').next().unwrap_or("");
    let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
    let dir = if dir.is_empty() { "/" } else { dir };
    format!("{origin}{dir}{reference}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_url_is_canonicalized_as_the_spec_says() {
        let c = canonical_url("http://www.rfi.fr//cn/%e4%b8%93/x#top").unwrap();
        assert_eq!(c.url, "http://www.rfi.fr/cn/%E4%B8%93/x");
        assert_eq!(c.host, "www.rfi.fr");
    }

    #[test]
    fn scheme_and_host_are_lower_cased_but_the_path_is_not() {
        let c = canonical_url("HTTPS://WWW.BBC.com:443/Zhongwen//Simp?A=%2f").unwrap();
        assert_eq!(c.url, "https://www.bbc.com:443/Zhongwen/Simp?A=%2F");
        assert_eq!(c.host, "www.bbc.com");
    }

    #[test]
    fn a_percent_sign_that_is_not_an_escape_is_kept() {
        let c = canonical_url("https://www.dw.com/zh/129%/a-1").unwrap();
        assert_eq!(c.url, "https://www.dw.com/zh/129%/a-1");
        assert_eq!(
            canonical_url("https://x.org/a%").unwrap().url,
            "https://x.org/a%"
        );
    }

    #[test]
    fn the_query_is_kept_and_slashes_in_it_are_not_collapsed() {
        let c = canonical_url("https://cn.ft.com/story/001089764?full=y&u=a//b").unwrap();
        assert_eq!(c.url, "https://cn.ft.com/story/001089764?full=y&u=a//b");
    }

    #[test]
    fn relative_or_hostless_links_are_not_absolute() {
        for raw in [
            "/cn/a",
            "www.rfi.fr/cn",
            "http:///x",
            "javascript:void(0)",
            "://x.org",
            "1http://x.org",
        ] {
            assert!(canonical_url(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn the_host_drops_user_info_port_and_trailing_dot() {
        assert_eq!(
            canonical_url("http://u:P@Rfi.FR.:8080/a").unwrap().host,
            "rfi.fr"
        );
        assert_eq!(
            canonical_url("http://u:P@Rfi.FR.:8080/a").unwrap().url,
            "http://u:P@rfi.fr.:8080/a"
        );
    }

    #[test]
    fn article_ids_are_32_hex_digits_of_the_sha256() {
        let id = article_id("http://www.rfi.fr/cn/a");
        assert_eq!(id.len(), 32);
        assert_eq!(id, sha256_hex(b"http://www.rfi.fr/cn/a")[..32]);
    }

    #[test]
    fn percent_decoding_reads_utf8_words_and_keeps_broken_escapes() {
        assert_eq!(percent_decode("/cn/%E8%A6%81%E9%97%BB"), "/cn/要闻");
        assert_eq!(percent_decode("/a%zz%4"), "/a%zz%4");
        assert_eq!(percent_decode("%FF"), "%FF");
    }

    #[test]
    fn references_resolve_against_the_article_url() {
        let base = "https://www.rfi.fr/cn/a/b?x=1";
        assert_eq!(
            resolve(base, "https://s.rfi.fr/i.jpg"),
            "https://s.rfi.fr/i.jpg"
        );
        assert_eq!(resolve(base, "//s.rfi.fr/i.jpg"), "https://s.rfi.fr/i.jpg");
        assert_eq!(resolve(base, "/i.jpg"), "https://www.rfi.fr/i.jpg");
        assert_eq!(resolve(base, "i.jpg"), "https://www.rfi.fr/cn/a/i.jpg");
        assert_eq!(resolve("https://x.org", "i.jpg"), "https://x.org/i.jpg");
    }
}
