//! Snapshots of every table exporter (terminal and Markdown) on a fixed scoring case, so a
//! change in what a user reads is a reviewed change.

use assert_cmd::Command;

/// Renders the `random_small` scoring fixture in a format through the real binary.
fn render(format: &str) -> String {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/scoring/random_small"
    );
    let out = Command::cargo_bin("verdict")
        .unwrap()
        .current_dir(dir)
        .args([
            "score",
            "--gold",
            "gold.yaml",
            "--predictions",
            "predictions.jsonl",
            "--format",
            format,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn terminal_tables() {
    insta::assert_snapshot!(render("table"));
}

#[test]
fn markdown_tables() {
    let md = render("md");
    // Every table row is a Markdown row, and tables are separated from what follows.
    for block in md.split("\n\n") {
        let lines: Vec<&str> = block.lines().filter(|l| !l.is_empty()).collect();
        if lines.first().is_some_and(|l| l.starts_with('|')) {
            assert!(
                lines.iter().all(|l| l.starts_with('|') && l.ends_with('|')),
                "{block}"
            );
            assert!(lines[1].starts_with("|-"), "no header separator in {block}");
        }
    }
    insta::assert_snapshot!(md);
}

#[test]
fn json_is_the_report() {
    let json: serde_json::Value = serde_json::from_str(&render("json")).unwrap();
    assert!(json["variants"].as_array().is_some_and(|v| !v.is_empty()));
    assert!(json["comparisons"].is_array());
}

/// The terminal format at a fixed width.
fn render_at(width: u16) -> String {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/scoring/random_small"
    );
    let out = Command::cargo_bin("verdict")
        .unwrap()
        .current_dir(dir)
        .args([
            "score",
            "--gold",
            "gold.yaml",
            "--predictions",
            "predictions.jsonl",
        ])
        .args(["--width", &width.to_string()])
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn terminal_at_120_columns() {
    let s = render_at(120);
    assert!(s.lines().all(|l| l.chars().count() <= 120), "{s}");
    insta::assert_snapshot!(s);
}

#[test]
fn terminal_at_80_columns() {
    let s = render_at(80);
    let wide: Vec<&str> = s.lines().filter(|l| l.chars().count() > 80).collect();
    assert!(wide.is_empty(), "lines wider than 80: {wide:#?}");
    // No number is cut: the outcomes and cost table is split rather than truncated.
    let cut = regex::Regex::new(r"[0-9.%/$]…").unwrap();
    assert!(!cut.is_match(&s), "a truncated number: {s}");
    for n in ["33554/3040", "0.9830", "1288.9", "1353.7"] {
        assert!(s.contains(n), "{n} missing: {s}");
    }
    insta::assert_snapshot!(s);
}

/// A copy of the committed run folder (tests/fixtures/report_run), as a run folder
/// downloaded from CI would be: `verdict report` reads only what the folder holds.
fn run_folder() -> (tempfile::TempDir, std::path::PathBuf) {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/report_run");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("copied-run");
    std::fs::create_dir(&dir).unwrap();
    for f in [
        "run.json",
        "snapshot.json",
        "gold.jsonl",
        "predictions.jsonl",
    ] {
        std::fs::copy(src.join(f), dir.join(f)).unwrap();
    }
    (tmp, dir)
}

/// `verdict report <copy of the run folder> ARGS`: (exit code, stdout, stderr).
fn report(args: &[&str]) -> (i32, String, String) {
    let (_tmp, dir) = run_folder();
    let out = Command::cargo_bin("verdict")
        .unwrap()
        .arg("report")
        .arg(&dir)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn report_ok(args: &[&str]) -> String {
    let (code, out, err) = report(args);
    assert_eq!(code, 0, "{err}");
    out
}

#[test]
fn markdown_of_a_run_folder() {
    let md = report_ok(&["--format", "md"]);
    assert!(md.starts_with("# verdict: html-report\n"), "{md}");
    insta::assert_snapshot!(md);
}

#[test]
fn csv_per_class_of_a_run_folder() {
    insta::assert_snapshot!(report_ok(&["--format", "csv"]));
}

/// Every per-class number of the CSV is run.json's, to the last bit.
#[test]
fn csv_per_class_values_are_run_json_numbers() {
    let csv_text = report_ok(&["--format", "csv"]);
    let run: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/report_run/run.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let mut rdr = csv::Reader::from_reader(csv_text.as_bytes());
    let header = rdr.headers().unwrap().clone();
    assert_eq!(
        header.iter().collect::<Vec<_>>(),
        [
            "variant",
            "field",
            "kind",
            "category",
            "precision",
            "recall",
            "f1",
            "support",
            "predicted",
            "present"
        ]
    );
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    let mut checked = 0;
    for v in run["metrics"]["variants"].as_array().unwrap() {
        for f in v["fields"].as_array().unwrap() {
            let Some(classes) = f["label"]["per_class"].as_array() else {
                continue;
            };
            for c in classes {
                let name = c["name"].as_str().unwrap();
                let row = rows
                    .iter()
                    .find(|r| {
                        &r[0] == v["name"].as_str().unwrap()
                            && &r[1] == f["field"].as_str().unwrap()
                            && &r[3] == name
                    })
                    .unwrap_or_else(|| panic!("no row for {name}"));
                for (col, key) in [(4, "precision"), (5, "recall"), (6, "f1")] {
                    let csv_value: f64 = row[col].parse().unwrap();
                    assert_eq!(csv_value, c[key].as_f64().unwrap(), "{name} {key}");
                }
                assert_eq!(
                    row[7].parse::<u64>().unwrap(),
                    c["support"].as_u64().unwrap()
                );
                assert_eq!(
                    row[8].parse::<u64>().unwrap(),
                    c["predicted"].as_u64().unwrap()
                );
                assert_eq!(&row[9], c["present"].as_bool().unwrap().to_string());
                checked += 1;
            }
        }
    }
    // Two variants x four departments, and the flag field of each.
    assert_eq!(checked, 8);
    assert_eq!(rows.len(), 10);
}

#[test]
fn quiet_prints_the_summary_only() {
    let md = report_ok(&["--format", "md", "--quiet"]);
    assert!(md.contains("### summary"), "{md}");
    assert!(md.contains("Gate: "), "{md}");
    assert!(!md.contains('|'), "a table in --quiet output: {md}");
    assert_eq!(md.matches("### ").count(), 1, "{md}");
}

/// The many_categories fixture has 12 categories: 10 shown and a line counting the other 2,
/// or with --all every one.
#[test]
fn all_shows_every_category() {
    let render = |all: bool| {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/scoring/many_categories"
        );
        let mut cmd = Command::cargo_bin("verdict").unwrap();
        cmd.current_dir(dir).args([
            "score",
            "--gold",
            "gold.yaml",
            "--predictions",
            "predictions.jsonl",
            "--format",
            "md",
        ]);
        if all {
            cmd.arg("--all");
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success());
        let md = String::from_utf8(out.stdout).unwrap();
        let rows = (0..12)
            .filter(|i| md.contains(&format!("| c{i:02} | 3 |")))
            .count();
        (md, rows)
    };
    let (md, rows) = render(false);
    assert_eq!(rows, 10, "{md}");
    assert!(md.contains("the 10 lowest-F1 categories of only"), "{md}");
    assert!(
        md.contains("2 more categories not shown (--all shows every one)."),
        "{md}"
    );
    let (md, rows) = render(true);
    assert_eq!(rows, 12, "{md}");
    assert!(md.contains("### topic: per category"), "{md}");
    assert!(!md.contains("not shown"), "{md}");
}

#[test]
fn tickets_wrong_as_markdown() {
    let md = report_ok(&["--tickets", "wrong", "--format", "md"]);
    // The hostile ticket's markup is text, and every row is one table row.
    assert!(!md.contains("<script>"), "{md}");
    insta::assert_snapshot!(md);
}

#[test]
fn tickets_all_as_csv_keep_the_whole_text() {
    let out = report_ok(&["--tickets", "all", "--format", "csv"]);
    let mut rdr = csv::Reader::from_reader(out.as_bytes());
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    // No default limit in CSV: every ticket of the run.
    assert_eq!(rows.len(), 37);
    let gold = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/report_run/gold.jsonl"
    ))
    .unwrap();
    for r in &rows {
        let ticket = gold
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .find(|t| t["id"] == r[0])
            .unwrap();
        assert_eq!(&r[1], ticket["text"].as_str().unwrap());
    }
    insta::assert_snapshot!(out);
}

#[test]
fn tickets_at_80_columns() {
    let s = report_ok(&[
        "--tickets",
        "low-confidence",
        "--width",
        "80",
        "--limit",
        "5",
    ]);
    let wide: Vec<&str> = s.lines().filter(|l| l.chars().count() > 80).collect();
    assert!(wide.is_empty(), "lines wider than 80: {wide:#?}");
    assert!(s.contains('…'), "{s}");
    assert!(
        s.contains("more tickets not shown (--limit N shows more)."),
        "{s}"
    );
    insta::assert_snapshot!(s);
}

#[test]
fn tickets_as_json_with_filters() {
    let out = report_ok(&[
        "--tickets",
        "all",
        "--format",
        "json",
        "--tag",
        "chat",
        "--variant",
        "local-word",
        "--limit",
        "2",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["variants"], serde_json::json!(["local-word"]));
    assert_eq!(v["rows"].as_array().unwrap().len(), 2);
    assert!(v["matched"].as_u64().unwrap() > 2);
    for r in v["rows"].as_array().unwrap() {
        assert!(r["tags"].as_array().unwrap().contains(&"chat".into()));
        assert_eq!(r["predictions"].as_array().unwrap().len(), 1);
    }
}

#[test]
fn tickets_unknown_values_exit_2_naming_the_valid_ones() {
    for (args, expected) in [
        (
            ["--variant", "nope"],
            "error: --variant \"nope\" is not a variant of this run (its variants: local-char, local-word)",
        ),
        (
            ["--field", "nope"],
            "error: --field \"nope\" is not a field of this run (its fields: department, requires_human)",
        ),
        (
            ["--tag", "nope"],
            "error: --tag \"nope\" is not a tag of any ticket of this run (its tags:",
        ),
    ] {
        let mut all = vec!["--tickets", "wrong"];
        all.extend(args);
        let (code, out, err) = report(&all);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty());
        assert!(err.starts_with(expected), "{args:?}: {err}");
    }
}
