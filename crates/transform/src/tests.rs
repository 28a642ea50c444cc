//! Record-level behaviour of [`Transformer::transform`] on small synthetic files.

use super::*;
use wirehouse_extract::{frame, InputFile};

fn transformer() -> Transformer {
    Transformer::new(ProfileSet::builtin().unwrap())
}

fn raw(header: &str, title: &str, url: &str, html: &str) -> RawArticle {
    let text = format!("<!--{header}-->\n[{title}]({url})\n------\n\n{html}");
    frame(InputFile::from_bytes("x/a.md", text.into_bytes())).unwrap()
}

fn rfi_at(date: &str) -> Article {
    transformer()
        .transform(&raw(
            "1616075711000",
            "标题",
            "https://www.rfi.fr/cn/a",
            &format!("<div>{date}</div><p>正文</p>"),
        ))
        .unwrap()
}

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

#[test]
fn the_worked_example_gives_the_spec_values() {
    let a = transformer()
        .transform(&raw(
            "1616075711000",
            "中美首次高层会 双方皆对成果不表期待 - 要闻解说",
            "http://www.rfi.fr//cn/%E4%B8%93%E6%A0%8F%E6%A3%80%E7%B4%A2/x",
            "<div>18/03/2021 - 14:26</div><p><strong>导语</strong></p><div><p>一</p><p>二</p></div><br><hr><div>获取更多RSS：<br></div>",
        ))
        .unwrap();
    assert_eq!(a.source, "rfi");
    assert_eq!(a.profile, "rfi");
    assert_eq!(a.feed_time_utc, utc("2021-03-18T13:55:11Z"));
    assert_eq!(a.published_utc, Some(utc("2021-03-18T13:26:00Z")));
    assert_eq!(a.published_raw.as_deref(), Some("18/03/2021 - 14:26"));
    assert_eq!(a.published_tz.as_deref(), Some("Europe/Paris"));
    assert_eq!(a.published_precision, Some(Precision::Minute));
    assert_eq!(a.published_note, None);
    assert_eq!(a.feed_lag_s, Some(29 * 60 + 11));
    assert_eq!(a.title, "中美首次高层会 双方皆对成果不表期待");
    assert_eq!(a.column_name.as_deref(), Some("要闻解说"));
    assert_eq!(
        a.url,
        "http://www.rfi.fr/cn/%E4%B8%93%E6%A0%8F%E6%A3%80%E7%B4%A2/x"
    );
    assert_eq!(a.lead.as_deref(), Some("导语"));
    assert_eq!(a.body_text, "一\n\n二");
    assert_eq!(a.paragraph_count, 2);
    assert_eq!(a.char_count, 2);
    assert!(a.has_feed_footer);
}

#[test]
fn an_ambiguous_paris_time_is_the_earlier_instant_with_a_note() {
    let a = rfi_at("31/10/2021 - 02:30");
    assert_eq!(a.published_utc, Some(utc("2021-10-31T00:30:00Z")));
    assert_eq!(a.published_note, Some(Note::Ambiguous));
}

#[test]
fn a_nonexistent_paris_time_is_pushed_past_the_gap_with_a_note() {
    let a = rfi_at("28/03/2021 - 02:30");
    assert_eq!(a.published_utc, Some(utc("2021-03-28T01:30:00Z")));
    assert_eq!(a.published_note, Some(Note::Nonexistent));
}

#[test]
fn an_impossible_date_or_clock_is_null_with_invalid() {
    for date in [
        "31/02/2021 - 14:26",
        "18/03/2021 - 25:61",
        "29/02/2021 - 10:00",
        "18/03/2021 - 24:00",
    ] {
        let a = rfi_at(date);
        assert_eq!(a.published_utc, None, "{date}");
        assert_eq!(a.published_note, Some(Note::Invalid), "{date}");
        assert_eq!(a.published_raw.as_deref(), Some(date));
        assert_eq!(a.feed_lag_s, None);
        assert_eq!(a.published_precision, None);
    }
}

#[test]
fn a_leap_day_is_a_real_date() {
    let a = rfi_at("29/02/2024 - 10:00");
    assert_eq!(a.published_utc, Some(utc("2024-02-29T09:00:00Z")));
}

#[test]
fn text_of_another_shape_is_unrecognized_and_no_date_is_missing() {
    let a = rfi_at("2021-03-18 14:26");
    assert_eq!(a.published_utc, None);
    assert_eq!(a.published_note, Some(Note::Unrecognized));
    let a = transformer()
        .transform(&raw(
            "1616075711000",
            "t",
            "https://www.rfi.fr/cn/a",
            "<p>正文</p>",
        ))
        .unwrap();
    assert_eq!(a.published_note, Some(Note::Missing));
    assert_eq!(a.published_raw, None);
}

#[test]
fn the_url_date_is_never_used() {
    let a = transformer()
        .transform(&raw(
            "1616075711000",
            "t",
            "https://www.rfi.fr/cn/20210317-x",
            "<p>正文</p>",
        ))
        .unwrap();
    assert_eq!(a.published_utc, None);
}

#[test]
fn rfi_site_suffix_is_removed_without_naming_a_column() {
    let a = transformer()
        .transform(&raw(
            "1616075711000",
            "出手助难民  梵蒂冈 – 法国国际广播电台 - RFI",
            "https://www.rfi.fr/cn/contenu/x",
            "",
        ))
        .unwrap();
    assert_eq!(a.title, "出手助难民 梵蒂冈");
    assert_eq!(a.column_name, None);
    assert_eq!(a.title_raw, "出手助难民  梵蒂冈 – 法国国际广播电台 - RFI");
}

#[test]
fn rfi_column_can_come_from_the_url() {
    let a = transformer()
        .transform(&raw(
            "1616075711000",
            "无后缀的标题",
            "https://www.rfi.fr/cn/%E4%B8%93%E6%A0%8F%E6%A3%80%E7%B4%A2/%E8%A6%81%E9%97%BB%E8%A7%A3%E8%AF%B4/20210318-x",
            "",
        ))
        .unwrap();
    assert_eq!(a.column_name.as_deref(), Some("要闻解说"));
    assert_eq!(a.title, "无后缀的标题");
}

#[test]
fn a_known_source_without_a_profile_gets_its_spec_name_and_the_generic_profile() {
    let only_generic =
        ProfileSet::from_texts([("g.toml".to_string(), "name = \"generic\"".to_string())]).unwrap();
    let a = Transformer::new(only_generic)
        .transform(&raw(
            "1602571962000",
            "央视  再曝 - 台谍案",
            "https://www.dw.com/zh/x/a-1",
            "<div><i>张三<br>2020-10-13T06:08:01.314Z</i></div><p>正文</p>",
        ))
        .unwrap();
    assert_eq!(a.source, "dw");
    assert_eq!(a.profile, "generic");
    // No site rules: the " - " stays part of the title, and no time is read.
    assert_eq!(a.title, "央视 再曝 - 台谍案");
    assert_eq!(a.column_name, None);
    assert_eq!(a.published_utc, None);
    assert_eq!(a.published_note, None);
    assert_eq!(a.byline, None);
    // Every text block of an unknown layout is body text: the leading
    // block too, which only a site profile knows to be a byline and a date.
    assert_eq!(a.body_text, "张三 2020-10-13T06:08:01.314Z\n\n正文");
}

#[test]
fn the_dw_profile_reads_byline_and_utc_time_from_the_leading_block() {
    let a = transformer()
        .transform(&raw(
            "1602571962000",
            "t",
            "https://www.dw.com/zh/x/a-1",
            "<div><i>张三 （综合报道）<br>2020-10-13T06:08:01.314Z</i></div><p>正文</p><p><em>© 2020</em><em>年</em> <em>德国之声版权声明：略</em></p>",
        ))
        .unwrap();
    assert_eq!(a.profile, "dw");
    assert_eq!(a.byline.as_deref(), Some("张三"));
    assert_eq!(a.published_utc, Some(utc("2020-10-13T06:08:01.314Z")));
    assert_eq!(a.published_precision, Some(Precision::Second));
    // The holder, without the rights notice after it.
    assert_eq!(a.copyright.as_deref(), Some("© 2020年 德国之声"));
    assert_eq!(a.body_text, "正文");
}

#[test]
fn an_unknown_date_format_gives_null_with_a_note() {
    let a = transformer()
        .transform(&raw(
            "1602571962000",
            "t",
            "https://www.dw.com/zh/x/a-1",
            "<div><i>张三<br>13.10.2020 06:08</i></div><p>正文</p>",
        ))
        .unwrap();
    assert_eq!(a.published_utc, None);
    assert_eq!(a.published_note, Some(Note::Unrecognized));
    assert_eq!(a.published_raw.as_deref(), Some("13.10.2020 06:08"));
}

#[test]
fn bbc_relative_times_count_back_from_the_feed_time() {
    let a = transformer()
        .transform(&raw(
            "1602539203000",
            "t",
            "http://www.bbc.com/zhongwen/simp/science-1",
            "<main><div></div><div><time dateTime=\"2020-10-12\">19 分钟前</time></div><div><p><b>导语</b></p></div><div><p>正文</p></div></main>",
        ))
        .unwrap();
    assert_eq!(a.published_utc, Some(utc("2020-10-12T21:27:43Z")));
    assert_eq!(a.published_precision, Some(Precision::Approximate));
    assert_eq!(a.published_note, Some(Note::Relative));
    assert_eq!(a.feed_lag_s, Some(19 * 60));
    assert_eq!(a.lead.as_deref(), Some("导语"));
    assert_eq!(a.body_text, "正文");
}

#[test]
fn a_bbc_date_without_a_readable_text_falls_back_to_the_day() {
    let a = transformer()
        .transform(&raw(
            "1602539203000",
            "t",
            "http://www.bbc.com/zhongwen/simp/science-1",
            "<main><div><time dateTime=\"2020-10-12\">不久前</time></div><div><p>正文</p></div></main>",
        ))
        .unwrap();
    assert_eq!(a.published_utc, Some(utc("2020-10-12T00:00:00Z")));
    assert_eq!(a.published_precision, Some(Precision::Day));
    assert_eq!(a.published_raw.as_deref(), Some("2020-10-12"));
}

#[test]
fn rfa_reads_the_url_time_in_new_york() {
    let a = transformer()
        .transform(&raw(
            "1699812878000",
            "t",
            "https://www.rfa.org/mandarin/yataibaodao/zhengzhi/sc1-11122023131400.html",
            "<p>正文</p><p>记者：甲 责编：乙</p>",
        ))
        .unwrap();
    assert_eq!(a.published_utc, Some(utc("2023-11-12T18:14:00Z")));
    assert_eq!(a.published_tz.as_deref(), Some("America/New_York"));
    // The reporter is the byline; the editor is not.
    assert_eq!(a.byline.as_deref(), Some("甲"));
    assert_eq!(a.body_text, "正文");
}

#[test]
fn unknown_hosts_are_source_other() {
    let a = transformer()
        .transform(&raw(
            "1602571962000",
            "t",
            "https://news.example.org/a",
            "<p>x</p>",
        ))
        .unwrap();
    assert_eq!(a.source, "other");
    assert_eq!(a.profile, "generic");
}

#[test]
fn a_bad_feed_time_is_a_timestamp_reject() {
    let err = transformer()
        .transform(&raw("16160757x1000", "t", "https://x.org/a", ""))
        .unwrap_err();
    assert_eq!(err.kind(), "timestamp");
    assert!(err.to_string().contains("16160757x1000"));
}

#[test]
fn a_relative_link_is_a_url_reject() {
    let err = transformer()
        .transform(&raw("1616075711000", "t", "/cn/a", ""))
        .unwrap_err();
    assert_eq!(err.kind(), "url");
    assert!(err.to_string().contains("/cn/a"));
}

#[test]
fn the_same_bytes_give_the_same_record() {
    let r = raw(
        "1616075711000",
        "t",
        "https://www.rfi.fr/cn/a",
        "<div>18/03/2021 - 14:26</div><p>x</p>",
    );
    assert_eq!(transformer().transform(&r), transformer().transform(&r));
}

#[test]
fn pathologically_deep_html_is_a_too_deep_reject_and_fast() {
    let html = format!("<p>{}x</p>", "<div>".repeat(200_000));
    let started = std::time::Instant::now();
    let err = transformer()
        .transform(&raw("1616075711000", "t", "https://www.rfi.fr/cn/a", &html))
        .unwrap_err();
    assert_eq!(err.kind(), "too_deep");
    assert!(err.to_string().contains("over the limit of 512"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

#[test]
fn truncated_html_still_gives_a_record() {
    let a = transformer()
        .transform(&raw(
            "1616075711000",
            "t",
            "https://www.rfi.fr/cn/a",
            "<div>18/03/2021 - 14:26</div><p><strong>导语</strong></p><div><p>第一段</p><p>第二段被截",
        ))
        .unwrap();
    assert_eq!(a.body_text, "第一段\n\n第二段被截");
    assert_eq!(a.published_utc, Some(utc("2021-03-18T13:26:00Z")));
}

#[test]
fn a_negative_or_absurd_feed_time_is_a_timestamp_reject() {
    for header in ["-1616075711000", "0", "99999999999999", "1616075711"] {
        let err = transformer()
            .transform(&raw(header, "t", "https://x.org/a", ""))
            .unwrap_err();
        assert_eq!(err.kind(), "timestamp", "{header}");
    }
}

/// A record read with one made-up site profile (`site.org`) besides generic.
fn with_site(site: &str, title: &str, html: &str) -> (Article, Trace) {
    let set = profile::site_profiles(site).unwrap();
    Transformer::new(set)
        .inspect(&raw(
            "1616075711000",
            title,
            "https://site.org/a/b.html",
            html,
        ))
        .unwrap()
}

#[test]
fn titles_are_decoded_and_unescaped_and_title_raw_is_as_written() {
    let (a, _) = with_site(
        "",
        r#"美 &quot;接触&quot; \“外交\” \[快讯\] a\b &amp;c"#,
        "<p>x</p>",
    );
    assert_eq!(a.title, "美 \"接触\" “外交” [快讯] a\\b &c");
    assert_eq!(
        a.title_raw,
        r#"美 &quot;接触&quot; \“外交\” \[快讯\] a\b &amp;c"#
    );
    // A "<" in a title is text, not a tag.
    let (a, _) = with_site("", "a &lt; b <i>c</i> &", "<p>x</p>");
    assert_eq!(a.title, "a < b <i>c</i> &");
}

#[test]
fn a_column_prefix_may_name_its_column_in_any_of_its_groups() {
    let site = "[title]\ncolumn_prefix = \"^(?:【([^】]+)】|([^｜]+)｜)\"";
    let (a, _) = with_site(site, "亮见｜做个标题", "<p>x</p>");
    assert_eq!(
        (a.column_name.as_deref(), a.title.as_str()),
        (Some("亮见"), "做个标题")
    );
    let (a, _) = with_site(site, "【立此存照】标题", "<p>x</p>");
    assert_eq!(
        (a.column_name.as_deref(), a.title.as_str()),
        (Some("立此存照"), "标题")
    );
}

#[test]
fn a_credit_line_in_the_text_becomes_the_byline_and_leaves_the_body() {
    let site = "[[byline]]\nfrom = \"text\"\npick = \"last\"\nmatches = \"^记者[：:](.+?)\\\\s+责编[：:].*$\"";
    let (a, trace) = with_site(
        site,
        "t",
        "<p>记者：甲 引述</p><p>正文<br><br>记者：乙、丙、乙 责编：丁</p>",
    );
    assert_eq!(a.byline.as_deref(), Some("乙, 丙"));
    assert_eq!(a.body_text, "记者：甲 引述\n\n正文");
    let byline: Vec<_> = trace
        .blocks
        .iter()
        .filter(|b| b.place == Place::Byline)
        .map(|b| b.text.as_str())
        .collect();
    assert_eq!(byline, vec!["记者：乙、丙、乙 责编：丁"]);
}

#[test]
fn a_credit_cut_from_a_paragraph_leaves_the_rest_and_a_page_byline_wins() {
    let site = "[[byline]]\nselector = \"address\"\n\n[[byline]]\nfrom = \"text\"\npick = \"last\"\nmatches = \"[（(]译者[：:]([^（）()]+)[)）]$\"";
    let (a, trace) = with_site(site, "t", "<p>正文最后一句。（译者：丙）</p>");
    assert_eq!(a.byline.as_deref(), Some("丙"));
    assert_eq!(a.body_text, "正文最后一句。");
    assert!(trace
        .blocks
        .iter()
        .any(|b| b.place == Place::Byline && b.text == "（译者：丙）"));
    // With an author named, the translator's credit still leaves the body,
    // as a dropped credit, not the byline.
    let (a, trace) = with_site(site, "t", "<address>甲</address><p>正文。（译者：丙）</p>");
    assert_eq!(a.byline.as_deref(), Some("甲"));
    assert_eq!(a.body_text, "正文。");
    assert!(trace
        .blocks
        .iter()
        .any(|b| b.place == Place::Dropped && b.text == "（译者：丙）"));
}

#[test]
fn an_author_named_at_the_head_of_the_lead_becomes_the_byline() {
    let site = "[lead]\nselector = \"div.lead\"\n\n[[byline]]\nfrom = \"lead\"\nmatches = \"^([^：的]{2,12})：\"";
    let (a, _) = with_site(site, "t", "<div class=lead>甲、乙：导语。</div><p>正文</p>");
    assert_eq!(a.byline.as_deref(), Some("甲, 乙"));
    assert_eq!(a.lead.as_deref(), Some("导语。"));
    assert_eq!(a.body_text, "正文");
}

#[test]
fn a_text_locator_is_refused_where_it_cannot_work() {
    let bad = |site: &str| profile::site_profiles(site).unwrap_err().to_string();
    assert!(bad("[[byline]]\nfrom = \"text\"").contains("byline[0].matches"));
    assert!(
        bad("[[byline]]\nfrom = \"text\"\nselector = \"p\"\nmatches = \"x\"")
            .contains("takes no selector")
    );
    assert!(bad("[body]\nparagraphs = \"p\"").contains("body.paragraphs: no longer used"));
}

#[test]
fn pictures_come_from_every_attribute_a_page_uses_each_once() {
    let html = concat!(
        "<img src=\"data:image/gif;base64,R0l\" data-src=\"/lazy.png\">",
        "<picture><source srcset=\"/p-240.jpg 240w, /p-480.jpg 480w\"><img src=\"\"></picture>",
        "<img srcset=\"/s.jpg 1x, /s2.jpg 2x\">",
        "<img src=\"/lazy.png\">",
        "<noscript><img src=\"/ns.jpg\"></noscript>",
        "<imgfetchpriority=\"high\" src=\"/squashed.jpg\">",
        "<img src=https://x.org/q.jpg\"data-image-type=\"jpg\">",
        "<p>正文</p>",
    );
    let (a, _) = with_site("", "t", html);
    assert_eq!(
        a.image_urls,
        vec![
            "https://site.org/lazy.png",
            "https://site.org/p-240.jpg",
            "https://site.org/s.jpg",
            "https://site.org/ns.jpg",
            "https://site.org/squashed.jpg",
            "https://x.org/q.jpg",
        ]
    );
}

#[test]
fn captions_drop_their_text_but_keep_their_pictures() {
    let site = "[body]\ncaptions = [\"figure\"]\nremove = [\".ad\"]";
    let (a, _) = with_site(site, "t", "<figure><img src=/a.jpg><figcaption>图说</figcaption></figure><div class=ad><img src=/ad.jpg>广告</div><p>正文</p>");
    assert_eq!(a.image_urls, vec!["https://site.org/a.jpg"]);
    assert_eq!(a.body_text, "正文");
}

#[test]
fn every_block_of_a_page_is_logged_once_with_a_place_and_a_rule() {
    let (a, trace) = transformer()
        .inspect(&raw(
            "1616075711000",
            "标题 - 要闻解说",
            "https://www.rfi.fr/cn/a",
            "<div>18/03/2021 - 14:26</div><p><strong>导语</strong></p><div><p>一</p>二<p>© 2020 AFP</p></div><div><span>作者：</span><a href=\"/cn/作者/x/\">某</a></div>",
        ))
        .unwrap();
    let log: Vec<_> = trace
        .blocks
        .iter()
        .map(|b| (b.place, b.text.as_str()))
        .collect();
    assert_eq!(
        log,
        vec![
            (Place::Published, "18/03/2021 - 14:26"),
            (Place::Lead, "导语"),
            (Place::Body, "一"),
            (Place::Body, "二"),
            (Place::Copyright, "© 2020 AFP"),
            (Place::Byline, "作者：某"),
        ]
    );
    assert_eq!(a.byline.as_deref(), Some("某"));
    assert!(trace.blocks.iter().all(|b| !b.rule.is_empty()));
}

#[test]
fn byline_names_are_split_deduplicated_and_joined_in_page_order() {
    assert_eq!(text::byline_names("KONEY BAI,KONEY BAI"), "KONEY BAI");
    assert_eq!(text::byline_names("杨威廉/张慈"), "杨威廉, 张慈");
    assert_eq!(text::byline_names("甲、乙，甲; 丙"), "甲, 乙, 丙");
    assert_eq!(
        text::byline_names("SAPNA MAHESHWARI, DAVID McCABE"),
        "SAPNA MAHESHWARI, DAVID McCABE"
    );
}

#[test]
fn a_lead_set_in_several_bold_runs_is_the_lead_and_a_half_bold_paragraph_is_not() {
    let site = "[lead]\nselector = \"p:has(> b)\"\nonly_text_in = \"b, strong\"";
    let (a, _) = with_site(
        site,
        "t",
        "<p><b>导语一，</b> <b>导语二。</b></p><p>正文</p>",
    );
    assert_eq!(a.lead.as_deref(), Some("导语一， 导语二。"));
    assert_eq!(a.body_text, "正文");
    let (a, _) = with_site(site, "t", "<p><b>问：</b>答复。</p><p>正文</p>");
    assert_eq!(a.lead, None);
    assert_eq!(a.body_text, "问：答复。\n\n正文");
}
