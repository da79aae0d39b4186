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
