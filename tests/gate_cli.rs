//! `verdict compare` and `verdict gate` through the binary, on real run folders of the
//! shipped support eval's local (offline) variants: exit codes, the CI outputs, and
//! examples/ci/gate.sh run offline.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn verdict(args: &[&str]) -> Output {
    Command::cargo_bin("verdict")
        .unwrap()
        .current_dir(root())
        .env_remove("GITHUB_STEP_SUMMARY")
        .args(args)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A finished run of the support eval's two local variants.
fn local_run(dir: &Path) -> PathBuf {
    let out = dir.join("run");
    let o = verdict(&[
        "run",
        "evals/support.yaml",
        "--variant",
        "local-word",
        "--variant",
        "local-word-char",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    out
}

#[test]
fn gate_compare_and_their_exit_codes_on_a_local_run() {
    let tmp = tempfile::tempdir().unwrap();
    let run = local_run(tmp.path());
    let run_s = run.to_str().unwrap();

    // The eval's own gate, against itself as the baseline: passes.
    let o = verdict(&["gate", run_s, "--baseline", run_s]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = text(&o);
    assert!(out.starts_with("gate passed: 16 rules"), "{out}");
    // As JSON, the report holds each variant's comparison with its intervals (the text
    // report above computes only the paired data its rules read).
    let o = verdict(&["gate", run_s, "--baseline", run_s, "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let comparisons = v["comparisons"].as_array().unwrap();
    assert_eq!(comparisons.len(), 2, "one per variant");
    for c in comparisons {
        let accuracy = &c["fields"][0]["accuracy"];
        assert_eq!(accuracy["diff"], 0.0);
        assert!(accuracy["interval"].is_array(), "{accuracy}");
        assert!(c["fields"][0]["macro_f1"]["interval"].is_array(), "{c}");
    }

    // Regression rules without a baseline: exit 2, unless --baseline-optional.
    let o = verdict(&["gate", run_s]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--baseline"), "{}", text(&o));
    let missing = tmp.path().join("nope");
    let o = verdict(&["gate", run_s, "--baseline", missing.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = verdict(&[
        "gate",
        run_s,
        "--baseline",
        missing.to_str().unwrap(),
        "--baseline-optional",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("regression rules skipped"),
        "{}",
        text(&o)
    );

    // A failing rule: exit 1; JUnit, markdown and the step summary name it.
    let rules = tmp.path().join("rules.yaml");
    std::fs::write(
        &rules,
        "rules:\n  - {name: billing recall, metric: \"recall[billing]\", min: 0.95}\n  - {metric: accuracy, min: 0.5}\n",
    )
    .unwrap();
    let junit = tmp.path().join("junit.xml");
    let md = tmp.path().join("gate.md");
    let summary = tmp.path().join("summary.md");
    let o = Command::cargo_bin("verdict")
        .unwrap()
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(["gate", run_s, "--rules"])
        .arg(&rules)
        .arg("--junit")
        .arg(&junit)
        .arg("--markdown")
        .arg(&md)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).starts_with("gate failed: 2 of 4 rules"),
        "{}",
        text(&o)
    );
    let j = std::fs::read_to_string(&junit).unwrap();
    assert!(
        j.contains("failures=\"2\"") && j.contains("billing recall [local-word]"),
        "{j}"
    );
    let m = std::fs::read_to_string(&md).unwrap();
    assert!(
        m.contains("billing recall") && m.contains("**FAIL**"),
        "{m}"
    );
    assert_eq!(std::fs::read_to_string(&summary).unwrap().trim(), m.trim());

    // --format json.
    let o = verdict(&[
        "gate",
        run_s,
        "--rules",
        rules.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["passed"], false);
    assert_eq!(v["checks"].as_array().unwrap().len(), 4);

    // Bad rules: exit 2 with file:line:column.
    std::fs::write(&rules, "rules:\n  - {metric: acuracy, min: 0.5}\n").unwrap();
    let o = verdict(&["gate", run_s, "--rules", rules.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("rules.yaml:2:14: rules[0].metric: unknown metric `acuracy`"),
        "{}",
        text(&o)
    );

    // compare of two variants of one run equals run.json's comparisons.
    let o = verdict(&[
        "compare",
        &format!("{run_s}:local-word-char"),
        &format!("{run_s}:local-word"),
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let c: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("run.json")).unwrap()).unwrap();
    for fc in doc["metrics"]["comparisons"].as_array().unwrap() {
        let pair = &fc["report"]["pairs"][0];
        assert_eq!(pair["a"], "local-word-char");
        let f = c["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["field"] == fc["field"])
            .unwrap();
        assert_eq!(f["accuracy_interval"], pair["diff"], "{}", fc["field"]);
        assert_eq!(f["mcnemar"], pair["mcnemar"]);
        assert_eq!(f["table"]["a_only"], pair["table"]["a_only"]);
    }

    // An unfinished run: exit 3.
    let unfinished = tmp.path().join("unfinished");
    std::fs::create_dir(&unfinished).unwrap();
    for f in ["run.json", "predictions.jsonl"] {
        std::fs::copy(run.join(f), unfinished.join(f)).unwrap();
    }
    let doc = std::fs::read_to_string(unfinished.join("run.json")).unwrap();
    std::fs::write(
        unfinished.join("run.json"),
        doc.replacen("\"complete\"", "\"running\"", 1),
    )
    .unwrap();
    let o = verdict(&["gate", unfinished.to_str().unwrap(), "--baseline", run_s]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
}

#[test]
fn the_ci_example_script_gates_the_local_variants_offline() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("ci-run");
    let bin = assert_cmd::cargo::cargo_bin("verdict");
    // First run: no baseline yet, regression rules are skipped, the gate passes.
    let o = std::process::Command::new("bash")
        .current_dir(root())
        .arg("examples/ci/gate.sh")
        .arg("evals/support.yaml")
        .arg(&out)
        .env("VERDICT", &bin)
        .env(
            "VERDICT_RUN_ARGS",
            "--variant local-word --variant local-word-char",
        )
        .env("BASELINE_DIR", tmp.path().join("baseline-run"))
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let md = std::fs::read_to_string(out.join("gate.md")).unwrap();
    assert!(md.contains("No baseline"), "{md}");
    assert!(out.join("gate-junit.xml").exists() && out.join("gate.json").exists());
    // Second run with the first as the baseline (what the workflow downloads): passes, with
    // the regression rules evaluated.
    let baseline = tmp.path().join("baseline-run");
    std::fs::rename(&out, &baseline).unwrap();
    let o = std::process::Command::new("bash")
        .current_dir(root())
        .arg("examples/ci/gate.sh")
        .arg("evals/support.yaml")
        .arg(&out)
        .env("VERDICT", &bin)
        .env(
            "VERDICT_RUN_ARGS",
            "--variant local-word --variant local-word-char",
        )
        .env("BASELINE_DIR", &baseline)
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("gate.json")).unwrap()).unwrap();
    assert!(json["baseline"].is_string());
    assert!(json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["kind"] == "significance" && c["status"] == "PASS"));
}

/// Issue 12 item 1: the summary says whether the recommended variant is good enough, which is
/// the verdict of the eval's `gate:` rules (those that need no baseline), and names a failing
/// rule; with no rules it says so.
#[test]
fn the_summary_gate_line_is_the_verdict_of_the_evals_gate_rules() {
    let tmp = tempfile::tempdir().unwrap();
    let run = local_run(tmp.path());
    let run_s = run.to_str().unwrap();
    let summary = |run: &str| -> serde_json::Value {
        let o = verdict(&["report", run, "--format", "json", "--quiet"]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        // With --quiet the JSON is the summary itself.
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let s = summary(run_s);
    let gate = s["gate"].as_str().unwrap();
    // The support eval's gate: 6 rules without a baseline, 2 against one (evals/support.yaml).
    let o = verdict(&[
        "gate",
        run_s,
        "--baseline-optional",
        "--variant",
        s["recommended"]["variant"].as_str().unwrap(),
    ]);
    let own = text(&o);
    assert_eq!(o.status.code(), Some(0), "{own}");
    assert!(gate.starts_with("passes the eval's "), "{gate}");
    assert!(
        gate.ends_with("2 rules against a baseline need `verdict gate RUN --baseline BASE`"),
        "{gate}"
    );

    // The same eval held to a stricter gate (a copy of the eval file, naming the repository's
    // gold set and variants): the summary names the failing rule, in every format.
    let eval = std::fs::read_to_string(root().join("evals/support.yaml")).unwrap();
    let repo = root();
    let repo = repo.to_str().unwrap();
    let strict = eval
        .replace(
            "{name: department accuracy floor, metric: accuracy, field: department, min: 0.65}",
            "{name: department accuracy floor, metric: accuracy, field: department, min: 0.99}",
        )
        .replace(
            "gold: support/gold.yaml",
            &format!("gold: {repo}/evals/support/gold.yaml"),
        )
        .replace(
            "  - ../prompts/support/*.yaml",
            &format!("  - {repo}/prompts/support/*.yaml"),
        );
    assert_eq!(
        strict.matches(repo).count(),
        2,
        "the support eval's floor rule, gold or variants moved; update this test"
    );
    assert!(strict.contains("min: 0.99"));
    let edited = tmp.path().join("strict.yaml");
    std::fs::write(&edited, &strict).unwrap();
    let strict_run = tmp.path().join("strict-run");
    let o = verdict(&[
        "run",
        edited.to_str().unwrap(),
        "--variant",
        "local-word",
        "--variant",
        "local-word-char",
        "--out",
        strict_run.to_str().unwrap(),
        "--quiet",
    ]);
    let printed = text(&o);
    assert_eq!(o.status.code(), Some(0), "{printed}");
    let strict_s = strict_run.to_str().unwrap();
    let gate = summary(strict_s)["gate"].as_str().unwrap().to_string();
    assert!(
        gate.starts_with("fails 1 of the eval's ") && gate.contains("(department accuracy floor)"),
        "{gate}"
    );
    // What the run printed, and the markdown report, say the same.
    assert!(printed.contains(&format!("Gate: {gate}.")), "{printed}");
    let o = verdict(&["report", strict_s, "--quiet", "--format", "md"]);
    assert!(text(&o).contains(&gate), "{}", text(&o));

    // The rules are the run's own (its snapshot): deleting the eval changes nothing.
    std::fs::remove_file(&edited).unwrap();
    assert_eq!(summary(strict_s)["gate"], gate.as_str());

    // No `gate:` section: "no gate rules set".
    let none = tmp.path().join("none.yaml");
    std::fs::write(&none, strict.split("\ngate:").next().unwrap()).unwrap();
    let none_run = tmp.path().join("none-run");
    let o = verdict(&[
        "run",
        none.to_str().unwrap(),
        "--variant",
        "local-word",
        "--out",
        none_run.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        summary(none_run.to_str().unwrap())["gate"],
        "no gate rules set"
    );
}

/// The cost per 1,000 tickets that `compare` (and a gate's `cost_per_1k` rule) reads from a
/// journal: the mean over each variant's repeat-0 records that were paid for (not cached,
/// with usage), in ticket order, the last record of a ticket winning; a paid record without
/// a price makes it unknown.
#[test]
fn cost_per_1k_counts_the_last_paid_record_of_each_ticket() {
    let tmp = tempfile::tempdir().unwrap();
    let run = local_run(tmp.path());
    let journal = run.join("predictions.jsonl");
    let body = std::fs::read_to_string(&journal).unwrap();
    let mut lines: Vec<serde_json::Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let usage = serde_json::json!({"input_tokens": 300, "output_tokens": 20});
    // local-word: ticket k cached (priced, not counted), paid at (k + 1) mills, or without
    // usage (not counted), by k % 3; then ticket 0 again, paid at 0.5 (it now counts).
    let (mut sum, mut n) = (0.0, 0usize);
    let mut first = None;
    for (k, l) in lines
        .iter_mut()
        .filter(|l| l["variant"] == "local-word")
        .enumerate()
    {
        let cost = (k + 1) as f64 / 1000.0;
        match k % 3 {
            0 => {
                l["cached"] = true.into();
                l["usage"] = usage.clone();
                l["cost_usd"] = 9.0.into();
            }
            1 => {
                l["usage"] = usage.clone();
                l["cost_usd"] = cost.into();
                sum += cost;
                n += 1;
            }
            _ => l["cost_usd"] = 7.0.into(), // no usage: not paid for
        }
        first.get_or_insert_with(|| l.clone());
    }
    let mut again = first.unwrap();
    again["cached"] = false.into();
    again["usage"] = usage.clone();
    again["cost_usd"] = 0.5.into();
    lines.push(again.clone());
    // The first paid ticket's sum comes first in ticket order: ticket 0 is first.
    let want = (0.5 + sum) / (n + 1) as f64 * 1000.0;
    let write = |lines: &[serde_json::Value]| {
        let body: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        std::fs::write(&journal, body.join("\n") + "\n").unwrap();
    };
    write(&lines);
    let run_s = run.to_str().unwrap();
    // `compare` of the two variants: its `cost_per_1k` (baseline: local-word).
    let costs = || {
        let pair = |v: &str| format!("{run_s}:{v}");
        let (a, b) = (pair("local-word"), pair("local-word-char"));
        let o = verdict(&["compare", &a, &b, "--format", "json"]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["cost_per_1k"].clone()
    };
    let v = costs();
    let got = v["baseline"].as_f64().unwrap();
    assert!((got - want).abs() < 1e-9 * want, "{got} vs {want}");
    assert_eq!(v["candidate"], 0.0);

    // The last record of ticket 0 paid for but unpriced: the cost is unknown, and a
    // `cost_per_1k` rule on it cannot be gated (exit 2).
    let last = lines.len() - 1;
    lines[last]["cost_usd"] = serde_json::Value::Null;
    write(&lines);
    let v = costs();
    assert!(v["baseline"].is_null(), "{v}");
    let rules = tmp.path().join("cost.yaml");
    std::fs::write(&rules, "rules:\n  - {metric: cost_per_1k, max: 1}\n").unwrap();
    let o = verdict(&[
        "gate",
        run_s,
        "--rules",
        rules.to_str().unwrap(),
        "--variant",
        "local-word",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

/// `verdict run` leaves graded.bin in the folder (its journal graded, for `compare` and `gate`
/// to read instead of the journal), and it changes no output: with and without it, on the
/// folder and on a copy of it (a baseline downloaded as an artifact), every command prints
/// the same bytes and exits the same.
#[test]
fn graded_bin_changes_no_output() {
    let tmp = tempfile::tempdir().unwrap();
    let run = local_run(tmp.path());
    assert!(
        run.join("graded.bin").is_file(),
        "a finished run writes graded.bin"
    );
    let copy = tmp.path().join("copy");
    std::fs::create_dir(&copy).unwrap();
    for e in std::fs::read_dir(&run).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), copy.join(e.file_name())).unwrap();
    }
    let (r, c) = (run.to_str().unwrap(), copy.to_str().unwrap());
    let (a, b) = (format!("{r}:local-word"), format!("{r}:local-word-char"));
    let cases: Vec<Vec<&str>> = vec![
        vec!["compare", r, c, "--format", "json"],
        vec!["compare", &a, &b, "--format", "json"],
        vec!["compare", r, c],
        vec!["gate", c, "--baseline", r, "--format", "json"],
        vec!["gate", c, "--baseline", r],
        vec!["gate", r, "--baseline-optional"],
    ];
    let outputs = || -> Vec<(Option<i32>, Vec<u8>)> {
        cases
            .iter()
            .map(|args| {
                let o = verdict(args);
                (o.status.code(), [o.stdout, o.stderr].concat())
            })
            .collect()
    };
    let with = outputs();
    for (args, (code, out)) in cases.iter().zip(&with) {
        assert!(matches!(code, Some(0..=2)), "{args:?}: {code:?}");
        assert!(!out.is_empty(), "{args:?} printed nothing");
    }
    std::fs::remove_file(run.join("graded.bin")).unwrap();
    std::fs::remove_file(copy.join("graded.bin")).unwrap();
    let without = outputs();
    for (args, (w, wo)) in cases.iter().zip(with.iter().zip(&without)) {
        assert_eq!(w.0, wo.0, "{args:?}: exit code");
        assert_eq!(
            String::from_utf8_lossy(&w.1),
            String::from_utf8_lossy(&wo.1),
            "{args:?}"
        );
    }
}
