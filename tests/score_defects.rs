//! Regression tests for scoring defects, each named after it, through the binary
//! (`verdict score --gold G --predictions P --format json`):
//!
//! - issue 9 item 5, memory from a number in a file:
//!   [`a_huge_repeat_in_predictions_is_an_error_not_an_allocation`]
//! - issue 9 item 6, duplicates and gaps:
//!   [`conflicting_duplicates_are_counted_and_missing_tickets_are_counted`]
//! - issue 11 item 7, output: [`per_class_entries_name_their_label`],
//!   [`a_non_numeric_confidence_counts_as_invalid_instead_of_rejecting_the_file`],
//!   [`outputs_of_a_record_that_is_not_ok_do_not_make_a_field_scored`]

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

const GOLD: &str = "fields:
  dept: {kind: label, values: [billing, tech]}
  urgent: {kind: flag}
tickets:
  - {id: T1, text: a, labels: {dept: billing, urgent: false}}
  - {id: T2, text: b, labels: {dept: tech, urgent: true}}
  - {id: T3, text: c, labels: {dept: tech, urgent: false}}
";

fn rec(ticket: &str, repeat: u64, outcome: &str, outputs: &str, extra: &str) -> String {
    format!(
        r#"{{"v":1,"variant":"a","ticket":"{ticket}","repeat":{repeat},"outcome":"{outcome}","outputs":{outputs}{extra}}}"#
    )
}

/// Runs `verdict score` on GOLD and the given lines: (exit code, stdout JSON or Null, stderr).
fn score(lines: &[String]) -> (i32, Value, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("gold.yaml"), GOLD).unwrap();
    std::fs::write(dir.path().join("p.jsonl"), lines.join("\n") + "\n").unwrap();
    run(dir.path())
}

fn run(dir: &Path) -> (i32, Value, String) {
    let out = Command::cargo_bin("verdict")
        .unwrap()
        .current_dir(dir)
        .args([
            "score",
            "--gold",
            "gold.yaml",
            "--predictions",
            "p.jsonl",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (
        out.status.code().unwrap_or(-1),
        json,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn field<'a>(report: &'a Value, name: &str) -> Option<&'a Value> {
    report["variants"][0]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["field"] == name)
}

#[test]
fn a_huge_repeat_in_predictions_is_an_error_not_an_allocation() {
    let dept = r#"{"dept":"billing","urgent":false}"#;
    for huge in [1000u64, 20_000_000, 999_999_999, 4_294_967_295] {
        let (code, _, err) = score(&[
            rec("T1", 0, "ok", dept, ""),
            rec("T2", huge, "ok", dept, ""),
        ]);
        assert_eq!(code, 2, "repeat {huge}: {err}");
        assert!(err.contains("p.jsonl:2:1"), "repeat {huge}: {err}");
        assert!(
            err.contains(&format!("repeat {huge} is too large")) && err.contains("0 to 999"),
            "repeat {huge}: {err}"
        );
    }
    // Past u32: refused as a record, exit 2, never a panic.
    let (code, _, err) = score(&[rec("T1", 1 << 40, "ok", dept, "")]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("p.jsonl:1:"), "{err}");
    // The largest allowed repeat is scored; the repeats between are all invalid.
    let (code, report, err) =
        score(&[rec("T1", 0, "ok", dept, ""), rec("T1", 999, "ok", dept, "")]);
    assert_eq!(code, 0, "{err}");
    let repeats = &field(&report, "dept").unwrap()["repeats"];
    assert_eq!(repeats["k"], 1000, "{repeats}");
}

#[test]
fn conflicting_duplicates_are_counted_and_missing_tickets_are_counted() {
    let (code, report, err) = score(&[
        rec("T1", 0, "ok", r#"{"dept":"tech","urgent":false}"#, ""),
        rec("T2", 0, "ok", r#"{"dept":"tech","urgent":true}"#, ""),
        // The same again: not a conflict.
        rec("T2", 0, "ok", r#"{"dept":"tech","urgent":true}"#, ""),
        // A different answer for T1: the last wins, and it is counted.
        rec("T1", 0, "ok", r#"{"dept":"billing","urgent":false}"#, ""),
    ]);
    assert_eq!(code, 0, "{err}");
    let v = &report["variants"][0];
    assert_eq!(v["replaced"], 1, "{v}");
    assert_eq!(v["missing"], 1, "{v}");
    assert_eq!(v["outcomes"]["missing"], 1, "{v}");
    // Last wins: T1 billing and T2 tech are right, T3 (missing) is wrong.
    let acc = field(&report, "dept").unwrap()["label"]["accuracy"]
        .as_f64()
        .unwrap();
    assert!((acc - 2.0 / 3.0).abs() < 1e-12, "{acc}");
}

#[test]
fn per_class_entries_name_their_label() {
    let (code, report, err) = score(&[rec(
        "T1",
        0,
        "ok",
        r#"{"dept":"billing","urgent":false}"#,
        "",
    )]);
    assert_eq!(code, 0, "{err}");
    let per_class = &field(&report, "dept").unwrap()["label"]["per_class"];
    assert_eq!(per_class[0]["class"], 0);
    assert_eq!(per_class[0]["name"], "billing");
    assert_eq!(per_class[1]["class"], 1);
    assert_eq!(per_class[1]["name"], "tech");
}

#[test]
fn a_non_numeric_confidence_counts_as_invalid_instead_of_rejecting_the_file() {
    let out = r#"{"dept":"billing","urgent":false}"#;
    let (code, report, err) = score(&[
        rec("T1", 0, "ok", out, r#","confidence":"high""#),
        rec("T2", 0, "ok", out, r#","confidence":0.8"#),
        rec("T3", 0, "ok", out, r#","confidence":1.5"#),
    ]);
    assert_eq!(code, 0, "{err}");
    let v = &report["variants"][0];
    assert_eq!(v["confidence_invalid"], 2, "{v}");
    // Only T2's confidence is used for calibration.
    assert_eq!(v["calibration"]["n_scored"], 1, "{}", v["calibration"]);
}

#[test]
fn outputs_of_a_record_that_is_not_ok_do_not_make_a_field_scored() {
    let (code, report, err) = score(&[
        rec("T1", 0, "ok", r#"{"dept":"billing"}"#, ""),
        rec("T2", 0, "ok", r#"{"dept":"tech"}"#, ""),
        // A failed record carrying a value of `urgent`, which the variant does not predict.
        rec(
            "T3",
            0,
            "invalid_output",
            r#"{"dept":"tech","urgent":true}"#,
            "",
        ),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(field(&report, "dept").is_some(), "{report}");
    assert!(
        field(&report, "urgent").is_none(),
        "{}",
        report["variants"][0]["fields"]
    );
}
