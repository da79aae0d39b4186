//! The comparison page: `verdict compare BASE CAND --format html`, one self-contained page
//! per invocation (one section per compared variant pair).
//!
//! Pure, as the run report ([`super::render`]) is: [`Comparison`]s in, the page's text out.
//! The same machinery: a minijinja template (`src/report/templates/compare.html`,
//! auto-escaped, so ticket text and labels are always text), the run report's stylesheet and
//! script (sortable tables) allowed by their hashes in the same Content-Security-Policy, and
//! inline SVG charts drawn by plotters whose marks carry their numbers
//! ([`super::compare_charts`]). The page says first what changed (the headline), then the
//! differences per field with their intervals and McNemar's test, the confusion-matrix
//! change, and the tickets that flipped, right → wrong first.

use serde::Serialize;

use super::compare_charts::{self, DeltaInterval, Direction};
use crate::compare::{Comparison, Delta, FieldDelta};
use crate::report::summary::{fixed, p_value, pct};

const TEMPLATE: &str = include_str!("../templates/compare.html");
/// McNemar's two-sided test at this level decides whether an accuracy change is real.
const ALPHA: f64 = 0.05;

/// Limits of the comparison page.
#[derive(Debug, Clone)]
pub struct CompareHtmlOptions {
    /// Characters of a flipped ticket's text shown.
    pub max_text_chars: usize,
}

impl Default for CompareHtmlOptions {
    fn default() -> Self {
        CompareHtmlOptions {
            max_text_chars: 600,
        }
    }
}

#[derive(Serialize)]
struct Row {
    metric: String,
    baseline: String,
    candidate: String,
    change: String,
    interval: String,
    p: String,
    direction: Direction,
}

#[derive(Serialize)]
struct ClassRow {
    class: String,
    support: u64,
    recall_b: String,
    recall_c: String,
    recall_change: String,
    precision_b: String,
    precision_c: String,
    precision_change: String,
}

#[derive(Serialize)]
struct CellRow {
    gold: String,
    predicted: String,
    baseline: u64,
    candidate: u64,
    diff: String,
    good: bool,
}

#[derive(Serialize)]
struct FlipRow {
    right_to_wrong: bool,
    id: String,
    text: String,
    gold: String,
    before: String,
    after: String,
    confidence: String,
}

#[derive(Serialize)]
struct FieldPage {
    field: String,
    rows: Vec<Row>,
    discordant: String,
    classes: Vec<ClassRow>,
    confusion_chart: String,
    cells: Vec<CellRow>,
    right_to_wrong: usize,
    wrong_to_right: usize,
    flips: Vec<FlipRow>,
    flips_left_out: usize,
}

#[derive(Serialize)]
struct PairPage {
    baseline: String,
    candidate: String,
    headline: String,
    direction: Direction,
    lines: Vec<String>,
    chart: String,
    fields: Vec<FieldPage>,
    run_rows: Vec<Row>,
}

#[derive(Serialize)]
struct Page {
    title: String,
    verdict_version: String,
    csp: String,
    css: &'static str,
    js: &'static str,
    level: String,
    pairs: Vec<PairPage>,
}

fn signed_points(v: f64) -> String {
    let s = fixed(v * 100.0, 1);
    if s.starts_with('-') {
        s.replacen('-', "−", 1)
    } else if s == "0.0" {
        s
    } else {
        format!("+{s}")
    }
}

fn opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map_or("-".into(), f)
}

/// A row for a rate (shown as percentages, the change in points).
fn rate_row(metric: &str, d: &Delta, higher_is_better: bool, p: Option<f64>) -> Row {
    let established = match (p, d.interval) {
        (Some(p), _) => p < ALPHA,
        (None, Some((lo, hi))) => lo > 0.0 || hi < 0.0,
        (None, None) => false,
    };
    Row {
        metric: metric.into(),
        baseline: opt(d.baseline, pct),
        candidate: opt(d.candidate, pct),
        change: opt(d.diff, |x| format!("{} pts", signed_points(x))),
        interval: d.interval.map_or(String::new(), |(lo, hi)| {
            format!("[{}, {}]", signed_points(lo), signed_points(hi))
        }),
        p: p.map_or(String::new(), p_value),
        direction: Direction::of(d.diff.unwrap_or(0.0), higher_is_better, established),
    }
}

/// A row for a number with `digits` decimals and a unit.
fn number_row(metric: &str, d: &Delta, digits: usize) -> Row {
    Row {
        metric: metric.into(),
        baseline: opt(d.baseline, |x| fixed(x, digits)),
        candidate: opt(d.candidate, |x| fixed(x, digits)),
        change: opt(d.diff, |x| {
            let s = fixed(x, digits);
            if s.starts_with('-') {
                s.replacen('-', "−", 1)
            } else {
                format!("+{s}")
            }
        }),
        interval: String::new(),
        p: String::new(),
        direction: Direction::Unclear,
    }
}

fn cut(text: &str, n: usize) -> String {
    if text.chars().count() <= n {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(n).collect();
        s.push_str(" …");
        s
    }
}

/// The sentence the page opens with, on the first compared field.
fn headline(c: &Comparison) -> (String, Direction) {
    let Some(f) = c.fields.first() else {
        return (
            format!(
                "{} tickets compared; the two variants share no label field to compare.",
                c.tickets.compared
            ),
            Direction::Unclear,
        );
    };
    let d = f.accuracy.diff.unwrap_or(0.0);
    let p = f.mcnemar.p_value;
    let dir = Direction::of(d, true, p < ALPHA);
    let what = match dir {
        Direction::Better => format!("The candidate is more accurate on {}", f.field),
        Direction::Worse => format!("The candidate is less accurate on {}", f.field),
        Direction::Unclear => format!("No significant difference in {} accuracy", f.field),
    };
    let level = c.options.level * 100.0;
    (
        format!(
            "{what}: {} → {} ({} points, {level:.0}% interval {} to {}; McNemar p = {}), {} right → wrong and {} wrong → right of {} tickets.",
            opt(f.accuracy.baseline, pct),
            opt(f.accuracy.candidate, pct),
            signed_points(d),
            signed_points(f.accuracy_interval.lo),
            signed_points(f.accuracy_interval.hi),
            p_value(p),
            f.right_to_wrong,
            f.wrong_to_right,
            c.tickets.compared
        ),
        dir,
    )
}

fn field_page(f: &FieldDelta, opts: &CompareHtmlOptions) -> FieldPage {
    let rows = vec![
        rate_row("accuracy", &f.accuracy, true, Some(f.mcnemar.p_value)),
        rate_row("macro F1", &f.macro_f1, true, None),
        rate_row("invalid rate", &f.invalid_rate, false, None),
    ];
    let change = |d: &Delta| opt(d.diff, signed_points);
    let classes = f
        .per_class
        .iter()
        .map(|c| ClassRow {
            class: c.class.clone(),
            support: c.support,
            recall_b: opt(c.recall.baseline, |x| fixed(x, 3)),
            recall_c: opt(c.recall.candidate, |x| fixed(x, 3)),
            recall_change: change(&c.recall),
            precision_b: opt(c.precision.baseline, |x| fixed(x, 3)),
            precision_c: opt(c.precision.candidate, |x| fixed(x, 3)),
            precision_change: change(&c.precision),
        })
        .collect();
    let cells = f
        .confusion_delta
        .iter()
        .map(|c| {
            let diagonal = c.predicted.as_deref() == Some(c.gold.as_str());
            CellRow {
                gold: c.gold.clone(),
                predicted: c.predicted.clone().unwrap_or_else(|| "(invalid)".into()),
                baseline: c.baseline,
                candidate: c.candidate,
                diff: if c.diff > 0 {
                    format!("+{}", c.diff)
                } else {
                    format!("−{}", c.diff.unsigned_abs())
                },
                good: (c.diff > 0) == diagonal,
            }
        })
        .collect();
    let flips: Vec<FlipRow> = f
        .flips
        .iter()
        .map(|fl| FlipRow {
            right_to_wrong: fl.direction == "right_to_wrong",
            id: fl.id.clone(),
            text: cut(&fl.text, opts.max_text_chars),
            gold: fl.gold.clone(),
            before: fl.before.clone().unwrap_or_else(|| "(invalid)".into()),
            after: fl.after.clone().unwrap_or_else(|| "(invalid)".into()),
            confidence: opt(fl.confidence, |x| fixed(x, 2)),
        })
        .collect();
    let total = f.right_to_wrong + f.wrong_to_right;
    FieldPage {
        field: f.field.clone(),
        rows,
        discordant: format!(
            "{} right → wrong, {} wrong → right (McNemar's b and c); one-sided p that the candidate is less accurate: {}",
            f.table.a_only,
            f.table.b_only,
            p_value(f.p_worse)
        ),
        classes,
        confusion_chart: if f.confusion_delta.is_empty() {
            String::new()
        } else {
            super::chart(compare_charts::confusion_delta(&f.field, &f.confusion_delta))
        },
        cells,
        right_to_wrong: f.right_to_wrong,
        wrong_to_right: f.wrong_to_right,
        flips_left_out: total.saturating_sub(flips.len()),
        flips,
    }
}

fn pair_page(c: &Comparison, opts: &CompareHtmlOptions) -> PairPage {
    let (headline, direction) = headline(c);
    let mut lines = crate::gate::output::accounting_lines(c);
    for f in &c.fields {
        lines.push(format!(
            "{}: accuracy {} → {}, macro F1 {} → {}",
            f.field,
            opt(f.accuracy.baseline, pct),
            opt(f.accuracy.candidate, pct),
            opt(f.macro_f1.baseline, |x| fixed(x, 3)),
            opt(f.macro_f1.candidate, |x| fixed(x, 3)),
        ));
    }
    let fields: Vec<FieldPage> = c.fields.iter().map(|f| field_page(f, opts)).collect();
    // The forest plot: every field's rates with an interval.
    let mut intervals = Vec::new();
    for (f, page) in c.fields.iter().zip(&fields) {
        for ((name, d), row) in [
            ("accuracy", &f.accuracy),
            ("macro F1", &f.macro_f1),
            ("invalid rate", &f.invalid_rate),
        ]
        .into_iter()
        .zip(&page.rows)
        {
            if let (Some(est), Some((lo, hi))) = (d.diff, d.interval) {
                intervals.push(DeltaInterval {
                    field: &f.field,
                    metric: name,
                    estimate: est,
                    lo,
                    hi,
                    direction: row.direction,
                });
            }
        }
    }
    let chart = if intervals.is_empty() {
        String::new()
    } else {
        super::chart(compare_charts::delta_intervals(
            "Paired differences, candidate − baseline, with intervals",
            c.options.level,
            &intervals,
        ))
    };
    let run_rows = vec![
        rate_row("invalid rate (records)", &c.invalid_rate, false, None),
        number_row("ECE", &c.ece, 3),
        rate_row("misroute rate", &c.misroute_rate, false, None),
        rate_row("auto-route coverage at target", &c.coverage, true, None),
        number_row("$ per 1k tickets (uncached)", &c.cost_per_1k, 4),
        number_row("p95 latency (ms)", &c.p95_latency_ms, 0),
    ];
    PairPage {
        baseline: c.baseline.clone(),
        candidate: c.candidate.clone(),
        headline,
        direction,
        lines,
        chart,
        fields,
        run_rows,
    }
}

/// The template environment of the comparison page (auto-escaped as HTML by its name).
fn environment() -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    env.add_template("compare.html", TEMPLATE)
        .expect("the compare template parses");
    env
}

/// Renders the comparison page of one or more variant pairs.
pub fn render_compare(
    comparisons: &[Comparison],
    verdict_version: &str,
    opts: &CompareHtmlOptions,
) -> String {
    let title = match comparisons {
        [c] => format!("{} → {}", c.baseline, c.candidate),
        cs => format!("{} variant pairs", cs.len()),
    };
    let page = Page {
        title,
        verdict_version: verdict_version.to_string(),
        csp: super::csp(),
        css: super::CSS,
        js: super::JS,
        level: comparisons
            .first()
            .map_or("95%".into(), |c| format!("{:.0}%", c.options.level * 100.0)),
        pairs: comparisons.iter().map(|c| pair_page(c, opts)).collect(),
    };
    environment()
        .get_template("compare.html")
        .expect("template is registered")
        .render(minijinja::Value::from_serialize(&page))
        .expect("the compare template renders")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_points_never_shows_minus_zero() {
        assert_eq!(signed_points(-0.00001), "0.0");
        assert_eq!(signed_points(0.0123), "+1.2");
        assert_eq!(signed_points(-0.0123), "−1.2");
    }

    #[test]
    fn direction_needs_an_established_change() {
        assert_eq!(Direction::of(0.1, true, false), Direction::Unclear);
        assert_eq!(Direction::of(0.1, true, true), Direction::Better);
        assert_eq!(Direction::of(0.1, false, true), Direction::Worse);
        assert_eq!(Direction::of(-0.1, false, true), Direction::Better);
    }

    #[test]
    fn long_text_is_cut_on_characters() {
        assert_eq!(cut("ééé", 2), "éé …");
        assert_eq!(cut("ab", 2), "ab");
    }
}
