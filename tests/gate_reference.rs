//! compare's and gate's numbers against reference values that `scripts/reference_gate.py`
//! computed with statsmodels, scipy, scikit-learn and numpy (tests/fixtures/gate/), to 1e-9;
//! bootstrap interval bounds come from verdict's own seeded generator and are checked for
//! sanity and reproducibility instead.

use std::path::PathBuf;

use serde_json::Value;

use verdict::compare::{compare, CompareOptions, Side};
use verdict::onesided::{mcnemar_one_sided, mcnemar_required_n};
use verdict::score::{ScoreSettings, ScoredVariant};

const TOL: f64 = 1e-9;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gate")
}

fn read(path: PathBuf) -> Value {
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn close(a: f64, b: f64, what: &str) {
    assert!(
        (a - b).abs() <= TOL * b.abs().max(1.0),
        "{what}: verdict {a} != reference {b}"
    );
}

#[test]
fn one_sided_and_two_sided_mcnemar_match_statsmodels() {
    let s = read(fixtures().join("stats.json"));
    let cases = s["mcnemar"].as_array().unwrap();
    assert!(cases.len() >= 10);
    for c in cases {
        let (b, cc) = (c["b"].as_u64().unwrap(), c["c"].as_u64().unwrap());
        close(
            mcnemar_one_sided(b, cc),
            c["p_one_sided"].as_f64().unwrap(),
            &format!("one-sided {b},{cc}"),
        );
        close(
            verdict::stats::mcnemar_exact(b, cc).p_value,
            c["p_two_sided"].as_f64().unwrap(),
            &format!("two-sided {b},{cc}"),
        );
    }
}

#[test]
fn connor_sample_size_matches_scipy() {
    let s = read(fixtures().join("stats.json"));
    for c in s["required_n"].as_array().unwrap() {
        let f = |k: &str| c[k].as_f64().unwrap();
        close(
            mcnemar_required_n(f("psi"), f("delta"), f("alpha"), f("power")),
            f("n"),
            &format!("{c}"),
        );
    }
    let fx = &s["fixtures"];
    close(
        mcnemar_one_sided(12, 2),
        fx["fails"]["p"].as_f64().unwrap(),
        "b=12 c=2",
    );
    close(
        mcnemar_required_n(7.0 / 200.0, 0.01, 0.05, 0.8),
        fx["inconclusive"]["required_n"].as_f64().unwrap(),
        "1-point margin",
    );
}

#[test]
fn holm_matches_statsmodels() {
    let s = read(fixtures().join("stats.json"));
    for c in s["holm"].as_array().unwrap() {
        let p: Vec<f64> = c["p"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        let (adj, rej) = verdict::stats::holm(&p, 0.05);
        for (i, a) in adj.iter().enumerate() {
            close(*a, c["adjusted"][i].as_f64().unwrap(), "holm adjusted");
            assert_eq!(rej[i], c["reject"][i].as_bool().unwrap());
        }
    }
}

#[test]
fn compare_matches_the_python_reference() {
    let d = fixtures().join("compare");
    let e = read(d.join("expected.json"));
    let gold = verdict::config::gold::load_path(&d.join("gold.yaml")).unwrap();
    let records = verdict::eval_log::read_journal(&d.join("predictions.jsonl")).unwrap();
    let v = |name: &str| ScoredVariant {
        name: name.into(),
        provider: "external".into(),
        model: None,
    };
    let (bv, cv) = (v("base"), v("cand"));
    let side = |variant| Side {
        label: "fixture".into(),
        gold: &gold,
        variant,
        records: &records,
    };
    let settings = ScoreSettings::default();
    let opts = CompareOptions::default();
    let (c, _) = compare(&side(&bv), &side(&cv), &settings, &opts);
    let (c2, _) = compare(&side(&bv), &side(&cv), &settings, &opts);
    assert_eq!(c, c2, "seeded: the same comparison twice");
    assert_eq!(c.tickets.compared as u64, e["n"].as_u64().unwrap());
    let f = &c.fields[0];
    let triple = |d: &verdict::compare::Delta, key: &Value, what: &str| {
        close(d.baseline.unwrap(), key[0].as_f64().unwrap(), what);
        close(d.candidate.unwrap(), key[1].as_f64().unwrap(), what);
        close(d.diff.unwrap(), key[2].as_f64().unwrap(), what);
    };
    triple(&f.accuracy, &e["accuracy"], "accuracy");
    triple(&f.macro_f1, &e["macro_f1"], "macro F1");
    triple(&f.invalid_rate, &e["invalid_rate"], "field invalid rate");
    triple(&c.invalid_rate, &e["invalid_rate"], "record invalid rate");
    for cl in &f.per_class {
        triple(
            &cl.recall,
            &e["recall"][&cl.class],
            &format!("recall[{}]", cl.class),
        );
        triple(
            &cl.precision,
            &e["precision"][&cl.class],
            &format!("precision[{}]", cl.class),
        );
    }
    assert_eq!(f.table.a_only, e["right_to_wrong"].as_u64().unwrap());
    assert_eq!(f.table.b_only, e["wrong_to_right"].as_u64().unwrap());
    assert_eq!(
        f.right_to_wrong as u64,
        e["right_to_wrong"].as_u64().unwrap()
    );
    close(
        f.mcnemar.p_value,
        e["mcnemar_two_sided"].as_f64().unwrap(),
        "McNemar two-sided",
    );
    close(
        f.p_worse,
        e["mcnemar_one_sided"].as_f64().unwrap(),
        "McNemar one-sided",
    );
    // Bootstrap bounds: sane (around the estimate, ordered).
    for (what, d) in [
        ("accuracy", &f.accuracy),
        ("macro F1", &f.macro_f1),
        ("invalid", &f.invalid_rate),
    ] {
        let (lo, hi) = d.interval.unwrap();
        let est = d.diff.unwrap();
        assert!(lo <= est && est <= hi, "{what}: {lo} {est} {hi}");
        assert!(hi - lo < 0.2, "{what}: interval too wide");
    }
    // Flips: right -> wrong first, then by confidence, highest first.
    let flips = &f.flips;
    let first_w2r = flips
        .iter()
        .position(|x| x.direction == "wrong_to_right")
        .unwrap();
    assert!(flips[..first_w2r]
        .iter()
        .all(|x| x.direction == "right_to_wrong"));
    assert!(flips[first_w2r..]
        .iter()
        .all(|x| x.direction == "wrong_to_right"));
    for w in flips[..first_w2r].windows(2) {
        assert!(w[0].confidence.unwrap_or(-1.0) >= w[1].confidence.unwrap_or(-1.0));
    }
    // A slice: the fr tickets' accuracy on both sides.
    let fr = &e["tag_fr_accuracy"];
    let slice = |r: &verdict::score::VariantReport| {
        r.slices.iter().find(|s| s.tag == "fr").unwrap().fields[0]
            .label
            .as_ref()
            .unwrap()
            .accuracy
    };
    let (_, p) = compare(&side(&bv), &side(&cv), &settings, &opts);
    close(
        slice(&p.base_report),
        fr[0].as_f64().unwrap(),
        "fr accuracy base",
    );
    close(
        slice(&p.cand_report),
        fr[1].as_f64().unwrap(),
        "fr accuracy cand",
    );
}
