//! The run summary kept beside the datasets.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use wirehouse_transform::profile::ExpectSpec;

/// What one run did, written as `run-summary.json` in its generation and
/// printed at the end of the run.
///
/// Accounting invariant: `files_found = records + duplicates + rejects +
/// unchanged`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// wirehouse version that wrote the run.
    pub wirehouse_version: String,
    /// Generation the run committed (`gen-000001`, …).
    pub generation: String,
    /// The engine that ran the units (`ray`, `spark`, `python`); absent for
    /// `wirehouse run`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
    /// UTC start, RFC 3339.
    pub started_at: String,
    /// UTC end, RFC 3339.
    pub finished_at: String,
    /// Wall-clock seconds.
    pub elapsed_s: f64,
    /// Input roots as given.
    pub inputs: Vec<String>,
    /// Worker threads used for extraction.
    pub threads: usize,
    /// Article files found under the inputs.
    pub files_found: u64,
    /// Records written to `articles`.
    pub records: u64,
    /// Files whose bytes equal an earlier file's (no second record).
    pub duplicates: u64,
    /// Files written to `rejects`.
    pub rejects: u64,
    /// Files skipped as unchanged since the previous run (incremental runs).
    pub unchanged: u64,
    /// Rejects per `error_kind`.
    pub rejects_by_kind: BTreeMap<String, u64>,
    /// Records per `source`.
    pub records_by_source: BTreeMap<String, u64>,
    /// Bytes read from input files.
    pub bytes_read: u64,
    /// `files_found / elapsed_s`.
    pub files_per_s: f64,
    /// Per source, how many of the records this run wrote have each field:
    /// the figures that show a layout a profile no longer reads.
    #[serde(default)]
    pub coverage: BTreeMap<String, Coverage>,
    /// Expectations of the profiles checked on this run's records (sources
    /// with fewer records than a profile's `min_records` are not judged).
    #[serde(default)]
    pub expectations_checked: u64,
    /// The expectations the run's records fell short of.
    #[serde(default)]
    pub shortfalls: Vec<Shortfall>,
    /// For a dataset published as Delta tables: the run's number and the
    /// table versions it committed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta: Option<DeltaVersions>,
}

/// The Delta table versions one run committed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeltaVersions {
    /// The run's number (its Delta application transaction version).
    pub run: i64,
    /// The version of `articles` it committed (the run's commit point).
    pub articles_version: i64,
    /// The version of `rejects` it committed (just before).
    pub rejects_version: i64,
}

/// An expectation a run's records of one source did not meet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shortfall {
    /// The source.
    pub source: String,
    /// The profile whose `[expect]` section says it.
    pub profile: String,
    /// The field (`published`, `byline`, …, `empty_body`, `unplaced`,
    /// `negative_lag`).
    pub field: String,
    /// Records of the source the run wrote.
    pub records: u64,
    /// Of them, those with the field (or, for `empty_body`, `unplaced` and
    /// `negative_lag`, with that property).
    pub found: u64,
    /// `found / records`.
    pub share: f64,
    /// The bound, as written (`≥ 0.95`).
    pub expected: String,
    /// The profile's reason for the bound.
    pub why: String,
    /// The layouts of the records that missed, biggest first (at most
    /// [`LAYOUTS_SHOWN`]).
    pub layouts: Vec<LayoutCount>,
}

/// Records of one layout fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayoutCount {
    /// The fingerprint (`layout` column; empty for bare markup).
    pub layout: String,
    /// Records.
    pub records: u64,
    /// One of their input paths.
    pub example: String,
}

/// How many layouts a shortfall names.
pub const LAYOUTS_SHOWN: usize = 5;

/// The coverage fields, in the order the summary and the checks use.
pub const COVERAGE_FIELDS: [&str; 8] = [
    "published",
    "byline",
    "lead",
    "copyright",
    "images",
    "empty_body",
    "unplaced",
    "negative_lag",
];

/// How many of a source's records have each field found (records written
/// by one run: new and changed files, not those an incremental run kept).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    /// Records.
    pub records: u64,
    /// Records with a `published_utc`.
    pub published: u64,
    /// Records with a `published_utc`, per `published_precision`.
    pub published_by_precision: BTreeMap<String, u64>,
    /// Records per `published_note` (with a time or without: `missing`,
    /// `unrecognized`, `invalid`, `relative`, …).
    pub published_by_note: BTreeMap<String, u64>,
    /// Records with a byline.
    pub byline: u64,
    /// Records with a lead.
    pub lead: u64,
    /// Records with a copyright line.
    pub copyright: u64,
    /// Records with at least one image.
    pub images: u64,
    /// Records whose body is empty.
    pub empty_body: u64,
    /// Records whose page has text blocks but none a rule of the profile
    /// placed (`rules_placed = 0`): every block reached the body by the
    /// default rule, so the profile recognized nothing on the page.
    #[serde(default)]
    pub unplaced: u64,
    /// Records published after the feed served them (`feed_lag_s < 0`): a
    /// time read in the wrong zone shows here first.
    pub negative_lag: u64,
    /// Per field of [`COVERAGE_FIELDS`], the layouts of the records that
    /// lack it (or, for the last three, have that property): what a
    /// shortfall names. Kept for the run only.
    #[serde(skip)]
    pub misses: BTreeMap<&'static str, BTreeMap<String, (u64, String)>>,
}

impl Coverage {
    /// Adds the counts of `later`, counted over records that come after this
    /// one's in input order: the sum of both, and for each layout that missed
    /// a field, this one's example when it has one (the first in input
    /// order, as counting every record in one pass would keep).
    pub fn absorb(&mut self, later: Coverage) {
        self.records += later.records;
        self.published += later.published;
        for (k, n) in later.published_by_precision {
            *self.published_by_precision.entry(k).or_default() += n;
        }
        for (k, n) in later.published_by_note {
            *self.published_by_note.entry(k).or_default() += n;
        }
        self.byline += later.byline;
        self.lead += later.lead;
        self.copyright += later.copyright;
        self.images += later.images;
        self.empty_body += later.empty_body;
        self.unplaced += later.unplaced;
        self.negative_lag += later.negative_lag;
        for (field, layouts) in later.misses {
            let mine = self.misses.entry(field).or_default();
            for (layout, (n, example)) in layouts {
                mine.entry(layout).or_insert((0, example)).0 += n;
            }
        }
    }

    /// Counts one record.
    pub fn count(&mut self, article: &crate::Article) {
        let unplaced = article.rules_placed == 0 && !article.body_text.is_empty();
        let negative_lag = article.feed_lag_s.is_some_and(|lag| lag < 0);
        let missed = [
            article.published_utc.is_none(),
            article.byline.is_none(),
            article.lead.is_none(),
            article.copyright.is_none(),
            article.image_urls.is_empty(),
            article.body_text.is_empty(),
            unplaced,
            negative_lag,
        ];
        for (field, missed) in COVERAGE_FIELDS.into_iter().zip(missed) {
            if missed {
                let layouts = self.misses.entry(field).or_default();
                match layouts.get_mut(&article.layout) {
                    Some((n, _)) => *n += 1,
                    None => {
                        layouts.insert(article.layout.clone(), (1, article.source_path.clone()));
                    }
                }
            }
        }
        self.records += 1;
        if article.published_utc.is_some() {
            self.published += 1;
            if let Some(precision) = article.published_precision {
                *self
                    .published_by_precision
                    .entry(precision.as_str().to_string())
                    .or_default() += 1;
            }
        }
        if let Some(note) = article.published_note {
            *self
                .published_by_note
                .entry(note.as_str().to_string())
                .or_default() += 1;
        }
        self.byline += u64::from(article.byline.is_some());
        self.lead += u64::from(article.lead.is_some());
        self.copyright += u64::from(article.copyright.is_some());
        self.images += u64::from(!article.image_urls.is_empty());
        self.empty_body += u64::from(article.body_text.is_empty());
        self.unplaced += u64::from(unplaced);
        self.negative_lag += u64::from(negative_lag);
    }

    /// Records with `field` of [`COVERAGE_FIELDS`] (for the last three:
    /// with that property).
    pub fn found(&self, field: &str) -> u64 {
        match field {
            "published" => self.published,
            "byline" => self.byline,
            "lead" => self.lead,
            "copyright" => self.copyright,
            "images" => self.images,
            "empty_body" => self.empty_body,
            "unplaced" => self.unplaced,
            "negative_lag" => self.negative_lag,
            _ => 0,
        }
    }

    /// Checks `expect` (profile `profile`'s) on these records of `source`:
    /// how many expectations were judged, and the shortfalls. Nothing is
    /// judged below the profile's `min_records`.
    pub fn check(&self, source: &str, profile: &str, expect: &ExpectSpec) -> (u64, Vec<Shortfall>) {
        if self.records == 0 || self.records < expect.min_records() {
            return (0, Vec::new());
        }
        let mut checked = 0;
        let mut shortfalls = Vec::new();
        for (field, bound) in expect.bounds() {
            checked += 1;
            let found = self.found(field);
            let share = found as f64 / self.records as f64;
            if bound.holds(share) {
                continue;
            }
            // The records that missed: for a lower bound those without the
            // field, for an upper bound those with the property.
            let lower = bound.at_least.is_some_and(|min| share < min);
            let missed = if lower == matches!(field, "empty_body" | "unplaced" | "negative_lag") {
                None
            } else {
                self.misses.get(field)
            };
            let mut layouts: Vec<LayoutCount> = missed
                .into_iter()
                .flatten()
                .map(|(layout, (records, example))| LayoutCount {
                    layout: layout.clone(),
                    records: *records,
                    example: example.clone(),
                })
                .collect();
            layouts.sort_by(|a, b| {
                b.records
                    .cmp(&a.records)
                    .then_with(|| a.layout.cmp(&b.layout))
            });
            layouts.truncate(LAYOUTS_SHOWN);
            shortfalls.push(Shortfall {
                source: source.to_string(),
                profile: profile.to_string(),
                field: field.to_string(),
                records: self.records,
                found,
                share,
                expected: bound.describe(),
                why: bound.why.clone(),
                layouts,
            });
        }
        (checked, shortfalls)
    }
}

impl RunSummary {
    /// Checks the expectations of every site profile in `profiles` on the
    /// coverage of its source in this run's records; fills
    /// `expectations_checked` and `shortfalls`.
    pub fn check_expectations(&mut self, profiles: &wirehouse_transform::ProfileSet) {
        for profile in profiles.iter() {
            let Some(source) = &profile.source else {
                continue;
            };
            let Some(coverage) = self.coverage.get(source) else {
                continue;
            };
            let (checked, shortfalls) = coverage.check(source, &profile.name, &profile.spec.expect);
            self.expectations_checked += checked;
            self.shortfalls.extend(shortfalls);
        }
    }

    /// Whether every file found is accounted for exactly once.
    pub fn accounts_for_every_file(&self) -> bool {
        self.files_found == self.records + self.duplicates + self.rejects + self.unchanged
            && self.rejects == self.rejects_by_kind.values().sum::<u64>()
            && self.records == self.records_by_source.values().sum::<u64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::warehouse::tests::article;
    use wirehouse_transform::ProfileSet;

    fn profiles(expect: &str) -> ProfileSet {
        ProfileSet::from_texts([
            ("generic.toml".to_string(), "name = \"generic\"".to_string()),
            (
                "site.toml".to_string(),
                format!(
                    "name = \"site\"\nsource = \"site\"\nhosts = [\"site.org\"]\n[expect]\n{expect}"
                ),
            ),
        ])
        .unwrap()
    }

    /// A summary whose coverage counted `n` records of `site`, the first
    /// `old` in layout `old`, the rest (no time, no text rule) in `new`.
    fn summary(n: usize, old: usize) -> RunSummary {
        let mut coverage = Coverage::default();
        for i in 0..n {
            let mut a = article("site", "2021-03-18T13:55:11Z", &format!("f{i}.md"));
            if i >= old {
                a.layout = "article.v2 time[datetime]".into();
                a.published_utc = None;
                a.feed_lag_s = None;
                a.rules_placed = 0;
            }
            coverage.count(&a);
        }
        let mut s = RunSummary::default();
        s.coverage.insert("site".into(), coverage);
        s
    }

    #[test]
    fn a_share_below_the_bound_is_a_shortfall_naming_the_layouts_that_missed() {
        let p = profiles(
            "published = { at_least = 0.9, why = \"every page states one\" }\n\
             unplaced = { at_most = 0.05, why = \"rules read every era\" }\n\
             byline = { at_most = 0.5, why = \"a test of an upper bound on a field\" }",
        );
        let mut s = summary(20, 12);
        s.check_expectations(&p);
        assert_eq!(s.expectations_checked, 3);
        let fields: Vec<(&str, u64, &str)> = s
            .shortfalls
            .iter()
            .map(|f| (f.field.as_str(), f.found, f.expected.as_str()))
            .collect();
        assert_eq!(
            fields,
            [("published", 12, "≥ 0.9"), ("unplaced", 8, "≤ 0.05")]
        );
        let published = &s.shortfalls[0];
        assert_eq!(
            (published.source.as_str(), published.profile.as_str()),
            ("site", "site")
        );
        assert_eq!(published.records, 20);
        assert!((published.share - 0.6).abs() < 1e-12);
        assert_eq!(published.why, "every page states one");
        // The 8 records without a time, all of the new layout, the first as
        // the example.
        assert_eq!(
            published.layouts,
            [LayoutCount {
                layout: "article.v2 time[datetime]".into(),
                records: 8,
                example: "f12.md".into(),
            }]
        );
        assert_eq!(s.shortfalls[1].layouts, published.layouts);
        // The JSON keeps the shortfalls (and not the per-run layout counts).
        let json = serde_json::to_string(&s).unwrap();
        let back: RunSummary = serde_json::from_str(&json).unwrap();
        assert_eq!(back.shortfalls, s.shortfalls);
        assert!(back.coverage["site"].misses.is_empty());
    }

    #[test]
    fn records_that_meet_every_bound_or_too_few_records_give_no_shortfall() {
        let p = profiles("published = { at_least = 0.9, why = \"x\" }");
        let mut met = summary(20, 18);
        met.check_expectations(&p);
        assert_eq!((met.expectations_checked, met.shortfalls.len()), (1, 0));
        // Below the default min_records nothing is judged, however bad.
        let mut few = summary(ExpectSpec::DEFAULT_MIN_RECORDS as usize - 1, 0);
        few.check_expectations(&p);
        assert_eq!((few.expectations_checked, few.shortfalls.len()), (0, 0));
        // A profile may judge smaller runs.
        let p = profiles("min_records = 2\npublished = { at_least = 0.9, why = \"x\" }");
        let mut small = summary(3, 0);
        small.check_expectations(&p);
        assert_eq!(small.shortfalls.len(), 1);
        // A source without records this run is not judged at all.
        let mut none = RunSummary::default();
        none.check_expectations(&p);
        assert_eq!(none.expectations_checked, 0);
    }
}
