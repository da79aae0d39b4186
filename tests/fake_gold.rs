//! The fake server's gold-aware mode, end to end through the `verdict` binary over real
//! sockets: 2,000 gold tickets, a variant whose system prompt says `[[fake:accuracy=0.9]]` and
//! one that says `[[fake:accuracy=0.75]]`. verdict's measured accuracies must fall inside
//! the exact binomial 99.9 % intervals of those probabilities, agree with what the fake says
//! it answered, and be identical, answer for answer, across two runs with the same seed.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{journal, path_str, run, verdict, Fake};
use statrs::distribution::{Binomial, DiscreteCDF};
use verdict_fake::{FakeConfig, GoldColumns, GoldMode, GoldSet};

const N: usize = 2000;

/// An eval with N tickets and two variants that differ only in their accuracy marker.
fn write_eval(dir: &Path) {
    common::write_department_gold(&dir.join("gold.yaml"), N);
    std::fs::create_dir_all(dir.join("prompts")).unwrap();
    for (name, p) in [("good", 0.9), ("worse", 0.75)] {
        let variant = common::department_variant(name, p);
        std::fs::write(dir.join(format!("prompts/{name}.yaml")), variant).unwrap();
    }
    std::fs::write(
        dir.join("eval.yaml"),
        "name: gold-fake\ngold: gold.yaml\nvariants: [prompts/*.yaml]\nrun: {concurrency: 32, seed: 1}\n",
    )
    .unwrap();
}

/// The smallest and largest accuracy inside the central 99.9 % of Binomial(N, p) / N.
fn interval(p: f64) -> (f64, f64) {
    let b = Binomial::new(p, N as u64).unwrap();
    (
        b.inverse_cdf(0.0005) as f64 / N as f64,
        b.inverse_cdf(0.9995) as f64 / N as f64,
    )
}

/// Accuracy per variant (run.json); (variant, ticket) -> department (journal); right answers
/// per accuracy (the fake's log).
type Outcome = (
    BTreeMap<String, f64>,
    BTreeMap<(String, String), String>,
    BTreeMap<String, usize>,
);

/// Runs the eval against a gold-aware fake with `seed`; returns each variant's accuracy from
/// run.json, every (variant, ticket) -> department answered, and the fake's own count of
/// right answers per accuracy.
fn run_once(dir: &Path, seed: u64, out: &str) -> Outcome {
    let gold = GoldSet::load(&dir.join("gold.yaml"), &GoldColumns::default()).unwrap();
    let fake = Fake::start(FakeConfig {
        gold: Some(GoldMode::new(gold).seed(seed)),
        ..FakeConfig::default()
    });
    let out = dir.join(out);
    let o = run(&mut verdict(
        &fake.server.base_url,
        "sk-ant-test",
        &[
            "run",
            path_str(&dir.join("eval.yaml")),
            "--out",
            path_str(&out),
            "--no-cache",
            "--format",
            "json",
        ],
    ));
    assert_eq!(o.status.code(), Some(0));
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    let mut acc = BTreeMap::new();
    for v in doc["metrics"]["variants"].as_array().unwrap() {
        let f = v["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["field"] == "department")
            .unwrap();
        acc.insert(
            v["name"].as_str().unwrap().to_string(),
            f["label"]["accuracy"].as_f64().unwrap(),
        );
    }
    let answers = journal(&out)
        .into_iter()
        .map(|r| {
            (
                (r.variant.clone(), r.ticket.clone()),
                r.outputs
                    .get("department")
                    .and_then(|d| d.as_str())
                    .unwrap_or("?")
                    .to_string(),
            )
        })
        .collect();
    let mut right = BTreeMap::new();
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 2 * N);
    for r in &reqs {
        let g = r.gold.as_ref().expect("every ticket found in the gold set");
        assert_eq!(g.fields.len(), 1, "{g:?}");
        *right.entry(format!("{}", g.accuracy)).or_insert(0) += usize::from(g.fields[0].1);
    }
    (acc, answers, right)
}

#[test]
fn gold_aware_fake_hits_the_configured_accuracies_and_repeats_them_for_a_seed() {
    let tmp = tempfile::tempdir().unwrap();
    write_eval(tmp.path());
    let (acc, answers, right) = run_once(tmp.path(), 42, "run1");
    for (name, p) in [("good", 0.9), ("worse", 0.75)] {
        let (lo, hi) = interval(p);
        let a = acc[name];
        assert!(
            (lo..=hi).contains(&a),
            "{name}: accuracy {a} outside the 99.9 % interval [{lo}, {hi}] of p = {p}"
        );
        // verdict's grading and the fake's own record agree exactly.
        assert_eq!(right[&format!("{p}")], (a * N as f64).round() as usize);
    }
    assert_eq!(answers.len(), 2 * N);

    let (acc2, answers2, _) = run_once(tmp.path(), 42, "run2");
    assert_eq!(acc, acc2);
    assert_eq!(answers, answers2, "same seed, same answers");
}
