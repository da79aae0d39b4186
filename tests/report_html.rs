//! The HTML report on a fixed run folder (tests/fixtures/html: the mini eval plus a hostile
//! ticket, run offline): a snapshot of the page's structure, its Content-Security-Policy, the
//! escaping of hostile text, and the chart marks against run.json. The page in a real browser
//! is tests/report_chromium.rs.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use base64::Engine as _;
use sha2::{Digest, Sha256};

const HOSTILE: &str = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the fixture eval into a fresh folder; returns (temp dir guard, run folder).
fn run_fixture() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    let out = Command::cargo_bin("verdict")
        .unwrap()
        .current_dir(root())
        .args([
            "run",
            "tests/fixtures/html/eval.yaml",
            "--no-cache",
            "--out",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (tmp, dir)
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

/// The page as an outline: sections, headings, figures, tables and, per chart, how many
/// marks of each kind it draws. Run-specific values (id, date, git revision) are left out.
fn outline(html: &str) -> String {
    let tag =
        regex::Regex::new(r#"<(/?)([a-z0-9]+)((?:\s+[a-zA-Z:-]+(?:="[^"]*")?)*)\s*/?>"#).unwrap();
    let attr = regex::Regex::new(r#"([a-zA-Z:-]+)="([^"]*)""#).unwrap();
    let strip = regex::Regex::new(r"<[^>]+>").unwrap();
    let mut out = String::new();
    let mut svg_marks: std::collections::BTreeMap<String, usize> = Default::default();
    let mut in_svg = false;
    let mut heading: Option<usize> = None;
    for m in tag.captures_iter(html) {
        let (close, name, attrs) = (&m[1] == "/", &m[2], &m[3]);
        let get = |k: &str| {
            attr.captures_iter(attrs)
                .find(|c| &c[1] == k)
                .map(|c| c[2].to_string())
        };
        if in_svg {
            if close && name == "svg" {
                in_svg = false;
                let marks: Vec<String> =
                    svg_marks.iter().map(|(k, v)| format!("{k}={v}")).collect();
                out.push_str(&format!("    svg marks: {}\n", marks.join(" ")));
            } else if let (false, Some(class)) = (close, get("class")) {
                *svg_marks.entry(class).or_default() += 1;
            }
            continue;
        }
        if close {
            if matches!(name, "h2" | "h3") {
                if let Some(start) = heading.take() {
                    let text = strip.replace_all(&html[start..m.get(0).unwrap().start()], "");
                    out.push_str(&format!("{}\n", text.trim()));
                }
            }
            continue;
        }
        let mut line = name.to_string();
        if let Some(id) = get("id") {
            line.push_str(&format!("#{id}"));
        }
        for k in ["class", "data-chart", "data-field", "data-variant", "type"] {
            if let Some(v) = get(k) {
                line.push_str(&format!("[{k}={v}]"));
            }
        }
        match name {
            "section" => out.push_str(&format!("{line}\n")),
            "h2" | "h3" => {
                out.push_str(&format!("  {name}: "));
                heading = Some(m.get(0).unwrap().end());
            }
            "figure" | "table" | "select" | "input" => out.push_str(&format!("  {line}\n")),
            "script" | "style" | "meta" => out.push_str(&format!("{line}\n")),
            "svg" => {
                in_svg = true;
                svg_marks.clear();
            }
            _ => {}
        }
    }
    out
}

#[test]
fn html_structure_snapshot() {
    let (_tmp, dir) = run_fixture();
    let html = read(&dir.join("report.html"));
    insta::assert_snapshot!(outline(&html));
}

#[test]
fn csp_allows_only_the_page_own_style_and_script() {
    let (_tmp, dir) = run_fixture();
    let html = read(&dir.join("report.html"));
    let csp = regex::Regex::new(r#"<meta http-equiv="Content-Security-Policy" content="([^"]+)">"#)
        .unwrap()
        .captures(&html)
        .expect("a CSP meta element")[1]
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&#x2f;", "/");
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
    let hash = |s: &str| {
        format!(
            "'sha256-{}'",
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(s.as_bytes()))
        )
    };
    let style = html
        .split("<style>")
        .nth(1)
        .unwrap()
        .split("</style>")
        .next()
        .unwrap();
    assert!(csp.contains(&format!("style-src {}", hash(style))), "{csp}");
    // The one executable script (the ticket data is type application/json).
    let scripts: Vec<&str> = html.split("<script>").skip(1).collect();
    assert_eq!(scripts.len(), 1);
    let script = scripts[0].split("</script>").next().unwrap();
    assert!(
        csp.contains(&format!("script-src {}", hash(script))),
        "{csp}"
    );
    // No address anywhere but the SVG namespace.
    let urls = regex::Regex::new(r#"(?i)(https?:|//[a-z0-9])"#).unwrap();
    for m in urls.find_iter(&html) {
        let around = &html[m.start().saturating_sub(10)..(m.end() + 30).min(html.len())];
        assert!(
            around.contains("http://www.w3.org/2000/svg"),
            "a URL in the page: {around}"
        );
    }
}

#[test]
fn hostile_ticket_text_is_escaped_everywhere() {
    let (_tmp, dir) = run_fixture();
    let html = read(&dir.join("report.html"));
    assert!(
        !html.contains("<script>alert"),
        "raw script tag from ticket text"
    );
    assert!(!html.contains("<img"), "raw img tag from ticket text");
    assert!(!html.contains("<b>tag"), "raw markup from a tag");
    // Only the page's own <script> elements: the ticket data and the page script.
    assert_eq!(html.matches("<script").count(), 2);
    assert_eq!(html.matches("</script>").count(), 2);
    // The embedded JSON holds the text escaped and reads back to the exact text.
    let json = html
        .split(r#"<script type="application/json" id="ticket-data">"#)
        .nth(1)
        .unwrap()
        .split("</script>")
        .next()
        .unwrap();
    assert!(json.contains(r"\u003cscript\u003ealert(1)\u003c/script\u003e"));
    let data: serde_json::Value = serde_json::from_str(json).unwrap();
    let row = data["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "M-37")
        .expect("the hostile ticket is in the table");
    assert_eq!(row["text"], HOSTILE);
    assert_eq!(row["tags"][0], "<b>tag</b>\"'");
}

#[test]
fn chart_marks_match_run_json() {
    let (_tmp, dir) = run_fixture();
    let html = read(&dir.join("report.html"));
    let run: serde_json::Value = serde_json::from_str(&read(&dir.join("run.json"))).unwrap();
    let mark = regex::Regex::new(r#"<rect [^>]*class="rel-bar" data-variant="([^"]*)" data-lo="([^"]*)" data-hi="([^"]*)" data-count="(\d+)""#).unwrap();
    let mut seen = 0;
    for v in run["metrics"]["variants"].as_array().unwrap() {
        let name = v["name"].as_str().unwrap();
        let bins: Vec<u64> = v["calibration"]["reliability"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["count"].as_u64().unwrap())
            .filter(|&c| c > 0)
            .collect();
        let bars: Vec<u64> = mark
            .captures_iter(&html)
            .filter(|c| &c[1] == name)
            .map(|c| c[4].parse().unwrap())
            .collect();
        assert_eq!(
            bars, bins,
            "{name}: one bar per non-empty bin, with its count"
        );
        seen += bars.len();
        // Heatmap: the fixture has 4 classes, all shown: one cell per non-zero pair.
        let field = &v["fields"][0]["label"];
        let cells = regex::Regex::new(&format!(
            r#"class="heat-cell" data-variant="{}" data-gold="([^"]*)" data-pred="([^"]*)" data-count="(\d+)""#,
            regex::escape(name)
        ))
        .unwrap();
        let values: Vec<&str> = run["metrics"]["fields"][0]["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect();
        let mut expected = Vec::new();
        for (g, row) in field["confusion"].as_array().unwrap().iter().enumerate() {
            for (p, c) in row.as_array().unwrap().iter().enumerate() {
                let c = c.as_u64().unwrap();
                if c > 0 {
                    let pred = values.get(p).copied().unwrap_or("(invalid)");
                    expected.push((values[g].to_string(), pred.to_string(), c));
                }
            }
        }
        let got: Vec<(String, String, u64)> = cells
            .captures_iter(&html)
            .map(|c| (c[1].to_string(), c[2].to_string(), c[3].parse().unwrap()))
            .collect();
        assert_eq!(got, expected, "{name}: heatmap cells");
    }
    assert!(seen > 0);
}
