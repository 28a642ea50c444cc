//! Every real file of `../shared/corpus` against expectations checked by
//! reading the files (`tests/golden/corpus.tsv`).
//!
//! The golden table holds titles as the first 16 hex digits of their SHA-256,
//! so that no article text is copied into the repository.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use wirehouse_extract::{frame, read_input, sha256_hex, Limits};
use wirehouse_transform::{blocks, Article, Place, ProfileSet, Transformer};

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

/// The corpus folder, or — where there is none — `None` after saying which
/// test was skipped and how to point it at a corpus. In CI (`CI` set) a
/// missing corpus fails the test instead: CI must never skip silently.
fn corpus_or_skip(test: &str) -> Option<PathBuf> {
    let dir = corpus_dir();
    if dir.join("MANIFEST.tsv").is_file() {
        return Some(dir);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "{test}: corpus not found at {} (no MANIFEST.tsv); set WIREHOUSE_CORPUS",
            dir.display()
        );
    }
    eprintln!(
        "SKIPPED {test}: no corpus at {} (set WIREHOUSE_CORPUS=/path/to/shared/corpus)",
        dir.display()
    );
    None
}

/// The corpus files as its `MANIFEST.tsv` lists them (first column), in
/// the manifest's order.
fn manifest_paths(root: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(root.join("MANIFEST.tsv")).unwrap();
    text.lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.split('\t').next().unwrap_or("").to_string())
        .collect()
}

fn table_path(name: &str) -> PathBuf {
    manifest_dir().join("../../tests/golden").join(name)
}

fn table(name: &str) -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(table_path(name)).unwrap();
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
fn the_golden_tables_cover_every_corpus_file_the_manifest_lists() {
    let Some(root) = corpus_or_skip("the_golden_tables_cover_every_corpus_file_the_manifest_lists")
    else {
        return;
    };
    let mut listed = manifest_paths(&root);
    listed.sort();
    // The manifest lists every file in the folder (but itself and README).
    let mut files = Vec::new();
    article_files(&root, &root, &mut files);
    files.sort();
    assert_eq!(files, listed, "MANIFEST.tsv and the corpus folder disagree");
    for name in ["corpus.tsv", "profiles.tsv"] {
        let mut golden: Vec<String> = table(name)
            .into_iter()
            .map(|row| row["path"].clone())
            .collect();
        golden.sort();
        assert_eq!(
            golden, listed,
            "tests/golden/{name} must have one row per corpus file: after the corpus grows, \
             read the new files, then run this test with WIREHOUSE_BLESS=1 and check every \
             changed row against the pages"
        );
    }
}

/// Compares what every corpus file becomes with a golden table: `fields`
/// gives a record's values for the table's columns (all but `path` and
/// `notes`). With `WIREHOUSE_BLESS=1` the table is written anew instead,
/// its notes kept: for after the corpus grew or a rule changed, and then
/// every changed row is to be checked against its page before committing.
fn check_golden(test: &str, name: &str, fields: impl Fn(&Article) -> Vec<(&'static str, String)>) {
    let Some(root) = corpus_or_skip(test) else {
        return;
    };
    let old = table(name);
    let header: Vec<String> = std::fs::read_to_string(table_path(name))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .split('\t')
        .map(str::to_string)
        .collect();
    if std::env::var_os("WIREHOUSE_BLESS").is_some() {
        let notes: BTreeMap<&str, &str> = old
            .iter()
            .map(|row| {
                (
                    row["path"].as_str(),
                    row.get("notes").map_or("", String::as_str),
                )
            })
            .collect();
        let mut out = header.join("\t") + "\n";
        let mut paths = manifest_paths(&root);
        paths.sort();
        for path in &paths {
            let got: BTreeMap<&str, String> = fields(&transform(path)).into_iter().collect();
            let cells: Vec<String> = header
                .iter()
                .map(|column| match column.as_str() {
                    "path" => path.clone(),
                    "notes" => notes.get(path.as_str()).copied().unwrap_or("").to_string(),
                    other => got.get(other).cloned().unwrap_or_default(),
                })
                .collect();
            out.push_str(&cells.join("\t"));
            out.push('\n');
        }
        std::fs::write(table_path(name), out).unwrap();
        return;
    }
    let mut failures = Vec::new();
    for row in old {
        let path = &row["path"];
        let a = transform(path);
        for (field, got) in fields(&a) {
            let want = row.get(field).map_or("", String::as_str);
            if got != want {
                failures.push(format!("{path}: {field}: got {got:?}, want {want:?}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches with tests/golden/{name}:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_corpus_file_has_the_golden_source_url_title_and_times() {
    check_golden(
        "every_corpus_file_has_the_golden_source_url_title_and_times",
        "corpus.tsv",
        |a| {
            vec![
                ("source", a.source.clone()),
                ("url", a.url.clone()),
                ("feed_time_utc", iso(a.feed_time_utc)),
                (
                    "title_sha16",
                    sha256_hex(a.title.as_bytes())[..16].to_string(),
                ),
                ("title_chars", a.title.chars().count().to_string()),
                ("column_name", a.column_name.clone().unwrap_or_default()),
                (
                    "published_utc",
                    a.published_utc.map(iso).unwrap_or_default(),
                ),
                ("published_raw", a.published_raw.clone().unwrap_or_default()),
            ]
        },
    );
}

#[test]
fn every_rfi_file_is_read_by_the_rfi_profile_with_a_paris_time() {
    let Some(root) = corpus_or_skip("every_rfi_file_is_read_by_the_rfi_profile_with_a_paris_time")
    else {
        return;
    };
    // RFI's archive folders, and the seed file (an RFI item).
    let paths: Vec<String> = manifest_paths(&root)
        .into_iter()
        .filter(|p| ["/法广/", "/rfi/", "seed/"].iter().any(|f| p.contains(f)))
        .collect();
    assert!(!paths.is_empty(), "no RFI file in the corpus");
    for path in paths {
        let a = transform(&path);
        assert_eq!(a.source, "rfi", "{path}");
        assert_eq!(a.profile, "rfi", "{path}");
        assert_eq!(a.published_tz.as_deref(), Some("Europe/Paris"), "{path}");
        assert_eq!(
            a.published_precision.map(|p| p.as_str()),
            Some("minute"),
            "{path}"
        );
        assert!(a.feed_lag_s.unwrap() > 0, "{path}: fed before published");
    }
}

#[test]
fn the_seed_file_has_the_worked_example_values() {
    if corpus_or_skip("the_seed_file_has_the_worked_example_values").is_none() {
        return;
    }
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
    let Some(root) = corpus_or_skip("no_corpus_body_holds_the_feed_footer_scripts_or_markup")
    else {
        return;
    };
    for path in manifest_paths(&root) {
        let a = transform(&path);
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
                path
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
        assert_eq!(a.paragraph_count as usize, paragraphs, "{}", path);
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
    // Found in a careful reading of the grown corpus (2026-12).
    ("bbc", "告知：第三方内容可能包含广告"),
    ("bbc", "现在可以在BBC iPlayer"),
    ("bbc", "最近更新"),
    ("cdt", "相关阅读："),
    ("cdt", "原文分割线"),
    ("cdt", "—The End—"),
    ("cdt", "编者按："),
    ("dw", "不代表德国之声的立场"),
    ("dw", "首次发表）"),
    ("ft", "来自FT中文网"),
    ("ft", "【编者的话】"),
    ("ft", "补充报道"),
    ("ft", "责任编辑"),
    ("nytimes", "欢迎在Twitter上关注"),
    ("nytimes", "本文稍后将有更新"),
    ("nytimes", "\n\nImage"),
    ("nytimes", "Credit..."),
    ("reuters", "欲览更多细节"),
    ("rfi", "\n\n广告\n\n"),
    ("rfi", "译者："),
    ("voa", "本文依据了"),
];

/// Every block of every corpus page is placed once: in a field, or dropped
/// by a rule that names itself; the body's blocks are the body's
/// paragraphs; no field's text lands in the body as well; a block dropped
/// as a repeat is in the body.
#[test]
fn every_text_block_of_every_corpus_page_is_accounted_for() {
    let Some(root) = corpus_or_skip("every_text_block_of_every_corpus_page_is_accounted_for")
    else {
        return;
    };
    let transformer = Transformer::new(ProfileSet::builtin().unwrap());
    let mut problems = Vec::new();
    let mut blocks_seen = 0;
    for path in manifest_paths(&root) {
        let file = read_input(&root.join(&path), path.clone(), &Limits::default()).unwrap();
        let raw = frame(file).unwrap();
        let (a, trace) = transformer.inspect(&raw).unwrap();
        blocks_seen += trace.blocks.len();
        let mut problem = |what: String| problems.push(format!("{path}: {what}"));
        for block in &trace.blocks {
            if block.rule.is_empty() || block.rule == "furniture" {
                problem(format!("{:?} placed by no named rule", block.text));
            }
        }
        // The body's blocks, joined, are the body (a dateline is held for
        // the block after it).
        let body: Vec<&str> = trace
            .blocks
            .iter()
            .filter(|b| b.place == Place::Body && b.rule != blocks::DATELINE)
            .map(|b| b.text.as_str())
            .collect();
        let paragraphs: Vec<&str> = a
            .body_text
            .split("\n\n")
            .filter(|p| !p.is_empty())
            .collect();
        if body.len() != paragraphs.len()
            || body.iter().zip(&paragraphs).any(|(b, p)| !p.ends_with(b))
        {
            problem(format!(
                "the log's body blocks are not the body ({} vs {})",
                body.len(),
                paragraphs.len()
            ));
        }
        // A field's text is no paragraph of the body (a lead may quote the
        // text, a byline name the site: only the whole block counts).
        for (field, value) in [
            ("byline", &a.byline),
            ("lead", &a.lead),
            ("copyright", &a.copyright),
        ] {
            if let Some(value) = value {
                if paragraphs.iter().any(|p| p == value) {
                    problem(format!(
                        "the {field} {value:?} is a paragraph of the body too"
                    ));
                }
            }
        }
        for block in trace.blocks.iter().filter(|b| b.rule == blocks::REPEAT) {
            if !paragraphs.iter().any(|p| p.contains(block.text.as_str())) {
                problem(format!(
                    "{:?} dropped as a repeat, but the body does not hold it",
                    block.text
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(blocks_seen > 1000, "only {blocks_seen} blocks logged");
}

#[test]
fn no_corpus_body_holds_site_furniture() {
    let Some(root) = corpus_or_skip("no_corpus_body_holds_site_furniture") else {
        return;
    };
    let mut found = Vec::new();
    for path in manifest_paths(&root) {
        let a = transform(&path);
        let body = format!("\n\n{}\n\n", a.body_text);
        for (source, furniture) in FURNITURE {
            if (*source == "*" || *source == a.source) && body.contains(furniture) {
                found.push(format!("{}: {furniture:?}", path));
            }
        }
        // Every picture once, absolute and well-formed.
        let mut seen = std::collections::HashSet::new();
        for url in &a.image_urls {
            if !seen.insert(url) {
                found.push(format!("{path}: image {url} twice"));
            }
            let host = url
                .strip_prefix("https://")
                .or_else(|| url.strip_prefix("http://"))
                .and_then(|rest| rest.split('/').next())
                .unwrap_or("");
            if host.is_empty() || url.contains(|c: char| c.is_whitespace() || "\"'<>".contains(c)) {
                found.push(format!(
                    "{path}: image URL {url:?} is not absolute and well-formed"
                ));
            }
            for decoration in ["images.weserv.nl", "grey_line", "icon-zoom"] {
                if url.contains(decoration) {
                    found.push(format!("{}: image {url}", path));
                }
            }
        }
        if let Some(lead) = &a.lead {
            if a.body_text.split("\n\n").any(|p| p == lead) {
                found.push(format!("{}: lead repeated in the body", path));
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
/// and last paragraph, paragraph and image counts, copyright — checked
/// against a careful reading of every page (see the table's history).
/// Texts are held as SHA-256 prefixes and lengths.
#[test]
fn every_corpus_file_has_the_golden_profile_fields() {
    check_golden(
        "every_corpus_file_has_the_golden_profile_fields",
        "profiles.tsv",
        |a| {
            let paragraphs: Vec<&str> = if a.body_text.is_empty() {
                Vec::new()
            } else {
                a.body_text.split("\n\n").collect()
            };
            vec![
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
            ]
        },
    );
}

/// The HTML of every corpus page, and pages made to trip the selector
/// prefilters: names, classes, ids and attributes in other cases and
/// namespaces than the selectors'.
fn selector_test_pages(root: &Path) -> Vec<String> {
    let files = manifest_paths(root);
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
    let Some(root) = corpus_or_skip(
        "the_furniture_is_what_the_remove_list_as_one_selector_and_the_always_removed_tags_pick",
    ) else {
        return;
    };
    let pages = selector_test_pages(&root);
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
    let Some(root) =
        corpus_or_skip("paragraph_and_locator_selectors_pick_what_the_selector_engine_picks")
    else {
        return;
    };
    let pages = selector_test_pages(&root);
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
