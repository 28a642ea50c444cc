//! `wirehouse gen-corpus`: deterministic, and every generated file is as
//! consistent as its template — the pipeline reads the same lag from both.

mod common;

use std::path::Path;

use common::*;

fn generate(corpus: &Path, out: &Path, count: &str, seed: &str) {
    run_ok(&[
        "gen-corpus",
        "--templates",
        corpus.to_str().unwrap(),
        "--count",
        count,
        "--out",
        out.to_str().unwrap(),
        "--seed",
        seed,
    ]);
}

#[test]
fn the_same_seed_gives_the_same_corpus_and_another_seed_another() {
    let corpus = require_corpus!();
    let dir = tempfile::tempdir().unwrap();
    generate(&corpus, &dir.path().join("a"), "120", "7");
    generate(&corpus, &dir.path().join("b"), "120", "7");
    generate(&corpus, &dir.path().join("c"), "120", "8");
    let (a, b, c) = (
        tree_files(&dir.path().join("a"), &[]),
        tree_files(&dir.path().join("b"), &[]),
        tree_files(&dir.path().join("c"), &[]),
    );
    assert_eq!(a.len(), 120);
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn generated_files_keep_their_templates_lags_across_years_and_dst_changes() {
    let corpus = require_corpus!();
    let templates_n = manifest_paths(&corpus).len();
    let dir = tempfile::tempdir().unwrap();
    let (gen, gen_out, tpl_out) = (
        dir.path().join("gen"),
        dir.path().join("gen-out"),
        dir.path().join("tpl-out"),
    );
    // Three copies of every template.
    let count = 3 * templates_n;
    generate(&corpus, &gen, &count.to_string(), "42");
    for (input, output) in [(&gen, &gen_out), (&corpus, &tpl_out)] {
        run_ok(&[
            "run",
            "--input",
            input.to_str().unwrap(),
            "--output",
            output.to_str().unwrap(),
            "--progress",
            "quiet",
        ]);
    }
    let generated = read_dataset(&gen_out.join("articles"));
    assert_eq!(generated.len(), count, "every generated file is a record");
    assert!(read_dataset(&gen_out.join("rejects")).is_empty());

    // Templates in the generator's order (discovery order of the corpus).
    let mut templates = read_dataset(&tpl_out.join("articles"));
    assert_eq!(templates.len(), templates_n);
    templates.sort_by(|a, b| a["source_path"].cmp(&b["source_path"]));
    let mut checked = 0;
    let mut years = std::collections::BTreeSet::new();
    for row in &generated {
        let n: usize = row["source_path"]
            .rsplit('/')
            .next()
            .unwrap()
            .trim_end_matches(".md")
            .parse()
            .unwrap();
        let template = &templates[n % templates.len()];
        assert_eq!(row["source"], template["source"], "{}", row["source_path"]);
        assert_eq!(row["published_precision"], template["published_precision"]);
        years.insert(row["year"].clone());
        // A moved time that lands in a repeated hour reads back as its earlier instant.
        if row["published_note"] != "ambiguous" && template["published_note"] != "ambiguous" {
            assert_eq!(
                row["feed_lag_s"], template["feed_lag_s"],
                "{} from {}",
                row["source_path"], template["source_path"]
            );
            checked += 1;
        }
        assert_ne!(
            row["url"], template["url"],
            "each generated file is its own article"
        );
    }
    // Only times in a repeated hour (rare) go unchecked.
    assert!(
        checked * 10 >= count * 9,
        "{checked} of {count} generated lags checked"
    );
    assert!(
        years.len() >= 5,
        "offsets should spread files over several years: {years:?}"
    );
}
