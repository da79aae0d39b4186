//! Tests of the gate: every rule kind and severity, passing and failing; the significance
//! fixtures (200 tickets with b = 12, c = 2 fails; b = 4, c = 3 passes; a 1-point margin is
//! INCONCLUSIVE with the required n); Holm across several rules; rule errors with positions.

use std::path::Path;

use super::rules::parse_gate_text;
use super::*;
use crate::compare::{compare, CompareOptions, Side};
use crate::eval_log::{Outcome, PredictionRecord};
use crate::gold::{Field, GoldSet, GoldValue, Ticket};
use crate::score::{score, RunReport, ScoreSettings, ScoredVariant};

const VALUES: [&str; 3] = ["billing", "technical", "sales"];

fn gold(n: usize) -> GoldSet {
    GoldSet {
        fields: vec![Field {
            name: "department".into(),
            kind: FieldKind::Label,
            values: VALUES.iter().map(|s| s.to_string()).collect(),
        }],
        tickets: (0..n)
            .map(|i| Ticket {
                id: format!("T-{i:04}"),
                text: format!("ticket {i} | `code` @someone #12 <b>"),
                labels: vec![GoldValue::Label((i % 3) as u32)],
                tags: vec![if i % 4 == 0 { "fr" } else { "en" }.to_string()],
                clarification: None,
            })
            .collect(),
        sha256: String::new(),
    }
}

fn rec(variant: &str, ticket: &str, label: Option<&str>, outcome: Outcome) -> PredictionRecord {
    let mut r = PredictionRecord::new(variant, ticket, 0, outcome);
    if let Some(l) = label {
        r.outputs.insert("department".into(), serde_json::json!(l));
        r.confidence = Some(0.9);
    }
    r
}

/// Records of a variant that is right on `right` (a predicate on the ticket index).
fn records(g: &GoldSet, variant: &str, right: impl Fn(usize) -> bool) -> Vec<PredictionRecord> {
    g.tickets
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let truth = i % 3;
            let label = if right(i) { truth } else { (truth + 1) % 3 };
            rec(variant, &t.id, Some(VALUES[label]), Outcome::Ok)
        })
        .collect()
}

/// A baseline and a candidate on `n` tickets: both right except that the baseline is wrong on
/// `c` tickets the candidate gets right, the candidate wrong on `b` the baseline gets right,
/// and both wrong on `both_wrong`.
fn pair(
    n: usize,
    b: usize,
    c: usize,
    both_wrong: usize,
) -> (GoldSet, Vec<PredictionRecord>, Vec<PredictionRecord>) {
    let g = gold(n);
    let base = records(&g, "v", |i| {
        !(b..b + c).contains(&i) && !(b + c..b + c + both_wrong).contains(&i)
    });
    let cand = records(&g, "v", |i| {
        i >= b && !(b + c..b + c + both_wrong).contains(&i)
    });
    (g, base, cand)
}

struct Fixture {
    report: RunReport,
    own: crate::compare::Paired,
    pair: Option<(crate::compare::Comparison, crate::compare::Paired)>,
}

fn fixture(g: &GoldSet, base: Option<&[PredictionRecord]>, cand: &[PredictionRecord]) -> Fixture {
    let v = ScoredVariant {
        name: "v".into(),
        provider: "test".into(),
        model: None,
    };
    let settings = ScoreSettings::default();
    let report = score(
        g,
        &settings,
        std::slice::from_ref(&v),
        cand,
        g.tickets.len(),
    );
    let side = |records| Side {
        label: "run".into(),
        gold: g,
        variant: &v,
        records,
    };
    let own = compare(
        &side(cand),
        &side(cand),
        &settings,
        &CompareOptions::default(),
    )
    .1;
    let pair = base.map(|b| compare(&side(b), &side(cand), &settings, &CompareOptions::default()));
    Fixture { report, own, pair }
}

fn run_gate(f: &Fixture, rules: &str) -> GateReport {
    run_gate_opts(f, rules, &GateOptions::default())
}

fn run_gate_opts(f: &Fixture, rules: &str, opts: &GateOptions) -> GateReport {
    let set = parse_gate_text(Path::new("rules.yaml"), rules, Some(&gold(1).fields))
        .unwrap_or_else(|d| panic!("{d:?}"));
    let input = GateInput {
        candidate: "cand".into(),
        baseline: f.pair.as_ref().map(|_| "base".into()),
        baseline_skipped: None,
        fields: &gold(1).fields,
        variants: vec![CandidateVariant {
            name: "v".into(),
            report: &f.report.variants[0],
            own: &f.own,
            unpriced: false,
            pair: f.pair.as_ref().map(|(c, p)| ("v".to_string(), Some(c), p)),
        }],
    };
    gate(&input, &set, opts).unwrap()
}

fn statuses(r: &GateReport) -> Vec<Status> {
    r.checks.iter().map(|c| c.status).collect()
}

#[test]
fn significance_200_tickets_b12_c2_fails() {
    let (g, base, cand) = pair(200, 12, 2, 10);
    let f = fixture(&g, Some(&base), &cand);
    let r = run_gate(&f, "- {metric: accuracy, significant_drop: {margin: 0.05}}");
    let c = &r.checks[0];
    assert_eq!(c.status, Status::Fail, "{c:?}");
    assert!(!r.passed);
    // = statsmodels binom_test(12, 14, 0.5, alternative="larger") (tests/fixtures/gate/stats.json)
    assert!((c.p.unwrap() - 0.0064697265625).abs() < 1e-12);
    assert_eq!(r.summary, "gate failed: 1 of 1 rule");
    // The tickets that drive it: the 12 right -> wrong flips.
    assert_eq!(c.tickets_total, 12);
    assert!(c.tickets.iter().all(|t| t.direction == "right_to_wrong"));
}

#[test]
fn significance_200_tickets_b4_c3_passes() {
    let (g, base, cand) = pair(200, 4, 3, 10);
    let f = fixture(&g, Some(&base), &cand);
    let r = run_gate(&f, "- {metric: accuracy, significant_drop: {margin: 0.05}}");
    let c = &r.checks[0];
    assert_eq!(c.status, Status::Pass, "{c:?}");
    assert!((c.p.unwrap() - 0.5).abs() < 1e-12);
    // Connor one-sided, psi = 7/200, delta 0.05: 121.54 (scipy) -> 122.
    assert_eq!(c.required_n, Some(122));
    assert!(r.passed);
}

#[test]
fn significance_1_point_margin_on_200_tickets_is_inconclusive_with_required_n() {
    let (g, base, cand) = pair(200, 4, 3, 10);
    let f = fixture(&g, Some(&base), &cand);
    let r = run_gate(&f, "- {metric: accuracy, significant_drop: {margin: 0.01}}");
    let c = &r.checks[0];
    assert_eq!(c.status, Status::Inconclusive, "{c:?}");
    // 2161.80 (scipy, tests/fixtures/gate/stats.json) -> 2162.
    assert_eq!(c.required_n, Some(2162));
    assert!(c.message.contains("2162"), "{}", c.message);
    assert!(!r.passed, "inconclusive fails by default");
    assert_eq!(r.summary, "gate failed: 1 of 1 rule; 1 inconclusive");
    let r = run_gate_opts(
        &f,
        "- {metric: accuracy, significant_drop: {margin: 0.01}}",
        &GateOptions {
            inconclusive_passes: true,
            ..Default::default()
        },
    );
    assert!(r.passed);
    assert_eq!(r.checks[0].status, Status::Inconclusive);
}

#[test]
fn holm_across_the_significance_rules_of_one_gate() {
    // b = 12, c = 2: p = 0.00647 alone; with three significance checks Holm multiplies the
    // smallest by 3 (0.0194 <= 0.05, still fails); the macro-F1 and invalid-rate checks are
    // not significant.
    let (g, base, cand) = pair(300, 12, 2, 10);
    let f = fixture(&g, Some(&base), &cand);
    let r = run_gate(
        &f,
        "rules:\n  - {metric: accuracy, significant_drop: {margin: 0.05}}\n  - {metric: invalid_rate, significant_drop: {margin: 0.05}}\n  - {metric: \"recall[sales]\", significant_drop: {margin: 0.2}}\n",
    );
    let acc = &r.checks[0];
    assert!((acc.p.unwrap() - 0.0064697265625).abs() < 1e-12);
    let ps: Vec<f64> = r.checks.iter().map(|c| c.p.unwrap()).collect();
    let (adj, _) = crate::stats::holm(&ps, 0.05);
    for (c, a) in r.checks.iter().zip(&adj) {
        assert_eq!(c.p_holm, Some(*a));
    }
    assert!(acc.p_holm.unwrap() > acc.p.unwrap());
    assert_eq!(acc.status, Status::Fail);
    assert_eq!(r.checks[1].status, Status::Pass, "{:?}", r.checks[1]);
    // With a family of three, a p of 0.02 alone would no longer be rejected: the family
    // matters. b = 9, c = 1: one-sided p = 0.0107; x3 = 0.032 rejects; but a 5-check family
    // (0.0537) does not.
    let (g, base, cand) = pair(300, 9, 1, 0);
    let f = fixture(&g, Some(&base), &cand);
    let one = run_gate(&f, "- {metric: accuracy, significant_drop: {margin: 0.05}}");
    assert_eq!(one.checks[0].status, Status::Fail);
    let five = run_gate(
        &f,
        "- {metric: accuracy, significant_drop: {margin: 0.05}}\n- {metric: accuracy, significant_drop: {margin: 0.06}}\n- {metric: accuracy, significant_drop: {margin: 0.07}}\n- {metric: accuracy, significant_drop: {margin: 0.08}}\n- {metric: accuracy, significant_drop: {margin: 0.09}}\n",
    );
    assert!(
        five.checks.iter().all(|c| c.status != Status::Fail),
        "{:?}",
        statuses(&five)
    );
}

#[test]
fn bound_rules_pass_fail_and_warn() {
    let g = gold(90);
    let cand = records(&g, "v", |i| i % 10 != 0); // 0.9 accurate
    let f = fixture(&g, None, &cand);
    let r = run_gate(
        &f,
        "- {metric: accuracy, min: 0.85}\n- {metric: accuracy, min: 0.95}\n- {metric: accuracy, min: 0.95, severity: warn}\n- {metric: accuracy, min: 0.5, max: 0.8}\n- {metric: invalid_rate, max: 0}\n",
    );
    assert_eq!(
        statuses(&r),
        vec![
            Status::Pass,
            Status::Fail,
            Status::Warn,
            Status::Fail,
            Status::Pass
        ]
    );
    assert!(!r.passed);
    assert_eq!(r.summary, "gate failed: 2 of 5 rules; 1 warning");
    // Warnings alone pass.
    let r = run_gate(&f, "- {metric: accuracy, min: 0.95, severity: warn}");
    assert!(r.passed);
    assert_eq!(r.summary, "gate passed: 1 rule; 1 warning");
    // The failing check names the candidate's mistakes.
    let r = run_gate(&f, "- {metric: accuracy, min: 0.95}");
    assert_eq!(r.checks[0].tickets_total, 9);
}

#[test]
fn per_class_and_slice_rules() {
    let g = gold(120);
    // Wrong on every 'sales' ticket (i % 3 == 2).
    let cand = records(&g, "v", |i| i % 3 != 2);
    let f = fixture(&g, None, &cand);
    let r = run_gate(
        &f,
        "- {metric: \"recall[billing]\", min: 0.9}\n- {metric: \"recall[sales]\", min: 0.5}\n- {metric: \"tag[fr].accuracy\", min: 0.5}\n- {metric: \"tag[fr].accuracy\", min: 0.5, min_tickets: 31}\n",
    );
    assert_eq!(
        statuses(&r),
        vec![
            Status::Pass,
            Status::Fail,
            Status::Pass,
            Status::NotEvaluable
        ]
    );
    assert_eq!(r.checks[2].n, Some(30));
    assert!(
        r.checks[3].message.contains("only 30 tickets"),
        "{}",
        r.checks[3].message
    );
    assert_eq!(r.checks[1].observed, Some(0.0));
    assert_eq!(r.checks[1].tickets_total, 40);
}

#[test]
fn tolerance_rules_against_the_baseline() {
    // 200 tickets: b = 4, c = 1 -> accuracy drops by 3/200 = 1.5 points.
    let (g, base, cand) = pair(200, 4, 1, 0);
    let f = fixture(&g, Some(&base), &cand);
    let r = run_gate(
        &f,
        "- {metric: accuracy, max_drop: 0.015}\n- {metric: accuracy, max_drop: 0.01}\n- {metric: accuracy, max_drop: 0.01, severity: warn}\n",
    );
    assert_eq!(statuses(&r), vec![Status::Pass, Status::Fail, Status::Warn]);
    assert_eq!(r.checks[1].baseline, Some(0.995));
    assert!((r.checks[1].observed.unwrap() - 0.98).abs() < 1e-12);
    // Lower-is-better metrics: a rise is a drop.
    let g = gold(100);
    let base = records(&g, "v", |_| true);
    let mut cand = records(&g, "v", |_| true);
    for r in cand.iter_mut().take(3) {
        r.outcome = Outcome::InvalidOutput;
    }
    let f = fixture(&g, Some(&base), &cand);
    let r = run_gate(
        &f,
        "- {metric: invalid_rate, max_drop: 0.02}\n- {metric: invalid_rate, max_drop: 0.05}\n",
    );
    assert_eq!(statuses(&r), vec![Status::Fail, Status::Pass]);
}

#[test]
fn regression_rules_without_a_baseline_are_not_evaluable() {
    let g = gold(30);
    let cand = records(&g, "v", |_| true);
    let f = fixture(&g, None, &cand);
    let r = run_gate(&f, "- {metric: accuracy, max_drop: 0.01}");
    assert_eq!(statuses(&r), vec![Status::NotEvaluable]);
    assert!(r.passed);
}

#[test]
fn health_rule_fails_when_requests_failed_or_records_are_missing() {
    let g = gold(50);
    let all_failed: Vec<PredictionRecord> = g
        .tickets
        .iter()
        .map(|t| rec("v", &t.id, None, Outcome::ProviderError))
        .collect();
    let f = fixture(&g, None, &all_failed);
    let r = run_gate(&f, "- {health: true}");
    assert_eq!(statuses(&r), vec![Status::Fail]);
    assert!(
        r.checks[0].message.starts_with("50 failed"),
        "{}",
        r.checks[0].message
    );
    let r = run_gate(&f, "- {health: {max_failed: 50}}");
    assert_eq!(statuses(&r), vec![Status::Pass]);
    let r = run_gate(&f, "- {health: {max_failed: 10}, severity: warn}");
    assert_eq!(statuses(&r), vec![Status::Warn]);
    // Missing records.
    let some = records(&g, "v", |_| true)[..45].to_vec();
    let f = fixture(&g, None, &some);
    let r = run_gate(
        &f,
        "- {health: {max_missing: 4}}\n- {health: {max_missing: 5}}",
    );
    assert_eq!(statuses(&r), vec![Status::Fail, Status::Pass]);
}

#[test]
fn bootstrap_significance_on_macro_f1_is_seeded_and_detects_a_big_drop() {
    let (g, base, cand) = pair(300, 60, 0, 0);
    let f = fixture(&g, Some(&base), &cand);
    let rules = "- {metric: macro_f1, significant_drop: {margin: 0.05}}";
    let a = run_gate(&f, rules);
    let b = run_gate(&f, rules);
    assert_eq!(a, b);
    assert_eq!(a.checks[0].status, Status::Fail, "{:?}", a.checks[0]);
    let (lo, hi) = a.checks[0].interval.unwrap();
    assert!(lo < hi && hi < 0.0);
    // Identical predictions: no drop, and enough tickets to see a 5-point one.
    let f = fixture(&g, Some(&base), &base);
    let r = run_gate(&f, rules);
    assert_eq!(r.checks[0].status, Status::Pass, "{:?}", r.checks[0]);
}

#[test]
fn a_rule_naming_an_unknown_variant_is_an_error() {
    let g = gold(10);
    let cand = records(&g, "v", |_| true);
    let f = fixture(&g, None, &cand);
    let set = parse_gate_text(
        Path::new("rules.yaml"),
        "- {metric: accuracy, min: 0.5, variants: [nope]}",
        None,
    )
    .unwrap();
    let input = GateInput {
        candidate: "c".into(),
        baseline: None,
        baseline_skipped: None,
        fields: &g.fields,
        variants: vec![CandidateVariant {
            name: "v".into(),
            report: &f.report.variants[0],
            own: &f.own,
            unpriced: true,
            pair: None,
        }],
    };
    let err = gate(&input, &set, &GateOptions::default()).unwrap_err();
    assert!(
        err.contains("rules.yaml:1:3") && err.contains("\"nope\""),
        "{err}"
    );
    let set =
        parse_gate_text(Path::new("r.yaml"), "- {metric: cost_per_1k, max: 1}", None).unwrap();
    let err = gate(&input, &set, &GateOptions::default()).unwrap_err();
    assert!(err.contains("has responses without a price"), "{err}");
}

#[test]
fn rule_errors_name_file_line_column_and_what_is_valid() {
    let fields = gold(1).fields;
    let text = "alpha: 0.05\nrules:\n  - metric: acuracy\n    min: 0.9\n  - metric: \"recall[biling]\"\n    min: 0.9\n  - metric: accuracy\n    min: 0.9\n    max_drop: 0.1\n  - metric: ece\n    significant_drop: {margin: 0.02}\n  - metric: accuracy\n    field: priority\n    min: 2\n    severity: fatal\n  - {metric: accuracy}\n";
    let diags = parse_gate_text(Path::new("gate.yaml"), text, Some(&fields)).unwrap_err();
    let msgs: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
    insta::assert_snapshot!(msgs.join("\n"));
}

#[test]
fn markdown_escapes_ticket_text_and_stays_under_githubs_limit() {
    let (g, base, cand) = pair(3000, 1500, 0, 0);
    let f = fixture(&g, Some(&base), &cand);
    let r = run_gate(
        &f,
        "- {metric: accuracy, max_drop: 0.01}\n- {metric: accuracy, min: 0.99}\n- {metric: \"recall[billing]\", min: 0.99}\n",
    );
    let md = output::gate_markdown(&r);
    assert!(md.chars().count() <= output::GITHUB_COMMENT_LIMIT);
    assert!(
        md.starts_with("## ❌ verdict gate failed: 3 of 3 rules"),
        "{md}"
    );
    // Ticket text is inert: no raw pipes, backticks, HTML, mentions or references.
    assert!(
        md.contains("ticket 0 &#124; &#96;code&#96; &#64;someone &#35;12 &lt;b&gt;"),
        "{md}"
    );
    for raw in ["@someone", "someone #12", "<b>", "| `code`"] {
        assert!(!md.contains(raw), "{raw} in {md}");
    }
    // At most 20 tickets per list, with the hidden count.
    assert!(md.contains("more not shown."));
    let junit = output::gate_junit(&r);
    assert!(junit.contains("failures=\"3\""), "{junit}");
    assert!(
        junit.contains("accuracy drops by at most")
            || junit.contains("accuracy worsens by at most")
    );
}

#[test]
fn markdown_is_cut_to_the_limit_for_huge_gates() {
    let (g, base, cand) = pair(300, 100, 0, 0);
    let f = fixture(&g, Some(&base), &cand);
    // 400 failing rules with long names.
    let rules: String = (0..400)
        .map(|i| {
            format!(
                "- {{name: \"{} {i}\", metric: accuracy, min: 0.99}}\n",
                "x".repeat(200)
            )
        })
        .collect();
    let r = run_gate(&f, &rules);
    let md = output::gate_markdown(&r);
    assert!(
        md.chars().count() <= output::GITHUB_COMMENT_LIMIT,
        "{}",
        md.len()
    );
}

/// A finished run of the mini eval (two local variants, offline) in `tmp`/run, made in this
/// process.
fn run_mini(tmp: &Path) -> std::path::PathBuf {
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;
    let dir = tmp.join("run");
    let cmd = crate::app::RunCommand {
        eval: Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mini/eval.yaml")),
        out: Some(dir.clone()),
        no_cache: true,
        output: crate::app::OutputChoice {
            formats: vec![crate::report::Format::Json],
            quiet: true,
            ..Default::default()
        },
        ..Default::default()
    };
    let exit = crate::app::run_with(
        &cmd,
        Arc::new(AtomicBool::new(false)),
        &mut crate::runner::Executors::default(),
    )
    .unwrap();
    assert_eq!(exit, crate::exit::Exit::Ok);
    dir
}

/// The fast gold.jsonl reader of compare and gate (`grading::read_snapshot`) reads a run
/// folder's snapshot exactly as `run_dir::read_snapshot` does: on a real folder of plain
/// texts (the fast path taken) and after a ticket gains what the scanner gives up on (escapes,
/// Unicode, a repeated label key), where the fallback reads it.
#[test]
fn the_fast_snapshot_reader_equals_the_run_folders_reader() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_mini(tmp.path());
    let reference = crate::run_dir::read_snapshot(&dir).unwrap();
    assert!(
        super::grading::fast_snapshot(&dir).is_some(),
        "the plain folder takes the fast path"
    );
    assert_eq!(super::grading::read_snapshot(&dir).unwrap(), reference);

    let gold_path = dir.join(crate::run_dir::GOLD_JSONL);
    let original = std::fs::read_to_string(&gold_path).unwrap();
    let first = original.lines().next().unwrap();
    let mut v: serde_json::Value = serde_json::from_str(first).unwrap();
    v["text"] = "a \"quoted\"\ttab, é, 😀 and a back\\slash".into();
    let escaped = serde_json::to_string(&v).unwrap();
    let label = v["labels"]["department"].as_str().unwrap().to_string();
    let repeated = escaped.replacen(
        "\"labels\":{",
        &format!("\"labels\":{{\"department\":\"{label}\","),
        1,
    );
    for line in [escaped, repeated] {
        std::fs::write(&gold_path, original.replacen(first, &line, 1)).unwrap();
        let reference = crate::run_dir::read_snapshot(&dir).unwrap();
        assert!(
            super::grading::scan_ticket_for_test(&line, &reference.1.fields).is_none(),
            "the scanner gives {line} up"
        );
        // That line alone is read by serde; the file stays on the fast path.
        assert!(
            super::grading::fast_snapshot(&dir).is_some(),
            "{line} read by serde, the rest scanned"
        );
        assert_eq!(
            super::grading::read_snapshot(&dir).unwrap(),
            reference,
            "{line}"
        );
    }
    // A line serde refuses too: the whole file goes to the run folder's reader, for its error.
    let unknown = first.replacen(&format!("\"{label}\""), "\"no such label\"", 1);
    assert_ne!(unknown, first);
    std::fs::write(&gold_path, original.replacen(first, &unknown, 1)).unwrap();
    let reference = crate::run_dir::read_snapshot(&dir).unwrap_err().to_string();
    assert!(super::grading::fast_snapshot(&dir).is_none());
    assert_eq!(
        super::grading::read_snapshot(&dir).unwrap_err().to_string(),
        reference
    );
}

/// A finished run's graded.bin holds exactly what grading its journal gives, is what
/// `compare` and `gate` read while it matches the folder, and is ignored (the journal graded
/// instead) as soon as anything it was made from differs: the journal edited in place or
/// appended to, the gold set or snapshot changed, other variants, a damaged file.
#[test]
fn graded_bin_is_read_only_while_it_matches_the_folder() {
    use crate::run_dir::graded_cache::{self, OwnGrading, GRADED_BIN};
    use std::sync::Arc;
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_mini(tmp.path());
    assert!(
        dir.join(GRADED_BIN).is_file(),
        "a finished run writes graded.bin"
    );

    let doc: serde_json::Value =
        serde_json::from_str(&crate::run_dir::read_run_json(&dir).unwrap()).unwrap();
    let spec: crate::run_dir::RunSpec = serde_json::from_value(doc["spec"].clone()).unwrap();
    let variants = spec.scored_variants();
    assert_eq!(variants.len(), 2);
    let gold = Arc::new(crate::run_dir::read_snapshot(&dir).unwrap().1);
    let target = [super::grading::Target {
        gold: gold.clone(),
        rows: None,
    }];
    let settings = crate::score::ScoreSettings::default();
    // The journal's grading, read from the journal itself.
    let from_journal = |dir: &Path| {
        let (mut graded, facts) =
            super::grading::grade_journal_only(dir, &gold, &variants, &target).unwrap();
        let (graded, cost_per_1k) = graded.pop().unwrap();
        OwnGrading {
            graded,
            cost_per_1k,
            missing: facts.missing,
            unpriced: facts.unpriced,
        }
    };
    // What compare and gate get: from graded.bin while it matches, else as above.
    let graded = |dir: &Path| {
        let (mut runs, facts) =
            super::grading::grade_journal(dir, &gold, &variants, &target, &settings).unwrap();
        let run = runs.pop().unwrap();
        OwnGrading {
            graded: run.graded,
            cost_per_1k: run.cost_per_1k,
            missing: facts.missing,
            unpriced: facts.unpriced,
        }
    };

    // Exactly the journal's grading, and what grade_journal returns.
    let journal_grading = from_journal(&dir);
    assert!(journal_grading.graded.n_tickets > 30);
    let cached = graded_cache::read(&dir, &variants).expect("the fresh file is read");
    assert_eq!(cached, journal_grading);
    assert_eq!(graded(&dir), journal_grading);

    // It is what is read: a doctored copy (written for the journal as it is) comes back.
    let journal = dir.join(crate::run_dir::PREDICTIONS_JSONL);
    let len = std::fs::metadata(&journal).unwrap().len();
    let mut doctored = journal_grading.clone();
    doctored.cost_per_1k[0] = Some(12345.0);
    doctored.graded.variants[1].outcomes[0] = None;
    graded_cache::write(&dir, &variants, &doctored, len).unwrap();
    assert_eq!(graded(&dir), doctored);
    // Not written for a journal of another length than the one graded.
    let before = std::fs::read(dir.join(GRADED_BIN)).unwrap();
    graded_cache::write(&dir, &variants, &journal_grading, len + 1).unwrap();
    assert_eq!(std::fs::read(dir.join(GRADED_BIN)).unwrap(), before);

    // Other variants: not read.
    assert!(graded_cache::read(&dir, &variants[..1]).is_none());

    // The journal edited in place (one confidence digit, same length): not read; the edit
    // is graded.
    let text = std::fs::read_to_string(&journal).unwrap();
    let at = text.find("\"confidence\":0.").unwrap() + "\"confidence\":0.".len();
    let digit = text.as_bytes()[at];
    let other = if digit == b'9' {
        '8'
    } else {
        (digit + 1) as char
    };
    let edited = format!("{}{other}{}", &text[..at], &text[at + 1..]);
    assert_eq!(edited.len(), text.len());
    std::fs::write(&journal, &edited).unwrap();
    assert!(graded_cache::read(&dir, &variants).is_none());
    let after_edit = graded(&dir);
    assert_ne!(after_edit, journal_grading, "the edit changes a confidence");
    assert_eq!(after_edit, from_journal(&dir));

    // Appended to (a record repeated): not read.
    std::fs::write(&journal, &text).unwrap();
    graded_cache::write(&dir, &variants, &doctored, len).unwrap();
    assert_eq!(
        graded(&dir),
        doctored,
        "read again once the journal is restored"
    );
    let first = text.lines().next().unwrap();
    std::fs::write(&journal, format!("{text}{first}\n")).unwrap();
    assert!(graded_cache::read(&dir, &variants).is_none());
    assert_eq!(graded(&dir), from_journal(&dir));
    std::fs::write(&journal, &text).unwrap();

    // The gold set or the snapshot changed (a byte appended): not read.
    for name in [crate::run_dir::GOLD_JSONL, crate::run_dir::SNAPSHOT_JSON] {
        let path = dir.join(name);
        let original = std::fs::read(&path).unwrap();
        assert!(graded_cache::read(&dir, &variants).is_some());
        let mut changed = original.clone();
        changed.push(b'\n');
        std::fs::write(&path, &changed).unwrap();
        assert!(
            graded_cache::read(&dir, &variants).is_none(),
            "{name} changed"
        );
        std::fs::write(&path, &original).unwrap();
    }

    // A damaged file: cut anywhere, or a bit flipped anywhere: not read, no panic.
    let bytes = std::fs::read(dir.join(GRADED_BIN)).unwrap();
    for cut in [0, 3, 16, 20, 24, 40, bytes.len() / 2, bytes.len() - 1] {
        std::fs::write(dir.join(GRADED_BIN), &bytes[..cut]).unwrap();
        assert!(
            graded_cache::read(&dir, &variants).is_none(),
            "cut at {cut}"
        );
    }
    for at in [0, 17, 25, 30, bytes.len() / 2, bytes.len() - 1] {
        let mut flipped = bytes.clone();
        flipped[at] ^= 0x01;
        std::fs::write(dir.join(GRADED_BIN), &flipped).unwrap();
        assert!(
            graded_cache::read(&dir, &variants).is_none(),
            "flipped at {at}"
        );
    }
    std::fs::remove_file(dir.join(GRADED_BIN)).unwrap();
    assert_eq!(
        graded(&dir),
        journal_grading,
        "without graded.bin: the journal"
    );
}
