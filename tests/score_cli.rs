//! `verdict score` on bad input: exit code 2 and a message naming the file (and the line,
//! when there is one); and `--gold EVAL` using the eval's scoring settings.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn fixture(case: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/scoring")
        .join(case)
}

fn gold() -> PathBuf {
    fixture("edge").join("gold.yaml")
}

/// Runs `verdict score` in `dir` (so paths print relative to it).
fn score(dir: &Path, gold: &Path, predictions: &str) -> assert_cmd::assert::Assert {
    Command::cargo_bin("verdict")
        .unwrap()
        .current_dir(dir)
        .arg("score")
        .arg("--gold")
        .arg(gold)
        .args(["--predictions", predictions, "--format", "json"])
        .assert()
}

const OK_LINE: &str =
    r#"{"v":1,"variant":"a","ticket":"E-01","outcome":"ok","outputs":{"department":"billing"}}"#;

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn a_ticket_not_in_the_gold_set_is_named_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{OK_LINE}\n\n{}\n{}\n",
        r#"{"v":1,"variant":"a","ticket":"X-9","outcome":"ok"}"#,
        r#"{"v":1,"variant":"b","ticket":"X-10","repeat":1,"outcome":"refusal"}"#
    );
    write(dir.path(), "p.jsonl", &text);
    score(dir.path(), &gold(), "p.jsonl")
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            r#"p.jsonl:3:1: ticket: ticket "X-9" (variant "a") is not in the gold set"#,
        ))
        .stderr(predicate::str::contains(
            r#"p.jsonl:4:1: ticket: ticket "X-10" (variant "b") is not in the gold set"#,
        ));
}

#[test]
fn a_malformed_line_is_named_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "p.jsonl",
        &format!("{OK_LINE}\n{{\"v\":1,\"variant\":\n{OK_LINE}\n"),
    );
    score(dir.path(), &gold(), "p.jsonl")
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("p.jsonl:2:"))
        .stderr(predicate::str::contains("not a prediction record"));
}

#[test]
fn a_malformed_last_line_is_an_error_too() {
    // A run's own journal skips a torn last line; scored predictions must be complete.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "p.jsonl",
        &format!(
            "{OK_LINE}\n{}",
            r#"{"v":1,"variant":"a","ticket":"E-02","outcome":"maybe"}"#
        ),
    );
    score(dir.path(), &gold(), "p.jsonl")
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("p.jsonl:2:"))
        .stderr(predicate::str::contains("unknown variant `maybe`"));
}

#[test]
fn an_unknown_version_is_refused_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "p.jsonl",
        &format!(
            "{OK_LINE}\n{}\n",
            r#"{"v":2,"variant":"a","ticket":"E-02","outcome":"ok"}"#
        ),
    );
    score(dir.path(), &gold(), "p.jsonl")
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "p.jsonl:2:1: v: prediction format version 2 is not supported (this verdict reads version 1)",
        ));
}

#[test]
fn an_empty_predictions_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [("empty.jsonl", ""), ("blank.jsonl", "\n  \n")] {
        write(dir.path(), name, text);
        score(dir.path(), &gold(), name)
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(format!(
                "{name} holds no predictions"
            )));
    }
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    score(dir.path(), &gold(), "nosuch.jsonl")
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("nosuch.jsonl: file not found"));
    write(dir.path(), "p.jsonl", &format!("{OK_LINE}\n"));
    score(dir.path(), Path::new("nosuch.yaml"), "p.jsonl")
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("file not found: nosuch.yaml"));
}

#[test]
fn gold_given_an_eval_config_uses_its_calibration_and_routing() {
    let case = fixture("random_eval_config");
    let run = |gold: &str| -> Value {
        let out = Command::cargo_bin("verdict")
            .unwrap()
            .arg("score")
            .arg("--gold")
            .arg(case.join(gold))
            .arg("--predictions")
            .arg(case.join("predictions.jsonl"))
            .args(["--format", "json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let with_eval = run("eval.yaml");
    let with_gold = run("gold.yaml");
    // The eval: priority, 15 bins, route at 0.8 / clarify at 0.5 / target 0.9, seed 20261124.
    let s = &with_eval["settings"];
    assert_eq!(s["calibration"]["field"], "priority");
    assert_eq!(s["calibration"]["bins"], 15);
    assert_eq!(s["routing"]["field"], "priority");
    assert_eq!(s["routing"]["route_at"], 0.8);
    assert_eq!(s["routing"]["clarify_at"], 0.5);
    assert_eq!(s["routing"]["target_accuracy"], 0.9);
    assert_eq!(s["seed"], 20261124);
    let v = &with_eval["variants"][0];
    assert_eq!(v["calibration"]["n_bins"], 15);
    assert_eq!(
        v["calibration"]["reliability"].as_array().unwrap().len(),
        15
    );
    assert_eq!(v["routing"]["policy"]["route_at"], 0.8);
    assert_eq!(
        with_eval["comparisons"][0]["report"]["config"]["bootstrap"]["seed"],
        20261124
    );
    // A bare gold file: the first label field, 10 bins, 0.9 / 0.7 / 0.98, seed 0.
    let s = &with_gold["settings"];
    assert_eq!(s["calibration"]["field"], "department");
    assert_eq!(s["calibration"]["bins"], 10);
    assert_eq!(s["routing"]["field"], "department");
    assert_eq!(s["routing"]["target_accuracy"], 0.98);
    assert_eq!(s["seed"], 0);
    assert_eq!(
        with_gold["variants"][0]["calibration"]["reliability"]
            .as_array()
            .unwrap()
            .len(),
        10
    );
    // The per-field metrics do not depend on the settings.
    assert_eq!(
        with_eval["variants"][0]["fields"],
        with_gold["variants"][0]["fields"]
    );
    assert_ne!(
        with_eval["variants"][0]["calibration"],
        with_gold["variants"][0]["calibration"]
    );
}

#[test]
fn table_output_renders_every_fixture() {
    for case in ["edge", "random_small", "random_repeats"] {
        let dir = fixture(case);
        Command::cargo_bin("verdict")
            .unwrap()
            .arg("score")
            .arg("--gold")
            .arg(dir.join("gold.yaml"))
            .arg("--predictions")
            .arg(dir.join("predictions.jsonl"))
            .assert()
            .success()
            .stdout(predicate::str::contains(
                "calibration of the stated confidence",
            ))
            .stdout(predicate::str::contains("outcomes, cost and latency"));
    }
}

#[test]
fn predictions_saved_with_a_byte_order_mark_are_read() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "p.jsonl", &format!("\u{feff}{OK_LINE}\n"));
    let out = score(dir.path(), &gold(), "p.jsonl").code(0);
    let json: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(json["variants"][0]["name"], "a");
}

#[test]
fn a_table_as_gold_says_to_write_an_eval_config() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gold.csv", "text,label\nhello,a\n");
    write(dir.path(), "p.jsonl", &format!("{OK_LINE}\n"));
    score(dir.path(), Path::new("gold.csv"), "p.jsonl")
        .code(2)
        .stderr(predicate::str::contains(
            "--gold takes a gold YAML file or an eval config; for the table gold.csv",
        ));
}

/// `--gold EVAL` with a JSONL gold set: read straight into the grader's table when the file
/// has nothing to report, through the full loader otherwise (a look-alike id: a warning, the
/// same scores), and a bad cell is the full loader's error with its line. Every way scores as
/// the same gold set written in YAML does.
#[test]
fn gold_from_a_table_scores_as_the_same_gold_in_yaml() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rows = [
        ("E-1", "billing", r#"["refund"]"#, "true", "en", "email"),
        (
            "E-2",
            "technical",
            r#"["bug", "refund"]"#,
            "false",
            "de",
            "chat",
        ),
        ("E-3", "billing", "[]", "false", "en", "chat"),
        ("E-4", "sales", r#"["bug"]"#, "true", "", "email"),
        ("E-5", "technical", r#"["refund"]"#, "false", "de", ""),
    ];
    let jsonl = |rows: &[(&str, &str, &str, &str, &str, &str)]| -> String {
        rows.iter()
            .map(|(id, dep, intents, human, lang, channel)| {
                format!(
                    r#"{{"id": "{id}", "text": "ticket {id}", "dep": "{dep}", "intents": {intents}, "human": {human}, "lang": "{lang}", "channel": "{channel}"}}"#
                ) + "\n"
            })
            .collect()
    };
    let yaml = "fields:\n  department: {kind: label, values: [billing, sales, technical]}\n  intents: {kind: labels, values: [bug, refund]}\n  requires_human: {kind: flag}\ntickets:\n".to_string()
        + &rows
            .iter()
            .map(|(id, dep, intents, human, lang, channel)| {
                let tags: Vec<&str> = [*lang, *channel].into_iter().filter(|t| !t.is_empty()).collect();
                format!(
                    "  - id: \"{id}\"\n    text: \"ticket {id}\"\n    labels: {{department: {dep}, intents: {intents}, requires_human: {human}}}\n    tags: [{}]\n",
                    tags.join(", ")
                )
            })
            .collect::<String>();
    write(d, "gold.yaml", &yaml);
    let eval = |name: &str, gold: &str| {
        write(
            d,
            name,
            &format!(
                "name: t\ngold:\n  path: {gold}\n  id: id\n  text: text\n  labels: {{department: dep, intents: intents, requires_human: human}}\n  tags: [lang, channel]\n  fields:\n    department: {{kind: label, values: [billing, sales, technical]}}\n    intents: {{kind: labels, values: [bug, refund]}}\n    requires_human: {{kind: flag}}\nvariants: [v.yaml]\ncalibration: {{field: department, bins: 10}}\nrouting: {{field: department, route_at: 0.9, clarify_at: 0.7, target_accuracy: 0.98}}\n"
            ),
        )
    };
    write(
        d,
        "v.yaml",
        "name: v\nprovider: local\nlocal:\n  train: {path: train.csv, text: text, labels: {department: department}}\n",
    );
    write(
        d,
        "train.csv",
        "text,department\nmy invoice,billing\nthe app crashes,technical\na quote please,sales\n",
    );
    let predictions: String = rows
        .iter()
        .enumerate()
        .map(|(i, (id, ..))| {
            let dep = ["billing", "technical", "sales"][i % 3];
            format!(
                r#"{{"v":1,"variant":"a","ticket":"{id}","outcome":"ok","outputs":{{"department":"{dep}","intents":["refund"],"requires_human":{}}},"confidence":0.{}}}"#,
                i % 2 == 0,
                9 - i
            ) + "\n"
        })
        .collect();
    write(d, "p.jsonl", &predictions);
    let json_of = |gold: &str, predictions: &str| -> Value {
        let out = score(d, Path::new(gold), predictions).success();
        serde_json::from_slice(&out.get_output().stdout).unwrap()
    };
    let json = |gold: &str| json_of(gold, "p.jsonl");
    let from_yaml = json("gold.yaml");
    write(d, "gold.jsonl", &jsonl(&rows));
    eval("eval.yaml", "gold.jsonl");
    let from_table = json("eval.yaml");
    let same = |v: &Value, w: &Value| {
        for k in ["fields", "slices", "n_tickets", "calibration"] {
            assert_eq!(v["variants"][0][k], w["variants"][0][k], "{k}");
        }
        let slices = v["variants"][0]["slices"].as_array().unwrap();
        assert_eq!(slices.len(), 4, "{slices:?}");
    };
    same(&from_table, &from_yaml);
    // A look-alike id (the full loader warns): the same scores.
    let mut alike = rows;
    alike[4].0 = "e-1";
    write(d, "alike.jsonl", &jsonl(&alike));
    eval("alike.yaml", "alike.jsonl");
    let alike_yaml = yaml.replace("id: \"E-5\"", "id: \"e-1\"");
    write(d, "alike-gold.yaml", &alike_yaml);
    write(d, "p2.jsonl", &predictions.replace("E-5", "e-1"));
    same(
        &json_of("alike.yaml", "p2.jsonl"),
        &json_of("alike-gold.yaml", "p2.jsonl"),
    );
    // A label that is not one of the field's values: the full loader's error, on its line.
    let mut bad = rows;
    bad[2].1 = "shipping";
    write(d, "bad.jsonl", &jsonl(&bad));
    eval("bad.yaml", "bad.jsonl");
    score(d, Path::new("bad.yaml"), "p.jsonl")
        .code(2)
        .stderr(predicate::str::contains("bad.jsonl:3:"))
        .stderr(predicate::str::contains("shipping"));
}
