//! Renderings of a gate and a comparison: terminal text, GitHub markdown (pull-request
//! comment and `$GITHUB_STEP_SUMMARY`), JUnit XML (one test case per rule and variant, via
//! `quick-junit`) and JSON. Pure: values in, strings out.

use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, CellAlignment, Table};

use super::{Check, GateReport, Status};
use crate::compare::{Comparison, Delta, Flip};

/// GitHub's limit on a comment body (and the step summary's practical limit), in characters.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;
/// Flipped tickets shown per list; the rest are counted.
pub const FLIPS_SHOWN: usize = 20;
const EXCERPT_CHARS: usize = 120;

fn num(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(v) if v != 0.0 && v.abs() < 0.001 => format!("{v:.2e}"),
        Some(v) if v.abs() >= 1000.0 => format!("{v:.0}"),
        Some(v) => format!("{v:.4}"),
    }
}

fn signed(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(v) => format!("{v:+.4}"),
    }
}

fn p_text(c: &Check) -> String {
    match (c.p, c.p_holm, c.interval) {
        (Some(p), Some(h), Some((lo, hi))) => {
            format!("p={p:.4} (Holm {h:.4}); Δ∈[{lo:+.4}, {hi:+.4}]")
        }
        (Some(p), _, _) => format!("p={p:.4}"),
        _ => "-".into(),
    }
}

/// A one-line excerpt of ticket text.
pub fn excerpt(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let flat = flat.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > EXCERPT_CHARS {
        let cut: String = flat.chars().take(EXCERPT_CHARS - 1).collect();
        format!("{cut}…")
    } else {
        flat
    }
}

/// Text made inert for GitHub-flavoured markdown, inside a table cell or a line: no table
/// breaks (`|`), code spans, HTML, emphasis or links, `@` mentions or `#` references.
pub fn md_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '@' => out.push_str("&#64;"),
            '#' => out.push_str("&#35;"),
            '|' => out.push_str("&#124;"),
            '`' => out.push_str("&#96;"),
            '\\' | '*' | '_' | '[' | ']' | '~' | '!' => {
                out.push('\\');
                out.push(ch);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The gate for a terminal: the summary line first, every check, then the tickets behind
/// each failing check.
pub fn gate_text(r: &GateReport) -> String {
    let mut out = format!("{}\n", r.summary);
    if let Some(why) = &r.baseline_skipped {
        out.push_str(&format!(
            "no baseline: {why}; regression rules were skipped\n"
        ));
    }
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED).set_header(vec![
        "status",
        "rule",
        "variant",
        "observed",
        "bound",
        "baseline",
        "p / interval",
        "n",
    ]);
    let right = |s: String| Cell::new(s).set_alignment(CellAlignment::Right);
    for c in &r.checks {
        t.add_row(vec![
            Cell::new(c.status.label()),
            Cell::new(&c.rule),
            Cell::new(&c.variant),
            right(num(c.observed)),
            Cell::new(&c.bound),
            right(num(c.baseline)),
            Cell::new(p_text(c)),
            right(c.n.map_or("-".into(), |n| n.to_string())),
        ]);
    }
    out.push_str(&t.to_string());
    out.push('\n');
    for c in r.checks.iter().filter(|c| c.status != Status::Pass) {
        out.push_str(&format!(
            "\n{} {} [{}] ({}): {}\n",
            c.status.label(),
            c.rule,
            c.variant,
            c.at,
            c.message
        ));
        if let Some(n) = c.required_n.filter(|_| c.status == Status::Inconclusive) {
            out.push_str(&format!("  tickets needed: {n}\n"));
        }
        for f in &c.tickets {
            out.push_str(&format!(
                "  {}  gold {}  {}{}  conf {}  {}\n",
                f.id,
                f.gold,
                f.before
                    .as_ref()
                    .map(|b| format!("{b} -> "))
                    .unwrap_or_default(),
                f.after.as_deref().unwrap_or("(invalid)"),
                num(f.confidence),
                excerpt(&f.text)
            ));
        }
        if c.tickets_total > c.tickets.len() {
            out.push_str(&format!(
                "  … and {} more\n",
                c.tickets_total - c.tickets.len()
            ));
        }
    }
    out
}

fn md_flips(out: &mut String, flips: &[Flip], total: usize, cap: usize) {
    if flips.is_empty() {
        return;
    }
    out.push_str(
        "\n| id | text | gold | before | after | confidence |\n|---|---|---|---|---|---:|\n",
    );
    for f in flips.iter().take(cap) {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            md_escape(&f.id),
            md_escape(&excerpt(&f.text)),
            md_escape(&f.gold),
            md_escape(f.before.as_deref().unwrap_or("-")),
            md_escape(f.after.as_deref().unwrap_or("(invalid)")),
            num(f.confidence)
        ));
    }
    let shown = flips.len().min(cap);
    if total > shown {
        out.push_str(&format!("\n{} more not shown.\n", total - shown));
    }
}

fn gate_markdown_with(r: &GateReport, cap: usize, details: bool) -> String {
    let icon = if r.passed { "✅" } else { "❌" };
    let mut out = format!("## {icon} verdict {}\n\n", md_escape(&r.summary));
    out.push_str(&format!(
        "Candidate `{}`{}.\n",
        r.candidate.replace('`', "'"),
        match &r.baseline {
            Some(b) => format!(", baseline `{}`", b.replace('`', "'")),
            None => String::new(),
        }
    ));
    if let Some(why) = &r.baseline_skipped {
        out.push_str(&format!(
            "\n> **No baseline**: {}; regression rules were skipped.\n",
            md_escape(why)
        ));
    }
    let failing: Vec<&Check> = r
        .checks
        .iter()
        .filter(|c| matches!(c.status, Status::Fail | Status::Inconclusive | Status::Warn))
        .collect();
    if !failing.is_empty() {
        out.push_str("\n### Failing and flagged rules\n\n| status | rule | variant | observed | bound | baseline | p / interval |\n|---|---|---|---:|---|---:|---|\n");
        for c in &failing {
            out.push_str(&format!(
                "| **{}** | {} | {} | {} | {} | {} | {} |\n",
                c.status.label(),
                md_escape(&c.rule),
                md_escape(&c.variant),
                num(c.observed),
                md_escape(&c.bound),
                num(c.baseline),
                md_escape(&p_text(c))
            ));
        }
    }
    if !details {
        out.push_str("\n(details omitted to stay under GitHub's comment size limit; see the JSON or JUnit output)\n");
        return out;
    }
    out.push_str("\n<details><summary>All rules</summary>\n\n| status | rule | variant | observed | bound | baseline | p / interval | n |\n|---|---|---|---:|---|---:|---|---:|\n");
    for c in &r.checks {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
            c.status.label(),
            md_escape(&c.rule),
            md_escape(&c.variant),
            num(c.observed),
            md_escape(&c.bound),
            num(c.baseline),
            md_escape(&p_text(c)),
            c.n.map_or("-".into(), |n| n.to_string())
        ));
    }
    out.push_str("\n</details>\n");
    for c in &failing {
        out.push_str(&format!(
            "\n<details><summary>{} {} [{}]</summary>\n\n{}\n",
            c.status.label(),
            md_escape(&c.rule),
            md_escape(&c.variant),
            md_escape(&c.message)
        ));
        if let Some(n) = c.required_n.filter(|_| c.status == Status::Inconclusive) {
            out.push_str(&format!("\nTickets needed: **{n}**.\n"));
        }
        md_flips(&mut out, &c.tickets, c.tickets_total, cap);
        out.push_str("\n</details>\n");
    }
    out
}

/// The gate as GitHub markdown, under [`GITHUB_COMMENT_LIMIT`] characters: flipped-ticket
/// lists shrink first, then the details go, then (never expected) the text is cut.
pub fn gate_markdown(r: &GateReport) -> String {
    for (cap, details) in [(FLIPS_SHOWN, true), (5, true), (0, true), (0, false)] {
        let s = gate_markdown_with(r, cap, details);
        if s.chars().count() <= GITHUB_COMMENT_LIMIT {
            return s;
        }
    }
    let note = "\n\n(cut at GitHub's comment size limit)\n";
    let s = gate_markdown_with(r, 0, false);
    let keep: String = s
        .chars()
        .take(GITHUB_COMMENT_LIMIT - note.chars().count())
        .collect();
    keep + note
}

/// One JUnit test case per rule and variant; FAIL and failing INCONCLUSIVE are failures,
/// NOT EVALUABLE is skipped, WARN passes with the warning in system-out.
pub fn gate_junit(r: &GateReport) -> String {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut report = Report::new("verdict gate");
    let mut suite = TestSuite::new(format!("verdict gate {}", r.candidate));
    for c in &r.checks {
        let status = match c.status {
            Status::NotEvaluable => {
                let mut s = TestCaseStatus::skipped();
                s.set_message(c.message.clone());
                s
            }
            _ if c.fails_gate => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(format!("{}: {}", c.status.label(), c.message));
                s.set_type(c.status.label());
                let mut body = format!(
                    "observed {} (bound {}, baseline {}) {}\n{}\n",
                    num(c.observed),
                    c.bound,
                    num(c.baseline),
                    p_text(c),
                    c.at
                );
                for f in &c.tickets {
                    body.push_str(&format!(
                        "{} gold={} before={} after={} conf={} {}\n",
                        f.id,
                        f.gold,
                        f.before.as_deref().unwrap_or("-"),
                        f.after.as_deref().unwrap_or("(invalid)"),
                        num(f.confidence),
                        excerpt(&f.text)
                    ));
                }
                s.set_description(body);
                s
            }
            _ => TestCaseStatus::success(),
        };
        let mut case = TestCase::new(format!("{} [{}]", c.rule, c.variant), status);
        case.set_classname(format!("verdict.gate.{}", c.variant));
        if matches!(c.status, Status::Warn | Status::Inconclusive) && !c.fails_gate {
            case.set_system_out(format!("{}: {}", c.status.label(), c.message));
        }
        suite.add_test_case(case);
    }
    report.add_test_suite(suite);
    report.to_string().expect("JUnit serializes")
}

/// The gate as JSON.
pub fn gate_json(r: &GateReport) -> String {
    let mut s = serde_json::to_string_pretty(r).expect("serializes");
    s.push('\n');
    s
}

fn delta_row(name: &str, d: &Delta) -> Vec<String> {
    vec![
        name.to_string(),
        num(d.baseline),
        num(d.candidate),
        signed(d.diff),
        d.interval
            .map_or("-".into(), |(lo, hi)| format!("[{lo:+.4}, {hi:+.4}]")),
    ]
}

fn comparison_rows(c: &Comparison) -> Vec<(String, Vec<Vec<String>>)> {
    let mut out = Vec::new();
    for f in &c.fields {
        let mut rows = vec![
            delta_row("accuracy", &f.accuracy),
            delta_row("macro F1", &f.macro_f1),
            delta_row("invalid rate", &f.invalid_rate),
        ];
        for cl in &f.per_class {
            if cl.recall.diff.is_some_and(|d| d != 0.0)
                || cl.precision.diff.is_some_and(|d| d != 0.0)
            {
                rows.push(delta_row(&format!("recall[{}]", cl.class), &cl.recall));
                rows.push(delta_row(
                    &format!("precision[{}]", cl.class),
                    &cl.precision,
                ));
            }
        }
        out.push((f.field.clone(), rows));
    }
    out.push((
        "run".into(),
        vec![
            delta_row("invalid rate (records)", &c.invalid_rate),
            delta_row("ECE", &c.ece),
            delta_row("misroute rate", &c.misroute_rate),
            delta_row("auto-route coverage at target", &c.coverage),
            delta_row("cost per 1k tickets (USD, uncached)", &c.cost_per_1k),
            delta_row("p95 latency (ms)", &c.p95_latency_ms),
        ],
    ));
    out
}

/// What was compared: tickets in both, excluded, only on one side, and label-space changes.
pub fn accounting_lines(c: &Comparison) -> Vec<String> {
    let t = &c.tickets;
    let mut lines = vec![format!("{} tickets compared", t.compared)];
    if t.text_changed > 0 {
        lines.push(format!(
            "{} excluded: text changed ({})",
            t.text_changed,
            t.text_changed_ids.join(", ")
        ));
    }
    if t.missing_in_baseline > 0 {
        lines.push(format!(
            "{} only in the candidate ({})",
            t.missing_in_baseline,
            t.missing_in_baseline_ids.join(", ")
        ));
    }
    if t.missing_in_candidate > 0 {
        lines.push(format!(
            "{} only in the baseline ({})",
            t.missing_in_candidate,
            t.missing_in_candidate_ids.join(", ")
        ));
    }
    for l in &c.label_space {
        lines.push(format!(
            "label space: {} {}{}{}",
            l.field,
            l.change,
            if l.added.is_empty() {
                String::new()
            } else {
                format!("; added {}", l.added.join(", "))
            },
            if l.removed.is_empty() {
                String::new()
            } else {
                format!("; removed {}", l.removed.join(", "))
            }
        ));
    }
    lines
}

/// The comparison for a terminal.
pub fn compare_text(c: &Comparison) -> String {
    let mut out = format!("{} -> {}\n", c.baseline, c.candidate);
    for l in accounting_lines(c) {
        out.push_str(&format!("{l}\n"));
    }
    for f in &c.fields {
        out.push_str(&format!(
            "\n{}: accuracy {} -> {} ({}), {} right -> wrong, {} wrong -> right; McNemar p = {:.4} (two-sided), {:.4} (one-sided, worse)\n",
            f.field,
            num(f.accuracy.baseline),
            num(f.accuracy.candidate),
            signed(f.accuracy.diff),
            f.right_to_wrong,
            f.wrong_to_right,
            f.mcnemar.p_value,
            f.p_worse
        ));
    }
    let interval = interval_header(c);
    for (section, rows) in comparison_rows(c) {
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED).set_header(vec![
            section.as_str(),
            "baseline",
            "candidate",
            "change",
            interval.as_str(),
        ]);
        for r in rows {
            t.add_row(r);
        }
        out.push('\n');
        out.push_str(&t.to_string());
        out.push('\n');
    }
    for f in &c.fields {
        if !f.confusion_delta.is_empty() {
            out.push_str(&format!(
                "\n{}: confusion change (candidate − baseline), largest cells\n",
                f.field
            ));
            for cell in &f.confusion_delta {
                out.push_str(&format!(
                    "  {:+} gold {} -> {} ({} -> {})\n",
                    cell.diff,
                    cell.gold,
                    cell.predicted.as_deref().unwrap_or("(invalid)"),
                    cell.baseline,
                    cell.candidate
                ));
            }
        }
        if !f.flips.is_empty() {
            out.push_str(&format!("\n{}: flipped tickets\n", f.field));
            for fl in f.flips.iter().take(FLIPS_SHOWN) {
                out.push_str(&format!(
                    "  {} {}  gold {}  {} -> {}  conf {}  {}\n",
                    if fl.direction == "right_to_wrong" {
                        "R->W"
                    } else {
                        "W->R"
                    },
                    fl.id,
                    fl.gold,
                    fl.before.as_deref().unwrap_or("(invalid)"),
                    fl.after.as_deref().unwrap_or("(invalid)"),
                    num(fl.confidence),
                    excerpt(&fl.text)
                ));
            }
            let total = f.right_to_wrong + f.wrong_to_right;
            if total > FLIPS_SHOWN {
                out.push_str(&format!("  … and {} more\n", total - FLIPS_SHOWN));
            }
        }
    }
    out
}

/// The interval column's header at the comparison's bootstrap level ("95% interval").
fn interval_header(c: &Comparison) -> String {
    format!("{:.0}% interval", c.options.level * 100.0)
}

/// The comparison as GitHub markdown (under the comment limit).
pub fn compare_markdown(c: &Comparison) -> String {
    for cap in [FLIPS_SHOWN, 5, 0] {
        let mut out = format!(
            "## verdict compare\n\n`{}` → `{}`\n\n",
            c.baseline.replace('`', "'"),
            c.candidate.replace('`', "'")
        );
        for l in accounting_lines(c) {
            out.push_str(&format!("- {}\n", md_escape(&l)));
        }
        for (section, rows) in comparison_rows(c) {
            out.push_str(&format!(
                "\n| {} | baseline | candidate | change | {} |\n|---|---:|---:|---:|---|\n",
                md_escape(&section),
                interval_header(c)
            ));
            for r in rows {
                out.push_str(&format!(
                    "| {} |\n",
                    r.iter()
                        .map(|x| md_escape(x))
                        .collect::<Vec<_>>()
                        .join(" | ")
                ));
            }
        }
        for f in &c.fields {
            out.push_str(&format!(
                "\n<details><summary>{}: {} right → wrong, {} wrong → right</summary>\n",
                md_escape(&f.field),
                f.right_to_wrong,
                f.wrong_to_right
            ));
            md_flips(&mut out, &f.flips, f.right_to_wrong + f.wrong_to_right, cap);
            out.push_str("\n</details>\n");
        }
        if out.chars().count() <= GITHUB_COMMENT_LIMIT {
            return out;
        }
    }
    let s = format!(
        "## verdict compare\n\n`{}` → `{}`: too large for a comment; see the JSON output.\n",
        c.baseline, c.candidate
    );
    s
}
