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
