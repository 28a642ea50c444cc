//! Every real file of `../shared/corpus` against expectations checked by
//! reading the files (`tests/golden/corpus.tsv`).
//!
//! The golden table holds titles as the first 16 hex digits of their SHA-256,
//! so that no article text is copied into the repository.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use wirehouse_extract::{frame, read_input, sha256_hex, Limits};
use wirehouse_transform::{Article, ProfileSet, Transformer};

// The package's folder as cargo gives it to the running test, not as it was
// when the test was compiled: a target folder shared by several checkouts
// (CI keeps one) may hold a test binary built in another.
fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

fn corpus_dir() -> PathBuf {
    std::env::var_os("WIREHOUSE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir().join("../../../shared/corpus"))
}

fn golden() -> Vec<BTreeMap<String, String>> {
    table("corpus.tsv")
}

fn table(name: &str) -> Vec<BTreeMap<String, String>> {
    let path = manifest_dir().join("../../tests/golden").join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    lines
        .map(|line| {
            header
                .iter()
                .zip(line.split('\t').chain(std::iter::repeat("")))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn article_files(dir: &Path, root: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            article_files(&path, root, out);
        } else {
            let name = path.file_name().unwrap().to_string_lossy();
            if name != "README.md" && name != "MANIFEST.tsv" {
                out.push(
                    path.strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
}

fn transform(rel: &str) -> Article {
    let root = corpus_dir();
    let file = read_input(&root.join(rel), rel.to_string(), &Limits::default()).unwrap();
    let raw = frame(file).unwrap_or_else(|e| panic!("{rel}: {}", e.error));
    Transformer::new(ProfileSet::builtin().unwrap())
        .transform(&raw)
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

#[test]
fn the_golden_table_covers_every_corpus_file() {
    let root = corpus_dir();
    let mut files = Vec::new();
    article_files(&root, &root, &mut files);
    files.sort();
    let mut listed: Vec<String> = golden()
        .into_iter()
        .map(|row| row["path"].clone())
        .collect();
    listed.sort();
    assert_eq!(files, listed);
    assert_eq!(files.len(), 79);
}

#[test]
fn every_corpus_file_has_the_golden_source_url_title_and_times() {
    let mut failures = Vec::new();
    for row in golden() {
        let path = &row["path"];
        let a = transform(path);
        let mut check = |field: &str, got: String, want: &str| {
            if got != want {
                failures.push(format!("{path}: {field}: got {got:?}, want {want:?}"));
            }
        };
        check("source", a.source.clone(), &row["source"]);
        check("url", a.url.clone(), &row["url"]);
        check("feed_time_utc", iso(a.feed_time_utc), &row["feed_time_utc"]);
        check(
            "title (sha16)",
            sha256_hex(a.title.as_bytes())[..16].to_string(),
            &row["title_sha16"],
        );
        check(
            "title chars",
            a.title.chars().count().to_string(),
            &row["title_chars"],
        );
        check(
            "column_name",
            a.column_name.clone().unwrap_or_default(),
            &row["column_name"],
        );
        // Every dated source's time, read independently into the table.
        if !row["published_utc"].is_empty() || a.profile == "rfi" {
            check(
                "published_utc",
                a.published_utc.map(iso).unwrap_or_default(),
                &row["published_utc"],
            );
            check(
                "published_raw",
                a.published_raw.clone().unwrap_or_default(),
                &row["published_raw"],
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_rfi_file_is_read_by_the_rfi_profile_with_a_paris_time() {
    let rows: Vec<_> = golden()
        .into_iter()
        .filter(|r| r["source"] == "rfi")
        .collect();
    assert_eq!(rows.len(), 28);
    for row in rows {
        let a = transform(&row["path"]);
        assert_eq!(a.profile, "rfi", "{}", row["path"]);
        assert_eq!(a.published_tz.as_deref(), Some("Europe/Paris"));
        assert_eq!(a.published_precision.map(|p| p.as_str()), Some("minute"));
        assert!(
            a.feed_lag_s.unwrap() > 0,
            "{}: fed before published",
            row["path"]
        );
    }
}

#[test]
fn the_seed_file_has_the_worked_example_values() {
    let a = transform("seed/000_048dc874b1a19fb5.txt");
    assert_eq!(iso(a.feed_time_utc), "2021-03-18T13:55:11Z");
    assert_eq!(
        a.published_utc.map(iso).as_deref(),
        Some("2021-03-18T13:26:00Z")
    );
    assert_eq!(a.feed_lag_s, Some(29 * 60 + 11));
    assert_eq!(a.source, "rfi");
    assert_eq!(a.column_name.as_deref(), Some("要闻解说"));
    assert!(a.url.starts_with("http://www.rfi.fr/cn/%E4%B8%93%E6%A0%8F"));
    assert!(a.has_feed_footer);
    assert!(!a.body_text.contains("获取更多RSS"));
    assert!(a.lead.is_some());
    assert_eq!(a.image_urls.len(), 1);
    assert!(a.image_urls[0].starts_with("https://s.rfi.fr/media/display/"));
}

#[test]
fn no_corpus_body_holds_the_feed_footer_scripts_or_markup() {
    for row in golden() {
        let a = transform(&row["path"]);
        for furniture in [
            "获取更多RSS",
            "feedx.",
            "<script",
            "<style",
            "<div",
            "<p>",
            "&nbsp;",
        ] {
            assert!(
                !a.body_text.contains(furniture),
                "{}: body holds {furniture:?}",
                row["path"]
            );
        }
        assert_eq!(
            a.char_count as usize,
            a.body_text.chars().filter(|c| !c.is_whitespace()).count()
        );
        let paragraphs = if a.body_text.is_empty() {
            0
        } else {
            a.body_text.split("\n\n").count()
        };
        assert_eq!(a.paragraph_count as usize, paragraphs, "{}", row["path"]);
    }
}

/// Furniture the profiles must keep out of `body_text`, per source ("*" for
/// all): feed footer, credits, captions, promos, share bars, trailers.
const FURNITURE: &[(&str, &str)] = &[
    ("*", "获取更多RSS"),
    ("*", "feedx."),
    ("*", "<script"),
    ("*", "<iframe"),
    ("*", "\n\n©"),
    ("bbc", "图像来源"),
    ("bbc", "你的器材不支持播放多媒体材料"),
    ("bbc", "Twitter 帖子"),
    ("bbc", "podcast promotion"),
    ("bbc", "Getty Images"),
    ("bbc", "本报道正持续更新中"),
    ("cdt", "CDT 档案卡"),
    ("cdt", "版权说明"),
    ("cdt", "受访者供图"),
    ("cdt", "发表日期"),
    ("dw", "版权声明"),
    ("dw", "版權聲明"),
    ("dw", "欢迎订阅德国之声"),
    ("dw", "Feed-URL"),
    ("dw", "相关图集"),
    ("dw", "（路透社、德新社）"),
    ("ft", "温馨提示"),
    ("ft", "pay wall"),
    ("ft", "译者/"),
    ("ft", "本栏目由FT中文网"),
    ("nytimes", "翻译："),
    ("nytimes", "点击查看本文英文版"),
    ("nytimes", "感谢阅读今天的简报"),
    ("nytimes", "本文最初发表于"),
    ("nytimes", "阅读本文中文版"),
    ("reuters", "(完)"),
    ("reuters", "（完）"),
    ("reuters", "**"),
    ("rfa", "责编"),
    ("rfa", "网编"),
    ("rfi", "分享 :"),
    ("rfi", "作者："),
    ("rfi", "实习编译"),
    ("voa", "并不代表美国之音"),
    ("voa", "YouTube播放列表"),
    ("voa", "===="),
];

#[test]
fn no_corpus_body_holds_site_furniture() {
    let mut found = Vec::new();
    for row in golden() {
        let a = transform(&row["path"]);
        let body = format!("\n\n{}", a.body_text);
        for (source, furniture) in FURNITURE {
            if (*source == "*" || *source == a.source) && body.contains(furniture) {
                found.push(format!("{}: {furniture:?}", row["path"]));
            }
        }
        for url in &a.image_urls {
            for decoration in ["images.weserv.nl", "grey_line", "icon-zoom"] {
                if url.contains(decoration) {
                    found.push(format!("{}: image {url}", row["path"]));
                }
            }
        }
        if let Some(lead) = &a.lead {
            if a.body_text.contains(lead.as_str()) {
                found.push(format!("{}: lead repeated in the body", row["path"]));
            }
        }
    }
    assert!(
        found.is_empty(),
        "furniture in bodies:\n{}",
        found.join("\n")
    );
}

fn sha16(text: Option<&str>) -> String {
    match text {
        Some(t) if !t.is_empty() => sha256_hex(t.as_bytes())[..16].to_string(),
        _ => String::new(),
    }
}

fn chars(text: Option<&str>) -> String {
    text.map_or(0, |t| t.chars().count()).to_string()
}

/// `tests/golden/profiles.tsv`: what each site profile reads from every
/// corpus file — published time, precision and note, byline, lead, first
/// and last paragraph, paragraph and image counts, copyright — checked by an
/// independent extractor written from the rules and by reading the files.
/// Texts are held as SHA-256 prefixes and lengths.
#[test]
fn every_corpus_file_has_the_golden_profile_fields() {
    let rows = table("profiles.tsv");
    assert_eq!(rows.len(), 79);
    let mut failures = Vec::new();
    for row in rows {
        let path = &row["path"];
        let a = transform(path);
        let paragraphs: Vec<&str> = if a.body_text.is_empty() {
            Vec::new()
        } else {
            a.body_text.split("\n\n").collect()
        };
        let got = [
            (
                "published_utc",
                a.published_utc.map(iso).unwrap_or_default(),
            ),
            (
                "published_precision",
                a.published_precision
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_default(),
            ),
            (
                "published_note",
                a.published_note
                    .map(|n| n.as_str().to_string())
                    .unwrap_or_default(),
            ),
            ("byline", a.byline.clone().unwrap_or_default()),
            ("lead_sha16", sha16(a.lead.as_deref())),
            ("lead_chars", chars(a.lead.as_deref())),
            ("first_sha16", sha16(paragraphs.first().copied())),
            ("first_chars", chars(paragraphs.first().copied())),
            ("last_sha16", sha16(paragraphs.last().copied())),
            ("last_chars", chars(paragraphs.last().copied())),
            ("paragraph_count", a.paragraph_count.to_string()),
            ("image_count", a.image_urls.len().to_string()),
            ("copyright_sha16", sha16(a.copyright.as_deref())),
            ("copyright_chars", chars(a.copyright.as_deref())),
        ];
        for (field, value) in got {
            if value != row[field] {
                failures.push(format!(
                    "{path}: {field}: got {value:?}, want {:?}",
                    row[field]
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The HTML of every corpus page, and pages made to trip the selector
/// prefilters: names, classes, ids and attributes in other cases and
/// namespaces than the selectors'.
fn selector_test_pages() -> Vec<String> {
    let root = corpus_dir();
    let mut files = Vec::new();
    article_files(&root, &root, &mut files);
    let mut pages: Vec<String> = files
        .iter()
        .map(|rel| {
            let file = read_input(&root.join(rel), rel.clone(), &Limits::default()).unwrap();
            frame(file).unwrap().html().to_string()
        })
        .collect();
    // Names in other namespaces and in other cases than the rules'.
    pages.push(
        "<svg><title>t</title><foreignObject><small>s</small></foreignObject></svg>\
         <SMALL>S</SMALL><Section>x</Section><math><mi>h3</mi></math><h3>h</h3>"
            .into(),
    );
    // Classes, ids and attributes in other cases than the rules', without a
    // doctype (quirks mode, where the HTML standard matches classes and ids
    // whatever their case; scraper matches as in no-quirks mode either way,
    // and the prefilter must agree with it) and with one; a class as part of
    // a longer one, which must not match.
    let mixed = "<div CLASS='O-Ads'>a</div><div class='x o-ads-wide'>b</div><P ROLE='text'>c</P>\
                 <p role=TEXT>d</p><div Data-O-Ads-Name='x'>e</div><img SRC='/icon-zoom.png'>\
                 <div id='ZoomAttribute'>f</div><span class='image-caption x'>g</span>\
                 <svg><a class='o-ads'>h</a></svg><ul><li>1</li><li class='Last'>2</li></ul>";
    pages.push(mixed.into());
    pages.push(format!("<!DOCTYPE html>{mixed}"));
    pages
}

#[test]
fn the_furniture_is_what_the_remove_list_as_one_selector_and_the_always_removed_tags_pick() {
    let pages = selector_test_pages();
    // Selectors of every shape a profile may hold, some with a rightmost
    // part the prefilter can check and some without.
    let shapes = [
        vec![
            "div.o-ads",
            "#zoomattribute",
            "[data-o-ads-name]",
            "p[role='text']",
        ],
        vec![
            "ul > li.last",
            "svg a",
            "[CLASS~='image-caption']",
            "img[src*='icon-zoom']",
        ],
        vec!["li:nth-child(2)", "div:has(> p)", ".o-ads"],
        vec![".o-ads", ":not(div)"],
        vec!["p, li:is(.last)"],
        vec!["*"],
    ];
    let custom = ProfileSet::from_texts(
        std::iter::once(("generic.toml".to_string(), "name = \"generic\"".to_string())).chain(
            shapes.iter().enumerate().map(|(i, remove)| {
                let list: Vec<String> = remove.iter().map(|css| format!("{css:?}")).collect();
                (
                    format!("shape{i}.toml"),
                    format!(
                        "name = \"shape{i}\"\nsource = \"shape{i}\"\nhosts = [\"shape{i}.org\"]\n\
                         [body]\nremove = [{}]",
                        list.join(", ")
                    ),
                )
            }),
        ),
    )
    .unwrap();
    let builtin = ProfileSet::builtin().unwrap();
    let mut picked_any = 0;
    for profile in builtin.iter().chain(custom.iter()) {
        let mut list = profile.spec.body.remove.clone();
        list.extend(wirehouse_transform::profile::ALWAYS_REMOVED.map(String::from));
        let whole = scraper::Selector::parse(&list.join(", ")).unwrap();
        for html in &pages {
            let doc = scraper::Html::parse_document(html);
            let mut by_survey: Vec<_> = wirehouse_transform::text::survey(&doc, profile, 1000)
                .furniture
                .into_iter()
                .collect();
            by_survey.sort();
            let mut by_selector: Vec<_> = doc.select(&whole).map(|e| e.id()).collect();
            by_selector.sort();
            assert_eq!(by_survey, by_selector, "profile {}", profile.name);
            picked_any += by_survey.len();
        }
    }
    assert!(picked_any > 100, "only {picked_any} elements picked");
}

#[test]
fn paragraph_and_locator_selectors_pick_what_the_selector_engine_picks() {
    let pages = selector_test_pages();
    let profiles = ProfileSet::builtin().unwrap();
    let mut picked_any = 0;
    for profile in profiles.iter() {
        let locators = (profile.published.iter().map(|p| &p.locator))
            .chain(&profile.byline)
            .chain(&profile.lead)
            .chain(&profile.copyright);
        let selectors = locators.filter_map(|l| l.selector.as_ref());
        for selector in selectors {
            for html in &pages {
                let doc = scraper::Html::parse_document(html);
                let by_prefilter: Vec<_> = selector.select(&doc).map(|e| e.id()).collect();
                // In the parsed page's order, as `ElementRef::select` walks.
                let by_engine: Vec<_> = doc
                    .root_element()
                    .select(selector.selector())
                    .map(|e| e.id())
                    .collect();
                assert_eq!(by_prefilter, by_engine, "profile {}", profile.name);
                picked_any += by_prefilter.len();
            }
        }
    }
    assert!(picked_any > 1000, "only {picked_any} elements picked");
}
