//! Issue 10's end-to-end proof: `verdict run` against the fake server's gold-aware mode over
//! real sockets, then `verdict gate` on the run folders it wrote.
//!
//! - A baseline whose prompt makes the fake answer 90 % of the tickets right and a candidate
//!   (same variant name, a worse prompt) at 75 %: the gate exits 1, and the JUnit report and
//!   the markdown name exactly the failing rules.
//! - The candidate gated against itself passes (exit 0).
//! - A run in which every request failed fails the health rule (exit 1), not exit 0 and not
//!   "unfinished" (exit 3): the records exist, they are failures.

mod common;

use std::path::Path;
use std::process::Output;

use common::{path_str, run, verdict, Fake};
use verdict_fake::{FakeConfig, GoldColumns, GoldMode, GoldSet};

/// Enough tickets that a 3-point margin is detectable at alpha 0.05 with power 0.8 even when
/// no ticket flips (the required n is then about 190).
const N: usize = 600;

const RULES: &str = "\
rules:
  - {name: accuracy floor, metric: accuracy, min: 0.6}
  - {name: accuracy holds, metric: accuracy, max_drop: 0.015}
  - {name: no significant accuracy drop, metric: accuracy, significant_drop: {margin: 0.03}}
  - {name: macro F1 holds, metric: macro_f1, max_drop: 0.02, severity: warn}
  - {name: every ticket answered, health: true}
";

/// The gold set, and one eval per prompt quality; both variants are called `router`.
fn write_evals(dir: &Path) {
    common::write_department_gold(&dir.join("gold.yaml"), N);
    for (side, p) in [("base", 0.9), ("cand", 0.75)] {
        std::fs::create_dir_all(dir.join(format!("prompts-{side}"))).unwrap();
        let variant = common::department_variant("router", p);
        std::fs::write(dir.join(format!("prompts-{side}/router.yaml")), variant).unwrap();
        std::fs::write(
            dir.join(format!("eval-{side}.yaml")),
            format!(
                "name: gate-fake\ngold: gold.yaml\nvariants: [prompts-{side}/*.yaml]\nrun: {{concurrency: 32, seed: 1}}\n"
            ),
        )
        .unwrap();
    }
    std::fs::write(dir.join("rules.yaml"), RULES).unwrap();
}

/// `verdict run EVAL --out OUT` against `fake`; returns the process output.
fn run_eval(fake: &Fake, eval: &Path, out: &Path) -> Output {
    run(&mut verdict(
        &fake.server.base_url,
        "sk-ant-test",
        &[
            "run",
            path_str(eval),
            "--out",
            path_str(out),
            "--no-cache",
            "--quiet",
        ],
    ))
}

fn gate(args: &[&str]) -> Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_verdict"));
    cmd.args(["gate"])
        .args(args)
        .env_remove("GITHUB_STEP_SUMMARY");
    run(&mut cmd)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The accuracy run.json states for the only variant.
fn accuracy(run: &Path) -> f64 {
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("run.json")).unwrap()).unwrap();
    doc["metrics"]["variants"][0]["fields"][0]["label"]["accuracy"]
        .as_f64()
        .unwrap()
}

#[test]
fn a_worse_prompt_fails_the_gate_against_the_fake_and_the_reports_name_the_failing_rules() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_evals(dir);
    let gold = GoldSet::load(&dir.join("gold.yaml"), &GoldColumns::default()).unwrap();
    let fake = Fake::start(FakeConfig {
        gold: Some(GoldMode::new(gold).seed(7)),
        ..FakeConfig::default()
    });
    let (base, cand) = (dir.join("base"), dir.join("cand"));
    assert_eq!(
        run_eval(&fake, &dir.join("eval-base.yaml"), &base)
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        run_eval(&fake, &dir.join("eval-cand.yaml"), &cand)
            .status
            .code(),
        Some(0)
    );
    let (a_base, a_cand) = (accuracy(&base), accuracy(&cand));
    assert!(
        (0.85..=0.95).contains(&a_base),
        "baseline accuracy {a_base} is not near 0.9"
    );
    assert!(
        (0.69..=0.81).contains(&a_cand),
        "candidate accuracy {a_cand} is not near 0.75"
    );

    let rules = dir.join("rules.yaml");
    let junit = dir.join("junit.xml");
    let md = dir.join("gate.md");
    let o = gate(&[
        path_str(&cand),
        "--baseline",
        path_str(&base),
        "--rules",
        path_str(&rules),
        "--junit",
        path_str(&junit),
        "--markdown",
        path_str(&md),
    ]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    // Two fail-severity rules fail (the tolerance and the significance rule); the floor and
    // health pass; the macro F1 tolerance only warns.
    assert!(out.starts_with("gate failed: 2 of 5 rules"), "{out}");
    for line in out.lines() {
        if line.contains("accuracy holds") || line.contains("no significant accuracy drop") {
            assert!(line.contains("FAIL"), "{line}");
        }
        if line.contains("accuracy floor") || line.contains("every ticket answered") {
            assert!(line.contains("PASS"), "{line}");
        }
        if line.contains("macro F1 holds") {
            assert!(line.contains("WARN"), "{line}");
        }
    }

    // JUnit: one test case per rule and variant; exactly the two failing rules are failures.
    let j = std::fs::read_to_string(&junit).unwrap();
    assert!(j.contains("tests=\"5\""), "{j}");
    assert!(j.contains("failures=\"2\""), "{j}");
    let doc = testcases(&j);
    let failing: Vec<&str> = doc
        .iter()
        .filter(|(_, failed)| *failed)
        .map(|(name, _)| name.as_str())
        .collect();
    assert_eq!(
        failing,
        [
            "accuracy holds [router]",
            "no significant accuracy drop [router]"
        ],
        "{j}"
    );

    // Markdown: the summary line, then the failing rules by name.
    let m = std::fs::read_to_string(&md).unwrap();
    assert!(m.contains("gate failed: 2 of 5 rules"), "{m}");
    for name in ["accuracy holds", "no significant accuracy drop"] {
        assert!(
            m.lines()
                .any(|l| l.contains(name) && l.contains("**FAIL**")),
            "{name} not marked FAIL in\n{m}"
        );
    }
    assert!(
        !m.lines()
            .any(|l| l.contains("accuracy floor") && l.contains("**FAIL**")),
        "{m}"
    );

    // The candidate against itself: every rule passes.
    let o = gate(&[
        path_str(&cand),
        "--baseline",
        path_str(&cand),
        "--rules",
        path_str(&rules),
    ]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.starts_with("gate passed: 5 rules"), "{out}");
}

#[test]
fn a_run_where_every_request_failed_fails_the_health_rule() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_evals(dir);
    // The fake knows none of the eval's models: every request is a 404.
    let fake = Fake::start(FakeConfig {
        models: Some(vec!["some-other-model".into()]),
        ..FakeConfig::default()
    });
    let failed = dir.join("failed");
    let o = run(&mut verdict(
        &fake.server.base_url,
        "sk-ant-test",
        &[
            "run",
            path_str(&dir.join("eval-base.yaml")),
            "--out",
            path_str(&failed),
            "--no-cache",
            "--limit",
            "40",
            "--quiet",
        ],
    ));
    assert_eq!(o.status.code(), Some(3));

    let rules = dir.join("health.yaml");
    std::fs::write(
        &rules,
        "rules:\n  - {name: every ticket answered, health: true}\n",
    )
    .unwrap();
    let junit = dir.join("junit.xml");
    let o = gate(&[
        path_str(&failed),
        "--rules",
        path_str(&rules),
        "--junit",
        path_str(&junit),
    ]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.starts_with("gate failed: 1 of 1 rule"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.contains("every ticket answered") && l.contains("FAIL")),
        "{out}"
    );
    assert!(out.contains("40"), "the failed count is shown: {out}");
    let j = std::fs::read_to_string(&junit).unwrap();
    assert!(j.contains("failures=\"1\""), "{j}");
}

/// (test case name, has a `<failure>`) for every `<testcase>` of a JUnit document, in order.
fn testcases(xml: &str) -> Vec<(String, bool)> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out: Vec<(String, bool)> = Vec::new();
    loop {
        match reader.read_event().expect("well-formed JUnit XML") {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"testcase" => {
                let name = e
                    .try_get_attribute("name")
                    .unwrap()
                    .expect("a test case has a name")
                    .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .unwrap()
                    .into_owned();
                out.push((name, false));
            }
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"failure" => {
                out.last_mut().expect("a failure inside a test case").1 = true;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}
