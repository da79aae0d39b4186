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

/// A comparison page with the hostile ticket among its flipped tickets: the fixture run, and
/// a copy of it whose `local-word` variant got M-37 right (its journal line says
/// `technical`); `verdict compare RUN:local-char COPY:local-word` then flips M-22 and M-27
/// right → wrong and M-37 wrong → right. Returns (guard, the page printed by
/// `--format html`, the same comparison as JSON, the page `--html FILE` wrote).
fn compare_fixture() -> (tempfile::TempDir, String, serde_json::Value, String) {
    let (tmp, dir) = run_fixture();
    let copy = tmp.path().join("copy");
    std::fs::create_dir(&copy).unwrap();
    for e in std::fs::read_dir(&dir).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), copy.join(e.file_name())).unwrap();
    }
    let journal = copy.join("predictions.jsonl");
    let mut changed = 0;
    let lines: Vec<String> = read(&journal)
        .lines()
        .map(|l| {
            let mut r: serde_json::Value = serde_json::from_str(l).unwrap();
            if r["ticket"] == "M-37" && r["variant"] == "local-word" {
                r["outputs"]["department"] = "technical".into();
                changed += 1;
            }
            r.to_string()
        })
        .collect();
    assert_eq!(changed, 1);
    std::fs::write(&journal, lines.join("\n") + "\n").unwrap();
    let base = format!("{}:local-char", dir.display());
    let cand = format!("{}:local-word", copy.display());
    let saved = tmp.path().join("compare.html");
    let compare = |format: &str| {
        let out = Command::cargo_bin("verdict")
            .unwrap()
            .args(["compare", &base, &cand, "--format", format, "--html"])
            .arg(&saved)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let json: serde_json::Value = serde_json::from_str(&compare("json")).unwrap();
    let html = compare("html");
    let saved = read(&saved);
    (tmp, html, json, saved)
}

/// Cell text of every `<td class="text">` of the flipped-ticket table, unescaped.
fn flip_texts(html: &str) -> Vec<String> {
    let cell = regex::Regex::new(r#"<td class="text">([^<]*)</td>"#).unwrap();
    cell.captures_iter(html)
        .map(|c| {
            c[1].replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&#x27;", "'")
                .replace("&#x2f;", "/")
                .replace("&amp;", "&")
        })
        .collect()
}

#[test]
fn compare_html_structure_snapshot() {
    let (_tmp, html, _, saved) = compare_fixture();
    assert_eq!(
        saved, html,
        "--html FILE writes the page --format html prints"
    );
    insta::assert_snapshot!(outline(&html));
}

#[test]
fn compare_html_escapes_ticket_text_and_allows_only_its_own_style_and_script() {
    let (_tmp, html, json, _) = compare_fixture();
    assert!(!html.contains("<script>alert"), "raw script tag");
    assert!(!html.contains("<img"), "raw img tag");
    assert_eq!(html.matches("<script").count(), 1, "only the page's script");
    // The flipped tickets, right -> wrong first, as the JSON lists them; M-37's text exact.
    let ids: Vec<String> = regex::Regex::new(r#"<td class="dir">[^<]*</td><td>([^<]*)</td>"#)
        .unwrap()
        .captures_iter(&html)
        .map(|c| c[1].to_string())
        .collect();
    let flips = json["fields"][0]["flips"].as_array().unwrap();
    let expected: Vec<&str> = flips.iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(ids, expected);
    assert_eq!(expected, ["M-22", "M-27", "M-37"]);
    assert_eq!(flip_texts(&html)[2], HOSTILE);
    // The CSP: nothing loads; the style and the script are allowed by their hashes.
    let csp = regex::Regex::new(r#"<meta http-equiv="Content-Security-Policy" content="([^"]+)">"#)
        .unwrap()
        .captures(&html)
        .expect("a CSP meta element")[1]
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/");
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
    let hash = |s: &str| {
        format!(
            "'sha256-{}'",
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(s.as_bytes()))
        )
    };
    let inner = |open: &str, close: &str| {
        html.split(open)
            .nth(1)
            .unwrap()
            .split(close)
            .next()
            .unwrap()
            .to_string()
    };
    assert!(csp.contains(&format!(
        "style-src {}",
        hash(&inner("<style>", "</style>"))
    )));
    assert!(csp.contains(&format!(
        "script-src {}",
        hash(&inner("<script>", "</script>"))
    )));
    let urls = regex::Regex::new(r#"(?i)(https?:|//[a-z0-9])"#).unwrap();
    for m in urls.find_iter(&html) {
        let around = &html[m.start().saturating_sub(10)..(m.end() + 30).min(html.len())];
        assert!(
            around.contains("http://www.w3.org/2000/svg"),
            "a URL: {around}"
        );
    }
}

#[test]
fn compare_chart_marks_match_the_json_comparison() {
    let (_tmp, html, json, _) = compare_fixture();
    let f = &json["fields"][0];
    let field = f["field"].as_str().unwrap();
    // The forest plot: one interval per rate of the field, its estimate and bounds.
    let mark = regex::Regex::new(r#"class="diff-interval" data-field="([^"]*)" data-metric="([^"]*)" data-value="([^"]*)" data-lo="([^"]*)" data-hi="([^"]*)""#).unwrap();
    let got: Vec<(String, String, f64, f64, f64)> = mark
        .captures_iter(&html)
        .map(|c| {
            (
                c[1].to_string(),
                c[2].to_string(),
                c[3].parse().unwrap(),
                c[4].parse().unwrap(),
                c[5].parse().unwrap(),
            )
        })
        .collect();
    let names = [
        ("accuracy", "accuracy"),
        ("macro F1", "macro_f1"),
        ("invalid rate", "invalid_rate"),
    ];
    assert_eq!(got.len(), names.len());
    for ((fld, metric, v, lo, hi), (name, key)) in got.iter().zip(names) {
        assert_eq!((fld.as_str(), metric.as_str()), (field, name));
        let d = &f[key];
        let close = |a: f64, b: &serde_json::Value| (a - b.as_f64().unwrap()).abs() < 1e-6;
        assert!(close(*v, &d["diff"]), "{name}: {v} vs {}", d["diff"]);
        assert!(close(*lo, &d["interval"][0]), "{name} lo");
        assert!(close(*hi, &d["interval"][1]), "{name} hi");
    }
    // The confusion change: one bar per listed cell, with its counts.
    let cell = regex::Regex::new(r#"class="delta-cell" data-field="[^"]*" data-gold="([^"]*)" data-pred="([^"]*)" data-value="(-?\d+)" data-baseline="(\d+)" data-candidate="(\d+)""#).unwrap();
    let got: Vec<(String, String, i64, u64, u64)> = cell
        .captures_iter(&html)
        .map(|c| {
            (
                c[1].to_string(),
                c[2].to_string(),
                c[3].parse().unwrap(),
                c[4].parse().unwrap(),
                c[5].parse().unwrap(),
            )
        })
        .collect();
    let expected: Vec<(String, String, i64, u64, u64)> = f["confusion_delta"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["gold"].as_str().unwrap().to_string(),
                c["predicted"].as_str().unwrap_or("(invalid)").to_string(),
                c["diff"].as_i64().unwrap(),
                c["baseline"].as_u64().unwrap(),
                c["candidate"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(got, expected);
}
